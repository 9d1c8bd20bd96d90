"""Translate the uniform spec form into explicit layer kinds.

Most models are one attention and one FFN (or MoE) repeated, with at most a
cyclic pattern of windows and positions and a dense prefix; the short form
``[attention]``, ``[position]``, ``[norm]``, ``[ffn]``, ``[moe]``, ``[layers]``
says that in a few lines. Here each distinct combination of (window, position,
FFN or MoE) becomes a layer kind, labelled by what varies, and the pattern
becomes a prefix and a cycle.
"""

from __future__ import annotations

import math
from typing import Any

from ..kinds import MLP
from .stack import StackTables, kind_table, read_norm
from .table import REQUIRED, SpecTable

LEGACY_TABLES = ("attention", "position", "ffn", "moe", "layers")
#: Words for what distinguishes layer kinds, by attribute and value.
_WORDS = {
    "window": {"sliding": "sliding-window", "full": "global"},
    "position": {"rope": "RoPE", "nope": "NoPE"},
    "channel": {"dense": "dense", "moe": "MoE"},
}


def is_legacy(root: SpecTable) -> bool:
    return "layer_kinds" not in root.data and "attention" in root.data


def translate(root: SpecTable, num_layers: int) -> tuple[StackTables, bool]:
    """The stack tables, and whether positions are a learned table (GPT-2)."""
    attention = root.table("attention", required=True)
    ffn = root.table("ffn", required=True)
    assert attention is not None and ffn is not None
    with root.section("position") as position:
        learned = position.choice("kind", ("rope", "learned"), REQUIRED) == "learned"
        rope = {key: position.data[key] for key in ("rope_theta", "rope_scaling") if key in position.data}
        position.number("rope_theta")
        position.str("rope_scaling")
        local_theta = position.number("rope_local_theta")
    with root.section("norm") as norm_table:
        placement = norm_table.choice("placement", ("pre", "post", "sandwich"), REQUIRED)
        norm = read_norm(norm_table)
    windows, positions = _patterns(root)
    op_type = "mla" if attention.choice("kind", ("mla",)) == "mla" else "attention"
    window = attention.int("sliding_window")
    if "sliding" in windows and window is None:
        raise root.fail("attention.sliding_window", "missing, but layers.attention has sliding layers")
    if "nope" in positions and learned:
        raise root.fail("layers.position", "NoPE layers need position.kind = 'rope' for the other layers")
    moe, first_dense = _moe(root, num_layers)
    common = {key: value for key, value in attention.data.items() if key not in ("kind", "sliding_window")}

    def attention_op(slide: str, pos: str) -> dict[str, Any]:
        table: dict[str, Any] = {**common, "type": op_type}
        if slide == "sliding":
            table["sliding_window"] = window
        if learned or pos == "nope":
            table["position"] = "absolute" if learned else "nope"
        else:
            table.update(rope)
            if slide == "sliding" and local_theta:  # Gemma 3: plain RoPE at the local base, no scaling
                table["rope_theta"] = local_theta
                table.pop("rope_scaling", None)
        return table

    period = math.lcm(len(windows), len(positions))
    layers = [
        (windows[i % len(windows)], positions[i % len(positions)], "dense" if i < first_dense or not moe else "moe")
        for i in range(first_dense + period)
    ]
    varying = [index for index in range(3) if len({layer[index] for layer in layers}) > 1]
    file, origins = root.file, root.origins
    ops: dict[str, SpecTable] = {}
    kinds: dict[str, SpecTable] = {}
    keys = []
    for slide, pos, channel in layers:
        words = [_WORDS[name][value] for name, value in zip(_WORDS, (slide, pos, channel), strict=True)]
        label = " ".join(words[index] for index in varying)
        key = label.lower().replace(" ", "-") or "layer"
        keys.append(key)
        if key in kinds:
            continue
        name = f"attention-{slide}-{pos}" if len(windows) * len(positions) > 1 else "attention"
        ops.setdefault(name, SpecTable(file, "attention", attention_op(slide, pos), origins))
        channel_name = "moe" if channel == "moe" else "ffn"
        if channel_name not in ops:
            data = {**ffn.data, "type": "mlp"} if channel == "dense" else {**(moe or {}), "kind": ffn.data.get("kind")}
            ops[channel_name] = SpecTable(file, channel_name, data, origins)
        sublayers = [{"op": name, "norm": placement}, {"op": channel_name, "norm": placement}]
        if varying == [0]:
            label += " attention"
        kinds[key] = kind_table(file, f"layers.{key}", sublayers, label)
    if "ffn" not in ops:
        _check_expert_ffn(SpecTable(file, "ffn", ffn.data, origins))
    pattern = {"prefix": keys[:first_dense], "cycle": keys[first_dense:]}
    schedule = SpecTable(file, "layers", {key: value for key, value in pattern.items() if value})
    return StackTables(norm, ops, kinds, schedule), learned


def _patterns(root: SpecTable) -> tuple[tuple[str, ...], tuple[str, ...]]:
    table = root.table("layers")
    if table is None:
        return ("full",), ("rope",)
    windows = table.names("attention", ("full", "sliding"), ("full",))
    positions = table.names("position", ("rope", "nope"), ("rope",))
    table.check_unknown()
    return windows, positions


def _moe(root: SpecTable, num_layers: int) -> tuple[dict[str, Any] | None, int]:
    table = root.table("moe")
    if table is None:
        return None, 0
    first_dense = table.int("first_k_dense_replace", 0, minimum=0)
    if first_dense >= num_layers:
        raise table.fail("first_k_dense_replace", f"{first_dense} leaves no MoE layer out of {num_layers}")
    return {key: value for key, value in table.data.items() if key != "first_k_dense_replace"} | {
        "type": "moe"
    }, first_dense


def _check_expert_ffn(table: SpecTable) -> None:
    """An all-MoE model's ``[ffn]`` only names the experts' kind; it is not an op of
    its own. Its other keys are still checked, so a typo there is reported."""
    MLP.read(table, 0)
    table.check_unknown()
