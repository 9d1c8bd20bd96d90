"""The ``llm-arch`` directive (a model's diagram and fact sheet) and
``llm-arch-compare`` (models side by side).

The modules that load specs and draw diagrams are imported when a page uses the
directive, not with the extension: a build that re-reads no page never pays for them.
"""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

from ..errors import SpecError, UnknownModelError
from ..facts.words import word_list
from .config import SHOW_CHOICES
from .images import note_diagram, note_use
from .nodes import llmarch_diagram
from .options import width_option
from .runtime import state
from .warnings import warn

if TYPE_CHECKING:
    from sphinx.util.typing import OptionSpec

    from ..draw.diagram import Links
    from ..model.architecture import Architecture


def ids_option(argument: str | None) -> tuple[str, ...]:
    """``qwen3-8b, gpt-oss-20b`` (comma or space separated model ids)."""
    return word_list(argument, what="model ids")


def show_option(argument: str | None) -> tuple[str, ...]:
    """``:show: diagram, facts`` (comma or space separated)."""
    return word_list(argument, SHOW_CHOICES)


class LLMArchDirective(SphinxDirective):
    """``.. llm-arch:: <model id or spec.toml>``, or ``:config: config.json`` to import one."""

    required_arguments = 0
    optional_arguments = 1
    #: A spec's folder may have spaces in its name (``my specs/toy-lm.toml``); ids never do.
    final_argument_whitespace = True
    option_spec: ClassVar[OptionSpec] = {
        "config": directives.path,
        "read-as": directives.unchanged_required,
        "show": show_option,
        "caption": directives.unchanged,
        "name": directives.unchanged,
        "align": lambda arg: directives.choice(arg, ("left", "center", "right")),
        "width": width_option,
        "alt": directives.unchanged,
        "class": directives.class_option,
        "no-index": directives.flag,
        "compare": ids_option,
    }

    def _architecture(self) -> Architecture:
        from ..facts.stats import official_disagreements
        from ..spec.loader import load_config
        from ..spec.registry import load_spec

        argument = self.arguments[0] if self.arguments else ""
        registry = state(self.env).registry
        if "config" in self.options:  # a Hugging Face config.json, relative to the page like literalinclude
            relative, absolute = self.env.relfn2path(self.options["config"], self.env.docname)
            self.env.note_dependency(absolute)
            arch, warnings = load_config(absolute, relative, argument or None, self.options.get("read-as"))
            for warning in warnings:
                warn(f"{relative}: {warning}", "import", location=self.get_location())
        elif not argument:
            raise SpecError(self.env.docname, "", "give a model id, a spec .toml or the :config: option")
        elif argument.endswith(".toml"):
            relative, absolute = self.env.relfn2path(argument, self.env.docname)
            self.env.note_dependency(absolute)
            arch = load_spec(absolute, display=relative, lookup=registry.raw_spec)
            for key, problem in official_disagreements(arch):
                warn(f"{relative}: {key}: {problem}", "spec", location=self.get_location())
        else:
            return registry.model(argument)
        # the build knows this model from its file (see catalog.page_models), unless the id was taken
        if arch.id in registry and registry.get(arch.id).source_path != arch.source_path:
            warn(
                f"{relative} gives the model id {arch.id!r}, which {registry.file_of(arch.id)} already has; "
                "other pages compare and list that one (give this model another id)",
                "spec",
                location=self.get_location(),
            )
        return arch

    def run(self) -> list[nodes.Node]:
        from ..facts.tables import diagram_links, fact_rows, fact_sheet

        note_use(self.env)  # re-read when the catalog of specs changes, even after an error
        try:
            arch = self._architecture()
        except (SpecError, UnknownModelError) as error:
            return [load_error(self, error)]
        for file in arch.files:
            self.env.note_dependency(file)
        config = state(self.env).config
        show = self.options.get("show", config.default_show)
        container = nodes.container(classes=["llmarch", *self.options.get("class", [])])
        self.set_source_info(container)
        index = [] if "no-index" in self.options else self._index(arch, container)
        # Unique per directive and page, so anchors stay distinct on a page that shows a
        # model twice and when singlehtml puts every page into one.
        prefix = nodes.make_id(f"llmarch-{self.env.docname}-{arch.id}-{self.env.new_serialno('llmarch')}")
        if config.kv_context > arch.context_length:
            warn(
                f"llmarch_kv_context {config.kv_context:,} is beyond {arch.name}'s context length of "
                f"{arch.context_length:,}; its fact sheet says so",
                "config",
                location=self.get_location(),
                once=True,
            )
        rows = fact_rows(arch, config.kv_context, state(self.env).registry) if "facts" in show else []
        if "diagram" in show:
            if not state(self.env).writes_svg and shutil.which(config.dot) is None:
                # Re-read this page on every build until Graphviz is installed, so the
                # diagram appears without the author having to touch the page.
                self.env.note_reread()
            links = diagram_links(arch, prefix, [label for label, _ in rows]) if rows else {}
            figure = self._figure(arch, links)
            container += figure
            if index:  # the canonical place's diagram is the model's thumbnail in gallery grids
                self.env.get_domain("llm").note_diagram(  # type: ignore[attr-defined]
                    arch.id, self.env.docname, next(figure.findall(llmarch_diagram))["key"]
                )
        if "facts" in show:
            table = fact_sheet(rows, prefix)
            if "diagram" not in show and ("caption" in self.options or "name" in self.options):
                self._number(table, arch, nodes.title)  # a numbered table, for :numref:
            container += table
        if "compare" in self.options:
            container += compare_nodes(self, [arch.id, *self.options["compare"]], context=config.kv_context)
        return [*index, container]

    def _index(self, arch: Architecture, container: nodes.Element) -> list[nodes.Node]:
        """Make this the model's canonical place: domain entry, anchor, index entries."""
        from sphinx import addnodes

        from .domain import LLMDomain

        domain = self.env.get_domain("llm")
        assert isinstance(domain, LLMDomain)
        anchor = domain.note_model(arch, self.env.docname, self.lineno, self.get_location(), only_condition(self))
        if anchor is None:
            return []
        container["ids"].append(anchor)
        # ";" separates an index entry's levels, so it may not appear inside a name
        name, family = arch.name.replace(";", ","), arch.family.replace(";", ",")
        entries = [("single", f"{name} (LLM architecture)", anchor, "", None)]
        entries.append(("single", f"{family}; {name}", anchor, "", None))
        return [addnodes.index(entries=entries)]

    def _number(self, node: nodes.Element, arch: Architecture, kind: type[nodes.TextElement]) -> None:
        """Give a figure its caption, or a table its title, and the directive's :name:."""
        text = self.options.get("caption") or arch.name
        parsed, _messages = self.parse_inline(text, lineno=self.lineno)
        caption = kind(text, "", *parsed)
        self.set_source_info(caption)
        node.insert(0 if kind is nodes.title else len(node), caption)
        self.add_name(node)

    def _figure(self, arch: Architecture, links: Links) -> nodes.Element:
        node = diagram_node(self, arch, links)
        if "caption" not in self.options and "name" not in self.options:
            return node
        align = self.options.get("align", "center")
        # left and right stay in the flow: themes float align-left/right figures beside the text
        figure = nodes.figure("", node, classes=["llmarch-figure", f"llmarch-align-{align}"])
        if align == "center":
            figure["align"] = align
        self.set_source_info(figure)
        self._number(figure, arch, nodes.caption)
        return figure


def only_condition(directive: SphinxDirective) -> str:
    """The condition of the ``.. only::`` directives around ``directive`` ("" for none):
    a model shown there is not where other builders' links should go."""
    from sphinx import addnodes

    conditions = []
    # the node docutils is filling (an ``only`` while its content is parsed); MyST's mock has none
    node = vars(directive.state_machine).get("node")
    while node is not None:
        if isinstance(node, addnodes.only):
            conditions.append(f"({node['expr']})")
        node = node.parent
    return " and ".join(reversed(conditions))


def load_error(directive: SphinxDirective, error: SpecError | UnknownModelError) -> nodes.Element:
    """Warn at the directive and leave an error box in the page."""
    if isinstance(error, UnknownModelError):
        message = str(error)
        warn(message, "unknown_model", location=directive.get_location())
    else:
        message = f"cannot load spec {error}"
        for problem in error.every():  # one warning line per problem, each naming file and key
            warn(f"cannot load spec {problem}", "spec", location=directive.get_location())
        message += f" (and {len(error.others)} more problems)" if error.others else ""
    return nodes.error("", nodes.paragraph("", f"{directive.name}: {message}"))


def diagram_node(
    directive: SphinxDirective, arch: Architecture, links: Links, marked: frozenset[str] = frozenset()
) -> llmarch_diagram:
    """The diagram of ``arch``, its render started, with the directive's layout options."""
    from ..draw import diagram
    from ..facts import stats

    build = state(directive.env)
    draw = diagram.to_svg if build.writes_svg else diagram.to_dot
    key = note_diagram(directive.env, draw(arch, links, marked, build.config.fontname))
    alt = directive.options.get("alt") or stats.describe(arch)
    summary = nodes.paragraph("", f"[diagram: {alt}]", classes=["llmarch-summary"])
    node = llmarch_diagram(
        "",
        summary,
        model=arch.id,
        docname=directive.env.docname,
        key=key,
        alt=alt,
        align=directive.options.get("align", "center"),
        width=directive.options.get("width", ""),
    )
    directive.set_source_info(node)
    return node


def rows_option(argument: str | None) -> tuple[str, ...]:
    """``:rows:`` of ``llm-arch-compare``, checked against the rows it knows."""
    from ..facts.compare import rows_option as parse

    return parse(argument)


def compare_nodes(
    directive: SphinxDirective,
    model_ids: list[str],
    *,
    rows: tuple[str, ...] = (),
    only_differences: bool = False,
    with_summary: bool = True,
    diagrams: bool = False,
    context: int = 0,
) -> list[nodes.Node]:
    """The comparison table of ``model_ids``, the summary of their main differences and,
    with ``diagrams``, their diagrams side by side with the differing boxes marked."""
    from ..facts.compare import compare, comparison_table, summary
    from .domain import llm_xref

    archs = []
    for model_id in dict.fromkeys(model_ids):
        try:
            archs.append(state(directive.env).registry.model(model_id))
        except (SpecError, UnknownModelError) as error:
            return [load_error(directive, error)]
        for file in archs[-1].files:
            directive.env.note_dependency(file)
    comparison = compare(archs, rows, context or state(directive.env).config.kv_context)
    out: list[nodes.Node] = [comparison_table(comparison, only_differences)]
    if with_summary:
        out += summary(comparison)
    if diagrams:
        row = nodes.container(classes=["llmarch-compare-diagrams"])
        for index, arch in enumerate(archs):
            item = nodes.container(classes=["llmarch-compare-item"])
            item += nodes.paragraph("", "", llm_xref(arch.id, arch.name), classes=["llmarch-compare-name"])
            item += diagram_node(directive, arch, {}, comparison.marked_slots(index))
            row += item
        out.append(row)
    return out


class LLMArchCompareDirective(SphinxDirective):
    """``.. llm-arch-compare:: id id ...``: a table with one column per model."""

    required_arguments = 2
    optional_arguments = 10
    option_spec: ClassVar[OptionSpec] = {
        "rows": rows_option,
        "only-differences": directives.flag,
        "diagrams": directives.flag,
        "no-summary": directives.flag,
        "context": directives.positive_int,
        "caption": directives.unchanged,
        "name": directives.unchanged,
        "class": directives.class_option,
    }

    def run(self) -> list[nodes.Node]:
        note_use(self.env)
        container = nodes.container(classes=["llmarch-comparison", *self.options.get("class", [])])
        self.set_source_info(container)
        container += compare_nodes(
            self,
            [argument.strip(",") for argument in self.arguments if argument.strip(",")],
            rows=self.options.get("rows", ()),
            only_differences="only-differences" in self.options,
            with_summary="no-summary" not in self.options,
            diagrams="diagrams" in self.options,
            context=self.options.get("context", 0),
        )
        table = container[0]
        if isinstance(table, nodes.table) and ("caption" in self.options or "name" in self.options):
            text = self.options.get("caption") or "Comparison"
            parsed, _messages = self.parse_inline(text, lineno=self.lineno)
            table.insert(0, nodes.title(text, "", *parsed))
            self.add_name(table)
        return [container]
