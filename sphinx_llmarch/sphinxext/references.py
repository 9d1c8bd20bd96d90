"""Pages written again when what they link moves: each page records the models and
concepts it links to when it is read, and after an incremental read the pages whose
links now resolve elsewhere (a model id renamed or fixed, a glossary added) are
returned to Sphinx to be written again, without being read."""

from __future__ import annotations

import re
from collections.abc import Set
from typing import TYPE_CHECKING, Any

from docutils import nodes

from ..facts.links import llmarch_links
from .domain import LLMDomain, candidates

if TYPE_CHECKING:
    from sphinx.environment import BuildEnvironment

_DIAGRAM_CONCEPT = re.compile(r"lm-concept-([a-z0-9.-]+)")


def note_references(app: Any, doctree: nodes.document) -> None:
    """Record which models and concepts the page just read links to (roles, comparison
    headers, lists of links, gallery cards, diagram panel titles); before the page's
    tables are packed, which hides them."""
    from sphinx.addnodes import pending_xref

    domain = app.env.get_domain("llm")
    assert isinstance(domain, LLMDomain)
    found = {
        (node["reftype"], node["reftarget"]) for node in doctree.findall(pending_xref) if node.get("refdomain") == "llm"
    }
    found |= {(kind, target) for node in doctree.findall(llmarch_links) for kind, target, _ in node["links"]}
    for dot in domain.diagrams.get(app.env.docname, {}).values():
        found |= {("concept", concept) for concept in _DIAGRAM_CONCEPT.findall(dot)}
    if found:
        domain.refs[app.env.docname] = sorted(found)


_SNAPSHOT_KEYS = ("models", "alternates", "concept_places")


def remember_targets(
    app: Any, env: BuildEnvironment, added: Set[str], changed: Set[str], removed: Set[str]
) -> list[str]:
    """Before any page is read again: where every model and concept is shown."""
    from .runtime import state

    data = env.get_domain("llm").data
    state(env).targets_before = {
        key: {name: list(value) if isinstance(value, list) else value for name, value in data.get(key, {}).items()}
        for key in _SNAPSHOT_KEYS
    }
    return []


def moved_targets(app: Any, env: BuildEnvironment) -> list[str]:
    """After reading: the pages, read again or not, that link to a model or concept whose
    place changed (a model id renamed or fixed, a glossary added), so they are written
    again and link to where it is now, or to nothing, instead of to an anchor gone."""
    from .runtime import state

    before = state(env).targets_before
    domain = env.get_domain("llm")
    assert isinstance(domain, LLMDomain)
    if before is None:
        return []
    moved: dict[tuple[str, str], bool] = {}

    def differs(key: tuple[str, str]) -> bool:
        if key not in moved:
            old, new = ([place._replace(line=0) for place in candidates(data, *key)] for data in (before, domain.data))
            moved[key] = old != new
        return moved[key]

    return sorted(docname for docname, refs in domain.refs.items() if any(differs(tuple(ref)) for ref in refs))
