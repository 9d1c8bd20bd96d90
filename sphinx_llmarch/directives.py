"""The ``llm-arch`` directive: a model's diagram and fact sheet.

The modules that load specs and draw diagrams are imported when a page uses the
directive, not with the extension: a build that re-reads no page never pays for them.
"""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

from .config import SHOW_CHOICES
from .errors import SpecError, UnknownModelError
from .images import note_diagram, note_use
from .nodes import llmarch_diagram
from .runtime import state
from .warnings import warn

if TYPE_CHECKING:
    from sphinx.util.typing import OptionSpec

    from .diagram import Links
    from .model import Architecture


def show_option(argument: str | None) -> tuple[str, ...]:
    """``:show: diagram, facts`` (comma or space separated)."""
    items = tuple(part for part in (argument or "").replace(",", " ").split() if part)
    if not items:
        raise ValueError(f"give one or more of: {', '.join(SHOW_CHOICES)}")
    for item in items:
        if item not in SHOW_CHOICES:
            raise ValueError(f"{item!r} is not one of: {', '.join(SHOW_CHOICES)}")
    return items


class LLMArchDirective(SphinxDirective):
    """``.. llm-arch:: <model id or spec.toml>``, or ``:config: config.json`` to import one."""

    required_arguments = 0
    optional_arguments = 1
    final_argument_whitespace = False
    option_spec: ClassVar[OptionSpec] = {
        "config": directives.path,
        "show": show_option,
        "caption": directives.unchanged,
        "name": directives.unchanged,
        "align": lambda arg: directives.choice(arg, ("left", "center", "right")),
        "width": directives.length_or_percentage_or_unitless,
        "alt": directives.unchanged,
        "class": directives.class_option,
    }

    def _architecture(self) -> Architecture:
        from .loader import load_config, load_spec

        argument = self.arguments[0] if self.arguments else ""
        if "config" in self.options:  # a Hugging Face config.json, relative to the page like literalinclude
            relative, absolute = self.env.relfn2path(self.options["config"], self.env.docname)
            self.env.note_dependency(absolute)
            arch, warnings = load_config(absolute, display=relative, model_id=argument or None)
            for warning in warnings:
                warn(f"{relative}: {warning}", "import", location=self.get_location())
            return arch
        if not argument:
            raise SpecError(self.env.docname, "", "give a model id, a spec .toml or the :config: option")
        if argument.endswith(".toml"):
            relative, absolute = self.env.relfn2path(argument, self.env.docname)
            self.env.note_dependency(absolute)
            return load_spec(absolute, display=relative, lookup=state(self.env).registry.raw_spec)
        registry = state(self.env).registry
        try:
            return registry.get(argument)
        except UnknownModelError:
            if argument in registry.failed:
                raise registry.failed[argument] from None
            raise

    def run(self) -> list[nodes.Node]:
        from .tables import diagram_links, fact_rows, fact_sheet

        note_use(self.env)  # re-read when the catalog of specs changes, even after an error
        try:
            arch = self._architecture()
        except (SpecError, UnknownModelError) as error:
            subtype = "unknown_model" if isinstance(error, UnknownModelError) else "spec"
            message = str(error) if subtype == "unknown_model" else f"cannot load spec {error}"
            warn(message, subtype, location=self.get_location())
            return [nodes.error("", nodes.paragraph("", f"llm-arch: {message}"))]
        for file in arch.files:
            self.env.note_dependency(file)
        config = state(self.env).config
        show = self.options.get("show", config.default_show)
        container = nodes.container(classes=["llmarch", *self.options.get("class", [])])
        self.set_source_info(container)
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
        rows = fact_rows(arch, config.kv_context) if "facts" in show else []
        if "diagram" in show:
            if shutil.which(config.dot) is None:
                # Re-read this page on every build until Graphviz is installed, so the
                # diagram appears without the author having to touch the page.
                self.env.note_reread()
            container += self._figure(arch, diagram_links(arch, prefix, [label for label, _ in rows]) if rows else {})
        if "facts" in show:
            table = fact_sheet(rows, prefix)
            if "diagram" not in show and ("caption" in self.options or "name" in self.options):
                self._number(table, arch, nodes.title)  # a numbered table, for :numref:
            container += table
        return [container]

    def _number(self, node: nodes.Element, arch: Architecture, kind: type[nodes.TextElement]) -> None:
        """Give a figure its caption, or a table its title, and the directive's :name:."""
        text = self.options.get("caption") or arch.name
        parsed, _messages = self.parse_inline(text, lineno=self.lineno)
        caption = kind(text, "", *parsed)
        self.set_source_info(caption)
        node.insert(0 if kind is nodes.title else len(node), caption)
        self.add_name(node)

    def _figure(self, arch: Architecture, links: Links) -> nodes.Element:
        from . import diagram, stats

        dot = diagram.to_dot(arch, links)
        key = note_diagram(self.env, dot)
        alt = self.options.get("alt") or stats.describe(arch)
        summary = nodes.paragraph("", f"[diagram: {alt}]", classes=["llmarch-summary"])
        node = llmarch_diagram(
            "",
            summary,
            model=arch.id,
            dot=dot,
            key=key,
            alt=alt,
            align=self.options.get("align", "center"),
            width=self.options.get("width", ""),
        )
        self.set_source_info(node)
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
