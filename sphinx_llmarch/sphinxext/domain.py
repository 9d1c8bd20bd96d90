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

from ..escape import html_text
from ..facts.links import llmarch_links
from .warnings import warn

if TYPE_CHECKING:
    from sphinx.addnodes import pending_xref
    from sphinx.builders import Builder
    from sphinx.environment import BuildEnvironment

    from ..model.architecture import Architecture


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
    #: The ``only`` condition the directive sits under ("" for every builder).
    only: str = ""


class ConceptPlace(NamedTuple):
    """A glossary that shows a concept with an anchor (one without ``:no-index:``)."""

    concept: str
    docname: str
    anchor: str
    title: str
    #: Whether it is the whole glossary, which is the target rather than a part of it.
    full: bool
    line: int


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
    initial_data: dict[str, Any] = {  # noqa: RUF012
        "models": {},
        "alternates": {},
        "concepts": {},
        "concept_places": {},
        "glossaries": {},
        "diagrams": {},
        "refs": {},
    }
    data_version = 4

    @property
    def models(self) -> dict[str, ModelPlace]:
        """Model id -> its canonical place: the first of its places (:meth:`places`)."""
        return self.data.setdefault("models", {})

    @property
    def alternates(self) -> dict[str, list[ModelPlace]]:
        """Model id -> its other places, each shown only under an ``only`` directive."""
        return self.data.setdefault("alternates", {})

    @property
    def diagrams(self) -> dict[str, dict[str, str]]:
        """Docname -> {render key: DOT or SVG source} of the diagrams the page shows (see :mod:`.images`)."""
        return self.data.setdefault("diagrams", {})

    @property
    def concepts(self) -> dict[str, tuple[str, str, str]]:
        """Concept id -> (docname, anchor, title) of the glossary that defines it: the first
        of :attr:`concept_places`. The title is kept so that the inventory, written on every
        build, needs no glossary."""
        return self.data.setdefault("concepts", {})

    @property
    def concept_places(self) -> dict[str, list[ConceptPlace]]:
        """Concept id -> every indexed glossary that shows it, the target first."""
        return self.data.setdefault("concept_places", {})

    @property
    def glossaries(self) -> dict[str, list[int]]:
        """Docname -> lines of the whole (indexed) glossaries on the page: one is expected."""
        return self.data.setdefault("glossaries", {})

    @property
    def refs(self) -> dict[str, list[tuple[str, str]]]:
        """Docname -> (role, target) of every model and concept the page links to, so that
        the page is written again when where they are shown changes (:func:`moved_targets`)."""
        return self.data.setdefault("refs", {})

    def note_concept(self, place: ConceptPlace) -> None:
        self.concept_places.setdefault(place.concept, []).append(place)
        self._settle_concept(place.concept)

    def _settle_concept(self, concept_id: str) -> None:
        """The whole glossary wins over a part of it, then the first page by name."""
        places = sorted(self.concept_places.get(concept_id, []), key=lambda p: (not p.full, p.docname, p.line))
        if places:
            self.concept_places[concept_id] = places
            self.concepts[concept_id] = (places[0].docname, places[0].anchor, places[0].title)
        else:
            self.concept_places.pop(concept_id, None)
            self.concepts.pop(concept_id, None)

    def note_glossary(self, docname: str, line: int, location: Any, compared: Set[str] = frozenset()) -> None:
        """Record a whole glossary, with a warning naming both if there is one already (on
        a page not in ``compared``: a parallel reader warned about those itself)."""
        known = [
            (doc, other) for doc, lines in sorted(self.glossaries.items()) if doc not in compared for other in lines
        ]
        self.glossaries.setdefault(docname, []).append(line)
        if known:
            _warn_two_glossaries(known[0], f"here (line {line})", location)

    def note_model(self, arch: Architecture, docname: str, line: int, location: Any, only: str = "") -> str | None:
        """Record a place of ``arch``; its anchor, or None if it already has one under the same
        ``only`` condition (or none). Each builder links to the first place it shows."""
        place = ModelPlace(
            docname,
            model_anchor(arch.id),
            arch.name,
            arch.family,
            arch.organization,
            tuple(arch.aliases),
            line,
            only=only,
        )
        return place.anchor if self._add_place(arch.id, place, location) else None

    def _add_place(self, model_id: str, place: ModelPlace, location: Any) -> bool:
        known = next((other for other in self.places(model_id) if other.only == place.only), None)
        if known is not None:  # two places for the same builders
            _warn_duplicate(model_id, known, "here", location)
            return False
        self._settle_model(model_id, [place, *self.places(model_id)])
        return True

    def places(self, model_id: str) -> list[ModelPlace]:
        """Every place of a model, the canonical one first."""
        first = self.models.get(model_id)
        return [first, *self.alternates.get(model_id, [])] if first is not None else []

    def _settle_model(self, model_id: str, places: list[ModelPlace]) -> None:
        """The place shown by every builder first, then by page and line."""
        places = sorted(places, key=lambda p: (bool(p.only), p.docname, p.line))
        if places:
            self.models[model_id] = places[0]
        else:
            self.models.pop(model_id, None)
        if len(places) > 1:
            self.alternates[model_id] = places[1:]
        else:
            self.alternates.pop(model_id, None)

    def note_diagram(self, model_id: str, docname: str, key: str) -> None:
        """The diagram of a model's canonical place, for thumbnails elsewhere."""
        place = self.models.get(model_id)
        if place is not None and place.docname == docname and not place.diagram:
            self.models[model_id] = place._replace(diagram=key)

    def clear_doc(self, docname: str) -> None:
        for model_id in [key for key in self.models if any(p.docname == docname for p in self.places(key))]:
            self._settle_model(model_id, [p for p in self.places(model_id) if p.docname != docname])
        for concept_id in [
            key for key, places in self.concept_places.items() if any(p.docname == docname for p in places)
        ]:
            self.concept_places[concept_id] = [p for p in self.concept_places[concept_id] if p.docname != docname]
            self._settle_concept(concept_id)
        for mapping in (self.diagrams, self.glossaries, self.refs):
            mapping.pop(docname, None)

    def merge_domaindata(self, docnames: Set[str], otherdata: dict[str, Any]) -> None:
        for key in ("diagrams", "refs"):
            theirs = otherdata.get(key, {})
            self.data.setdefault(key, {}).update({doc: theirs[doc] for doc in docnames if doc in theirs})
        for docname, lines in sorted(otherdata.get("glossaries", {}).items()):
            if docname in docnames:
                for line in lines:
                    self.note_glossary(docname, line, (docname, line), docnames)
        for places in otherdata.get("concept_places", {}).values():
            for place in places:
                if place.docname in docnames:
                    self.note_concept(place)
        theirs = otherdata.get("models", {})
        for model_id in sorted(theirs):
            for place in [theirs[model_id], *otherdata.get("alternates", {}).get(model_id, [])]:
                if place.docname in docnames:
                    self._add_place(model_id, place, (place.docname, place.line))

    def find(self, target: str) -> tuple[str, ModelPlace] | None:
        """A model by id or alias."""
        model_id = _find(self.models, target)
        return (model_id, self.models[model_id]) if model_id is not None else None

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
        found = self._place(typ, target, builder)
        if found is None:
            return None
        docname, anchor, title = found
        if not node.get("refexplicit"):
            contnode = nodes.inline(title, title, classes=["xref", "llm", f"llm-{typ}"])
        return make_refnode(builder, fromdocname, docname, anchor, contnode, title)

    def _place(self, typ: str, target: str, builder: Builder) -> tuple[str, str, str] | None:
        """(docname, anchor, display name) of a model or concept, by id, alias or title: for
        a model, its first place that ``builder`` shows (a page under ``.. only:: latex`` is
        no target of an html link)."""
        for place in candidates(self.data, typ, target):
            if isinstance(place, ConceptPlace):
                return place.docname, place.anchor, place.title
            if not place.only or _shown(place.only, builder):
                return place.docname, place.anchor, place.name
        return None

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


def _find(models: dict[str, ModelPlace], target: str) -> str | None:
    """The id of a model by id or alias."""
    if target in models:
        return target
    return next((model_id for model_id, place in models.items() if target in place.aliases), None)


def candidates(data: dict[str, Any], typ: str, target: str) -> list[Any]:
    """Every place of a model (``typ`` "model") or concept that ``target`` names, the
    canonical one first, in the domain's ``data`` (or a copy of it from before a read)."""
    if typ == "concept":
        from ..facts.concepts import find as find_concept

        concept = find_concept(target)
        return list(data.get("concept_places", {}).get(concept.id, [])) if concept is not None else []
    models = data.get("models", {})
    model_id = _find(models, target)
    if model_id is None:
        return []
    return [models[model_id], *data.get("alternates", {}).get(model_id, [])]


def _shown(expression: str, builder: Builder) -> bool:
    """Whether ``builder`` keeps what an ``only`` directive with ``expression`` holds
    (as Sphinx does, a condition it cannot evaluate keeps it)."""
    try:
        return bool(builder.tags.eval_condition(expression))
    except Exception:
        return True


def _warn_two_glossaries(known: tuple[str, int], where: str, location: Any) -> None:
    warn(
        f"the whole llm-concepts glossary is shown with index entries in {known[0]} (line {known[1]}) and {where}; "
        "give one of them :no-index:",
        "duplicate",
        location=location,
    )


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


def expand_links(app: Any, doctree: nodes.document, docname: str) -> None:
    """Turn every :class:`llmarch_links` into references (plain names for targets no
    page shows), the way pending_xref nodes are resolved, for every builder."""
    from sphinx.addnodes import pending_xref

    domain = app.env.get_domain("llm")
    assert isinstance(domain, LLMDomain)
    _unique_concept_ids(domain, doctree)
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


def _unique_concept_ids(domain: LLMDomain, doctree: nodes.document) -> None:
    """singlehtml puts every page into one: of the glossaries on two pages that give a
    concept one anchor, only the link target keeps it."""
    terms: dict[str, list[nodes.Element]] = {}
    for term in doctree.findall(nodes.term):
        if term.get("llmarch_concept") and term["ids"]:
            terms.setdefault(term["ids"][0], []).append(term)
    for anchor, same in terms.items():
        if len(same) < 2:
            continue
        target = domain.concepts.get(same[0]["llmarch_concept"], ("", "", ""))
        keep = next((term for term in same if (term["llmarch_docname"], anchor) == target[:2]), same[0])
        for term in same:
            if term is not keep:
                term["ids"] = [nodes.make_id(f"{anchor}-{term['llmarch_docname']}")]
