"""``.. llm-concepts::``: the bundled glossary, or part of it, with the models that use
each concept (read off the specs, each a link to the model's place)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.util.docutils import SphinxDirective
from sphinx.util.typing import OptionSpec

from .images import note_every_model
from .warnings import warn

if TYPE_CHECKING:
    from ..model.architecture import Architecture


def names_option(argument: str | None) -> tuple[str, ...]:
    """Comma-separated names (concept ids, aliases or section titles)."""
    names = tuple(part.strip() for part in (argument or "").split(",") if part.strip())
    if not names:
        raise ValueError("give one or more names, separated by commas")
    return names


def shown_in_glossary(arch: Architecture) -> list[str]:
    """What the glossary shows of a model: its name, under the concepts it uses."""
    from ..facts.concepts import concepts_of

    return [arch.name, *sorted(concepts_of(arch))]


class LLMConceptsDirective(SphinxDirective):
    """The glossary of architecture concepts; ``:concepts:`` or ``:sections:`` pick a part.

    Links to a concept go to the whole glossary if a page shows it, else to a part;
    ``:no-index:`` draws a glossary that is no link target and has no index entries.
    """

    has_content = False
    option_spec: ClassVar[OptionSpec] = {
        "concepts": names_option,
        "sections": names_option,
        "class": directives.class_option,
        "no-index": directives.flag,
    }

    def _chosen(self) -> list[str]:
        from ..facts.concepts import find, glossary

        every = glossary()
        chosen = list(every)
        if "sections" in self.options:
            wanted = {name.lower() for name in self.options["sections"]}
            known = {concept.section.lower() for concept in every.values()}
            for name in sorted(wanted - known):
                sections = ", ".join(dict.fromkeys(concept.section for concept in every.values()))
                warn(
                    f"llm-concepts: no section {name!r} (sections: {sections})", "config", location=self.get_location()
                )
            chosen = [key for key in chosen if every[key].section.lower() in wanted]
        if "concepts" in self.options:
            picked = []
            for name in self.options["concepts"]:
                concept = find(name)
                if concept is None:
                    warn(f"llm-concepts: unknown concept {name!r}", "config", location=self.get_location())
                elif concept.id not in picked:
                    picked.append(concept.id)
            chosen = [key for key in picked if key in chosen]
        return chosen

    def run(self) -> list[nodes.Node]:
        from ..facts.concepts import GLOSSARY, glossary
        from ..facts.links import llm_links
        from .domain import ConceptPlace, LLMDomain, concept_anchor

        self.env.note_dependency(str(GLOSSARY))
        users: dict[str, list[tuple[str, str]]] = {}
        for model_id, (name, *concepts) in note_every_model(self.env, "concepts").items():
            for concept_id in concepts:
                users.setdefault(concept_id, []).append((name, model_id))
        domain = self.env.get_domain("llm")
        assert isinstance(domain, LLMDomain)
        container = nodes.container(classes=["llmarch-concepts", *self.options.get("class", [])])
        every = glossary()
        docname, indexed = self.env.docname, "no-index" not in self.options
        whole = not {"concepts", "sections"} & set(self.options)
        if indexed and whole:
            domain.note_glossary(docname, self.lineno, self.get_location())
        section = None
        entries: list[tuple[str, str, str, str, None]] = []
        for key in self._chosen():
            concept = every[key]
            if concept.section != section:
                section = concept.section
                if len(self.options.get("sections", ())) != 1:  # one section sits under the page's own heading
                    container += nodes.rubric(section, section)
                listing = nodes.definition_list(classes=["llmarch-glossary"])
                container += listing
            term = nodes.term(concept.title, concept.title)
            if indexed:
                anchor = concept_anchor(key)
                if any(place.docname == docname for place in domain.concept_places.get(key, [])):
                    # shown twice on the page: the first keeps the plain anchor
                    anchor = nodes.make_id(f"{anchor}-{self.env.new_serialno('llm-concepts')}")
                domain.note_concept(ConceptPlace(key, docname, anchor, concept.title, whole, self.lineno))
                entries.append(("single", f"{concept.title} (LLM concept)", anchor, "", None))
                term.update_all_atts({"ids": [anchor], "llmarch_concept": key, "llmarch_docname": docname})
            body = nodes.definition()
            body += nodes.paragraph(concept.summary, concept.summary)
            reference = nodes.paragraph("", "Reference: ")
            reference += nodes.reference("", concept.reference_title, refuri=concept.reference)
            body += reference
            if concept.related:
                related = nodes.paragraph("", "Related: ")
                related += llm_links([("concept", other, every[other].title) for other in concept.related])
                body += related
            models = sorted(users.get(key, []), key=lambda pair: pair[0].lower())
            used = nodes.paragraph(
                "", f"Used by {len(models)} of the models: " if models else "Used by none of the models."
            )
            used += llm_links([("model", model_id, name) for name, model_id in models])
            body += used
            listing += nodes.definition_list_item("", term, body)
        return [addnodes.index(entries=entries), container] if entries else [container]
