"""Links to models and concepts as plain docutils nodes: the fact sheet and comparisons
say what they link to, and the ``llm`` domain resolves the links when a page is written
(:func:`sphinx_llmarch.sphinxext.domain.expand_links`), for every builder."""

from __future__ import annotations

from docutils import nodes


class llmarch_links(nodes.Inline, nodes.Element):  # noqa: N801 (docutils node naming)
    """A list of links to models or concepts, ``links`` = [(kind, target, title), ...]:
    one node in the stored doctree instead of three per link, because Sphinx walks
    every stored doctree on every build (figure numbers). Expanded into references
    by :func:`expand_links` when the page is written."""


def llm_links(links: list[tuple[str, str, str]], separator: str = ", ") -> llmarch_links:
    """The node, holding the titles as its one text child (what ``astext`` reads)."""
    text = separator.join(title for _, _, title in links)
    return llmarch_links("", nodes.Text(text), links=[list(link) for link in links], separator=separator)


def llm_link(target: str, title: str, kind: str = "model") -> llmarch_links:
    """One link to a model (or a concept, with ``kind="concept"``)."""
    return llm_links([(kind, target, title)])
