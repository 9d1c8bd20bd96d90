"""The diagram node and one visitor per builder family.

The node holds plain data only (render key, alt text, layout options; the DOT source is
kept once, in the ``llm`` domain): doctrees are pickled and shipped to parallel write workers.
"""

from __future__ import annotations

import html
import posixpath
import re
from pathlib import Path
from typing import TYPE_CHECKING

from docutils import nodes

from ..draw.render import DotMissingError, RenderError, inline_svg
from ..escape import html_text
from .images import diagram_source
from .runtime import state
from .warnings import warn

if TYPE_CHECKING:
    from sphinx.writers.html5 import HTML5Translator
    from sphinx.writers.latex import LaTeXTranslator


class llmarch_diagram(nodes.General, nodes.Element):  # noqa: N801 (docutils node naming)
    """An architecture diagram: its render ``key`` and ``docname`` (the DOT source stays in
    the ``llm`` domain, not in every pickled doctree), ``alt``, ``model``, ``align``, ``width``.

    Its one child is a summary paragraph, which builders without images print
    and the others print only when Graphviz is missing or fails.
    """


def _render(translator: HTML5Translator | LaTeXTranslator, node: llmarch_diagram) -> Path | None:
    """The image (started when the page was read, or rendered now); on failure warn at
    the directive and return None."""
    build = state(translator.builder.env)
    assert build.image_format is not None
    try:
        dot = diagram_source(translator.builder.env, node["docname"], node["key"])
        return build.renders.result(dot, node["key"], build.image_format, build.image_dir)
    except DotMissingError as error:
        if "dot" not in build.reported:  # once, so the build's count says one
            build.reported.add("dot")
            warn(str(error), "dot", location=node)
    except RenderError as error:
        warn(f"cannot draw {node['model']!r}: {error}", "render", location=node)
    return None


def visit_html(self: HTML5Translator, node: llmarch_diagram) -> None:
    fmt = state(self.builder.env).image_format
    path = _render(self, node)
    # not the theme's align-* classes: themes float those, and the diagram shrinks to a sliver
    classes = ["llmarch-diagram", f"llmarch-align-{node.get('align') or 'center'}"]
    if node.get("width"):
        classes.append("llmarch-sized")  # scaled to the given width, not shown at natural size
    style = f' style="width: {node["width"]}"' if node.get("width") else ""
    self.body.append(f'<div class="{" ".join(classes)}"{style}>')
    if path is None:
        return  # the summary paragraph (the node's child) stands in for the image
    if fmt == "svg":
        self.body.append(link_concepts(self, inline_svg(path.read_text(encoding="utf-8"), node["alt"])))
    else:
        src = posixpath.join(self.builder.imgpath, path.name)
        self.body.append(f'<img src="{src}" alt="{self.attval(node["alt"])}" class="llmarch-png"/>')
    depart_html(self, node)
    raise nodes.SkipNode


_CONCEPT_NODE = re.compile(r'(<g class="node[^"]*lm&#45;concept&#45;([a-z0-9&#;]+)[^"]*">)(.*?)(</g>)', re.S)


def link_concepts(self: HTML5Translator, svg: str) -> str:
    """Wrap the nodes that name a concept in a link to its place in the glossary, now
    that the page being written and the glossary's page are known (left plain when no
    page shows the glossary)."""
    from .domain import LLMDomain

    domain = self.builder.env.get_domain("llm")
    assert isinstance(domain, LLMDomain)

    def link(match: re.Match[str]) -> str:
        place = domain.concepts.get(html.unescape(match.group(2)))
        if place is None:
            return match.group(0)
        uri = self.builder.get_relative_uri(self.builder.current_docname, place[0]) + "#" + place[1]
        uri = "#" + uri.rsplit("#", 1)[1] if uri.count("#") > 1 else uri  # singlehtml: one page
        anchor = f'<a xlink:href="{html_text(uri)}" xlink:title="In the glossary" target="_top">'
        return f"{match.group(1)}{anchor}{match.group(3)}</a>{match.group(4)}"

    return _CONCEPT_NODE.sub(link, svg)


def depart_html(self: HTML5Translator, node: llmarch_diagram) -> None:
    self.body.append("</div>\n")


_LATEX_ALIGN = {"left": "\\raggedright", "right": "\\raggedleft", "center": "\\centering"}


def visit_latex(self: LaTeXTranslator, node: llmarch_diagram) -> None:
    path = _render(self, node)
    if path is None:
        return  # the summary paragraph stands in for the image
    width = self.latex_image_length(node["width"]) if node.get("width") else None
    options = f"width={width}" if width else "width=\\linewidth"
    options += ",height=0.8\\textheight,keepaspectratio"
    align = _LATEX_ALIGN[node.get("align") or "center"]
    image = f"\\sphinxincludegraphics[{options}]{{{{{path.stem}}}{path.suffix}}}"
    self.body.append(f"\n{{{align}{image}\\par}}\n")
    raise nodes.SkipNode


def show_summary(self: nodes.NodeVisitor, node: llmarch_diagram) -> None:
    """Let the builder print the node's child, the one-sentence summary paragraph
    (always for text, man and texinfo; for latex when there is no image)."""


def _needs_script(node: nodes.Node) -> bool:
    if isinstance(node, llmarch_diagram):
        return True
    return isinstance(node, nodes.Element) and bool({"llmarch-grid", "llmarch-sortable"} & set(node["classes"]))


def add_page_script(app: object, pagename: str, templatename: str, context: dict[str, object], doctree: object) -> None:
    """The script (zoom, grid search and chips, sortable tables), on the pages that
    need it only."""
    if isinstance(doctree, nodes.Node) and next(doctree.findall(_needs_script), None) is not None:
        app.add_js_file("llmarch.js", loading_method="defer")  # type: ignore[attr-defined]


VISITORS = {
    "html": (visit_html, depart_html),
    "latex": (visit_latex, show_summary),
    "text": (show_summary, show_summary),
    "man": (show_summary, show_summary),
    "texinfo": (show_summary, show_summary),
}
