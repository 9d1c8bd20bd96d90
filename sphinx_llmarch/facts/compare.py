"""Side-by-side comparison of models: the table, the prose summary, and which diagram
slots differ.

Every cell is computed from the specs, as the fact sheets are; this module only
chooses short wordings that line up in columns and decides what differs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from docutils import nodes

from ..kinds import MLP, Attention, MoE, Op
from ..model.architecture import Architecture
from . import stats
from .cost import cost, flops_per_token, weights_bytes
from .labels import ROW_CONTEXT_LENGTH, ROW_HIDDEN_SIZE, ROW_LAYERS, ROW_NORMALIZATION, ROW_POSITIONS, ROW_VOCABULARY
from .links import llm_link
from .tables import FLOPS_CONTEXT, beyond_context, normalization
from .words import compact, word_list

_NONE = "—"


_OpType = TypeVar("_OpType", bound=Op)


def _ops(arch: Architecture, kind: type[_OpType]) -> list[_OpType]:
    """Every distinct op of one kind in the model, in the order its layers come."""
    found = [op for layer_kind, _ in arch.kind_counts() for op in layer_kind.ops if isinstance(op, kind)]
    return list(dict.fromkeys(found))


def _joined(values: Sequence[str | None]) -> str:
    return "; ".join(dict.fromkeys(value for value in values if value is not None)) or _NONE


def _heads(arch: Architecture) -> str:
    return _joined([op.heads_text() for op in _ops(arch, Op)])


def _qk_norm(arch: Architecture) -> str:
    words = {"none": "no", "per-head": "per head", "full": "across heads"}
    return _joined([words.get(op.qk_norm, op.qk_norm) for op in _ops(arch, Attention)])


def _positions(arch: Architecture) -> str:
    return _joined([op.positions_text() for op in _ops(arch, Op)])


def _ffn(arch: Architecture) -> str:
    return _joined([op.summary(arch.hidden_size) for op in _ops(arch, MLP)])


def _experts(arch: Architecture) -> str:
    texts = []
    for op in _ops(arch, MoE):
        counts = f"{op.num_experts} / {op.experts_per_token} / {op.num_shared_experts}"
        texts.append(f"{counts} (each {op.expert_intermediate_size:,} wide)")
    return _joined(texts)


def _dense_prefix(arch: Architecture) -> str:
    if not arch.is_moe:
        return _NONE
    dense = sum(count for kind, count in arch.kind_counts() if not any(isinstance(op, MoE) for op in kind.ops))
    return f"{dense:,}" if dense else "0"


def _kv_cache(arch: Architecture, context: int) -> str:
    per_token = stats.kv_cache_bytes_per_token(arch)
    state = stats.state_bytes(arch)
    text = f"{stats.human_bytes(per_token)} per token" if per_token else "none"
    return text + (f" + {stats.human_bytes(state)} state" if state else "")


def _kv_at(arch: Architecture, context: int) -> str:
    state = stats.state_bytes(arch)
    text = stats.human_bytes(stats.kv_cache_bytes(arch, context) + state)
    return text + (" (with state)" if state else "") + beyond_context(arch, context)


@dataclass(frozen=True)
class RowSpec:
    label: str
    value: Callable[[Architecture, int], str]
    #: Fact-sheet labels of the diagram boxes this row describes, marked when it differs.
    slots: tuple[str, ...] = ()


_MIXERS = ("Attention", "Linear attention", "State-space layers", "Recurrent layers", "Convolutions")

#: ``:rows:`` keys, in their default order.
ROWS: dict[str, RowSpec] = {
    "params": RowSpec("Parameters", lambda a, c: stats.human(stats.params(a).total)),
    "active": RowSpec("Active per token", lambda a, c: stats.human(stats.params(a).active)),
    "embedding": RowSpec("Embedding parameters", lambda a, c: stats.human(stats.params(a).embedding)),
    "decoder": RowSpec("Decoder type", lambda a, c: stats.decoder_type(a), _MIXERS),
    "layers": RowSpec(ROW_LAYERS, lambda a, c: f"{a.num_layers:,}", (ROW_LAYERS,)),
    "hidden_size": RowSpec(ROW_HIDDEN_SIZE, lambda a, c: f"{a.hidden_size:,}"),
    "width_depth": RowSpec("Width / depth", lambda a, c: f"{a.hidden_size / a.num_layers:,.0f}"),
    "layer_mix": RowSpec("Layer mix", lambda a, c: stats.layer_mix(a), (ROW_LAYERS,)),
    "attention": RowSpec("Token mixing", lambda a, c: stats.token_mixing(a), _MIXERS),
    "heads": RowSpec("Heads / KV heads / head dim", lambda a, c: _heads(a), ("Attention",)),
    "positions": RowSpec(ROW_POSITIONS, lambda a, c: _positions(a), (ROW_POSITIONS,)),
    "norm": RowSpec(ROW_NORMALIZATION, lambda a, c: normalization(a), (ROW_NORMALIZATION,)),
    "qk_norm": RowSpec("QK-Norm", lambda a, c: _qk_norm(a), ("Attention",)),
    "ffn": RowSpec("Feed forward", lambda a, c: _ffn(a), ("Feed forward",)),
    "experts": RowSpec("Experts total / active / shared", lambda a, c: _experts(a), ("Mixture of experts",)),
    "dense_prefix": RowSpec("Dense layers in an MoE", lambda a, c: _dense_prefix(a), ("Feed forward",)),
    "context": RowSpec(ROW_CONTEXT_LENGTH, lambda a, c: compact(a.context_length), (ROW_CONTEXT_LENGTH,)),
    "vocab": RowSpec(ROW_VOCABULARY, lambda a, c: f"{a.vocab_size:,}", (ROW_VOCABULARY,)),
    "kv_cache": RowSpec("KV cache (bf16)", _kv_cache),
    "kv_cache_at_context": RowSpec("KV cache at context", _kv_at),
    "weights": RowSpec("Weights (bf16)", lambda a, c: stats.human_bytes(weights_bytes(a))),
    "memory": RowSpec("Memory at context", lambda a, c: stats.human_bytes(cost(a, c).total_bytes)),
    "flops": RowSpec(
        f"FLOPs per token at {compact(FLOPS_CONTEXT)}", lambda a, c: stats.human(flops_per_token(a, FLOPS_CONTEXT))
    ),
    "released": RowSpec("Released", lambda a, c: a.released.isoformat() if a.released else _NONE),
    "license": RowSpec("License", lambda a, c: a.license or _NONE),
}


def rows_option(argument: str | None) -> tuple[str, ...]:
    """``:rows: layers, hidden_size, kv_cache`` (comma or space separated)."""
    return word_list(argument, ROWS)


@dataclass(frozen=True)
class Comparison:
    archs: tuple[Architecture, ...]
    context: int
    keys: tuple[str, ...]
    #: key -> one cell per model
    cells: dict[str, tuple[str, ...]]

    def differs(self, key: str) -> bool:
        return len(set(self.cells[key])) > 1

    def marked_slots(self, index: int) -> frozenset[str]:
        """Fact labels of the diagram slots to mark on model ``index``: where its cell
        differs from the first model's (and, on the first, where any model differs)."""
        slots: set[str] = set()
        for key in self.keys:
            cells = self.cells[key]
            if (index == 0 and self.differs(key)) or (index and cells[index] != cells[0]):
                slots.update(ROWS[key].slots)
        return frozenset(slots)


def compare(archs: Sequence[Architecture], keys: Sequence[str] = (), context: int = 0) -> Comparison:
    """Cells for every row and model; ``context`` defaults to the shortest context length."""
    context = context or min(arch.context_length for arch in archs)
    if not keys:  # every row, less the MoE ones when no model is an MoE
        moe_only = () if any(arch.is_moe for arch in archs) else ("active", "experts", "dense_prefix")
        keys = tuple(key for key in ROWS if key not in moe_only)
    cells = {key: tuple(ROWS[key].value(arch, context) for arch in archs) for key in keys}
    return Comparison(tuple(archs), context, keys, cells)


def comparison_table(comparison: Comparison, only_differences: bool = False) -> nodes.table:
    """One column per model, one row per fact; a cell that differs from the first model's
    is bold (every builder) and classed ``llmarch-differs`` (styled in html)."""
    archs = comparison.archs
    tbl = nodes.table(classes=["llmarch-compare", "colwidths-given"])
    group = nodes.tgroup(cols=len(archs) + 1)
    tbl += group
    group += nodes.colspec(colwidth=22)
    for _ in archs:
        group += nodes.colspec(colwidth=78 // len(archs))
    head = nodes.thead()
    group += head
    row = nodes.row()
    row += nodes.entry("", nodes.paragraph("", ""))
    for arch in archs:
        row += nodes.entry("", nodes.paragraph("", "", llm_link(arch.id, arch.name)))
    head += row
    body = nodes.tbody()
    group += body
    for key in comparison.keys:
        differs = comparison.differs(key)
        if only_differences and not differs:
            continue
        label = ROWS[key].label
        if key in ("kv_cache_at_context", "memory"):
            label = f"{label.removesuffix(' at context')} at {compact(comparison.context)} tokens"
        row = nodes.row(classes=["llmarch-differs-row"] if differs else [])
        row += nodes.entry("", nodes.paragraph("", "", nodes.strong("", label)))
        first = comparison.cells[key][0]
        for index, cell in enumerate(comparison.cells[key]):
            marked = differs and (index == 0 or cell != first)
            content: nodes.Node = nodes.strong("", cell) if marked else nodes.Text(cell)
            row += nodes.entry("", nodes.paragraph("", "", content), classes=["llmarch-differs"] if marked else [])
        body += row
    return tbl


def _depth_words(a: int, b: int) -> str:
    """``twice as deep``, ``1.5× as deep``, ``deeper``, ``half as deep``, ``shallower``."""
    ratio = max(a, b) / min(a, b)
    if 1.9 <= ratio <= 2.1:
        return "twice as deep" if a > b else "half as deep"
    if a > b:
        return f"{ratio:.1f}× as deep" if ratio >= 1.45 else "deeper"
    return "shallower"


def summary(comparison: Comparison) -> list[nodes.paragraph]:
    """One paragraph per model after the first, on how the first differs from it."""
    first, *others = comparison.archs
    paragraphs = []
    for other in others:
        para = nodes.paragraph(classes=["llmarch-compare-summary"])
        para += llm_link(first.id, first.name)
        shape = []
        if first.num_layers != other.num_layers:
            words = _depth_words(first.num_layers, other.num_layers)
            shape.append(f"{words} ({first.num_layers:,} vs {other.num_layers:,} blocks)")
        if first.hidden_size != other.hidden_size:
            word = "wider" if first.hidden_size > other.hidden_size else "narrower"
            shape.append(f"{word} ({first.hidden_size:,} vs {other.hidden_size:,})")
        if shape:
            para += nodes.Text(f" is {' and '.join(shape)} than ")
        else:
            para += nodes.Text(f" has the same depth ({first.num_layers:,} blocks) and width as ")
        para += llm_link(other.id, other.name)
        sentences = _facts(first, other)
        para += nodes.Text("; " + "; ".join(sentences) + "." if sentences else ".")
        paragraphs.append(para)
    return paragraphs


def _facts(first: Architecture, other: Architecture) -> list[str]:
    """The other main differences, as clauses about ``first``."""
    clauses = []
    p, q = stats.params(first), stats.params(other)
    size = f"it holds {stats.human(p.total)} parameters against {stats.human(q.total)}"
    if first.is_moe or other.is_moe:
        size += f" ({stats.human(p.active)} vs {stats.human(q.active)} active per token)"
    clauses.append(size)
    mine, theirs = stats.token_mixing(first), stats.token_mixing(other)
    if mine != theirs:
        clauses.append(f"it mixes tokens with {mine.lower()} (the other: {theirs.lower()})")
    if first.is_moe != other.is_moe:
        moe = first if first.is_moe else other
        op = _ops(moe, MoE)[0]
        which = "it" if moe is first else "the other"
        clauses.append(f"{which} routes each token to {op.experts_per_token} of {op.num_experts} experts")
    elif first.is_moe:
        a, b = _ops(first, MoE)[0], _ops(other, MoE)[0]
        if (a.num_experts, a.experts_per_token) != (b.num_experts, b.experts_per_token):
            clauses.append(
                f"it picks {a.experts_per_token} of {a.num_experts} experts per token, the other "
                f"{b.experts_per_token} of {b.num_experts}"
            )
    norms = normalization(first), normalization(other)
    if norms[0] != norms[1]:
        clauses.append(f"its normalization is {norms[0]}, the other's {norms[1]}")
    kv = stats.kv_cache_bytes_per_token(first), stats.kv_cache_bytes_per_token(other)
    if kv[0] != kv[1] and all(kv):
        clauses.append(f"it caches {stats.human_bytes(kv[0])} per token against {stats.human_bytes(kv[1])}")
    return clauses
