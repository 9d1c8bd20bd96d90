"""The ``llm-arch`` directive: a model's diagram and fact sheet."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

from . import diagram, stats
from .config import SHOW_CHOICES
from .images import note_diagram
from .loader import SpecError, UnknownModelError, load_config, load_spec
from .nodes import llmarch_diagram
from .runtime import state
from .tables import diagram_links, fact_sheet
from .warnings import warn

if TYPE_CHECKING:
    from sphinx.util.typing import OptionSpec

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
        # Unique per directive, so one model shown twice on a page keeps distinct anchors.
        prefix = f"llmarch-{arch.id}-{self.env.new_serialno('llmarch')}"
        if "diagram" in show:
            if shutil.which(config.dot) is None:
                # Re-read this page on every build until Graphviz is installed, so the
                # diagram appears without the author having to touch the page.
                self.env.note_reread()
            container += self._figure(arch, diagram_links(arch, prefix) if "facts" in show else {})
        if "facts" in show:
            container += fact_sheet(arch, config.kv_context, prefix)
        return [container]

    def _figure(self, arch: Architecture, links: diagram.Links) -> nodes.Element:
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
        figure = nodes.figure("", node, classes=["llmarch-figure"])
        figure["align"] = self.options.get("align", "center")
        self.set_source_info(figure)
        caption_text = self.options.get("caption") or arch.name
        parsed, _messages = self.parse_inline(caption_text, lineno=self.lineno)
        caption = nodes.caption(caption_text, "", *parsed)
        self.set_source_info(caption)
        figure += caption
        self.add_name(figure)
        return figure
