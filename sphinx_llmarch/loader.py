"""Read TOML specs into :class:`~sphinx_llmarch.model.Architecture`, with exact errors.

Every problem is reported as ``file: key.path: problem`` so an author can find and
fix it without reading a traceback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import difflib
import functools
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .model import (
    FFN,
    MLA,
    Architecture,
    Attention,
    LayerPattern,
    MoE,
    Norm,
    Official,
    OfficialFigure,
    Position,
    Vision,
)
from .style import PALETTE


class SpecError(ValueError):
    """A spec file that cannot be turned into an :class:`Architecture`."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        self.file, self.key, self.problem = file, key, problem
        where = f"{file}: {key}: " if key else f"{file}: "
        super().__init__(where + problem)


class UnknownModelError(LookupError):
    """A model id that no loaded spec declares."""

    def __init__(self, model_id: str, suggestions: list[str]) -> None:
        self.model_id, self.suggestions = model_id, suggestions
        hint = f" (did you mean {', '.join(suggestions)}?)" if suggestions else ""
        super().__init__(f"unknown model id {model_id!r}{hint}")


def _suggest(word: str, choices: Iterable[str]) -> list[str]:
    return difflib.get_close_matches(word, sorted(choices), n=3, cutoff=0.6)


@dataclass
class _Table:
    """A TOML table that remembers its key path and which keys were read."""

    file: str
    path: str
    data: dict[str, Any]
    used: set[str] = field(default_factory=set)

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def fail(self, name: str, problem: str) -> SpecError:
        return SpecError(self.file, self.key(name), problem)

    def has(self, name: str) -> bool:
        return name in self.data

    def _get(self, name: str, kinds: tuple[type, ...], what: str, default: Any) -> Any:
        self.used.add(name)
        if name not in self.data:
            if default is _REQUIRED:
                typo = _suggest(name, [key for key in self.data if key not in self.used])
                if typo:  # report the misspelling, which is the real problem
                    raise self.fail(typo[0], f"unknown key (did you mean {name!r}?)")
                raise self.fail(name, "missing required value")
            return default
        value = self.data[name]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise self.fail(name, f"expected {what}, got {type(value).__name__} {value!r}")
        return value

    def str(self, name: str, default: Any = None) -> Any:
        return self._get(name, (str,), "a string", default)

    def bool(self, name: str, default: bool = False) -> bool:
        return self._get(name, (bool,), "true or false", default)

    def int(self, name: str, default: Any = None, *, minimum: int = 1) -> Any:
        value = self._get(name, (int,), "an integer", default)
        if isinstance(value, int) and value < minimum:
            raise self.fail(name, f"{value} is below the minimum {minimum}")
        return value

    def number(self, name: str, default: Any = None) -> Any:
        value = self._get(name, (int, float), "a number", default)
        if value is not None and value <= 0:
            raise self.fail(name, f"{value} must be positive")
        return value

    def choice(self, name: str, choices: tuple[str, ...], default: Any = None) -> Any:
        value = self.str(name, default)
        if value is not None and value not in choices:
            raise self.fail(name, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def pattern(self, name: str, choices: tuple[str, ...], default: tuple[str, ...]) -> Any:
        value = self._get(name, (list,), "a list of strings", None)
        if value is None:
            return default
        if not value:
            raise self.fail(name, "the pattern is empty")
        for index, item in enumerate(value):
            if item not in choices:
                raise self.fail(f"{name}[{index}]", f"{item!r} is not one of {', '.join(choices)}")
        return tuple(value)

    def table(self, name: str, required: bool = False) -> _Table | None:
        self.used.add(name)
        if name not in self.data:
            if required:
                raise self.fail(name, "missing required table")
            return None
        value = self.data[name]
        if not isinstance(value, dict):
            raise self.fail(name, f"expected a table, got {type(value).__name__}")
        return _Table(self.file, self.key(name), value)

    @contextlib.contextmanager
    def section(self, name: str) -> Iterator[_Table]:
        """A required sub-table whose unknown keys are rejected once it has been read."""
        table = self.table(name, required=True)
        assert table is not None
        yield table
        table.check_unknown()

    def check_unknown(self) -> None:
        """Reject typos: a misspelt key would otherwise be silently ignored."""
        for name in self.data:
            if name not in self.used:
                hint = _suggest(name, self.used)
                extra = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise self.fail(name, f"unknown key{extra}")


_REQUIRED = object()


def _official_figure(table: _Table, prefix: str, convention_key: str) -> OfficialFigure | None:
    value = table.number(f"{prefix}_params")
    if value is None:
        return None
    return OfficialFigure(
        value=float(value),
        stated=table.str(f"{prefix}_stated", _REQUIRED),
        source=table.str(f"{prefix}_source"),
        convention=table.str(convention_key),
        excludes=table.pattern(f"{prefix}_excludes", ("embedding", "output_head"), ()),
        rounding=table.choice(f"{prefix}_rounding", ("nearest", "down"), "nearest"),
    )


def _read_official(root: _Table) -> Official:
    table = root.table("official")
    if table is None:
        return Official()
    counted = table.table("counted_with")
    counted_with: tuple[tuple[str, int], ...] = ()
    if counted is not None:
        counted_with = tuple((name, counted.int(name)) for name in sorted(counted.data))
    official = Official(
        total=_official_figure(table, "total", "total_includes"),
        active=_official_figure(table, "active", "active_convention"),
        non_embedding=_official_figure(table, "non_embedding", "non_embedding_convention"),
        total_with_mtp=_official_figure(table, "total_with_mtp", "total_with_mtp_convention"),
        note=table.str("note"),
        counted_with=counted_with,
    )
    table.check_unknown()
    return official


def _read_attention(root: _Table, hidden_size: int) -> Attention:
    with root.section("attention") as table:
        heads = table.int("num_attention_heads", _REQUIRED)
        kv_heads = table.int("num_key_value_heads", heads)
        if heads % kv_heads:
            raise table.fail("num_key_value_heads", f"{kv_heads} does not divide num_attention_heads {heads}")
        mla = None
        if table.choice("kind", ("mla",)) == "mla":
            mla = MLA(
                q_lora_rank=table.int("q_lora_rank"),
                kv_lora_rank=table.int("kv_lora_rank", _REQUIRED),
                qk_nope_head_dim=table.int("qk_nope_head_dim", _REQUIRED),
                qk_rope_head_dim=table.int("qk_rope_head_dim", _REQUIRED),
                v_head_dim=table.int("v_head_dim", _REQUIRED),
            )
            kind = "mla"
            head_dim = mla.qk_nope_head_dim + mla.qk_rope_head_dim
            table.used.add("head_dim")
        else:
            kind = "mha" if kv_heads == heads else "mqa" if kv_heads == 1 else "gqa"
            head_dim = table.int("head_dim", None)
            if head_dim is None:
                if hidden_size % heads:
                    raise table.fail(
                        "head_dim", f"missing, and hidden_size {hidden_size} is not a multiple of {heads} heads"
                    )
                head_dim = hidden_size // heads
        attention = Attention(
            kind=kind,
            num_heads=heads,
            num_kv_heads=kv_heads,
            head_dim=head_dim,
            qk_norm=table.choice("qk_norm", ("none", "per-head", "full"), "none"),
            qkv_bias=table.bool("qkv_bias"),
            o_bias=table.bool("o_bias"),
            sinks=table.bool("sinks"),
            sliding_window=table.int("sliding_window"),
            mla=mla,
        )
        return attention


def _read_position(root: _Table) -> Position:
    with root.section("position") as table:
        return Position(
            kind=table.choice("kind", ("rope", "learned"), _REQUIRED),
            rope_theta=table.number("rope_theta"),
            rope_local_theta=table.number("rope_local_theta"),
            rope_scaling=table.str("rope_scaling"),
        )


def _read_norm(root: _Table) -> Norm:
    with root.section("norm") as table:
        return Norm(
            kind=table.choice("kind", ("rmsnorm", "layernorm"), _REQUIRED),
            placement=table.choice("placement", ("pre", "post", "sandwich"), _REQUIRED),
            eps=table.number("eps"),
        )


def _read_ffn(root: _Table) -> FFN:
    with root.section("ffn") as table:
        return FFN(
            kind=table.choice("kind", ("swiglu", "geglu", "gelu"), _REQUIRED),
            intermediate_size=table.int("intermediate_size", _REQUIRED),
            bias=table.bool("bias"),
            activation=table.str("activation"),
        )


def _read_moe(root: _Table, num_layers: int) -> MoE | None:
    table = root.table("moe")
    if table is None:
        return None
    experts = table.int("num_experts", _REQUIRED)
    active = table.int("experts_per_token", _REQUIRED)
    if active > experts:
        raise table.fail("experts_per_token", f"{active} is more than num_experts {experts}")
    first_dense = table.int("first_k_dense_replace", 0, minimum=0)
    if first_dense >= num_layers:
        raise table.fail("first_k_dense_replace", f"{first_dense} leaves no MoE layer out of {num_layers}")
    moe = MoE(
        num_experts=experts,
        experts_per_token=active,
        expert_intermediate_size=table.int("moe_intermediate_size", _REQUIRED),
        num_shared_experts=table.int("num_shared_experts", 0, minimum=0),
        first_k_dense=first_dense,
        router_bias=table.bool("router_bias"),
        expert_bias=table.bool("expert_bias"),
        score_correction_bias=table.bool("score_correction_bias"),
    )
    table.check_unknown()
    return moe


def _read_layers(root: _Table, attention: Attention, position: Position) -> LayerPattern:
    table = root.table("layers")
    if table is None:
        return LayerPattern()
    layers = LayerPattern(
        attention=table.pattern("attention", ("full", "sliding"), ("full",)),
        position=table.pattern("position", ("rope", "nope"), ("rope",)),
    )
    table.check_unknown()
    if "sliding" in layers.attention and attention.sliding_window is None:
        raise root.fail("attention.sliding_window", "missing, but layers.attention has sliding layers")
    if "nope" in layers.position and position.kind != "rope":
        raise table.fail("position", "NoPE layers need position.kind = 'rope' for the other layers")
    return layers


def _read_vision(root: _Table) -> Vision | None:
    table = root.table("vision")
    if table is None:
        return None
    raw_layers = table._get("projector_layers", (list,), "a list of [in, out, bias] triples", [])
    projector: list[tuple[int, int, bool]] = []
    for index, item in enumerate(raw_layers):
        ok = (
            isinstance(item, list)
            and len(item) == 3
            and all(type(v) is int and v > 0 for v in item[:2])
            and isinstance(item[2], bool)
        )
        if not ok:
            raise table.fail(f"projector_layers[{index}]", f"expected [in, out, bias], got {item!r}")
        projector.append((item[0], item[1], item[2]))
    vision = Vision(
        name=table.str("name", "vision encoder"),
        hidden_size=table.int("hidden_size", _REQUIRED),
        intermediate_size=table.int("intermediate_size", _REQUIRED),
        num_layers=table.int("num_hidden_layers", _REQUIRED),
        num_heads=table.int("num_attention_heads", _REQUIRED),
        patch_size=table.int("patch_size", _REQUIRED),
        image_size=table.int("image_size", _REQUIRED),
        num_channels=table.int("num_channels", 3),
        ffn=table.choice("ffn", ("swiglu", "geglu", "gelu"), _REQUIRED),
        norm=table.choice("norm", ("rmsnorm", "layernorm"), _REQUIRED),
        bias=table.bool("bias"),
        patch_bias=table.bool("patch_bias"),
        position=table.choice("position", ("learned", "rope"), _REQUIRED),
        pre_norm=table.bool("pre_norm"),
        post_norm=table.bool("post_norm"),
        projector_norm=table.int("projector_norm", 0, minimum=0),
        projector_layers=tuple(projector),
    )
    table.check_unknown()
    return vision


_SLUG = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*")


def _slug(root: _Table, key: str, value: object) -> str:
    """Ids and aliases are lower-case slugs (``llama-3.2-1b``), as directives spell them."""
    if not isinstance(value, str) or not _SLUG.fullmatch(value):
        raise root.fail(key, f"{value!r} is not a lower-case id like 'qwen3-8b' or 'llama-3.2-1b'")
    return value


def _extended_context(text: _Table, context_length: int) -> tuple[int, str] | None:
    length = text.int("extended_context_length")
    if length is None:
        text.used.add("extended_context_method")
        return None
    if length <= context_length:
        raise text.fail("extended_context_length", f"{length} is not longer than context_length")
    return length, text.str("extended_context_method", _REQUIRED)


def architecture_from_dict(data: dict[str, Any], file: str) -> Architecture:
    """Validate one parsed spec; raise :class:`SpecError` naming file and key."""
    root = _Table(file, "", data)
    sources = root.table("sources", required=True)
    assert sources is not None
    links = tuple((name, sources.str(name)) for name in sources.data)
    if "config" not in sources.data and "paper" not in sources.data:
        raise sources.fail("config", "every spec must link its config.json or paper")
    text = root.table("text", required=True)
    assert text is not None
    hidden = text.int("hidden_size", _REQUIRED)
    context_length = text.int("context_length", _REQUIRED)
    num_layers = text.int("num_hidden_layers", _REQUIRED)
    released = root._get("released", (datetime.date,), "a date (YYYY-MM-DD)", None)
    attention = _read_attention(root, hidden)
    position = _read_position(root)
    mtp = root.table("mtp")
    arch = Architecture(
        id=_slug(root, "id", root.str("id", _REQUIRED)),
        name=root.str("name", _REQUIRED),
        family=root.str("family", _REQUIRED),
        organization=root.str("organization", ""),
        released=released,
        license=root.str("license"),
        aliases=tuple(
            _slug(root, f"aliases[{i}]", alias)
            for i, alias in enumerate(root._get("aliases", (list,), "a list of ids", []))
        ),
        summary=root.str("summary", ""),
        key_detail=root.str("key_detail", ""),
        sources=links,
        official=_read_official(root),
        vocab_size=text.int("vocab_size", _REQUIRED),
        hidden_size=hidden,
        num_layers=num_layers,
        context_length=context_length,
        max_position_embeddings=text.int("max_position_embeddings"),
        tie_word_embeddings=text.bool("tie_word_embeddings"),
        extended_context=_extended_context(text, context_length),
        attention=attention,
        position=position,
        norm=_read_norm(root),
        ffn=_read_ffn(root),
        moe=_read_moe(root, num_layers),
        layers=_read_layers(root, attention, position),
        mtp_modules=mtp.int("num_modules", 0, minimum=0) if mtp else 0,
        vision=_read_vision(root),
        colour=root.choice("colour", tuple(PALETTE)),
        source_path=file,
    )
    if mtp is not None:
        mtp.check_unknown()
    text.check_unknown()
    root.check_unknown()
    if position.kind == "learned" and arch.max_position_embeddings is None:
        raise text.fail("max_position_embeddings", "missing, but learned positions need a table size")
    return arch


def load_spec(path: str | Path, display: str | None = None) -> Architecture:
    """Load one TOML spec file; ``display`` is the name used in messages."""
    file = display or Path(path).name
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError(file, "", f"cannot read the file ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(file, "", f"invalid TOML: {exc}") from None
    arch = dataclasses.replace(architecture_from_dict(data, file), source_path=str(Path(path).resolve()))
    if Path(path).suffix == ".toml" and arch.id != Path(path).stem:
        raise SpecError(file, "id", f"{arch.id!r} does not match the file name {Path(path).stem!r}")
    return arch


class Registry:
    """Models by id and alias; later additions override earlier ones."""

    def __init__(self, models: Iterable[Architecture] = ()) -> None:
        self._models: dict[str, Architecture] = {}
        self._aliases: dict[str, str] = {}
        #: Spec files that failed to load, by file stem, with their error.
        self.failed: dict[str, SpecError] = {}
        for arch in models:
            self.add(arch)

    def add(self, arch: Architecture) -> Architecture | None:
        """Add or replace a model; return the one it replaced, if any."""
        replaced = self._models.get(arch.id)
        self._models[arch.id] = arch
        for alias in arch.aliases:
            self._aliases[alias] = arch.id
        return replaced

    def __iter__(self) -> Iterator[Architecture]:
        return iter(sorted(self._models.values(), key=lambda a: (a.released or datetime.date.min, a.id)))

    def __len__(self) -> int:
        return len(self._models)

    def get(self, model_id: str) -> Architecture:
        key = model_id.strip().lower()
        key = self._aliases.get(key, key)
        if key in self._models:
            return self._models[key]
        raise UnknownModelError(model_id, _suggest(key, [*self._models, *self._aliases]))


BUNDLED_DIR = resources.files("sphinx_llmarch") / "specs"


def bundled_spec_files() -> list[Path]:
    return sorted(Path(str(BUNDLED_DIR)).glob("*.toml"))


@functools.cache
def bundled_registry() -> Registry:
    """The specs shipped with the package (parsed once per process)."""
    return Registry(load_spec(path) for path in bundled_spec_files())
