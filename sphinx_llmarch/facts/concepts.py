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

from ..kinds import KINDS, MLP, MoE, Op
from .memo import per_model

if TYPE_CHECKING:
    from ..model.architecture import Architecture

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
    """Every concept by id, in the file's order (sections in reading order), then those
    that op kinds from other packages bring (:attr:`~.kinds.Op.glossary_entries`); a
    kind's entry never replaces one of the file's."""
    data = tomllib.loads(GLOSSARY.read_text(encoding="utf-8"))
    for kind in KINDS.values():
        for key, entry in kind.glossary_entries.items():
            data.setdefault(key, entry)
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


_PLACEMENT = {"pre": "pre-norm", "post": "post-norm", "sandwich": "sandwich-norm"}


def _parallel_concept(first: Op, second: Op) -> str:
    """Attention beside the MLP is a parallel block; an always-on dense MLP beside the
    routed experts is what Gemma 4 26B-A4B's authors count as a shared expert."""
    return "shared-expert" if {type(first), type(second)} == {MLP, MoE} else "parallel-block"


@per_model
def concepts_of(arch: Architecture) -> list[str]:
    """Ids of the glossary's concepts this model uses, in glossary order."""
    found: set[str] = {arch.norm.kind}
    for kind, _ in arch.kind_counts():
        for index, sub in enumerate(kind.sublayers):
            found |= sub.op.concepts()
            found.add(_PLACEMENT.get(sub.norm, ""))
            if sub.parallel:  # never the first sublayer
                found.add(_parallel_concept(kind.sublayers[index - 1].op, sub.op))
    dense = {
        kind.key
        for kind, _ in arch.kind_counts()
        if any(isinstance(op, MLP) for op in kind.ops) and not any(isinstance(op, MoE) for op in kind.ops)
    }
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
