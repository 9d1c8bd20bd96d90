"""A model's facts as ``llmarch show`` and ``llmarch list --json`` give them: a JSON
object of exact integers, and the few lines of text ``show`` prints."""

from __future__ import annotations

import dataclasses
from typing import Any

from ..kinds import Op
from ..model.architecture import Architecture
from ..model.audio import audio_json
from ..model.vision import vision_json
from . import stats


def summary_json(arch: Architecture) -> dict[str, Any]:
    return {
        "id": arch.id,
        "name": arch.name,
        "family": arch.family,
        "organization": arch.organization,
        "released": arch.released.isoformat() if arch.released else None,
        "aliases": list(arch.aliases),
    }


def op_json(op: Op, hidden_size: int) -> dict[str, Any]:
    data = {"type": op.type, "title": op.title, **dataclasses.asdict(op)}
    data["params"] = sum(op.params(hidden_size).values())
    return data


def model_json(arch: Architecture, context: int | None = None) -> dict[str, Any]:
    """Everything ``show --json`` (and ``import --json``) prints; numbers are exact integers.

    ``context`` is the length (tokens) for the KV-cache size; default: the model's own.
    """
    context = context or arch.context_length
    p = stats.params(arch)
    data = summary_json(arch) | {
        "license": arch.license,
        "extends": arch.base,
        "decoder_type": stats.decoder_type(arch),
        "params": {
            "total": p.total,
            "active": p.active,
            "embedding": p.embedding,
            "non_embedding": p.non_embedding,
            "components": dict(p.components),
            "mtp": p.mtp,
            "total_with_mtp": p.total_with_mtp,
            "vision_encoder": p.vision_encoder,
            "vision_projector": p.vision_projector,
            "audio_encoder": p.audio_encoder,
            "audio_projector": p.audio_projector,
        },
        "kv_cache": {
            "dtype": "bf16",
            "bytes_per_token": stats.kv_cache_bytes_per_token(arch),
            "context_tokens": context,
            "bytes_at_context": stats.kv_cache_bytes(arch, context),
        },
        "state_bytes": stats.state_bytes(arch),
        "num_layers": arch.num_layers,
        "hidden_size": arch.hidden_size,
        "vocab_size": arch.vocab_size,
        "context_length": arch.context_length,
        "layer_mix": stats.layer_mix(arch),
        "layer_kinds": [
            {
                "key": kind.key,
                "label": kind.label,
                "layers": count,
                "sublayers": [
                    {
                        "op": sub.op_key,
                        "norm": sub.norm,
                        "parallel": sub.parallel,
                        "sum_norm": sub.sum_norm,
                        **op_json(sub.op, arch.hidden_size),
                    }
                    for sub in kind.sublayers
                ],
            }
            for kind, count in arch.kind_counts()
        ],
        "schedule": {"prefix": list(arch.schedule.prefix), "cycle": list(arch.schedule.cycle)},
        "official": {
            name: getattr(arch.official, name).value
            for name in stats.OFFICIAL_FIGURES
            if getattr(arch.official, name) is not None
        },
        "sources": dict(arch.sources),
    }
    if arch.vision:
        data["vision"] = vision_json(arch.vision)
    if arch.audio:
        data["audio"] = audio_json(arch.audio)
    return data


def show_text(arch: Architecture, context: int | None) -> str:
    data = model_json(arch, context)
    p = data["params"]
    lines = [
        f"{arch.name} ({arch.id})",
        stats.describe(arch),
        f"  params     {p['total']:,} total, {p['active']:,} active, {p['embedding']:,} embedding "
        f"(counting {stats.embedding_words(arch)})",
        *(f"  official   {text}" for text in stats.official_conventions(arch, all_figures=True)),
        f"  kv cache   {data['kv_cache']['bytes_per_token']:,} bytes/token (bf16), "
        f"{stats.human_bytes(data['kv_cache']['bytes_at_context'])} at {data['kv_cache']['context_tokens']:,} tokens",
        f"  layers     {arch.num_layers} ({data['layer_mix']})",
        f"  mixing     {stats.token_mixing(arch)}",
        *(
            [f"  state      {stats.human_bytes(data['state_bytes'])} per sequence (bf16)"]
            if data["state_bytes"]
            else []
        ),
        f"  context    {arch.context_length:,} tokens",
    ]
    for tower in ("vision", "audio"):  # counted apart from the text stack, as the fact sheet does
        if tower in data:
            part = data[tower]
            name = f" ({part['name']})" if part["name"] else ""
            lines.append(
                f"  {tower:<10} {part['encoder_params']:,} encoder{name}, {part['projector_params']:,} projector "
                f"({part['projector']}); not in the totals above"
            )
    return "\n".join(lines)


#: The columns of the CSV export: one line per model, numbers exact.
CSV_COLUMNS = (
    *("id", "name", "family", "organization", "released", "license", "params", "active", "layers"),
    *("hidden_size", "context_length", "vocab_size", "kv_bytes_per_token", "weights_bf16_bytes"),
)


def _cell(value: object) -> str:
    """A text cell a spreadsheet shows as text: one that starts like a formula gets an
    apostrophe in front (a spec's name may be hostile)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_text(archs: list[Architecture], suffix: str) -> str:
    """Every model's facts as JSON (what ``llmarch show --json`` prints, per model) or as
    CSV (the main numbers, one line per model)."""
    import csv
    import io
    import json

    from .cost import weights_bytes

    if suffix == ".json":
        return json.dumps([model_json(arch) for arch in archs], indent=1, sort_keys=True) + "\n"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for arch in archs:
        p = stats.params(arch)
        names = [arch.id, arch.name, arch.family, arch.organization, arch.released or "", arch.license or ""]
        sizes = [p.total, p.active, arch.num_layers, arch.hidden_size, arch.context_length, arch.vocab_size]
        writer.writerow([*map(_cell, names), *sizes, stats.kv_cache_bytes_per_token(arch), weights_bytes(arch)])
    return out.getvalue()
