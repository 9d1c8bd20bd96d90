"""What the frame of a diagram is to the modules that draw beside it.

:mod:`.diagram` lays out the main column and owns the :class:`Frame`; :mod:`.columns`
(callouts, panels, strip, title) and :mod:`.ends` (inputs, towers, MTP) draw around it.
They see the frame through this protocol, so none of them imports another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from .style import family_colour, kind_fills

if TYPE_CHECKING:
    from ..kinds import Op
    from ..model.architecture import Architecture, LayerKind
    from .canvas import Canvas, Node
    from .style import FamilyColour

GAP = 22.0  # vertical space between consecutive main-column boxes
PAD = 14.0  # inner padding of clusters
COLUMN_GAP = 26.0


@dataclass
class Item:
    """A callout (``text``) or an already drawn ``node``, wanting to sit level with ``anchor``."""

    name: str
    text: str
    anchor: Node
    row: str
    wanted: float | None = None
    leader: bool = True
    cls: str = "lm-text"


@dataclass
class Block:
    """Layer kinds drawn as one block: same ops in the same places, other settings."""

    key: str
    kinds: list[tuple[LayerKind, int]]
    fill: str
    sublayer_slots: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(n for _, n in self.kinds)

    def variants(self, index: int) -> list[tuple[Op, int]]:
        return [(kind.sublayers[index].op, n) for kind, n in self.kinds]


def group_blocks(arch: Architecture) -> list[Block]:
    """One block per distinct structure, in order of first appearance, each with its fill."""
    fills = kind_fills(family_colour(arch.family, arch.colour))
    blocks: dict[tuple[object, ...], Block] = {}
    for kind, count in arch.kind_counts():
        block = blocks.get(kind.structure)
        if block is None:
            blocks[kind.structure] = Block(kind.key, [], fills[len(blocks) % len(fills)])
            block = blocks[kind.structure]
        block.kinds.append((kind, count))
    return list(blocks.values())


class Frame(Protocol):
    """The main column as the other drawing modules use it."""

    arch: Architecture
    colour: FamilyColour
    canvas: Canvas
    blocks: list[Block]
    width: float
    y: float
    left: list[Item]
    right: list[Item]
    #: Node -> the fact-sheet row that explains it (for links).
    rows: dict[str, str]
    #: Panel key -> the op that draws it and every box it may hang from.
    panel_anchors: dict[str, tuple[Op, list[str]]]
    #: Panel key -> every op its boxes stand for.
    panel_variants: dict[str, list[Op]]
    context_anchor: Node

    def main_box(self, name: str, text: str, row: str, h: float = 26, **attrs: str) -> Node: ...

    def junction(self, name: str) -> Node: ...

    def add(self, name: str) -> Node: ...
