"""The memory table of ``llm-arch-memory``: what one model needs at several context
lengths, with its weights in several precisions (plain docutils, every builder)."""

from __future__ import annotations

from collections.abc import Sequence

from docutils import nodes

from ..model.architecture import Architecture
from . import stats
from .cost import cost, weights_bytes
from .tables import beyond_context
from .words import compact

#: Context lengths a table shows when the page names none: short, long, and the model's own.
DEFAULT_CONTEXTS = (4096, 32_768, 131_072)
DEFAULT_PRECISIONS = ("bf16", "fp8", "int4")


def contexts_for(arch: Architecture, asked: Sequence[int] = ()) -> list[int]:
    """The rows: the contexts asked for, else the defaults up to the model's context and the
    model's own context length."""
    if asked:
        return list(dict.fromkeys(asked))
    shown = [length for length in DEFAULT_CONTEXTS if length < arch.context_length]
    return [*shown, arch.context_length]


def memory_table(
    arch: Architecture, contexts: Sequence[int] = (), precisions: Sequence[str] = DEFAULT_PRECISIONS, batch: int = 1
) -> nodes.table:
    """One row per context: the cache (and state) in bf16 for ``batch`` sequences, then the
    total with the weights in each precision."""
    header = ["Context", "Cache (bf16)", *(f"Total, weights in {dtype}" for dtype in precisions)]
    tbl = nodes.table(classes=["llmarch-memory", "colwidths-given"])
    group = nodes.tgroup(cols=len(header))
    tbl += group
    group += [nodes.colspec(colwidth=100 // len(header)) for _ in header]
    head = nodes.thead()
    head += nodes.row("", *(nodes.entry("", nodes.paragraph(text, text)) for text in header))
    group += head
    body = nodes.tbody()
    for context in contexts_for(arch, contexts):
        found = cost(arch, context, batch)
        cache = found.kv_bytes + found.state_bytes  # the same whatever the weights' precision
        totals = [stats.human_bytes(cache + weights_bytes(arch, dtype)) for dtype in precisions]
        cells = [f"{compact(context)} tokens{beyond_context(arch, context)}", stats.human_bytes(cache), *totals]
        body += nodes.row("", *(nodes.entry("", nodes.paragraph(text, text)) for text in cells))
    group += body
    return tbl
