"""Many models at once: ``llm-arch-gallery`` (a grid of cards) and ``llm-arch-table``
(one row per model), both narrowed by ``:filter:`` (see :mod:`.selection`).

Cards reuse the diagram each model's canonical place already renders, so a grid
costs no Graphviz run. In html a small script adds a search box and filter chips
to grids and sortable columns to tables; other builders get the plain list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

from ..escape import html_text
from .images import note_every_model
from .runtime import state
from .warnings import warn

if TYPE_CHECKING:
    from sphinx.util.typing import OptionSpec
    from sphinx.writers.html5 import HTML5Translator

    from ..model.architecture import Architecture


class llmarch_thumbnail(nodes.Inline, nodes.Element):  # noqa: N801 (docutils node naming)
    """A model's diagram as a small image (html only), taken from its canonical place."""


def sort_option(argument: str | None) -> str:
    from ..facts.selection import sort_option as parse

    return parse(argument)


class _ModelsDirective(SphinxDirective):
    """What the grid and the table share: choosing the models."""

    option_spec: ClassVar[OptionSpec] = {
        "filter": directives.unchanged_required,
        "sort": sort_option,
        "limit": directives.positive_int,
        "class": directives.class_option,
    }

    def models(self) -> list[dict[str, Any]] | str:
        """What is shown of each model to show (see :func:`shown_in_views`); when the
        filter is malformed or matches nothing, what the page says instead (and a
        warning at the directive)."""
        from ..facts.selection import FilterError, record_from_json, select_records

        shown = note_every_model(self.env, "models")
        records = [record_from_json(model["record"]) for model in shown.values()]
        expression = self.options.get("filter", "")
        try:
            chosen = select_records(records, expression, self.options.get("sort", "date"), self.options.get("limit", 0))
        except FilterError as error:
            pointer = " " * error.position + "^"
            warn(
                f"{self.name}: bad :filter: {error}\n    {expression}\n    {pointer}",
                "config",
                location=self.get_location(),
            )
            return "the :filter: expression could not be read."
        if not chosen:
            warn(f"{self.name}: no model matches :filter: {expression}", "config", location=self.get_location())
            return f"no model matches {expression}"
        return [shown[fields["id"]] for fields in chosen]

    def note(self, text: str) -> list[nodes.Node]:
        """A short paragraph in place of the grid or table."""
        return [nodes.paragraph("", f"{self.name}: {text}", classes=["llmarch-no-models"])]


def search_words(facts: dict[str, Any]) -> str:
    """What a card's search box finds beyond the card's visible text: who made the model,
    its family and licence, its token mixers (``gqa``, ``mla``, ``linear``...) and the
    glossary's concepts it uses (``vision encoder``, ``moe``...)."""
    concepts = [concept.replace("-", " ") for concept in facts["concepts"]]
    words = [
        facts["organization"],
        facts["family"],
        facts["license"],
        *facts["attention"],
        *facts["concepts"],
        *concepts,
    ]
    return " ".join(dict.fromkeys(word for word in words if word))


def card_meta(arch: Architecture) -> str:
    """A card's second line: size, date, decoder type."""
    from ..facts import stats

    p = stats.params(arch)
    scale = stats.human(p.total) + (f", {stats.human(p.active)} active" if arch.is_moe else "")
    when = arch.released.isoformat() if arch.released else "undated"
    return f"{scale} · {when} · {stats.decoder_type(arch)}"


def shown_in_views(arch: Architecture) -> dict[str, Any]:
    """What grids and tables show of a model, and what their filters and sorts read."""
    from ..facts.selection import record, record_to_json

    return {"record": record_to_json(record(arch)), "card": card_meta(arch), "cells": list(table_cells(arch))}


#: The columns of ``llm-arch-table`` and their relative widths (the text builder wraps by them).
TABLE_COLUMNS = (
    *(("Model", 18), ("Released", 10), ("Params", 7), ("Active", 7), ("Layers", 6)),
    *(("Attention", 15), ("Context", 7), ("KV cache / token", 11), ("Weights (bf16)", 9)),
)


def table_cells(arch: Architecture) -> tuple[str, ...]:
    """A model's row of ``llm-arch-table`` after the name."""
    from ..facts import stats
    from ..facts.cost import weights_bytes
    from ..facts.words import compact
    from .gallery import attention_cell, cache_cell

    p = stats.params(arch)
    return (
        arch.released.isoformat() if arch.released else "",
        stats.human(p.total),
        stats.human(p.active) if arch.is_moe else "all",
        f"{arch.num_layers}",
        attention_cell(arch),
        compact(arch.context_length),
        cache_cell(arch),
        stats.human_bytes(weights_bytes(arch)),
    )


class LLMArchGalleryDirective(_ModelsDirective):
    """``.. llm-arch-gallery::`` — a card per model: thumbnail, name, scale, date, decoder."""

    def run(self) -> list[nodes.Node]:
        from .domain import llm_xref

        models = self.models()
        if isinstance(models, str):
            return self.note(models)
        grid = nodes.container(classes=["llmarch-grid", *self.options.get("class", [])])
        for model in models:
            facts = model["record"]
            model_id, name = facts["id"], facts["name"]
            kinds = [f"llmarch-decoder-{facts['decoder']}", f"llmarch-mixing-{facts['mixing']}"]
            kinds += [f"llmarch-attention-{word}" for word in facts["attention"]]
            kinds += ["llmarch-input-images"] if "vision-encoder" in facts["concepts"] else []
            card = nodes.container(classes=["llmarch-card", *kinds])
            thumbnail = llmarch_thumbnail("", model=model_id, alt=name)
            card += nodes.paragraph("", "", llm_xref(model_id, name, content=thumbnail), classes=["llmarch-card-thumb"])
            card += nodes.paragraph("", "", llm_xref(model_id, name), classes=["llmarch-card-name"])
            card += nodes.paragraph(model["card"], model["card"], classes=["llmarch-card-meta"])
            card += nodes.raw("", f'<span hidden="hidden">{html_text(search_words(facts))}</span>', format="html")
            grid += card
        return [grid]


class LLMArchTableDirective(_ModelsDirective):
    """``.. llm-arch-table::`` — one row per model, sortable by column in html."""

    def run(self) -> list[nodes.Node]:
        from .domain import llm_xref

        models = self.models()
        if isinstance(models, str):
            return self.note(models)
        table = nodes.table(classes=["llmarch-models", "llmarch-sortable", *self.options.get("class", [])])
        group = nodes.tgroup(cols=len(TABLE_COLUMNS))
        table += group
        group += [nodes.colspec(colwidth=width) for _, width in TABLE_COLUMNS]
        head = nodes.thead()
        head += nodes.row("", *(nodes.entry("", nodes.paragraph(text, text)) for text, _ in TABLE_COLUMNS))
        group += head
        body = nodes.tbody()
        for model in models:
            facts = model["record"]
            cells: list[nodes.Node] = [nodes.paragraph("", "", llm_xref(facts["id"], facts["name"]))]
            cells += [nodes.paragraph(text, text) for text in model["cells"]]
            body += nodes.row("", *(nodes.entry("", cell) for cell in cells))
        group += body
        return [table]


def visit_thumbnail(self: HTML5Translator, node: llmarch_thumbnail) -> None:
    from ..draw.render import cached_name
    from .domain import LLMDomain

    domain = self.builder.env.get_domain("llm")
    assert isinstance(domain, LLMDomain)
    place = domain.models.get(node["model"])
    fmt = state(self.builder.env).image_format
    if place is None or not place.diagram or fmt is None:
        self.body.append('<span class="llmarch-thumb llmarch-thumb-missing">no diagram</span>')
    else:
        src = f"{self.builder.imgpath}/{cached_name(place.diagram, fmt)}"
        self.body.append(f'<img class="llmarch-thumb" src="{src}" alt="{self.attval(node["alt"])}" loading="lazy"/>')
    raise nodes.SkipNode


def skip(self: nodes.NodeVisitor, node: nodes.Node) -> None:
    raise nodes.SkipNode


THUMBNAIL_VISITORS = {
    "html": (visit_thumbnail, None),
    **{builder: (skip, None) for builder in ("latex", "text", "man", "texinfo")},
}
