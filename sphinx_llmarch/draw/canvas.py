"""A tiny fixed-position canvas that becomes a Graphviz graph.

The panel grammar (a straight main column, side inputs, callouts, detail panels)
is fixed, so positions are computed here and Graphviz only routes straight edges
and draws (``neato -n2``). That keeps every diagram's layout predictable and
testable, where ``dot``'s rank assignment kept pulling callouts away from their
nodes.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..escape import dot_html_text
from .style import CALLOUT_SIZE, FONT, FONT_SIZE, INK, RULE_FILL, text_width

if TYPE_CHECKING:
    import graphviz

#: Rich text: ``{...}`` is drawn in the accent colour; ``{{`` and ``}}`` are literal braces.
_RICH = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def literal(text: str) -> str:
    """``text`` (a name from a spec, say) as rich text that draws exactly those characters."""
    return text.replace("{", "{{").replace("}", "}}")


def _plain(text: str) -> str:
    """What a line of rich text shows, without its markup."""
    return _RICH.sub(lambda match: match.group(1) if match.group(1) is not None else match.group(0)[0], text)


class HtmlLabel(str):
    """A Graphviz HTML-like label (``<...>``) built here from escaped parts.

    Every other attribute value is plain text and is escaped when the graph is made
    (:meth:`Canvas.to_graphviz`), so text from a spec never becomes DOT or HTML markup.
    """

    __slots__ = ()


def dot_value(value: str) -> str:
    """An attribute value for the graphviz package: HTML-like labels as they are, anything
    else as literal text (backslashes doubled, never read as an HTML-like label)."""
    import graphviz

    return value if isinstance(value, HtmlLabel) else graphviz.escape(value)


@dataclass
class Node:
    name: str
    x: float
    y: float
    w: float
    h: float
    attrs: dict[str, str] = field(default_factory=dict)

    @property
    def top(self) -> float:
        return self.y + self.h / 2

    @property
    def bottom(self) -> float:
        return self.y - self.h / 2

    @property
    def left(self) -> float:
        return self.x - self.w / 2

    @property
    def right(self) -> float:
        return self.x + self.w / 2


@dataclass
class Cluster:
    name: str
    x0: float
    y0: float
    x1: float
    y1: float
    attrs: dict[str, str]


def rich_label(text: str, accent: str, size: float = CALLOUT_SIZE, bold: bool = True, align: str = "center") -> str:
    """HTML-like label: lines split on newlines, ``{...}`` spans in the accent colour."""
    lines = []
    for line in text.split("\n"):
        parts, last = [], 0
        for match in _RICH.finditer(line):
            parts.append(dot_html_text(line[last : match.start()]))
            if match.group(1) is None:  # a doubled brace
                parts.append(match.group(0)[0])
            else:
                parts.append(f'<font color="{accent}">{dot_html_text(match.group(1))}</font>')
            last = match.end()
        parts.append(dot_html_text(line[last:]))
        body = "".join(parts) or " "
        lines.append(f"<b>{body}</b>" if bold else body)
    body = f'<font point-size="{size:g}">{"<br/>".join(lines)}</font>'
    return HtmlLabel(
        f'<<table border="0" cellpadding="0" cellspacing="0"><tr><td balign="{align}">{body}</td></tr></table>>'
    )


def rich_size(text: str, size: float = CALLOUT_SIZE, bold: bool = True) -> tuple[float, float]:
    """Planned (width, height) in points of a :func:`rich_label`."""
    lines = _plain(text).split("\n")
    width = max(text_width(line, size, bold) for line in lines)
    return width + 8, len(lines) * size * 1.2 + 6


class Canvas:
    """Nodes with pinned centres, straight edges and rectangular clusters."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.edges: list[tuple[str, str, dict[str, str]]] = []
        self.clusters: list[Cluster] = []

    def node(self, name: str, x: float, y: float, w: float, h: float, **attrs: str) -> Node:
        if name in self.nodes:
            raise ValueError(f"duplicate diagram node {name!r}")
        self.nodes[name] = node = Node(name, x, y, w, h, attrs)
        return node

    def box(
        self,
        name: str,
        text: str,
        x: float,
        y: float,
        *,
        w: float = 0,
        h: float = 26,
        cls: str = "lm-box",
        **attrs: str,
    ) -> Node:
        w = max(w, max(text_width(line) for line in text.split("\n")) + 22)
        style = {
            "label": text,
            "shape": "box",
            "style": "rounded,filled",
            "fillcolor": "#ffffff",
            "color": INK,
            "class": cls,
        }
        return self.node(name, x, y, w, h, **{**style, **attrs})

    def text(
        self,
        name: str,
        text: str,
        x: float,
        y: float,
        accent: str,
        *,
        size: float = CALLOUT_SIZE,
        bold: bool = True,
        align: str = "center",
        cls: str = "lm-text",
    ) -> Node:
        """A plain text node; ``align`` says which edge ``x`` refers to."""
        w, h = rich_size(text, size, bold)
        cx = x + w / 2 if align == "left" else x - w / 2 if align == "right" else x
        label = rich_label(text, accent, size, bold, align)
        return self.node(name, cx, y, w, h, label=label, shape="plaintext", margin="0", **{"class": cls})

    def point(self, name: str, x: float, y: float, *, visible: bool = False) -> Node:
        size = 5.0 if visible else 0.5
        attrs = {"shape": "point", "class": "lm-junction" if visible else "lm-anchor"}
        if not visible:
            attrs["style"] = "invis"
        return self.node(name, x, y, size, size, color=INK, fillcolor=INK, **attrs)

    def circle(self, name: str, symbol: str, x: float, y: float) -> Node:
        return self.node(
            name,
            x,
            y,
            20,
            20,
            label=symbol,
            shape="circle",
            style="filled",
            fillcolor="#ffffff",
            color=INK,
            fontsize="14",
            margin="0",
            **{"class": "lm-op"},
        )

    def edge(self, tail: str, head: str, *, arrow: bool = True, **attrs: str) -> None:
        if not arrow:
            attrs.setdefault("arrowhead", "none")
        self.edges.append((tail, head, attrs))

    def leader(self, tail: str, head: str, **ports: str) -> None:
        """A dotted line tying a callout or panel to what it describes."""
        self.edge(tail, head, arrow=False, style="dotted", penwidth="1.6", **{"class": "lm-leader"}, **ports)

    def cluster(
        self, name: str, members: list[Node], pad: float, inner: tuple[Cluster, ...] = (), **attrs: str
    ) -> Cluster:
        """A rectangle ``pad`` outside its member nodes and any ``inner`` clusters."""
        boxes = [(n.left, n.bottom, n.right, n.top) for n in members]
        boxes += [(c.x0, c.y0, c.x1, c.y1) for c in inner]
        cluster = Cluster(
            name,
            min(b[0] for b in boxes) - pad,
            min(b[1] for b in boxes) - pad,
            max(b[2] for b in boxes) + pad,
            max(b[3] for b in boxes) + pad,
            attrs,
        )
        self.clusters.append(cluster)
        return cluster

    def offset(self, margin: float) -> tuple[float, float]:
        """The shift that puts the drawing's lower left corner at (``margin``, ``margin``)."""
        xs = [n.left for n in self.nodes.values()] + [c.x0 for c in self.clusters]
        ys = [n.bottom for n in self.nodes.values()] + [c.y0 for c in self.clusters]
        return margin - min(xs), margin - min(ys)

    def to_graphviz(self, name: str, margin: float = 12, font: str = FONT) -> graphviz.Digraph:
        """Shift everything to positive coordinates and emit the pinned graph; ``font`` is
        the families Graphviz tries (comma-separated), for names in other scripts."""
        import graphviz  # only pages that draw need it; reading a model does not

        dx, dy = self.offset(margin)
        graph = graphviz.Digraph(name=name, comment="render with: neato -n2 -Tsvg")
        graph.attr(
            "graph",
            layout="neato",
            splines="line",
            outputorder="edgesfirst",
            bgcolor="transparent",
            fontname=font,
            pad="0.1",
        )
        graph.attr("node", fontname=font, fontsize=f"{FONT_SIZE:g}", fontcolor=INK, penwidth="1.2")
        graph.attr("edge", color=INK, arrowsize="0.7", penwidth="1.3")
        for cluster in self.clusters:
            with graph.subgraph(name=f"cluster_{cluster.name}") as sub:
                bb = (cluster.x0 + dx, cluster.y0 + dy, cluster.x1 + dx, cluster.y1 + dy)
                sub.attr(bb=",".join(f"{v:.1f}" for v in bb), **_escaped(cluster.attrs))
        for node in self.nodes.values():
            graph.node(
                node.name,
                pos=f"{node.x + dx:.1f},{node.y + dy:.1f}!",
                width=f"{node.w / 72:.3f}",
                height=f"{node.h / 72:.3f}",
                **_escaped(node.attrs),
            )
        for tail, head, attrs in self.edges:
            graph.edge(tail, head, **_escaped(attrs))
        return graph


def _escaped(attrs: dict[str, str]) -> dict[str, str]:
    return {key: dot_value(value) for key, value in attrs.items()}


def pack(items: list[tuple[float, float]], gap: float = 8) -> list[float]:
    """Place boxes (wanted centre y, height) in one column without overlaps.

    Boxes keep their order and move as little as they can: the sum of squared
    moves is minimal (pool-adjacent-violators over the boxes' order), so a box
    stays level with its node unless it would collide, and a run of colliding
    boxes spreads around the places they want instead of climbing away.
    """
    order = sorted(range(len(items)), key=lambda i: items[i][0])
    offsets, total = [], 0.0
    for rank, i in enumerate(order):
        if rank:
            total += (items[order[rank - 1]][1] + items[i][1]) / 2 + gap
        offsets.append(total)
    # isotonic regression of (wanted - offset): pools of (sum, count), merged while decreasing
    pools: list[list[float]] = []
    for rank, i in enumerate(order):
        pools.append([items[i][0] - offsets[rank], 1])
        while len(pools) > 1 and pools[-2][0] / pools[-2][1] > pools[-1][0] / pools[-1][1]:
            value, count = pools.pop()
            pools[-1][0] += value
            pools[-1][1] += count
    placed = [0.0] * len(items)
    rank = 0
    for value, count in pools:
        for _ in range(int(count)):
            placed[order[rank]] = value / count + offsets[rank]
            rank += 1
    return placed


class Grid:
    """Draws a detail panel on a grid: columns left to right, rows bottom to top.

    Panels are small fixed figures (an FFN, a router and its experts, a gated
    attention), so each is a few declarative lines: place boxes in cells, join
    them. Node names are ``<prefix>.<slot>``, which keeps every drawn slot's key
    stable from one model to the next.
    """

    def __init__(self, canvas: Canvas, prefix: str, x0: float, y0: float = 0.0, col: float = 130, row: float = 44):
        self.canvas, self.prefix = canvas, prefix
        self.x0, self.y0, self.col, self.row = x0, y0, col, row
        self.nodes: list[Node] = []

    def name(self, slot: str) -> str:
        return f"{self.prefix}.{slot}"

    def x(self, col: float) -> float:
        return self.x0 + col * (self.col + 24) + self.col / 2

    def y(self, row: float) -> float:
        return self.y0 + row * self.row

    def _keep(self, node: Node) -> Node:
        self.nodes.append(node)
        return node

    def box(self, slot: str, text: str, col: float, row: float, *, w: float = 0, **attrs: str) -> Node:
        h = 26 + 14 * text.count("\n")
        node = self.canvas.box(self.name(slot), text, self.x(col), self.y(row), w=w or self.col, h=h, **attrs)
        return self._keep(node)

    def wide(self, slot: str, text: str, first: float, last: float, row: float, **attrs: str) -> Node:
        """A box spanning columns ``first`` to ``last``: its corners sit over their centres,
        so edges from those columns can end on its ``sw``, ``s`` and ``se`` ports."""
        node = self.canvas.box(self.name(slot), text, (self.x(first) + self.x(last)) / 2, self.y(row), **attrs)
        node.w = max(node.w, self.x(last) - self.x(first))
        node.attrs.setdefault("fillcolor", RULE_FILL)
        node.attrs["class"] = "lm-box lm-rule"
        return self._keep(node)

    def into(self, head: str, *tails: str) -> None:
        """Edges from ``tails`` (left to right) into the bottom of the wide box ``head``."""
        ports = {1: ["s"], 2: ["sw", "se"], 3: ["sw", "s", "se"]}[len(tails)]
        for tail, port in zip(tails, ports, strict=True):
            self.edge(tail, head, headport=port)

    def circle(self, slot: str, symbol: str, col: float, row: float) -> Node:
        return self._keep(self.canvas.circle(self.name(slot), symbol, self.x(col), self.y(row)))

    def fan_in(self, *cols: float) -> None:
        """The panel's input: a point under each column, joined, with the first one named ``in``."""
        for index, col in enumerate(cols):
            self.point("in" if index == 0 else f"in{index}", col, 0)
            if index:
                self.edge("in" if index == 1 else f"in{index - 1}", f"in{index}", arrow=False)

    def output(self, tail: str, col: float) -> Node:
        """An arrow up out of ``tail``, the panel's output."""
        top = max(n.top for n in self.nodes)
        node = self.point("out", col, (top + 26 - self.y0) / self.row)
        self.edge(tail, "out")
        return node

    def point(self, slot: str, col: float, row: float) -> Node:
        return self._keep(self.canvas.point(self.name(slot), self.x(col), self.y(row)))

    def text(self, slot: str, text: str, col: float, row: float, colour: str, **options: Any) -> Node:
        return self._keep(self.canvas.text(self.name(slot), text, self.x(col), self.y(row), colour, **options))

    def edge(self, tail: str, head: str, **attrs: Any) -> None:
        self.canvas.edge(self.name(tail), self.name(head), **attrs)

    def chain(self, *slots: str) -> None:
        """Arrows from each slot to the next."""
        for tail, head in itertools.pairwise(slots):
            self.edge(tail, head)

    def caption(self, slot: str, text: str, colour: str) -> Node:
        """The panel's title, left-aligned above everything drawn so far."""
        top = max(n.top for n in self.nodes)
        node = self.canvas.text(self.name(slot), text, self.x0, 0, colour, align="left")
        node.y = top + 10 + node.h / 2
        return self._keep(node)

    def info(self, slot: str, text: str, accent: str) -> Node:
        """The numbers under the drawing (``{...}`` in the accent colour)."""
        bottom = min(n.bottom for n in self.nodes)
        node = self.canvas.text(self.name(slot), text, self.x0, 0, accent, align="left")
        node.y = bottom - 12 - node.h / 2
        return self._keep(node)
