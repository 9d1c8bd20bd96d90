"""Fact sheets as plain docutils tables, so every builder can show them."""

from __future__ import annotations

from docutils import nodes

from . import stats
from .diagram import compact
from .model import Architecture

_SOURCE_LABELS = {"config": "config.json", "model_card": "model card", "paper": "paper", "code": "reference code"}


def _text(value: str) -> nodes.Node:
    return nodes.paragraph("", value)


def _links(pairs: list[tuple[str, str]]) -> nodes.paragraph:
    para = nodes.paragraph()
    for index, (label, url) in enumerate(pairs):
        if index:
            para += nodes.Text(" · ")
        para += nodes.reference("", label, refuri=url)
    return para


def row_id(prefix: str, label: str) -> str:
    """The anchor of a fact-sheet row, which diagram nodes link to."""
    return nodes.make_id(f"{prefix}-{label}")


def table(
    rows: list[tuple[str, nodes.Node]],
    widths: tuple[int, int] = (30, 70),
    classes: tuple[str, ...] = (),
    id_prefix: str = "",
) -> nodes.table:
    """A two-column table of (label, cell) rows; with ``id_prefix`` each row has an anchor."""
    tbl = nodes.table(classes=["llmarch-facts", "colwidths-given", *classes])
    group = nodes.tgroup(cols=2)
    tbl += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    body = nodes.tbody()
    group += body
    for label, value in rows:
        row = _row([nodes.paragraph("", "", nodes.strong("", label)), value])
        if id_prefix:
            row[0]["ids"].append(row_id(id_prefix, label))
        body += row
    return tbl


def _row(cells: list[nodes.Node]) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        entry += cell
        row += entry
    return row


def _count(value: int) -> str:
    return f"{stats.human(value)} ({value:,})"


def parameter_rows(arch: Architecture) -> list[tuple[str, str | nodes.Node]]:
    """Computed counts with what each includes, and the official figure beside them."""
    p = stats.params(arch)
    rows: list[tuple[str, str | nodes.Node]] = [
        (
            "Parameters (text stack)",
            f"{_count(p.total)}, embeddings included"
            + ("; input and output embeddings are one tied matrix" if arch.tie_word_embeddings else ""),
        )
    ]
    if arch.moe:
        rows.append(
            (
                "Active per token",
                f"{_count(p.active)}: dense parts, shared experts and "
                f"{arch.moe.experts_per_token} of {arch.moe.num_experts} routed experts",
            )
        )
    rows.append(("Embedding parameters", _count(p.embedding + p.position_embedding + p.output_head)))
    parts = [
        ("attention", p.attention),
        ("dense FFN", p.dense_ffn),
        ("routed experts", p.routed_experts),
        ("shared experts", p.shared_experts),
        ("routers", p.router),
        ("norms", p.norms),
        ("input embedding", p.embedding),
        ("position embedding", p.position_embedding),
        ("output head", p.output_head),
    ]
    rows.append(("Parameters by component", "; ".join(f"{name} {stats.human(n)}" for name, n in parts if n)))
    rows.append(("Non-embedding parameters", _count(p.non_embedding)))
    if p.mtp:
        rows.append(
            (
                "With MTP module",
                f"{_count(p.total_with_mtp)}: adds {_count(p.mtp)} for "
                f"{arch.mtp_modules} multi-token prediction module(s) as stored, including their "
                "copies of the embedding and output head",
            )
        )
    if arch.vision:
        rows.append(
            (
                "Vision tower",
                f"{_count(p.vision_encoder)} encoder ({arch.vision.name}) + "
                f"{_count(p.vision_projector)} projector, not in the totals above; "
                f"{_count(p.total_with_vision)} with them",
            )
        )
    for name in stats.OFFICIAL_FIGURES:
        figure = getattr(arch.official, name)
        if figure is None:
            continue
        ours = stats.counted_like_official(arch, name)
        text = f"“{figure.stated}”" + (f" ({figure.convention})" if figure.convention else "")
        text += f"; ours counted the same way: {stats.human(ours)} ({(ours - figure.value) / figure.value:+.2%})"
        cell = nodes.paragraph("", text)
        if figure.source:
            cell += [nodes.Text(" · "), nodes.reference("", "source", refuri=figure.source)]
        rows.append((f"Official {name.replace('_', ' ')}", cell))
    if arch.official.counted_with:
        changed = ", ".join(f"{k} = {v:,}" for k, v in arch.official.counted_with)
        rows.append(
            (
                "Official count uses",
                f"{changed}: {_count(stats.params_as_counted(arch).total)} by our rule with that change",
            )
        )
    return rows


def fact_rows(arch: Architecture, kv_context: int = 0) -> list[tuple[str, nodes.Node]]:
    """The rows of a model's fact sheet, computed from the spec."""
    attn = arch.attention
    rows: list[tuple[str, str | nodes.Node]] = [("Model", arch.name)]
    if arch.organization:
        rows.append(("Organization", arch.organization))
    if arch.released:
        rows.append(("Released", arch.released.isoformat()))
    if arch.license:
        rows.append(("License", arch.license))
    rows.append(("Decoder type", stats.decoder_type(arch)))
    rows += parameter_rows(arch)
    rows.append(("Layers", f"{arch.num_layers:,} ({stats.layer_mix(arch)})"))
    rows.append(("Hidden size", f"{arch.hidden_size:,}"))
    rows.append(("Vocabulary", f"{arch.vocab_size:,}"))
    context_text = f"{arch.context_length:,} tokens ({compact(arch.context_length)})"
    if arch.extended_context:
        length, method = arch.extended_context
        context_text += f"; {length:,} ({compact(length)}) with {method}"
    rows.append(("Context length", context_text))
    attention = f"{stats.ATTENTION_NAMES[attn.kind]}: {attn.num_heads} heads, {attn.num_kv_heads} KV heads"
    if attn.mla:
        m = attn.mla
        attention += (
            f", KV latent {m.kv_lora_rank}, RoPE part {m.qk_rope_head_dim}, "
            f"query latent {m.q_lora_rank or 'none'}, head dims {m.qk_nope_head_dim}+"
            f"{m.qk_rope_head_dim} (QK) and {m.v_head_dim} (V)"
        )
    else:
        attention += f", head dimension {attn.head_dim}"
    extras = [
        label
        for flag, label in (
            (attn.qk_norm == "per-head", "QK-Norm per head"),
            (attn.qk_norm == "full", "QK-Norm over all heads"),
            (attn.qkv_bias, "QKV bias"),
            (attn.o_bias, "output bias"),
            (attn.sinks, "learned attention sinks"),
            (bool(attn.sliding_window), f"sliding window {attn.sliding_window or 0:,}"),
        )
        if flag
    ]
    rows.append(("Attention", attention + ("; " + ", ".join(extras) if extras else "")))
    position = {"rope": "RoPE", "learned": "learned absolute positions"}[arch.position.kind]
    if arch.position.rope_theta:
        position += f", base {arch.position.rope_theta:,.0f}"
    if arch.position.rope_local_theta:
        position += f" (sliding-window layers {arch.position.rope_local_theta:,.0f})"
    if arch.position.rope_scaling:
        position += f"; {arch.position.rope_scaling}"
    rows.append(("Positions", position))
    placement = {
        "pre": "pre-norm",
        "post": "post-norm (after each sublayer, inside the residual)",
        "sandwich": "sandwich (before and after each sublayer)",
    }[arch.norm.placement]
    rows.append(("Normalization", f"{stats.NORM_NAMES[arch.norm.kind]}, {placement}"))
    rows.append(
        (
            "Feed forward",
            f"{stats.FFN_NAMES[arch.ffn.kind]}, intermediate size {arch.ffn.intermediate_size:,}"
            + (" (dense layers)" if arch.moe else "")
            + (", with biases" if arch.ffn.bias else ""),
        )
    )
    if arch.moe:
        moe = arch.moe
        text = (
            f"{moe.num_experts:,} experts of size {moe.expert_intermediate_size:,}, "
            f"{moe.experts_per_token} routed per token, {moe.num_shared_experts} shared"
        )
        if moe.first_k_dense:
            text += f"; the first {moe.first_k_dense} layers are dense"
        rows.append(("Mixture of experts", text))
    context = kv_context or arch.context_length
    per_token = stats.kv_cache_bytes_per_token(arch)
    rows.append(
        (
            "KV cache (bf16)",
            f"{per_token:,} bytes per token; "
            f"{stats.human_bytes(stats.kv_cache_bytes(arch, context))} at {context:,} tokens",
        )
    )
    cells: list[tuple[str, nodes.Node]] = [(k, _text(v) if isinstance(v, str) else v) for k, v in rows]
    if arch.official.note:
        cells.append(("Note on the official figure", _text(arch.official.note)))
    cells.append(("Sources", _links([(_SOURCE_LABELS.get(k, k.replace("_", " ")), url) for k, url in arch.sources])))
    return cells


def fact_sheet(arch: Architecture, kv_context: int = 0, id_prefix: str = "") -> nodes.table:
    return table(fact_rows(arch, kv_context), classes=("llmarch-fact-sheet",), id_prefix=id_prefix)


#: Diagram node -> the fact-sheet row that explains it.
DIAGRAM_ROWS = {
    "attention": "Attention",
    "embedding_callout": "Hidden size",
    "attention_callout": "Attention",
    "ffn": "Feed forward",
    "attention_prenorm": "Normalization",
    "attention_postnorm": "Normalization",
    "ffn_prenorm": "Normalization",
    "ffn_postnorm": "Normalization",
    "final_norm": "Normalization",
    "embedding": "Hidden size",
    "head": "Vocabulary",
    "vocab": "Vocabulary",
    "repeat": "Layers",
    "layer_strip": "Layers",
    "context": "Context length",
    "rope": "Positions",
    "positions": "Positions",
    "vision": "Vision tower",
    "router": "Mixture of experts",
    "subtitle": "Parameters (text stack)",
}


def diagram_links(arch: Architecture, id_prefix: str) -> dict[str, tuple[str, str]]:
    """Node -> (URL, tooltip): same-page links to fact-sheet rows, which work under
    every builder because the SVG is inlined, and the title to the model card."""
    rows = DIAGRAM_ROWS | ({"ffn": "Mixture of experts"} if arch.moe else {})
    links = {node: ("#" + row_id(id_prefix, label), f"{label} in the fact sheet") for node, label in rows.items()}
    sources = dict(arch.sources)
    for key in ("model_card", "config"):
        if key in sources:
            links["title"] = (sources[key], f"{arch.name} {_SOURCE_LABELS[key]}")
            break
    return links
