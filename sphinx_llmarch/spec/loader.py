"""Read specs into :class:`~sphinx_llmarch.model.Architecture`, with exact errors.

Every problem is reported as ``file: key.path: problem``. A spec may
``extends`` another by id: the base's tables are merged under the spec's own,
the result is validated as one spec, and an error names the file that set the
bad key.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..draw.style import PALETTE
from ..errors import SpecError, UnknownModelError
from ..facts.stats import ADDABLE, EXCLUDABLE
from ..kinds.per_layer_input import PerLayerInput
from ..model.architecture import MTP, Architecture, Embeddings, Official, OfficialFigure
from ..model.audio import read_audio
from ..model.vision import read_vision
from . import legacy
from .files import read_text, read_toml
from .stack import explicit_tables, read_stack
from .table import REQUIRED, SHORT_TEXT, SpecTable

__all__ = ["SpecError", "UnknownModelError", "architecture_from_dict", "load_config"]

#: Keys a spec does not inherit from the spec it extends: who it is and what its authors say.
NOT_INHERITED = ("id", "aliases", "name", "summary", "key_detail", "sources", "official", "released", "license")


@dataclass(frozen=True)
class RawSpec:
    """A parsed spec file before validation: what ``extends`` merges."""

    data: Mapping[str, Any]
    #: The name used in messages, and the absolute path for dependencies.
    display: str
    path: str


Lookup = Callable[[str], "RawSpec | None"]


def _official_figure(table: SpecTable, prefix: str, convention_key: str) -> OfficialFigure | None:
    value = table.number(f"{prefix}_params")
    if value is None:
        return None
    return OfficialFigure(
        value=float(value),
        stated=table.str(f"{prefix}_stated", REQUIRED),
        source=table.str(f"{prefix}_source"),
        convention=table.str(convention_key),
        excludes=table.names(f"{prefix}_excludes", EXCLUDABLE),
        plus=table.names(f"{prefix}_plus", ADDABLE),
        plus_params=float(table.number(f"{prefix}_plus_params") or 0),
        rounding=table.choice(f"{prefix}_rounding", ("nearest", "down", "class"), "nearest"),
    )


def _read_official(root: SpecTable) -> Official:
    table = root.table("official")
    if table is None:
        return Official()
    official = Official(
        total=_official_figure(table, "total", "total_includes"),
        active=_official_figure(table, "active", "active_convention"),
        non_embedding=_official_figure(table, "non_embedding", "non_embedding_convention"),
        total_with_mtp=_official_figure(table, "total_with_mtp", "total_with_mtp_convention"),
        note=table.str("note"),
    )
    table.check_unknown()
    return official


_SLUG = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*")


def _released(root: SpecTable) -> datetime.date | None:
    """A TOML date, or the same written as a string (as JSON or a quoted TOML value has it)."""
    value = root.get("released", (datetime.date, str), "a date (YYYY-MM-DD)", None)
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise root.fail("released", f"{value!r:.40} is not a date (YYYY-MM-DD)") from None
    return value.date() if isinstance(value, datetime.datetime) else value


def _slug(root: SpecTable, key: str, value: object) -> str:
    """Ids and aliases are lower-case slugs (``llama-3.2-1b``), as directives spell them."""
    if not isinstance(value, str) or not _SLUG.fullmatch(value):
        raise root.fail(key, f"{value!r} is not a lower-case id like 'qwen3-8b' or 'llama-3.2-1b'")
    return value


def _extended_context(text: SpecTable, context_length: int) -> tuple[int, str] | None:
    length = text.int("extended_context_length")
    if length is None:
        text.used.add("extended_context_method")
        return None
    if length <= context_length:
        raise text.fail("extended_context_length", f"{length} is not longer than context_length")
    return length, text.str("extended_context_method", REQUIRED)


def _embeddings(text: SpecTable, learned: bool, num_layers: int) -> Embeddings:
    vocab = text.int("vocab_size", REQUIRED)
    positions = text.int("max_position_embeddings")
    if learned and positions is None:
        raise text.fail("max_position_embeddings", "missing, but learned positions need a table size")
    return Embeddings(
        vocab_size=vocab,
        tied=text.bool("tie_word_embeddings"),
        learned_positions=positions if learned else 0,
        per_layer_width=text.int("hidden_size_per_layer_input", 0, minimum=0),
        per_layer_vocab=text.int("vocab_size_per_layer_input", vocab),
    )


def _mtp(root: SpecTable, kinds: Iterable[str], default_kind: str) -> MTP | None:
    """The MTP modules; their layer kind may be one no main layer has (DeepSeek V4's
    module is a sliding-window block with a learned router, unlike any of Pro's layers)."""
    table = root.table("mtp")
    if table is None:
        return None
    modules = table.int("num_modules", 0, minimum=0)
    kind = table.choice("layer_kind", tuple(kinds), default_kind)
    copies = table.int("embedding_copies", 0, minimum=0)
    table.check_unknown()
    return MTP(modules, kind, copies) if modules else None


def architecture_from_dict(
    data: Mapping[str, Any],
    file: str,
    origins: Mapping[str, str] | None = None,
    files: tuple[str, ...] = (),
    *,
    sourced: bool = False,
) -> Architecture:
    """Validate one (merged) spec; raise :class:`SpecError` naming file and key.

    ``sourced``: the spec must link the config.json or paper its numbers come from,
    as every bundled spec does; a user's spec may leave ``[sources]`` out.
    """
    root = SpecTable(file, "", data, origins or {})
    root.used.add("extends")
    sources = root.table("sources", required=sourced)
    links = tuple((name, sources.str(name)) for name in sources.data) if sources is not None else ()
    if sourced and sources is not None and "config" not in sources.data and "paper" not in sources.data:
        raise sources.fail("config", "every bundled spec must link its config.json or paper")
    text = root.table("text", required=True)
    assert text is not None
    hidden = text.int("hidden_size", REQUIRED)
    context_length = text.int("context_length", REQUIRED)
    num_layers = text.int("num_hidden_layers", REQUIRED)
    if legacy.is_legacy(root):
        tables, learned = legacy.translate(root, num_layers)
    else:
        tables, learned = explicit_tables(root), text.bool("learned_positions")
    mtp_table = root.data.get("mtp")
    mtp_kind = mtp_table.get("layer_kind") if isinstance(mtp_table, Mapping) else None
    kinds, schedule = read_stack(tables, hidden, num_layers, unscheduled=mtp_kind)
    arch = Architecture(
        id=_slug(root, "id", root.str("id", REQUIRED)),
        name=root.str("name", REQUIRED, longest=SHORT_TEXT),
        family=root.str("family", REQUIRED, longest=SHORT_TEXT),
        organization=root.str("organization", "", longest=SHORT_TEXT),
        released=_released(root),
        license=root.str("license"),
        aliases=tuple(_slug(root, f"aliases[{i}]", alias) for i, alias in enumerate(root.list("aliases", []))),
        summary=root.str("summary", ""),
        key_detail=root.str("key_detail", ""),
        sources=links,
        official=_read_official(root),
        hidden_size=hidden,
        context_length=context_length,
        max_position_embeddings=text.int("max_position_embeddings"),
        extended_context=_extended_context(text, context_length),
        embeddings=_embeddings(text, learned, num_layers),
        norm=tables.norm,
        kinds=kinds,
        schedule=schedule,
        mtp=_mtp(root, kinds, schedule.order()[-1]),
        vision=read_vision(root),
        audio=read_audio(root),
        hyper_connections=text.int("hyper_connections", minimum=2) or 0,
        residual_scales=text.bool("residual_scales"),
        colour=root.choice("colour", tuple(PALETTE)),
        base=root.str("extends"),
        files=files,
    )
    _check_per_layer_input(text, arch)
    text.check_unknown()
    root.check_unknown()
    return arch


def _check_per_layer_input(text: SpecTable, arch: Architecture) -> None:
    widths = {op.width for kind, _ in arch.kind_counts() for op in kind.ops if isinstance(op, PerLayerInput)}
    if widths and widths != {arch.embeddings.per_layer_width}:
        raise text.fail("hidden_size_per_layer_input", f"must match the per_layer_input op's width {widths.pop()}")


# -- files and extends --------------------------------------------------------------


def read_raw(path: str | Path, display: str | None = None) -> RawSpec:
    """Parse one TOML spec file without validating it."""
    file = display or Path(path).name
    return RawSpec(read_toml(path, file), file, str(Path(path).resolve()))


def _overlay(
    base: Mapping[str, Any], origins: dict[str, str], child: Mapping[str, Any], file: str, path: str = ""
) -> dict[str, Any]:
    """``child`` over ``base``: tables merge key by key, anything else is replaced.
    ``origins`` learns which file set every key that ``child`` sets."""
    merged = dict(base)
    for key, value in child.items():
        full = f"{path}.{key}" if path else key
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _overlay(merged[key], origins, value, file, full)
        else:
            merged[key] = value
            for known in [k for k in origins if k == full or k.startswith(full + ".")]:
                del origins[known]
            origins[full] = file
    return merged


def resolve(raw: RawSpec, lookup: Lookup) -> tuple[dict[str, Any], dict[str, str], tuple[RawSpec, ...]]:
    """Follow ``extends`` to the root spec and merge the chain, base first."""
    chain = [raw]
    while "extends" in chain[-1].data:
        current = chain[-1]
        base_id = current.data["extends"]
        if not isinstance(base_id, str):
            raise SpecError(current.display, "extends", f"expected a model id, got {base_id!r}")
        ids = [str(spec.data.get("id", spec.display)) for spec in chain]
        if base_id in ids:
            raise SpecError(current.display, "extends", f"{' -> '.join([*ids, base_id])} is a cycle")
        base = lookup(base_id)
        if base is None:
            raise SpecError(current.display, "extends", f"no spec has the id {base_id!r}")
        chain.append(base)
    merged: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for spec in reversed(chain):
        for key in NOT_INHERITED:  # and forget who set them, so a missing one is the child's fault
            merged.pop(key, None)
            for known in [k for k in origins if k == key or k.startswith(key + ".")]:
                del origins[known]
        merged = _overlay(merged, origins, spec.data, spec.display)
    return merged, origins, tuple(chain)


def file_name_problem(model_id: str, path: str | Path, display: str) -> SpecError | None:
    """A ``.toml`` spec is named after its id: that is how ``extends`` and the registry find it."""
    stem = Path(path).stem
    if Path(path).suffix == ".toml" and model_id != stem:
        return SpecError(display, "id", f"{model_id!r} does not match the file name {stem!r}")
    return None


def load_config(
    path: str | Path, display: str | None = None, model_id: str | None = None, read_as: str | None = None
) -> tuple[Architecture, list[str]]:
    """Import a Hugging Face config.json; also return the importer's warnings.

    The id defaults to the folder name for a file called config.json (as a
    downloaded checkpoint is laid out), else to the file name. ``read_as`` reads a
    config of an unknown model type as that known type.
    """
    spec, warnings = import_config(path, display, model_id, read_as)
    return architecture_from_dict(spec, display or Path(path).name, files=(str(Path(path).resolve()),)), warnings


def import_config(
    path: str | Path, display: str | None = None, model_id: str | None = None, read_as: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    """The spec a config.json gives, as a TOML-ready dict, and the importer's warnings."""
    import json

    from ..hf.importer import spec_from_config

    file = display or Path(path).name
    text = read_text(path, file)  # its SpecError is a ValueError too, but no JSON problem
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SpecError(file, "", f"invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise SpecError(file, "", "a config.json holds one JSON object")
    path = Path(path)
    default_id = path.resolve().parent.name if path.name == "config.json" else path.stem
    return spec_from_config(data, file, model_id or default_id, read_as)
