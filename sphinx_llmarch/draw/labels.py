"""The canvas's HTML-like labels, read back and laid out for the SVG writer.

The canvas writes only a few label forms (:func:`.canvas.rich_label`, the title, the
layer strip's tables), so this is a reader for those, not for Graphviz's whole
grammar: lines of styled runs, and tables of fixed-size coloured cells. Positions
follow Graphviz's own layout of the same labels (``neato -n2`` with Pango), which
``tests/test_svg.py`` checks model by model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from .style import INK, text_width


@dataclass
class Run:
    text: str
    colour: str
    size: float
    bold: bool


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)


class _TreeReader(HTMLParser):
    """The label as a tree of elements and text (entities decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("label", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {key: value or "" for key, value in attrs})
        self.stack[-1].children.append(element)
        if tag != "br":
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {key: value or "" for key, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if len(self.stack) > 1 and self.stack[-1].tag == tag:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        # Graphviz's labels double backslashes (``\\N`` is an escape there); the text is one
        self.stack[-1].children.append(data.replace("\\\\", "\\"))


def parse(label: str) -> Element:
    """The tree of an HTML-like label (``<...>``, the outer brackets included)."""
    reader = _TreeReader()
    reader.feed(label[1:-1] if label.startswith("<") and label.endswith(">") else label)
    reader.close()
    return reader.root


def lines(element: Element, colour: str, size: float, bold: bool = False) -> list[list[Run]]:
    """The text of ``element`` as lines of runs (``<br/>`` starts a line)."""
    out: list[list[Run]] = [[]]

    def walk(node: Element, colour: str, size: float, bold: bool) -> None:
        for child in node.children:
            if isinstance(child, str):
                if child:
                    out[-1].append(Run(child, colour, size, bold))
            elif child.tag == "br":
                out.append([])
            elif child.tag == "font":
                walk(
                    child,
                    child.attrs.get("color", colour),
                    float(child.attrs.get("point-size", size)),
                    bold,
                )
            else:
                walk(child, colour, size, bold or child.tag == "b")

    walk(element, colour, size, bold)
    return out


def find(element: Element, tag: str) -> list[Element]:
    """The ``tag`` elements directly or indirectly under ``element``, outermost first,
    not looking inside a match."""
    found = []
    for child in element.children:
        if isinstance(child, Element):
            if child.tag == tag:
                found.append(child)
            else:
                found += find(child, tag)
    return found


def text_align(element: Element) -> str:
    """How the lines of a label's cell line up (``balign`` or ``align``)."""
    cells = find(element, "td")
    if not cells:
        return "center"
    return cells[0].attrs.get("balign") or cells[0].attrs.get("align") or "center"


def is_table_of_tables(element: Element) -> bool:
    """Whether the label is a stack of rows holding tables (the layer strip)."""
    tables = find(element, "table")
    return bool(tables) and any(find(cell, "table") for cell in find(tables[0], "td"))


#: Where the first baseline of an HTML-like label sits under the top of its text block, and how
#: far the block's centre drops per line, by (point size, bold): Graphviz's (Pango's) metrics
#: for the sizes the diagrams use, measured once.
_HTML_FIRST = {(12.0, True): 8.6, (12.0, False): 9.6, (11.0, True): 7.3, (11.0, False): 8.3, (22.0, True): 15.6}


def html_baselines(cy: float, count: int, size: float, bold: bool) -> list[float]:
    """Baselines (y up) of ``count`` lines of ``size`` centred on ``cy`` in an HTML-like label."""
    first = _HTML_FIRST.get((size, bold), 0.78 * size - (0 if bold else -1))
    top = cy + size / 2 - first + (count - 1) * (int(size) // 2)
    return [top - index * size for index in range(count)]


def plain_baselines(cy: float, count: int, size: float) -> list[float]:
    """Baselines (y up) of a plain label's lines: Graphviz spaces them a point more than the
    font size and centres the block, the first baseline about a quarter size under the middle."""
    pitch = size + 1
    top = cy - _PLAIN_DROP.get(size, 0.26 * size) + (count - 1) * pitch / 2
    return [top - index * pitch for index in range(count)]


_PLAIN_DROP = {12.0: 3.1, 14.0: 3.7}


@dataclass
class Cell:
    """A coloured cell of the layer strip (x0, y0 at the lower left, y up)."""

    x0: float
    y0: float
    w: float
    h: float
    fill: str


@dataclass
class Placed:
    """A line of runs at a baseline; ``x`` is its left end."""

    x: float
    y: float
    runs: list[Run]


def _rows(element: Element, size: float) -> list[tuple[Element, float, float]]:
    """The layer strip's rows: (its table, or its cell of text; width; height)."""
    rows = []
    for row in find(find(element, "table")[0], "tr"):
        cell = find(row, "td")[0]
        inner = find(cell, "table")
        if inner:
            rows.append((inner[0], float(inner[0].attrs.get("width", 0)), float(inner[0].attrs.get("height", 20))))
        else:
            text = lines(cell, INK, size)[0]
            rows.append((cell, sum(text_width(run.text, run.size) for run in text), size + 1))
    return rows


def strip_size(element: Element, size: float) -> tuple[float, float]:
    """The width and height the layer strip's rows take."""
    rows = _rows(element, size)
    return max(width for _, width, _ in rows), sum(height for _, _, height in rows)


def strip_layout(element: Element, cx: float, cy: float, size: float) -> tuple[list[Cell], list[Placed]]:
    """The cells and words of the layer strip: a stack of left-aligned rows, each a table of
    cells or a line of text, the whole centred on (``cx``, ``cy``) as Graphviz centres it."""
    rows = _rows(element, size)
    left = cx - max(width for _, width, _ in rows) / 2
    y = cy + sum(height for _, _, height in rows) / 2
    cells: list[Cell] = []
    texts: list[Placed] = []
    for table, _, height in rows:
        if table.tag == "td":  # a line of text
            texts.append(Placed(left, y - height / 2 - size / 4, lines(table, INK, size)[0]))
            y -= height
            continue
        spacing, padding = float(table.attrs.get("cellspacing", 2)), float(table.attrs.get("cellpadding", 0))
        tds = [(td, lines(td, INK, size)[0]) for td in find(table, "td")]
        # a fixed-size cell is as given; a cell of text is a line (a point over its size) and its padding
        tall = max(float(td.attrs.get("height", 0)) or size + 1 + 2 * padding for td, _ in tds)
        x = left + spacing
        for td, runs in tds:
            fixed = float(td.attrs.get("width", 0))
            width = fixed or sum(text_width(run.text, run.size) for run in runs) + 2 * padding
            cell_h = float(td.attrs.get("height", 0)) or tall
            top = y - spacing - (tall - cell_h) / 2
            if "bgcolor" in td.attrs:
                cells.append(Cell(x, top - cell_h, width, cell_h, td.attrs["bgcolor"]))
            if runs:
                texts.append(Placed(x + (0 if fixed else padding), top - cell_h / 2 - size / 4, runs))
            x += width + spacing
        y -= height
    return cells, texts
