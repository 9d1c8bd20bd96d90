"""Fact sheets as plain docutils tables, so every builder can show them."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from docutils import nodes

from ..escape import web_url
from ..kinds import KINDS, Attention, MoE
from ..model.architecture import Architecture, AudioTower, Sublayer, VisionTower
from ..model.vision import describe_projector, pixels_per_token, tokens_per_image
from . import stats
from .cost import attention_flops, cost, touched_params
from .labels import (
    ROW_CONTEXT_LENGTH,
    ROW_HIDDEN_SIZE,
    ROW_LAYERS,
    ROW_NORMALIZATION,
    ROW_PARAMETERS,
    ROW_PER_LAYER_EMBEDDINGS,
    ROW_RESIDUAL_STREAM,
    ROW_TITLE,
    ROW_VOCABULARY,
    ROW_WITH_MTP,
)
from .links import llm_links
from .memo import per_model
from .words import compact

_SOURCE_LABELS = {"config": "config.json", "model_card": "model card", "paper": "paper", "code": "reference code"}
_PLACEMENT_WORDS = {
    "pre": "pre-norm (before each sublayer)",
    "post": "post-norm (after each sublayer, inside the residual)",
    "sandwich": "sandwich (before and after each sublayer)",
    "none": "no norm",
}
Row = tuple[str, "str | nodes.Node"]


def _text(value: str) -> nodes.Node:
    return nodes.paragraph("", value)


def _links(pairs: list[tuple[str, str]]) -> nodes.paragraph:
    """Sources as links; a value that is not a web address (a local path) stays text,
    since a relative link to it would be broken on the built page."""
    para = nodes.paragraph()
    for index, (label, url) in enumerate(pairs):
        if index:
            para += nodes.Text(" · ")
        link = web_url(url)
        if link:
            para += nodes.reference("", label, refuri=link)
        else:
            para += nodes.Text(f"{label}: {url}")
    return para


#: Fact-sheet labels of the official figures.
OFFICIAL_LABELS = {
    "total": "Official total",
    "active": "Official active",
    "non_embedding": "Official non-embedding",
    "total_with_mtp": "Official total with MTP",
}


def difference(ours: int, theirs: float) -> str:
    """``+0.38%``; ``exact`` or ``within 0.01%`` rather than a signed zero."""
    if ours == theirs:
        return "exact"
    share = (ours - theirs) / theirs
    return "within 0.01%" if abs(share) < 0.00005 else f"{share:+.2%}"


def tokens(count: int) -> str:
    return f"{count:,} token{'' if count == 1 else 's'}"


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
        row = nodes.row()
        for cell in (nodes.paragraph("", "", nodes.strong("", label)), value):
            entry = nodes.entry()
            entry += cell
            row += entry
        if id_prefix:
            row[0]["ids"].append(row_id(id_prefix, label))
        body += row
    return tbl


def _count(value: int) -> str:
    return f"{stats.human(value)} ({value:,})"


def parameter_rows(arch: Architecture) -> list[Row]:
    """Computed counts with what each includes, and the official figure beside them."""
    p = stats.params(arch)
    tied = "; input and output embeddings are one tied matrix" if arch.embeddings.tied else ""
    rows: list[Row] = [(ROW_PARAMETERS, f"{_count(p.total)}, embeddings included{tied}")]
    if arch.is_moe:
        moe = next(op for kind, _ in arch.kind_counts() for op in kind.ops if isinstance(op, MoE))
        routed = f"{moe.experts_per_token} of {moe.num_experts} routed experts"
        rows.append(("Active per token", f"{_count(p.active)}: dense parts, shared experts and {routed}"))
    rows.append(("Embedding parameters", _count(p.embedding)))
    named = stats.component_names(key for key, count in p.components.items() if count)
    parts = "; ".join(f"{name} {stats.human(p[key])}" for key, name in named.items())
    rows.append(("Parameters by component", parts))
    rows.append(("Non-embedding parameters", _count(p.non_embedding)))
    if arch.mtp:
        copies = " including their copies of the embedding and output head" if arch.mtp.embedding_copies else ""
        rows.append(
            (
                ROW_WITH_MTP,
                f"{_count(p.total_with_mtp)}: adds {_count(p.mtp)} for {arch.mtp.num_modules} multi-token "
                f"prediction module(s) as stored{copies}",
            )
        )
    if arch.vision:
        rows.append(("Vision tower", _vision_row(arch.vision, p)))
    if arch.audio:
        rows.append(("Audio tower", _audio_row(arch.audio, p)))
    for name in stats.OFFICIAL_FIGURES:
        figure = getattr(arch.official, name)
        if figure is None:
            continue
        ours = stats.counted_like_official(arch, name)
        text = f"“{figure.stated}”" + (f" ({figure.convention})" if figure.convention else "")
        text += f"; ours {stats.counted_as(figure)}: {stats.human(ours)} ({difference(ours, figure.value)})"
        cell = nodes.paragraph("", text)
        if figure.source:
            cell += [nodes.Text(" · "), *_links([("source", figure.source)]).children]
        rows.append((OFFICIAL_LABELS[name], cell))
    return rows


def _vision_row(tower: VisionTower, p: stats.Params) -> str:
    """Encoder, projector and image tokens; an encoder that takes images at their own size has
    no one token count, so the row gives the pixels per token (and the budget, if images are
    resized to one) instead of inventing an image size."""
    name = f" ({tower.encoder.name})" if tower.encoder.name else ""
    tokens = tokens_per_image(tower)
    side = pixels_per_token(tower)
    if tower.token_budget:
        tokens_text = f"up to {tower.token_budget:,} tokens per image, resized to fit: one per {side} × {side} pixels"
    elif tokens is None:
        tokens_text = f"tokens per image vary with its size: one per {side} × {side} pixels"
    else:
        tokens_text = f"{tokens:,} tokens per image"
    counts = (p.vision_encoder, p.vision_projector, p.total_with_vision)
    return _tower_row(tower, counts, name, f", {tokens_text}")


def _audio_row(tower: AudioTower, p: stats.Params) -> str:
    encoder = tower.encoder
    name = f"{encoder.name}: " if encoder.name else ""
    layers = f" ({name}{encoder.num_layers} {encoder.kind} layers of {encoder.hidden_size:,})"
    return _tower_row(tower, (p.audio_encoder, p.audio_projector, p.total_with_audio), layers)


def _tower_row(tower: VisionTower | AudioTower, counts: tuple[int, int, int], encoder: str, extra: str = "") -> str:
    """The words a vision or audio tower row shares: its (encoder, projector, total with it)
    counts, kept apart from the totals above."""
    return (
        f"{_count(counts[0])} encoder{encoder} + {_count(counts[1])} projector ({describe_projector(tower)}){extra}; "
        f"not in the totals above, {_count(counts[2])} with them"
    )


#: ZAYA1's residual scales, in words.
SCALES_WORDS = (
    "at every residual add, the sublayer's output and the stream are each shifted and scaled by learned vectors "
    "of the hidden size before they are summed; the embeddings are shifted and scaled once on the way in"
)


def residual_words(streams: int) -> str:
    """Hyper-connections, in words."""
    return (
        f"{streams} copies of the hidden state (hyper-connections): each sublayer reads a learned mix of them, "
        "its output is written back into all of them, and they are mixed among themselves; "
        "one more mix merges them before the final norm"
    )


def normalization(arch: Architecture) -> str:
    """The norm kind, and where the norms sit around each kind of sublayer."""
    places: dict[str, list[str]] = {}
    pairs: list[str] = []
    for kind, _ in arch.kind_counts():
        for index, sub in enumerate(kind.sublayers):
            places.setdefault(sub.norm, [])
            if sub.op.short not in places[sub.norm]:
                places[sub.norm].append(sub.op.short)
            words = _parallel_words(kind.sublayers[index - 1], sub) if sub.parallel else ""
            if words and words not in pairs:
                pairs.append(words)
    text = arch.norm.name + ("" if arch.norm.kind == "rmsnorm" or arch.norm.bias else " without bias")
    if len(places) == 1:
        text += f", {_PLACEMENT_WORDS[next(iter(places))]}"
    else:
        text += "; " + "; ".join(
            f"{_PLACEMENT_WORDS[p].split(' (')[0]} around {', '.join(ops)}" for p, ops in places.items()
        )
    return text + "".join(f"; {words}" for words in pairs)


def _parallel_words(first: Sublayer, twin: Sublayer) -> str:
    """How a parallel pair shares its input norm and its residual add."""
    if not twin.own_input_norm:
        return "parallel blocks: attention and feed-forward read one normalized input and add into one residual"
    text = f"{first.op.short} and {twin.op.short} side by side on the same input, each with its own norms"
    return text + (", and one more norm on their sum before the residual add" if twin.sum_norm else "")


def cache_rows(arch: Architecture, context: int) -> list[Row]:
    """KV cache per token and at ``context``, with each window's cap stated; constant state."""
    rows: list[Row] = []
    per_token = stats.kv_cache_bytes_per_token(arch)
    if per_token:
        text = f"{per_token:,} bytes per token with every caching layer in full; "
        text += f"{stats.human_bytes(stats.kv_cache_bytes(arch, context))} at {tokens(context)}"
        text += beyond_context(arch, context)
        pooled = stats.pooled_layers(arch)  # caches that grow, slowly, beside a window
        whole = " whole" if pooled else ""
        caps = [
            f"{layers:,} layers keep at most {window:,} tokens{whole}" for layers, window in stats.capped_layers(arch)
        ]
        caps += [f"{layers:,} also one pooled entry per {every:,} tokens" for layers, every in pooled]
        if caps:
            text += f" ({', '.join(caps)})"
        rows.append(("KV cache (bf16)", text))
    state = stats.state_bytes(arch)
    if state:
        rows.append(("Recurrent state (bf16)", f"{stats.human_bytes(state)} per sequence, whatever its length"))
    return rows


def beyond_context(arch: Architecture, context: int) -> str:
    """The flag on a cache size computed for more tokens than the model takes."""
    if context <= arch.context_length:
        return ""
    return f", beyond the model's context length of {tokens(arch.context_length)}"


def concept_links(arch: Architecture) -> nodes.paragraph:
    """The glossary's concepts this model uses, each a link to its definition (plain
    text when no page shows the glossary)."""
    from .concepts import concepts_of, glossary

    links = [("concept", key, glossary()[key].title) for key in concepts_of(arch)]
    return nodes.paragraph("", "", llm_links(links, " · "))


@per_model
def template(arch: Architecture) -> str:
    """The recipe in a few words, for finding models built the same way:
    ``MLA + MoE with a shared expert``, ``GQA + dense FFN``, ``Gated DeltaNet + GQA + MoE``."""
    mixers = []
    for kind, _ in arch.kind_counts():
        for op in kind.ops:
            if op.role == "token":
                name = op.kind.upper() if isinstance(op, Attention) else op.short
                mixers.append(name.replace(" + sparse indexer", ""))
    moe = [op for kind, _ in arch.kind_counts() for op in kind.ops if isinstance(op, MoE)]
    shared = bool(moe) and bool(moe[0].num_shared_experts)
    channel = "dense FFN" if not moe else "MoE with a shared expert" if shared else "MoE"
    return " + ".join([*dict.fromkeys(mixers), channel])


def related_models(arch: Architecture, models: Iterable[Architecture]) -> nodes.paragraph | None:
    """Links to the models a reader of this sheet will want next: its base, the models
    built on it, its family, and up to six of other families built the same way."""
    others = sorted((m for m in models if m.id != arch.id), key=lambda m: (m.released or datetime.date.min, m.name))
    close = [
        ("based on", [m for m in others if m.id == arch.base]),
        ("built on it", [m for m in others if m.base == arch.id]),
    ]
    near = {m.id for _, members in close for m in members}
    recipe = template(arch)
    alike = [m for m in others if m.family != arch.family and m.id not in near and template(m) == recipe]
    groups = [
        *close,
        ("same family", [m for m in others if m.family == arch.family and m.id not in near]),
        (f"same recipe ({recipe})", alike[-6:]),
    ]
    para = nodes.paragraph()
    for label, members in groups:
        if not members:
            continue
        para += [nodes.Text("; ")] if len(para) else []
        para += nodes.Text(f"{label}: ")
        para += llm_links([("model", other.id, other.name) for other in members])
    return para if len(para) else None


#: The position the fact sheet's FLOPs per token are given at.
FLOPS_CONTEXT = 4096


def cost_rows(arch: Architecture, context: int) -> list[Row]:
    """What running the model takes (see :mod:`.cost`): memory at ``context`` for one
    sequence in bf16, and the FLOPs of one token at position 4,096."""
    found = cost(arch, context)
    size = stats.human_bytes
    parts = f"weights {size(found.weights_bytes)}" + (f" + KV cache {size(found.kv_bytes)}" if found.kv_bytes else "")
    parts += f" + state {size(found.state_bytes)}" if found.state_bytes else ""
    weights, attention = 2 * touched_params(arch), attention_flops(arch, FLOPS_CONTEXT)
    flops = f"{stats.human(weights + attention)} at position {FLOPS_CONTEXT:,}: {stats.human(weights)} through"
    flops += " the weights" + (f", {stats.human(attention)} in attention" if attention else "")
    return [
        ("Memory (bf16, one sequence)", f"{size(found.total_bytes)} at {tokens(found.context)}: {parts}"),
        ("FLOPs per token", flops),
    ]


def fact_rows(
    arch: Architecture, kv_context: int = 0, models: Iterable[Architecture] = ()
) -> list[tuple[str, nodes.Node]]:
    """The rows of a model's fact sheet, computed from the spec; with ``models``, a
    row linking the related ones."""
    rows: list[Row] = [("Model", arch.name)]
    rows += [
        (label, value)
        for label, value in (
            ("Organization", arch.organization),
            ("Released", arch.released.isoformat() if arch.released else ""),
            ("License", arch.license or ""),
            ("Based on", arch.base or ""),
        )
        if value
    ]
    rows.append(("Decoder type", stats.decoder_type(arch)))
    rows += parameter_rows(arch)
    rows.append((ROW_LAYERS, f"{arch.num_layers:,} ({stats.layer_mix(arch)})"))
    rows.append((ROW_HIDDEN_SIZE, f"{arch.hidden_size:,}"))
    if arch.hyper_connections:
        rows.append((ROW_RESIDUAL_STREAM, residual_words(arch.hyper_connections)))
    if arch.residual_scales:
        rows.append((ROW_RESIDUAL_STREAM, SCALES_WORDS))
    rows.append((ROW_VOCABULARY, f"{arch.vocab_size:,}"))
    context_text = f"{arch.context_length:,} tokens ({compact(arch.context_length)})"
    if arch.extended_context:
        length, method = arch.extended_context
        context_text += f"; {length:,} ({compact(length)}) with {method}"
    rows.append((ROW_CONTEXT_LENGTH, context_text))
    merged: dict[str, list[str]] = {}
    for type_, variants in arch.op_variants().items():
        for label, text in KINDS[type_].fact_rows(variants, arch.hidden_size):
            if text not in merged.setdefault(label, []):
                merged[label].append(text)
    rows += [(label, "; ".join(texts)) for label, texts in merged.items()]
    if arch.embeddings.per_layer_width:
        emb = arch.embeddings
        rows.append(
            (ROW_PER_LAYER_EMBEDDINGS, f"{emb.per_layer_vocab:,} × {arch.num_layers} layers × {emb.per_layer_width}")
        )
    rows.append((ROW_NORMALIZATION, normalization(arch)))
    rows += cache_rows(arch, kv_context or arch.context_length)
    rows += cost_rows(arch, kv_context or arch.context_length)
    rows.append(("Concepts", concept_links(arch)))
    related = related_models(arch, models)
    if related is not None:
        rows.append(("Related models", related))
    cells: list[tuple[str, nodes.Node]] = [(k, _text(v) if isinstance(v, str) else v) for k, v in rows]
    if arch.official.note:
        cells.append(("Note on the official figure", _text(arch.official.note)))
    if arch.sources:  # a user's spec may have none
        labelled = [(_SOURCE_LABELS.get(key, key.replace("_", " ")), url) for key, url in arch.sources]
        cells.append(("Sources", _links(labelled)))
    return cells


def fact_sheet(rows: list[tuple[str, nodes.Node]], id_prefix: str = "") -> nodes.table:
    """The fact-sheet table of :func:`fact_rows`; with ``id_prefix`` each row is an anchor."""
    return table(rows, classes=("llmarch-fact-sheet",), id_prefix=id_prefix)


def diagram_links(arch: Architecture, id_prefix: str, labels: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Fact-sheet row label -> (URL, tooltip): same-page links, which work under every
    builder because the SVG is inlined; ``title`` links to the model card."""
    links = {label: ("#" + row_id(id_prefix, label), f"{label} in the fact sheet") for label in labels}
    sources = dict(arch.sources)
    for key in ("model_card", "config"):
        link = web_url(sources.get(key, ""))
        if link:
            links[ROW_TITLE] = (link, f"{arch.name} {_SOURCE_LABELS[key]}")
            break
    return links
