"""The ``llm`` domain: where each model is shown, roles that link to it, and indices.

Every ``llm-arch`` directive is its model's canonical place unless it says
``:no-index:``, and ``llm-concepts`` is the place of each concept it defines.
The domain records those places per document, so that ``:llm:model:`qwen3-8b```
(and ``:llm:concept:`gqa```) resolves under every builder, ``objects.inv`` lets
other projects link here through intersphinx, and Sphinx's own machinery
(nitpicky warnings, ``any`` role, general index) works as for Python objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Set
from typing import TYPE_CHECKING, Any, NamedTuple

from docutils import nodes
from sphinx.domains import Domain, Index, IndexEntry, ObjType
from sphinx.roles import XRefRole
from sphinx.util.nodes import make_refnode

from .escape import html_text
from .warnings import warn

if TYPE_CHECKING:
    from sphinx.addnodes import pending_xref
    from sphinx.builders import Builder
    from sphinx.environment import BuildEnvironment

    from .model import Architecture


class ModelPlace(NamedTuple):
    """A model's canonical place and what the index and link titles need."""

    docname: str
    anchor: str
    name: str
    family: str
    organization: str
    aliases: tuple[str, ...]
    #: Source line of the directive, for the duplicate warning.
    line: int
    #: Render key of the diagram shown there ("" for none): gallery cards reuse the image.
    diagram: str = ""


def model_anchor(model_id: str) -> str:
    return nodes.make_id(f"llm-model-{model_id}")


def concept_anchor(concept_id: str) -> str:
    return nodes.make_id(f"llm-concept-{concept_id}")


class ModelIndex(Index):
    """Models by family, like Python's module index."""

    name = "modelindex"
    localname = "LLM architecture index"
    shortname = "models"

    def generate(self, docnames: Iterable[str] | None = None) -> tuple[list[tuple[str, list[IndexEntry]]], bool]:
        domain = self.domain
        assert isinstance(domain, LLMDomain)
        wanted = set(docnames) if docnames is not None else None
        families: dict[str, list[IndexEntry]] = {}
        for model_id, place in sorted(domain.models.items(), key=lambda item: item[1].name.lower()):
            if wanted is not None and place.docname not in wanted:
                continue
            entries = families.setdefault(place.family, [])
            entries.append(IndexEntry(place.name, 0, place.docname, place.anchor, model_id, "", place.organization))
        content = sorted(families.items(), key=lambda item: item[0].lower())
        return content, True


def escape_index_headings(app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    """Escape the family headings of the model index for html.

    Sphinx's ``domainindex.html`` template escapes each entry but writes the group
    headings (and their ids) as they are, and a family comes from a spec or a
    config.json. The LaTeX writer escapes them itself, so only the html page's
    context is changed.
    """
    if pagename == f"{LLMDomain.name}-{ModelIndex.name}" and "content" in context:
        context["content"] = [(html_text(family), entries) for family, entries in context["content"]]


class LLMDomain(Domain):
    name = "llm"
    label = "LLM architectures"
    object_types = {  # noqa: RUF012 (Sphinx's own attribute)
        "model": ObjType("model", "model"),
        "concept": ObjType("concept", "concept"),
    }
    #: The roles show the model's or concept's own name unless a title is given (resolve_xref).
    roles = {  # noqa: RUF012
        "model": XRefRole(innernodeclass=nodes.inline),
        "concept": XRefRole(innernodeclass=nodes.inline),
    }
    indices = [ModelIndex]  # noqa: RUF012
    initial_data: dict[str, Any] = {"models": {}, "concepts": {}, "diagrams": {}}  # noqa: RUF012
    data_version = 3

    @property
    def models(self) -> dict[str, ModelPlace]:
        return self.data.setdefault("models", {})

    @property
    def diagrams(self) -> dict[str, dict[str, str]]:
        """Docname -> {render key: DOT source} of the diagrams the page shows (see :mod:`.images`)."""
        return self.data.setdefault("diagrams", {})

    @property
    def concepts(self) -> dict[str, tuple[str, str, str]]:
        """Concept id -> (docname, anchor, title) of the glossary that defines it. The
        title is kept so that the inventory, written on every build, needs no glossary."""
        return self.data.setdefault("concepts", {})

    def note_concept(self, concept_id: str, title: str, docname: str) -> str:
        anchor = concept_anchor(concept_id)
        self.concepts.setdefault(concept_id, (docname, anchor, title))
        return anchor

    def note_model(self, arch: Architecture, docname: str, line: int, location: Any) -> str | None:
        """Record the canonical place of ``arch``; its anchor, or None if it already has one."""
        known = self.models.get(arch.id)
        if known is not None:
            _warn_duplicate(arch.id, known, "here", location)
            return None
        place = ModelPlace(
            docname, model_anchor(arch.id), arch.name, arch.family, arch.organization, tuple(arch.aliases), line
        )
        self.models[arch.id] = place
        return place.anchor

    def note_diagram(self, model_id: str, docname: str, key: str) -> None:
        """The diagram of a model's canonical place, for thumbnails elsewhere."""
        place = self.models.get(model_id)
        if place is not None and place.docname == docname and not place.diagram:
            self.models[model_id] = place._replace(diagram=key)

    def clear_doc(self, docname: str) -> None:
        for model_id in [key for key, place in self.models.items() if place.docname == docname]:
            del self.models[model_id]
        for concept_id in [key for key, place in self.concepts.items() if place[0] == docname]:
            del self.concepts[concept_id]
        self.diagrams.pop(docname, None)

    def merge_domaindata(self, docnames: Set[str], otherdata: dict[str, Any]) -> None:
        theirs = otherdata.get("diagrams", {})
        self.diagrams.update({docname: theirs[docname] for docname in docnames if docname in theirs})
        for concept_id, place in otherdata.get("concepts", {}).items():
            if place[0] in docnames:
                self.concepts.setdefault(concept_id, place)
        for model_id, place in otherdata.get("models", {}).items():
            if place.docname not in docnames:
                continue
            known = self.models.get(model_id)
            if known is not None and known.docname != place.docname:
                where = f"in {place.docname} (line {place.line})"
                _warn_duplicate(model_id, known, where, (place.docname, place.line))
                continue
            self.models[model_id] = place

    def find(self, target: str) -> tuple[str, ModelPlace] | None:
        """A model by id or alias."""
        if target in self.models:
            return target, self.models[target]
        for model_id, place in self.models.items():
            if target in place.aliases:
                return model_id, place
        return None

    def resolve_xref(
        self,
        env: BuildEnvironment,
        fromdocname: str,
        builder: Builder,
        typ: str,
        target: str,
        node: pending_xref,
        contnode: nodes.Element,
    ) -> nodes.reference | None:
        found = self._place(typ, target)
        if found is None:
            return None
        docname, anchor, title = found
        if not node.get("refexplicit"):
            contnode = nodes.inline(title, title, classes=["xref", "llm", f"llm-{typ}"])
        return make_refnode(builder, fromdocname, docname, anchor, contnode, title)

    def _place(self, typ: str, target: str) -> tuple[str, str, str] | None:
        """(docname, anchor, display name) of a model or concept, by id, alias or title."""
        if typ == "concept":
            from .concepts import find as find_concept

            concept = find_concept(target)
            if concept is None or concept.id not in self.concepts:
                return None
            return self.concepts[concept.id]
        found = self.find(target)
        if found is None:
            return None
        place = found[1]
        return place.docname, place.anchor, place.name

    def resolve_any_xref(
        self,
        env: BuildEnvironment,
        fromdocname: str,
        builder: Builder,
        target: str,
        node: pending_xref,
        contnode: nodes.Element,
    ) -> list[tuple[str, nodes.reference]]:
        found = []
        for role in ("model", "concept"):
            ref = self.resolve_xref(env, fromdocname, builder, role, target, node, contnode)
            if ref is not None:
                found.append((f"llm:{role}", ref))
        return found

    def get_objects(self) -> Iterator[tuple[str, str, str, str, str, int]]:
        for model_id, place in self.models.items():
            yield model_id, place.name, "model", place.docname, place.anchor, 1
        for concept_id, (docname, anchor, title) in self.concepts.items():
            yield concept_id, title, "concept", docname, anchor, 1

    def get_full_qualified_name(self, node: nodes.Element) -> str | None:
        return node.get("reftarget")


def _warn_duplicate(model_id: str, known: ModelPlace, where: str, location: Any) -> None:
    warn(
        f"{model_id!r} is shown with an index entry in {known.docname} (line {known.line}) and {where}; "
        "give one of them :no-index:",
        "duplicate",
        location=location,
    )


def llm_xref(target: str, title: str, kind: str = "model", content: nodes.Node | None = None) -> nodes.Node:
    """A link to a model's canonical place (or a concept's, with ``kind="concept"``),
    resolved when the page is written, so it is right under every builder; plain text
    (or ``content`` unlinked) if no page shows it."""
    from sphinx.addnodes import pending_xref

    ref = pending_xref("", refdomain="llm", reftype=kind, reftarget=target, refexplicit=True)
    ref["llmarch_optional"] = True
    ref += content if content is not None else nodes.inline(title, title, classes=["xref", "llm", f"llm-{kind}"])
    return ref


class llmarch_links(nodes.Inline, nodes.Element):  # noqa: N801 (docutils node naming)
    """A list of links to models or concepts, ``links`` = [(kind, target, title), ...]:
    one node in the stored doctree instead of three per link, because Sphinx walks
    every stored doctree on every build (figure numbers). Expanded into references
    by :func:`expand_links` when the page is written."""


def llm_links(links: list[tuple[str, str, str]], separator: str = ", ") -> llmarch_links:
    """The node, holding the titles as its one text child (what ``astext`` reads)."""
    text = separator.join(title for _, _, title in links)
    return llmarch_links("", nodes.Text(text), links=[list(link) for link in links], separator=separator)


def expand_links(app: Any, doctree: nodes.document, docname: str) -> None:
    """Turn every :class:`llmarch_links` into references (plain names for targets no
    page shows), the way pending_xref nodes are resolved, for every builder."""
    from sphinx.addnodes import pending_xref

    domain = app.env.get_domain("llm")
    explicit = pending_xref("", refexplicit=True)
    for node in list(doctree.findall(llmarch_links)):
        out: list[nodes.Node] = []
        for index, (kind, target, title) in enumerate(node["links"]):
            out += [nodes.Text(node["separator"])] if index else []
            content = nodes.inline(title, title, classes=["xref", "llm", f"llm-{kind}"])
            ref = domain.resolve_xref(app.env, docname, app.builder, kind, target, explicit, content)
            out.append(ref if ref is not None else content)
        node.replace_self(out)


def optional_reference(app: object, domain: Domain, node: pending_xref) -> bool | None:
    """Keep nitpicky mode quiet about the extension's own links (comparison headers,
    summaries) to models no page shows: they stay plain text. Authors' roles still warn."""
    return True if node.get("llmarch_optional") else None
