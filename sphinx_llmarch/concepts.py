"""The bundled glossary (``concepts.toml``) and which concepts each model uses.

The glossary is data, written for this project with each concept's primary
reference. Which models use a concept is not written anywhere: it is read off
the specs, so a new model appears under its concepts without an edit here.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from .memo import per_model

if TYPE_CHECKING:
    from .model import Architecture

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

GLOSSARY = Path(__file__).with_name("concepts.toml")


@dataclass(frozen=True)
class Concept:
    id: str
    title: str
    section: str
    aliases: tuple[str, ...]
    summary: str
    reference: str
    reference_title: str
    related: tuple[str, ...]


@cache
def glossary() -> dict[str, Concept]:
    """Every concept by id, in the file's order (sections in reading order)."""
    data = tomllib.loads(GLOSSARY.read_text(encoding="utf-8"))
    return {
        key: Concept(
            key,
            entry["title"],
            entry["section"],
            tuple(entry.get("aliases", ())),
            " ".join(entry["summary"].split()),
            entry["reference"],
            entry["reference_title"],
            tuple(entry.get("related", ())),
        )
        for key, entry in data.items()
    }


def find(name: str) -> Concept | None:
    """A concept by id, alias or title, ignoring case."""
    wanted = name.strip().lower()
    for concept in glossary().values():
        if wanted == concept.id or wanted in concept.aliases or wanted == concept.title.lower():
            return concept
    return None


_MIXERS = {
    "gated_deltanet": ("gated-deltanet", "linear-attention"),
    "kda": ("kda", "linear-attention"),
    "lightning": ("lightning-attention", "linear-attention"),
    "mamba2": ("mamba2",),
    "short_conv": ("short-convolution",),
    "mlstm": ("mlstm",),
}
_FFN = {"swiglu": "swiglu", "geglu": "geglu", "gelu": "gelu", "relu2": "squared-relu"}
_PLACEMENT = {"pre": "pre-norm", "post": "post-norm", "sandwich": "sandwich-norm"}


def _positions(op: object) -> set[str]:
    position, rope = getattr(op, "position", "rope"), getattr(op, "rope", None)
    if position == "nope":
        return {"nope"}
    if position in ("absolute", "learned"):
        return {"learned-positions"}
    if rope is None:
        return set()
    found = {"partial-rope" if rope.fraction < 1 else "rope"}
    if rope.scaling and "yarn" in rope.scaling.lower():
        found.add("yarn")
    return found


def _op_concepts(op: object) -> set[str]:
    """The concepts one op embodies."""
    kind = getattr(op, "type", "")
    found: set[str] = set()
    if kind == "attention":
        found.add(op.kind)  # type: ignore[attr-defined]
        flags = {
            "sliding-window-attention": op.sliding_window,  # type: ignore[attr-defined]
            "chunked-attention": op.chunk_size,  # type: ignore[attr-defined]
            "gated-attention": op.output_gate != "none",  # type: ignore[attr-defined]
            "attention-sinks": op.sinks,  # type: ignore[attr-defined]
            "kv-sharing": op.kv_shared,  # type: ignore[attr-defined]
            "qk-norm": op.qk_norm != "none",  # type: ignore[attr-defined]
        }
        found |= {name for name, on in flags.items() if on} | _positions(op)
    elif kind == "compressed_attention":  # DeepSeek V4: one latent KV head, a window, sinks
        found |= {"mqa", "sliding-window-attention", *_positions(op)}
        found |= {"attention-sinks"} if op.sinks else set()  # type: ignore[attr-defined]
        found |= {"sparse-attention-dsa"} if op.index_heads else set()  # type: ignore[attr-defined]
    elif kind == "cca":  # ZAYA1: grouped-query attention in a narrower space, convolved queries and keys
        found |= {"cca", "gqa" if op.num_kv_heads > 1 else "mqa", "qk-norm", *_positions(op)}  # type: ignore[attr-defined]
        found |= {"sliding-window-attention"} if op.sliding_window else set()  # type: ignore[attr-defined]
    elif kind == "mla":
        found |= {"mla", *_positions(op)}
        if op.index_heads:  # type: ignore[attr-defined]
            found.add("sparse-attention-dsa")
    elif kind in _MIXERS:
        found.update(_MIXERS[kind])
    elif kind == "mlp":
        found.add(_FFN.get(op.kind, ""))  # type: ignore[attr-defined]
    elif kind == "moe":
        found |= {"moe", _FFN.get(op.kind, "")}  # type: ignore[attr-defined]
        if op.num_shared_experts:  # type: ignore[attr-defined]
            found.add("shared-expert")
        if op.skip_expert:  # type: ignore[attr-defined]
            found.add("mixture-of-depths")
    return found - {""}


#: Which of an op's concepts names it best, for the title of its detail panel.
_PRIMARY = (
    *("cca", "mla", "gated-deltanet", "kda", "lightning-attention", "mamba2", "short-convolution", "mlstm"),
    *("gated-attention", "moe", "swiglu", "geglu", "gelu", "squared-relu", "mqa", "gqa", "mha"),
)


def primary_concept(op: object) -> str | None:
    """The concept a detail panel of ``op`` illustrates (its title links there)."""
    found = _op_concepts(op)
    return next((key for key in _PRIMARY if key in found), None)


def _parallel_concept(first: str, second: str) -> str:
    """Attention beside the MLP is a parallel block; an always-on dense MLP beside the
    routed experts is what Gemma 4 26B-A4B's authors count as a shared expert."""
    return "shared-expert" if {first, second} == {"mlp", "moe"} else "parallel-block"


@per_model
def concepts_of(arch: Architecture) -> list[str]:
    """Ids of the glossary's concepts this model uses, in glossary order."""
    found: set[str] = {arch.norm.kind}
    for kind, _ in arch.kind_counts():
        for index, sub in enumerate(kind.sublayers):
            found |= _op_concepts(sub.op)
            found.add(_PLACEMENT.get(sub.norm, ""))
            if sub.parallel:  # never the first sublayer
                found.add(_parallel_concept(kind.sublayers[index - 1].op.type, sub.op.type))
    types = {kind.key: {op.type for op in kind.ops} for kind, _ in arch.kind_counts()}
    dense = {key for key, ops in types.items() if "mlp" in ops and "moe" not in ops}
    schedule = arch.schedule
    if schedule.prefix and schedule.cycle and set(schedule.prefix) <= dense and not set(schedule.cycle) & dense:
        found.add("dense-prefix")  # dense layers first, then only MoE layers (DeepSeek V3)
    if any(op.cache_parts() for kind, _ in arch.kind_counts() for op in kind.ops):
        found.add("kv-cache")
    if arch.embeddings.learned_positions:
        found.add("learned-positions")
    flags = {
        "mtp": arch.mtp,
        "hyper-connections": arch.hyper_connections,
        "tied-embeddings": arch.embeddings.tied,
        "per-layer-embeddings": arch.embeddings.per_layer_width,
        "vision-encoder": arch.vision,
        "projector": arch.vision or arch.audio,
        "conformer": arch.audio and arch.audio.encoder.kind == "conformer",
    }
    found |= {name for name, on in flags.items() if on}
    return [key for key in glossary() if key in found]
