"""The columns beside the main column: callouts, detail panels, the layer strip, the title.

Callouts and panels each want to sit level with the box they describe; a small
column packer (:func:`~.layout.pack`) keeps them there unless they would
collide. Leaders end on the column's near edge, so a leader never crosses a
neighbouring callout even when its callout had to move.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations, pairwise
from typing import TYPE_CHECKING

from ..escape import dot_html_text
from ..facts.labels import ROW_LAYERS, ROW_PARAMETERS, ROW_TITLE
from ..facts.stats import human, layer_mix, params
from ..kinds import Op, PanelContext
from .canvas import Cluster, HtmlLabel, Node, literal, pack, rich_size
from .frame import COLUMN_GAP, GAP, PAD, Item
from .style import INK, MUTED, PANEL_FILL, SMALL_SIZE, TITLE_SIZE

if TYPE_CHECKING:
    from .canvas import Canvas
    from .frame import Frame

STRIP_CELLS = 32  # layer-strip cells per row
LEGEND_WIDTH = 400.0  # the layer legend and pattern caption wrap beyond this


def place_columns(frame: Frame, box: Cluster) -> None:
    _left_column(frame, box.x0 - 12)
    _right_column(frame, box)
    _title(frame)


def _callout(frame: Frame, item: Item, x: float, align: str) -> Node:
    node = frame.canvas.text(item.name, item.text, x, 0, frame.colour.accent, align=align, cls=item.cls)
    frame.rows[node.name] = item.row
    return node


def _left_column(frame: Frame, right: float) -> None:
    """'N ×' per block, context and vocabulary callouts, right-aligned and packed."""
    nodes = [_callout(frame, item, right, "right") for item in frame.left]
    wanted = [
        (item.wanted if item.wanted is not None else item.anchor.y, node.h)
        for item, node in zip(frame.left, nodes, strict=True)
    ]
    for node, y in zip(nodes, pack(wanted, gap=14), strict=True):
        node.y = y
    for item, node in zip(frame.left, nodes, strict=True):
        if item.leader:
            frame.canvas.leader(item.anchor.name, node.name, tailport="w", headport="e")


@dataclass
class _Group:
    """Detail panels drawn as one column item: a panel and the panels of its parts above it."""

    anchor: Node
    panels: list[tuple[str, list[Node]]]
    #: (node of the panel that a part's panel details, that part's panel key)
    links: list[tuple[str, str]]

    @property
    def nodes(self) -> list[Node]:
        return [node for _, nodes in self.panels for node in nodes]

    @property
    def bottom(self) -> float:
        return min(n.bottom for n in self.nodes) - PAD

    @property
    def top(self) -> float:
        return max(n.top for n in self.nodes) + PAD


def _panel_group(frame: Frame, op: Op, anchor: Node, x0: float, details: bool) -> _Group:
    """Draw ``op``'s panel at the origin and, with ``details``, stack the panels of its
    parts above it."""
    c, accent, d = frame.canvas, frame.colour.accent, frame.arch.hidden_size
    key = op.panel_key() or ""
    context = PanelContext(d, accent, f"panel.{key}", tuple(frame.panel_variants.get(key, [op])))
    group = _Group(anchor, [(key, op.draw_panel(c, x0, context))], [])
    for part, connector in op.detail_ops() if details else []:
        part_key = part.panel_key() or ""
        width = op.detail_width(d)
        nodes = part.draw_panel(c, x0, PanelContext(width, accent, f"panel.{part_key}"), title="Expert feed forward")
        lift = group.top - min(n.bottom for n in nodes) + 2 * PAD
        for node in nodes:
            node.y += lift
        group.panels.append((part_key, nodes))
        group.links.append((f"panel.{key}.{connector}", part_key))
    return group


def _move(nodes: list[Node], dx: float, dy: float) -> None:
    for node in nodes:
        node.x += dx
        node.y += dy


def _parts_above_frame(group: _Group, box: Cluster) -> bool:
    """Move the panels of a group's parts (an MoE's expert FFN) from above its panel to
    the room above the model frame, if they fit there: the right column then ends
    near the frame's top instead of leaving the top left of the diagram empty."""
    parts = [node for _, nodes in group.panels[1:] for node in nodes]
    if not parts:
        return False
    width = max(n.right for n in parts) - min(n.left for n in parts) + 2 * PAD
    first_top = max(n.top for n in group.panels[0][1]) + PAD
    if width > box.x1 - box.x0 or first_top + 2 * PAD < box.y1:
        return False  # no room, or the panel ends below the frame's top anyway
    # left-aligned with the frame, above the output arrow and the panel it details: a page
    # too narrow for the whole diagram shows its left part first, and the panel fills it
    bottom = max(box.y1 + GAP + 20, first_top + 24)
    _move(parts, box.x0 + PAD - min(n.left for n in parts), bottom + PAD - min(n.bottom for n in parts))
    return True


def _connector_y(nodes: list[Node]) -> float:
    """Height of the connector's level run into a part's panel moved above the frame."""
    bottom = min(n.bottom for n in nodes) - PAD
    return bottom + min(40.0, (max(n.top for n in nodes) - bottom) / 2)


def _link_parts(c: Canvas, group: _Group, moved: bool) -> None:
    """Dotted connectors from a part's node in the panel (``Expert 1``) to the part's
    panel: straight up when stacked; up, then left to its right edge when moved above
    the frame."""
    for source, part_key in group.links:
        nodes = next(nodes for key, nodes in group.panels if key == part_key)
        start = c.nodes[source]
        if moved:
            y = _connector_y(nodes)
            corner = c.point(f"panel.{part_key}.corner", start.x, y)
            end = c.point(f"panel.{part_key}.link", max(n.right for n in nodes) + PAD, y)
            route = [source, corner.name, end.name]
        else:
            end = c.point(f"panel.{part_key}.link", start.x, min(n.bottom for n in nodes) - PAD)
            route = [source, end.name]
        for tail, head in pairwise(route):
            c.edge(tail, head, arrow=False, style="dotted", penwidth="1.6", **{"class": "lm-connector"})


def fit(wanted: float, height: float, taken: list[tuple[float, float]], floor: float, gap: float = 16) -> float:
    """The centre nearest ``wanted`` for a box of ``height`` that clears every
    (bottom, top) interval in ``taken`` by ``gap`` and keeps above ``floor``."""
    half = height / 2
    candidates = [wanted, floor + half]
    candidates += [top + gap + half for _, top in taken] + [bottom - gap - half for bottom, _ in taken]
    free = [
        y
        for y in candidates
        if y - half >= floor - 1e-6
        and all(y + half + gap <= bottom + 1e-6 or y - half - gap >= top - 1e-6 for bottom, top in taken)
    ]
    return min(free, key=lambda y: (abs(y - wanted), y))


@dataclass
class _Placed:
    """A panel group where the column put it: whether its parts went above the frame, and
    the vertical bands it takes in the column (its own first, then its connectors')."""

    group: _Group
    moved: bool
    bands: list[tuple[float, float]]

    @property
    def attach(self) -> float:
        """Where the leader meets the panel's near edge: level with its box if it can be."""
        first = self.group.panels[0][1]
        low, high = min(n.bottom for n in first) - PAD, max(n.top for n in first) + PAD
        return min(max(self.group.anchor.y, low + 12), high - 12)


def _place_panels(
    frame: Frame, groups: list[tuple[_Group, list[str]]], taken: list[tuple[float, float]], box: Cluster, ordered: bool
) -> list[_Placed]:
    """Put each panel group as near one of its boxes as the free room allows.

    With ``ordered``, groups go up the column in the order of their boxes, each above
    the one before, so no two panel leaders cross (at the cost of a taller column).
    """
    c, taken, floor = frame.canvas, list(taken), box.y0
    placed = []
    for group, names in groups:
        height = group.top - group.bottom
        # each box the panel could hang from, with where the panel would go for it
        options = [(fit(c.nodes[n].y + height / 2 - 40, height, taken, floor), c.nodes[n]) for n in names]
        y, group.anchor = min(options, key=lambda o: abs(o[0] - (o[1].y + height / 2 - 40)))
        _move(group.nodes, 0, y - (group.bottom + group.top) / 2)
        moved = _parts_above_frame(group, box)
        column = group.panels[0][1] if moved else group.nodes
        bands = [(min(n.bottom for n in column) - PAD, max(n.top for n in column) + PAD)]
        if moved:
            bands += [(y - 6, y + 6) for y in (_connector_y(nodes) for _, nodes in group.panels[1:])]
        taken += bands
        placed.append(_Placed(group, moved, bands))
        if ordered:
            floor = bands[0][1] + 16
    return placed


def _leaders_cross(placed: list[_Placed]) -> bool:
    """Whether two panel leaders cross: their boxes and their panels are in opposite orders."""
    return any((a.group.anchor.y - b.group.anchor.y) * (a.attach - b.attach) < 0 for a, b in combinations(placed, 2))


def _right_column(frame: Frame, box: Cluster) -> None:
    """Callouts level with their boxes; detail panels in the room left, each as near
    one of its boxes as it can be; the layer strip on top.

    Callouts come first because their leaders must stay short; a panel's dotted
    leader may run at a slant, as in the hand-drawn panels, but not across another
    panel's leader: when the nearest places would make two cross, the panels are
    placed again in the order of their boxes.
    """
    c = frame.canvas
    left = box.x1 + COLUMN_GAP
    callouts = [_callout(frame, item, left, "left") for item in frame.right]
    wanted = [(item.anchor.y, node.h) for item, node in zip(frame.right, callouts, strict=True)]
    for node, y in zip(callouts, pack(wanted, 16), strict=True):
        node.y = y
    for item, node in zip(frame.right, callouts, strict=True):
        c.leader(item.anchor.name, node.name, tailport="e", headport="w")
    taken = [(node.bottom, node.top) for node in callouts]
    # parts' panels (an MoE's expert FFN) only while the column stays about as tall as the model
    details = len(frame.panel_anchors) < 3
    groups = [
        (_panel_group(frame, op, c.nodes[names[0]], left + PAD, details), names)
        for op, names in frame.panel_anchors.values()
    ]
    drawn = {node.name: (node.x, node.y) for group, _ in groups for node in group.nodes}
    placed = _place_panels(frame, groups, taken, box, ordered=False)
    if _leaders_cross(placed):
        for name, (x, y) in drawn.items():
            c.nodes[name].x, c.nodes[name].y = x, y
        # each hangs from the box it chose before
        order = sorted((group for group, _ in groups), key=lambda group: group.anchor.y)
        placed = _place_panels(frame, [(group, [group.anchor.name]) for group in order], taken, box, ordered=True)
    for panel in placed:
        group = panel.group
        _link_parts(c, group, panel.moved)
        first, *_ = [_panel_cluster(c, key, nodes) for key, nodes in group.panels]
        point = c.point(f"panel.{group.panels[0][0]}.anchor", first.x0, panel.attach)
        c.edge(
            group.anchor.name,
            point.name,
            arrow=False,
            style="dotted",
            penwidth="1.6",
            tailport="e",
            **{"class": "lm-leader lm-panel-leader"},
        )
    strip = _strip(frame, left + PAD)
    if strip:  # above everything else in the column
        tops = [top for _, top in taken] + [top for panel in placed for _, top in panel.bands]
        lift = max(tops, default=box.y0) + 24 - min(n.bottom for n in strip)
        for node in strip:
            node.y += lift


def _panel_cluster(c: Canvas, key: str, nodes: list[Node]) -> Cluster:
    visible = [n for n in nodes if not n.name.endswith(".link")]
    return c.cluster(
        f"panel.{key}",
        visible,
        PAD,
        style="rounded,dashed,filled",
        fillcolor=PANEL_FILL,
        color=INK,
        penwidth="1.6",
        **{"class": "lm-panel"},
    )


def _strip(frame: Frame, x0: float) -> list[Node]:
    """The schedule as coloured cells (one period, or every layer of an explicit list),
    a legend with each kind's count, and the layer mix."""
    arch, c = frame.arch, frame.canvas
    schedule = arch.schedule
    if len(arch.kinds) == 1:
        return []
    fills = {kind.key: _kind_fill(frame, kind.key) for kind, _ in arch.kind_counts()}
    cell = '<td bgcolor="{}" fixedsize="true" width="12" height="14"></td>'
    cells = [cell.format(fills[key]) for key in schedule.prefix]
    if schedule.prefix and schedule.cycle:
        cells.append('<td border="0" fixedsize="true" width="6" height="14"></td>')
    cells += [cell.format(fills[key]) for key in schedule.cycle]
    if schedule.cycle:
        repeats, rest = divmod(arch.num_layers - len(schedule.prefix), len(schedule.cycle))
        # the count follows the cycle it repeats; a partial last cycle is said in words
        tail = f"× {repeats:,}" + (f", then its first {rest:,}" if rest else "")
    else:
        tail = f"all {arch.num_layers:,} layers"
    inline = len(cells) <= STRIP_CELLS
    if inline:  # one row: the count sits right after the cells it multiplies
        text_width = rich_size(tail, SMALL_SIZE, False)[0] + 8
        cells.append(
            f'<td border="0" fixedsize="true" width="{text_width:.0f}" height="14" align="left">'
            f'<font point-size="{SMALL_SIZE:g}"> {tail}</font></td>'
        )
    else:  # pad the last row so every row has the same cells
        cells += ['<td border="0" fixedsize="true" width="12" height="14"></td>'] * (-len(cells) % STRIP_CELLS)
    # fixed-size row tables: Graphviz would otherwise spread the cells to the legend's width
    rows = []
    for start in range(0, len(cells), STRIP_CELLS + inline):
        row = cells[start : start + STRIP_CELLS + inline]
        width = 16 * len(row) + 2 - (8 if 'width="6"' in "".join(row) else 0)
        if inline:
            width += text_width - 16
        rows.append(
            f'<tr><td align="left"><table align="left" fixedsize="true" width="{width:.0f}" height="20" border="0" '
            f'cellborder="1" cellspacing="2" cellpadding="0" color="{INK}"><tr>{"".join(row)}</tr></table></td></tr>'
        )
    if not inline:
        prefix = f"{len(schedule.prefix):,} first, then the cycle " if schedule.prefix and schedule.cycle else ""
        rows.append(f'<tr><td align="left"><font point-size="{SMALL_SIZE:g}">{prefix}{tail}</font></td></tr>')
    swatch = (
        '<td bgcolor="{}" border="1" fixedsize="true" width="12" height="12"></td><td align="left"> {} ×{:,}  </td>'
    )
    items = [
        (swatch.format(fills[kind.key], dot_html_text(kind.label), count), f" {kind.label} ×{count:,}  ")
        for kind, count in arch.kind_counts()
    ]
    lines = _wrap([(markup, rich_size(text, SMALL_SIZE + 2, False)[0] + 16) for markup, text in items], LEGEND_WIDTH)
    rows += [  # a table per line, so that the lines' columns do not line up with each other
        f'<tr><td align="left"><table align="left" fixedsize="true" width="{sum(w for _, w in line):.0f}" '
        f'height="16" border="0" cellborder="0" cellspacing="1" cellpadding="1">'
        f"<tr>{''.join(m for m, _ in line)}</tr></table></td></tr>"
        for line in lines
    ]
    label = HtmlLabel(f'<<table border="0" cellspacing="0" cellpadding="0">{"".join(rows)}</table>>')
    legend_width = max(sum(width for _, width in line) for line in lines)
    cells_width = min(len(cells), STRIP_CELLS) * 14 + 4 + (text_width if inline else 0)
    width = max(cells_width, legend_width)
    height = 18 * (len(rows) - 2) + 36 + (18 if inline else 0)
    strip = c.node(
        "layer_strip",
        x0 + width / 2,
        height / 2,
        width,
        height,
        label=label,
        shape="plaintext",
        fontsize=f"{SMALL_SIZE:g}",
        **{"class": "lm-strip"},
    )
    frame.rows[strip.name] = ROW_LAYERS
    parts = [
        (part, rich_size(part + " + ", SMALL_SIZE + 1, True)[0])
        # the total first: the parts alone ("3 dense + 58 MoE") leave the reader to add them up
        for part in literal(f"{arch.num_layers:,} layers: {layer_mix(arch)}").split(" + ")
    ]
    text = "\n+ ".join(" + ".join(part for part, _ in line) for line in _wrap(parts, LEGEND_WIDTH))
    caption = c.text("layer_mix", text, x0, 0, MUTED, size=SMALL_SIZE + 1, align="left")
    caption.y = strip.top + 2 + caption.h / 2
    return [caption, strip]


def _wrap(items: list[tuple[str, float]], limit: float) -> list[list[tuple[str, float]]]:
    """(thing, width) items in lines no wider than ``limit`` (a wider item gets a line of its own)."""
    lines: list[list[tuple[str, float]]] = [[]]
    for item in items:
        if lines[-1] and sum(width for _, width in lines[-1]) + item[1] > limit:
            lines.append([])
        lines[-1].append(item)
    return lines


#: Cell colours of a block's second, third, ... kind (its first kind has the block's fill).
_OTHER_KINDS = ("#ffffff", "#ced4da", "#868e96", "#495057")


def _kind_fill(frame: Frame, key: str) -> str:
    """A kind's cell colour: its block's fill, or a grey for the block's other kinds."""
    for block in frame.blocks:
        keys = [kind.key for kind, _ in block.kinds]
        if key in keys:
            index = keys.index(key)
            return block.fill if index == 0 else _OTHER_KINDS[(index - 1) % len(_OTHER_KINDS)]
    return _OTHER_KINDS[0]


def _title(frame: Frame) -> None:
    arch, c = frame.arch, frame.canvas
    top = max([n.top for n in c.nodes.values()] + [cluster.y1 for cluster in c.clusters])
    # over the model frame, which a page shows first when the diagram scrolls sideways
    model = next(cluster for cluster in c.clusters if cluster.name == "model")
    centre = (model.x0 + model.x1) / 2
    p = params(arch)
    size = f"{human(p.total)} parameters"
    if arch.is_moe:
        size += f", {human(p.active)} active"
    if arch.vision:
        size += f" + {human(p.vision)} vision"
    if arch.audio:
        size += f" + {human(p.audio)} audio"
    subtitle = c.text(
        "subtitle",
        literal(f"{size} · {arch.organization}".rstrip(" ·")),
        centre,
        0,
        INK,
        size=SMALL_SIZE + 1,
        bold=False,
    )
    subtitle.y = top + 14 + subtitle.h / 2
    frame.rows[subtitle.name] = ROW_PARAMETERS
    title = c.text("title", literal(arch.name), centre, 0, frame.colour.accent, size=TITLE_SIZE)
    title.attrs["label"] = HtmlLabel(
        f'<<font point-size="{TITLE_SIZE:g}" color="{frame.colour.accent}"><b>{dot_html_text(arch.name)}</b></font>>'
    )
    title.y = subtitle.top + 4 + title.h / 2
    frame.rows[title.name] = ROW_TITLE
