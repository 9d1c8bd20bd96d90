"""Read a spec's layer stack: ``[norm]``, ``[ops.*]``, ``[layer_kinds.*]`` and ``[schedule]``.

Specs in the shorter uniform form (``[attention]``, ``[ffn]``, ``[moe]``,
``[layers]``) are first translated into the same tables by :mod:`.legacy`, so
both forms are validated by this one reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..kinds import KINDS, Op
from ..model.architecture import PLACEMENTS, LayerKind, Norm, Schedule, Sublayer
from .table import REQUIRED, SHORT_TEXT, SpecTable, suggest


@dataclass
class StackTables:
    """The layer-stack part of a spec, as tables to read (from either form)."""

    norm: Norm
    ops: dict[str, SpecTable]
    kinds: dict[str, SpecTable]
    schedule: SpecTable


def read_norm(table: SpecTable) -> Norm:
    kind = table.choice("kind", ("rmsnorm", "layernorm"), REQUIRED)
    return Norm(kind, bias=table.bool("bias", kind == "layernorm"), eps=table.number("eps"))


def explicit_tables(root: SpecTable) -> StackTables:
    """The explicit form: named ops, named layer kinds, a schedule."""
    with root.section("norm") as norm_table:
        norm = read_norm(norm_table)
    ops_table, kinds_table = root.table("ops", required=True), root.table("layer_kinds", required=True)
    assert ops_table is not None and kinds_table is not None
    ops = {name: _subtable(ops_table, name) for name in ops_table.data}
    kinds = {name: _subtable(kinds_table, name) for name in kinds_table.data}
    schedule = root.table("schedule", required=True)
    assert schedule is not None
    return StackTables(norm, ops, kinds, schedule)


def _subtable(parent: SpecTable, name: str) -> SpecTable:
    table = parent.table(name)
    assert table is not None
    return table


def read_stack(
    tables: StackTables, hidden_size: int, num_layers: int, unscheduled: object = None
) -> tuple[dict[str, LayerKind], Schedule]:
    """The layer kinds and schedule; ``unscheduled`` names a kind only the MTP modules use."""
    ops = {name: _read_op(table, hidden_size) for name, table in tables.ops.items()}
    used_ops: set[str] = set()
    kinds = {}
    for key, table in tables.kinds.items():
        kinds[key] = _read_kind(key, table, ops, used_ops)
    kinds = _default_labels(kinds)
    for name, table in tables.ops.items():
        if name not in used_ops:
            raise table.fail("type", f"op {name!r} is defined but no layer kind uses it")
    schedule = _read_schedule(tables.schedule, kinds, num_layers)
    unused = [key for key in kinds if key not in schedule.order() and key != unscheduled]
    if unused:
        raise tables.kinds[unused[0]].fail("sublayers", f"layer kind {unused[0]!r} is defined but never scheduled")
    return kinds, schedule


def _read_op(table: SpecTable, hidden_size: int) -> Op:
    name = table.str("type", REQUIRED)
    kind = KINDS.get(name)
    if kind is None:  # no fallback: read as another kind, the table would only add misleading errors
        hint = suggest(name, KINDS)
        extra = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise table.fail("type", f"{name!r} is not one of {', '.join(KINDS)}{extra}")
    op = kind.read(table, hidden_size)
    table.check_unknown()
    return op


def _read_kind(key: str, table: SpecTable, ops: dict[str, Op], used: set[str]) -> LayerKind:
    default_norm = table.choice("norm", PLACEMENTS, "pre")
    items = table.list("sublayers", REQUIRED)
    if not items:
        raise table.fail("sublayers", "a layer kind needs at least one sublayer")
    sublayers = []
    for index, item in enumerate(items):
        where = f"sublayers[{index}]"
        if not isinstance(item, Mapping):
            raise table.fail(where, f"expected a table like {{ op = 'attention' }}, got {item!r}")
        sub = table.child(where, item)
        name = sub.str("op", REQUIRED)
        if name not in ops:
            hint = suggest(name, ops)
            raise sub.fail("op", f"no op named {name!r} in [ops]" + (f" (did you mean {hint[0]!r}?)" if hint else ""))
        parallel = sub.bool("parallel")
        if parallel and index == 0:
            raise sub.fail("parallel", "the first sublayer has nothing to run beside")
        norm = sub.choice("norm", PLACEMENTS, default_norm)
        sublayer = Sublayer(ops[name], name, norm, parallel, sub.bool("sum_norm"))
        if sublayer.sum_norm and not sublayer.own_input_norm:
            raise sub.fail("sum_norm", "needs a parallel sublayer with a pre-norm of its own, a branch to sum with")
        sublayers.append(sublayer)
        sub.check_unknown()
        used.add(name)
    label = table.str("label", longest=SHORT_TEXT) or ""
    table.check_unknown()
    return LayerKind(key, label, tuple(sublayers))


def _default_labels(kinds: dict[str, LayerKind]) -> dict[str, LayerKind]:
    """Label kinds the spec leaves unlabelled by what sets them apart: their ops'
    short names, less the ones every kind shares (``dense FFN`` and ``MoE``)."""
    words = {key: list(dict.fromkeys(op.short for op in kind.ops)) for key, kind in kinds.items()}
    common = set.intersection(*(set(w) for w in words.values())) if len(kinds) > 1 else set()
    labelled = {}
    for key, kind in kinds.items():
        own = [word for word in words[key] if word not in common] or words[key]
        labelled[key] = replace(kind, label=kind.label or ", ".join(own))
    return labelled


def _read_schedule(table: SpecTable, kinds: dict[str, LayerKind], num_layers: int) -> Schedule:
    explicit = table.names("layers", kinds) if table.has("layers") else None
    prefix = table.names("prefix", kinds) if table.has("prefix") else ()
    cycle = table.names("cycle", kinds) if table.has("cycle") else ()
    table.check_unknown()
    if explicit is not None:
        if prefix or cycle:
            raise table.fail("layers", "give either an explicit list of layers or a prefix and cycle, not both")
        if len(explicit) != num_layers:
            raise table.fail("layers", f"lists {len(explicit)} layers, but text.num_hidden_layers is {num_layers}")
        return Schedule(explicit, (), num_layers)
    if not cycle:
        raise table.fail("cycle", "missing: the schedule needs a cycle (or an explicit list of layers)")
    if len(prefix) + len(cycle) > num_layers:
        where = "cycle" if len(prefix) < num_layers else "prefix"
        listed = len(prefix) + len(cycle)
        raise table.fail(where, f"prefix and cycle list {listed} layers, more than the model's {num_layers}")
    return Schedule(prefix, cycle, num_layers)


def kind_table(file: str, path: str, sublayers: list[dict[str, Any]], label: str) -> SpecTable:
    """A layer-kind table built by a translator (legacy form, config import)."""
    data: dict[str, Any] = {"sublayers": sublayers}
    if label:
        data["label"] = label
    return SpecTable(file, path, data)
