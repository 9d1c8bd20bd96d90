"""Palette, fonts and text metrics shared by the diagram and the CSS.

Colours here are the light theme used for PDF and PNG; in HTML the stylesheet
re-maps the neutral ones through CSS classes so dark themes stay readable.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

#: The font families Graphviz tries, in order, for PNG and PDF (``llmarch_fontname``).
FONT = "Helvetica,Arial,sans-serif"
FONT_SIZE = 12.0
CALLOUT_SIZE = 12.0
SMALL_SIZE = 10.0
TITLE_SIZE = 22.0

INK = "#212529"
PANEL_FILL = "#eceef1"
BOX_FILL = "#ffffff"
DARK_BOX = "#3b3f45"
MUTED = "#6c757d"
#: The core of a detail panel (attention itself, a state update) and its convolutions.
RULE_FILL = "#fff3bf"
CONV_FILL = "#ffc9c9"
#: Outline of a box that differs between compared models (comparison diagrams).
DIFFERS = "#e8590c"


@dataclass(frozen=True)
class FamilyColour:
    block: str  # fill of the repeated block
    accent: str  # numbers in callouts, the title
    dark: str  # the accent on dark pages: llmarch.css swaps it in (a test keeps the two in step)


#: Named so a spec can pick its family's colour (``colour = "blue"``).
PALETTE = {
    "blue": FamilyColour("#a5d8ff", "#1971c2", "#4dabf7"),
    "red": FamilyColour("#ffc9c9", "#e03131", "#ff6b6b"),
    "green": FamilyColour("#b2f2bb", "#2b8a3e", "#51cf66"),
    "orange": FamilyColour("#ffd8a8", "#d9480f", "#ff922b"),
    "violet": FamilyColour("#d0bfff", "#6741d9", "#9775fa"),
    "cyan": FamilyColour("#99e9f2", "#0c8599", "#3bc9db"),
    "yellow": FamilyColour("#ffec99", "#b35c00", "#fcc419"),
    "pink": FamilyColour("#fcc2d7", "#c2255c", "#f06595"),
    "grape": FamilyColour("#eebefa", "#9c36b5", "#cc5de8"),
    "indigo": FamilyColour("#bac8ff", "#3b5bdb", "#748ffc"),
    "teal": FamilyColour("#96f2d7", "#087f5b", "#38d9a9"),
    "lime": FamilyColour("#d8f5a2", "#5c940d", "#94d82d"),
    "brown": FamilyColour("#e6d5c3", "#8a5a2b", "#c8a27c"),
    "rose": FamilyColour("#ffdeeb", "#a61e4d", "#f783ac"),
    # a blue-grey, added when every other colour had two organizations
    "steel": FamilyColour("#b8c8d8", "#52789b", "#8fb0cc"),
    "olive": FamilyColour("#e6eabc", "#66780a", "#b5c74a"),  # the 16th, when steel too had two organizations
    "slate": FamilyColour("#d9d6e8", "#5a5478", "#a9a3c9"),  # the 17th, when olive too had two organizations
}


def family_colour(family: str, name: str | None = None) -> FamilyColour:
    """The spec's named colour, else a stable pick from the family name.

    md5 rather than ``hash()``, which changes from one process to the next.
    """
    if name:
        return PALETTE[name]
    digest = hashlib.md5(family.strip().lower().encode("utf-8")).digest()
    return list(PALETTE.values())[digest[0] % len(PALETTE)]


#: Fills of further blocks (the first has the family colour), in this order, skipping
#: the family's own colour: a hybrid's Mamba, attention and MoE blocks stay apart.
_SECOND_FILLS = ("yellow", "green", "violet", "orange", "pink", "blue", "red", "cyan")


def kind_fills(colour: FamilyColour) -> list[str]:
    """Block fills for a model: its family colour first, then distinct others."""
    others = [PALETTE[name].block for name in _SECOND_FILLS if PALETTE[name].block != colour.block]
    return [colour.block, *others]


# Approximate Helvetica advance widths (fraction of the font size); generous so that
# Graphviz never has to grow a box past the size the layout planned for.
_NARROW = set("iljtfI.,:;'|!()[] ")
_WIDE = set("mwMW@%")


def text_width(text: str, size: float = FONT_SIZE, bold: bool = False) -> float:
    """Estimated width in points of ``text`` set in the diagram font."""
    width = 0.0
    for char in text:
        if unicodedata.east_asian_width(char) in "WF":  # CJK ideographs, kana, hangul, most emoji
            width += 1.0
        elif char in _NARROW:
            width += 0.30
        elif char in _WIDE:
            width += 0.88
        elif char.isupper() or char.isdigit():
            width += 0.64
        else:
            width += 0.56
    return width * size * (1.08 if bold else 1.0)
