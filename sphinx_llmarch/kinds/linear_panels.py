"""The detail panel shared by the delta-rule linear attentions (Gated DeltaNet, KDA)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..draw.canvas import Grid
from ..draw.style import CONV_FILL, INK
from .base import PanelContext

if TYPE_CHECKING:
    from ..draw.canvas import Canvas, Node


def delta_rule_panel(
    canvas: Canvas, x0: float, ctx: PanelContext, title: str, rule: str, gate: str, info: str, decay: str = "α, β"
) -> list[Node]:
    """Q and K through a short convolution and L2 norm, V through a convolution,
    the decay and step-size projections, the delta-rule state update, a gated
    RMSNorm and the output projection."""
    g = Grid(canvas, ctx.prefix, x0, col=116)
    g.fan_in(0, 1, 2, 3)
    g.box("qk", "Linear (Q, K)", 0, 1)
    g.box("v", "Linear (V)", 1, 1)
    g.box("decay", f"Linear ({decay})", 2, 1)
    g.box("gate", "Linear (gate)", 3, 1)
    g.box("qk_conv", "Conv + SiLU", 0, 2, cls="lm-box lm-conv", fillcolor=CONV_FILL)
    g.box("v_conv", "Conv + SiLU", 1, 2, cls="lm-box lm-conv", fillcolor=CONV_FILL)
    g.box("l2", "L2 norm", 0, 3)
    g.wide("rule", rule, 0, 2, 4)
    g.box("norm", "RMSNorm", 1, 5)
    g.circle("mul", "×", 1, 6)
    g.circle("sigma", "σ", 3, 5)
    g.point("gate_corner", 3, 6)
    g.box("proj", "Linear layer", 1, 7)
    g.chain("in", "qk", "qk_conv", "l2")
    g.chain("in1", "v", "v_conv")
    g.chain("in2", "decay")
    g.chain("in3", "gate", "sigma")
    g.into("rule", "l2", "v_conv", "decay")
    g.chain("rule", "norm", "mul", "proj")
    g.edge("sigma", "gate_corner", arrow=False)
    g.edge("gate_corner", "mul")
    g.output("proj", 1)
    g.text("gate_label", gate, 3.45, 5, INK, bold=False)
    g.caption("title", title, INK)
    g.info("info", info, ctx.accent)
    return g.nodes
