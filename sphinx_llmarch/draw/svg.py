"""The diagram canvas written straight to SVG, without Graphviz.

Every position is already fixed on the :class:`.Canvas`; Graphviz (``neato -n2``) only
draws it. This writer draws the same picture in Python: the same elements, classes,
links and coordinates as Graphviz's SVG, so :func:`.render.inline_svg`, the glossary
links and the stylesheet work on either, and html builds need no ``dot``.
``tests/test_svg.py`` compares its geometry with Graphviz's for every bundled model.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..escape import html_text
from . import labels
from .canvas import HtmlLabel
from .style import FONT, FONT_SIZE, INK, text_width

if TYPE_CHECKING:
    from .canvas import Canvas, Cluster, Node

#: Graphviz's ``pad`` (0.1 inch) around the drawing.
PAD = 7.2
#: An arrowhead's length and half-width at ``arrowsize=1`` (Graphviz's "normal").
ARROW_LENGTH, ARROW_HALF = 10.0, 3.5
EDGE_PEN, NODE_PEN, ARROW_SIZE = 1.3, 1.2, 0.7
#: Dash patterns of Graphviz's SVG output.
DASHES = {"dashed": "5,2", "dotted": "1,5"}


def num(value: float) -> str:
    """A coordinate as Graphviz writes it: at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


class Shape:
    """A node as drawn: centre and size rounded as the DOT file gives them to Graphviz,
    and grown as Graphviz grows them (whole points for boxes, a circle round its symbol)."""

    def __init__(self, node: Node, dx: float, dy: float) -> None:
        self.node, self.attrs = node, node.attrs
        self.x, self.y = round(node.x + dx, 1), round(node.y + dy, 1)
        self.shape = node.attrs.get("shape", "ellipse")
        label, size = node.attrs.get("label", ""), float(node.attrs.get("fontsize", FONT_SIZE))
        w, h = round(node.w / 72, 3) * 72, round(node.h / 72, 3) * 72
        if self.shape == "box":  # grown to its lines and Graphviz's margin (4 points above and below)
            h = max(h, (label.count("\n") + 1) * (size + 1) + 8)
        elif self.shape == "circle":  # Graphviz fits the symbol's line box (a point taller than its size)
            w = h = max(w, (size + 1) * math.sqrt(2))
        elif isinstance(label, HtmlLabel) and node.attrs.get("margin") != "0":
            tree = labels.parse(label)
            if labels.is_table_of_tables(tree):  # the strip: its rows and margin (8 points a side, 4 above, below)
                width, height = labels.strip_size(tree, size)
                w, h = max(w, width + 16), max(h, height + 8)
        if self.shape in ("box", "plaintext"):
            w, h = float(round(w)), float(round(h))
        self.w, self.h = w, h

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return self.x - self.w / 2, self.y - self.h / 2, self.x + self.w / 2, self.y + self.h / 2

    def port(self, name: str) -> tuple[float, float] | None:
        """The point a compass port names (``e``, ``sw``, ...); None without one."""
        if not name:
            return None
        x0, y0, x1, y1 = self.bounds
        x = x1 if "e" in name else x0 if "w" in name else self.x
        y = y1 if "n" in name else y0 if "s" in name else self.y
        return x, y

    def clip(self, towards: tuple[float, float]) -> tuple[float, float]:
        """Where the line from the centre to ``towards`` leaves the node's outline."""
        ux, uy = towards[0] - self.x, towards[1] - self.y
        length = math.hypot(ux, uy)
        if length == 0:
            return self.x, self.y
        if self.shape in ("circle", "point", "ellipse"):
            t = min(1.0, self.w / 2 / length)
        else:
            tx = self.w / 2 / abs(ux) if ux else math.inf
            ty = self.h / 2 / abs(uy) if uy else math.inf
            t = min(1.0, tx, ty)
        return self.x + ux * t, self.y + uy * t


class Writer:
    """One diagram's SVG, built element by element (y grows up until :meth:`pt`)."""

    def __init__(self, canvas: Canvas, name: str, margin: float, font: str) -> None:
        self.canvas, self.name, self.font = canvas, name, font
        dx, dy = canvas.offset(margin)
        self.shapes = {key: Shape(node, dx, dy) for key, node in canvas.nodes.items()}
        self.clusters = [
            (cluster, tuple(round(v, 1) for v in (cluster.x0 + dx, cluster.y0 + dy, cluster.x1 + dx, cluster.y1 + dy)))
            for cluster in canvas.clusters
        ]
        bounds = [shape.bounds for shape in self.shapes.values()] + [bb for _, bb in self.clusters]
        self.x0, self.y0 = min(b[0] for b in bounds), min(b[1] for b in bounds)
        self.width = max(b[2] for b in bounds) - self.x0
        self.height = max(b[3] for b in bounds) - self.y0
        self.out: list[str] = []

    def pt(self, x: float, y: float) -> str:
        """A point in SVG user space (Graphviz's: y down from the drawing's top, negated)."""
        return f"{num(x - self.x0)},{num(-(y - self.y0))}"

    def write(self) -> str:
        w, h = self.width + 2 * PAD, self.height + 2 * PAD
        self.out += [
            '<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
            f'<svg width="{w:.0f}pt" height="{h:.0f}pt"',
            f' viewBox="0.00 0.00 {w:.2f} {h:.2f}" xmlns="http://www.w3.org/2000/svg" '
            'xmlns:xlink="http://www.w3.org/1999/xlink">',
            f'<g id="graph0" class="graph" transform="scale(1 1) rotate(0) '
            f'translate({num(PAD)} {num(self.height + PAD)})">',
            f"<title>{html_text(self.name)}</title>",
        ]
        for index, (cluster, bb) in enumerate(self.clusters, 1):
            self.cluster(index, cluster, bb)
        for index, (tail, head, attrs) in enumerate(self.canvas.edges, 1):
            self.edge(index, tail, head, attrs)
        for index, shape in enumerate(self.shapes.values(), 1):
            if "invis" not in shape.attrs.get("style", ""):
                self.node(index, shape)
        self.out += ["</g>", "</svg>", ""]
        return "\n".join(self.out)

    def group(self, kind: str, ident: str, attrs: dict[str, str], title: str) -> None:
        cls = html_text(" ".join([kind, attrs.get("class", "")]).strip())
        # hyphens as Graphviz writes them, which the glossary links look for (nodes.link_concepts)
        self.out.append(f'<g id="{ident}" class="{cls.replace("-", "&#45;")}">')
        self.out.append(f"<title>{html_text(title)}</title>")

    def paint(self, attrs: dict[str, str], pen: float, filled: bool) -> str:
        """The fill, stroke, width and dash attributes of a shape."""
        style = attrs.get("style", "").split(",")
        fill = html_text(attrs.get("fillcolor", "lightgrey")) if filled and "filled" in style else "none"
        paint = f'fill="{fill}" stroke="{html_text(attrs.get("color", "black"))}"'
        width = float(attrs.get("penwidth", pen))
        if width != 1:
            paint += f' stroke-width="{num(width)}"'
        for name, dashes in DASHES.items():
            if name in style:
                paint += f' stroke-dasharray="{dashes}"'
        return paint

    def rect(self, bb: tuple[float, float, float, float], attrs: dict[str, str], pen: float) -> str:
        """A box outline: a rounded path (Graphviz's corner, a third of the short side up to
        12 points, halved) or a plain polygon."""
        x0, y0, x1, y1 = bb
        paint = self.paint(attrs, pen, True)
        if "rounded" not in attrs.get("style", ""):
            points = " ".join(self.pt(x, y) for x, y in ((x1, y1), (x0, y1), (x0, y0), (x1, y0), (x1, y1)))
            return f'<polygon {paint} points="{points}"/>'
        r = min(12.0, (x1 - x0) / 3, (y1 - y0) / 3) / 2
        p = self.pt
        d = (
            f"M{p(x0 + r, y1)}L{p(x1 - r, y1)}Q{p(x1, y1)} {p(x1, y1 - r)}L{p(x1, y0 + r)}"
            f"Q{p(x1, y0)} {p(x1 - r, y0)}L{p(x0 + r, y0)}Q{p(x0, y0)} {p(x0, y0 + r)}"
            f"L{p(x0, y1 - r)}Q{p(x0, y1)} {p(x0 + r, y1)}Z"
        )
        return f'<path {paint} d="{d}"/>'

    def cluster(self, index: int, cluster: Cluster, bb: tuple[float, ...]) -> None:
        self.group("cluster", f"clust{index}", cluster.attrs, f"cluster_{cluster.name}")
        self.out += [self.rect(bb, cluster.attrs, 1.0), "</g>"]  # type: ignore[arg-type]

    def edge(self, index: int, tail: str, head: str, attrs: dict[str, str]) -> None:
        t, h = self.shapes[tail], self.shapes[head]
        start, end = t.port(attrs.get("tailport", "")), h.port(attrs.get("headport", ""))
        start = start or t.clip(end or (h.x, h.y))
        end = end or h.clip(start)
        ports = [f":{attrs[port]}" if port in attrs else "" for port in ("tailport", "headport")]
        self.group("edge", f"edge{index}", attrs, f"{tail}{ports[0]}->{head}{ports[1]}")
        arrow = attrs.get("arrowhead", "normal") != "none"
        length = math.hypot(end[0] - start[0], end[1] - start[1])
        size = float(attrs.get("arrowsize", ARROW_SIZE)) * ARROW_LENGTH
        ux, uy = ((end[0] - start[0]) / length, (end[1] - start[1]) / length) if length else (0.0, 0.0)
        base = (end[0] - ux * size, end[1] - uy * size)
        # an edge shorter than its arrowhead keeps the whole head, as Graphviz draws it
        stop = (base if length > size else start) if arrow else end
        attrs = {"color": INK, "penwidth": str(EDGE_PEN), **attrs}
        self.out.append(f'<path {self.paint(attrs, EDGE_PEN, False)} d="M{self.pt(*start)}L{self.pt(*stop)}"/>')
        if arrow:
            half = size * ARROW_HALF / ARROW_LENGTH
            corners = [(base[0] - uy * half, base[1] + ux * half), end, (base[0] + uy * half, base[1] - ux * half)]
            head_paint = self.paint({**attrs, "style": "filled", "fillcolor": attrs["color"]}, EDGE_PEN, True)
            points = " ".join(self.pt(*c) for c in [*corners, corners[0]])
            self.out.append(f'<polygon {head_paint} points="{points}"/>')
        self.out.append("</g>")

    def node(self, index: int, shape: Shape) -> None:
        attrs = shape.attrs
        self.group("node", f"node{index}", attrs, shape.node.name)
        link = attrs.get("URL")
        if link:
            tip = f' xlink:title="{html_text(attrs["tooltip"])}"' if "tooltip" in attrs else ""
            target = f' target="{html_text(attrs["target"])}"' if "target" in attrs else ""
            self.out.append(f'<g id="a_node{index}"><a xlink:href="{html_text(link)}"{tip}{target}>')
        if shape.shape == "box":
            self.out.append(self.rect(shape.bounds, attrs, NODE_PEN))
        elif shape.shape in ("circle", "point"):
            r = shape.w / 2
            self.out.append(
                f"<ellipse {self.paint({'style': 'filled', **attrs}, NODE_PEN, True)} "
                f'cx="{num(shape.x - self.x0)}" cy="{num(-(shape.y - self.y0))}" rx="{num(r)}" ry="{num(r)}"/>'
            )
        self.label(shape)
        if link:
            self.out.append("</a>")
            self.out.append("</g>")
        self.out.append("</g>")

    def label(self, shape: Shape) -> None:
        label, attrs = shape.attrs.get("label", ""), shape.attrs
        size = float(attrs.get("fontsize", FONT_SIZE))
        colour = attrs.get("fontcolor", INK)
        if shape.shape == "point":
            return
        if not isinstance(label, HtmlLabel):
            lines = label.split("\n")
            for text, y in zip(lines, labels.plain_baselines(shape.y, len(lines), size), strict=True):
                self.text(shape.x, y, "middle", [labels.Run(text, colour, size, False)])
            return
        tree = labels.parse(label)
        if labels.is_table_of_tables(tree):
            cells, texts = labels.strip_layout(tree, shape.x, shape.y, size)
            for cell in cells:
                bb = (cell.x0, cell.y0, cell.x0 + cell.w, cell.y0 + cell.h)
                self.out.append(self.rect(bb, {"style": "filled", "fillcolor": cell.fill, "color": INK}, 1.0))
            for placed in texts:
                self.text(placed.x, placed.y, "start", placed.runs)
            return
        lines = [line or [labels.Run(" ", colour, size, False)] for line in labels.lines(tree, colour, size)]
        align = labels.text_align(tree)
        first = lines[0][0]
        baselines = labels.html_baselines(shape.y, len(lines), first.size, first.bold)
        # Graphviz centres the block of lines and aligns them in it: its width here is estimated
        width = max(sum(text_width(run.text, run.size, run.bold) for run in line) for line in lines)
        x, anchor = {"left": (shape.x - width / 2, "start"), "right": (shape.x + width / 2, "end")}.get(
            align, (shape.x, "middle")
        )
        for runs, y in zip(lines, baselines, strict=True):
            self.text(x, y, anchor, runs)

    def text(self, x: float, y: float, anchor: str, runs: list[labels.Run]) -> None:
        """One line: a ``<text>`` in the first run's colour, a ``<tspan>`` for each other run."""
        first = runs[0]
        font = f'font-family="{html_text(self.font)}" font-size="{first.size:.2f}"'
        weight = ' font-weight="bold"' if all(run.bold for run in runs) else ""
        spans = []
        for run in runs:
            extra = f' fill="{html_text(run.colour)}"' if run.colour != first.colour else ""
            extra += ' font-weight="bold"' if run.bold and not weight else ""
            body = html_text(run.text)
            spans.append(f"<tspan{extra}>{body}</tspan>" if extra else body)
        self.out.append(
            f'<text text-anchor="{anchor}" x="{num(x - self.x0)}" y="{num(-(y - self.y0))}" {font}{weight} '
            f'fill="{html_text(first.colour)}">{"".join(spans)}</text>'
        )


def to_svg(canvas: Canvas, name: str, margin: float = 12, font: str = FONT) -> str:
    """The canvas as an SVG document, drawn as ``neato -n2 -Tsvg`` draws its graph."""
    return Writer(canvas, name, margin, font).write()
