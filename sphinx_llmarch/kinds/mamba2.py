"""Mamba-2 (Nemotron-H, Nemotron 3): a selective state-space layer."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..draw.canvas import Grid
from ..draw.style import CONV_FILL, INK, RULE_FILL
from ..hf.config import NO_OPTIONS, HFOptions
from ..spec.table import REQUIRED
from .base import Op, PanelContext, depthwise_conv, linear, register

if TYPE_CHECKING:
    from ..draw.canvas import Canvas, Node
    from ..hf.config import HFConfig
    from ..spec.table import SpecTable


@register
@dataclass(frozen=True)
class Mamba2(Op):
    type: ClassVar[str] = "mamba2"
    role: ClassVar[str] = "token"
    component: ClassVar[str] = "ssm"
    concept_ids: ClassVar[tuple[str, ...]] = ("mamba2",)
    proper_name: ClassVar[bool] = True
    fact_label: ClassVar[str] = "State-space layers"

    num_heads: int
    head_dim: int
    state_size: int
    n_groups: int = 1
    conv_kernel: int = 4
    conv_bias: bool = True
    bias: bool = False

    @classmethod
    def read(cls, table: SpecTable, hidden_size: int) -> Mamba2:
        heads = table.int("mamba_num_heads", REQUIRED)
        groups = table.int("n_groups", 1)
        if heads % groups:
            raise table.fail("n_groups", f"{groups} does not divide mamba_num_heads {heads}")
        return cls(
            num_heads=heads,
            head_dim=table.int("mamba_head_dim", REQUIRED),
            state_size=table.int("ssm_state_size", REQUIRED),
            n_groups=groups,
            conv_kernel=table.int("conv_kernel", 4),
            conv_bias=table.bool("use_conv_bias", True),
            bias=table.bool("use_bias"),
        )

    @staticmethod
    def from_hf(config: HFConfig, options: HFOptions = NO_OPTIONS) -> dict[str, Any]:
        keys = ("mamba_num_heads", "mamba_head_dim", "ssm_state_size", "n_groups", "conv_kernel")
        table: dict[str, Any] = {"type": "mamba2", **{key: config.require(key) for key in keys}}
        table.update(use_conv_bias=bool(config.get("use_conv_bias", True)), use_bias=bool(config.get("use_bias")))
        return table

    @property
    def inner(self) -> int:
        return self.num_heads * self.head_dim

    @property
    def conv_channels(self) -> int:
        """x, B and C pass the causal convolution; z (the gate) and dt do not."""
        return self.inner + 2 * self.n_groups * self.state_size

    def params(self, hidden_size: int) -> Counter[str]:
        d = hidden_size
        in_proj = linear(d, self.inner + self.conv_channels + self.num_heads, self.bias)  # z, xBC, dt
        per_head = 3 * self.num_heads  # dt_bias, A_log, D
        norm = self.inner  # gated RMSNorm over groups
        conv = depthwise_conv(self.conv_channels, self.conv_kernel, self.conv_bias)
        return Counter({self.component: in_proj + conv + per_head + norm + linear(self.inner, d, self.bias)})

    def state_values(self, hidden_size: int) -> int:
        """Per head a head_dim × state_size SSM state, plus the convolution's last inputs."""
        return self.num_heads * self.head_dim * self.state_size + self.conv_channels * (self.conv_kernel - 1)

    @property
    def title(self) -> str:
        return "Mamba-2"

    def summary(self, hidden_size: int) -> str:
        return (
            f"Mamba-2: {self.num_heads} heads of {self.head_dim}, state size {self.state_size}, "
            f"{self.n_groups} B/C group{'s' if self.n_groups > 1 else ''}, causal convolution of width "
            f"{self.conv_kernel}, gated RMSNorm; a constant-size state"
        )

    def callout(self, hidden_size: int) -> str:
        return f"{{{self.num_heads:,}}} heads of {{{self.head_dim:,}}}\nstate size {{{self.state_size:,}}}"

    def panel_key(self) -> str | None:
        return "mamba2"

    def draw_panel(self, canvas: Canvas, x0: float, ctx: PanelContext) -> list[Node]:
        """One input projection to x, B, C, dt and the gate z; a short convolution;
        the selective state update; the SiLU gate; a gated RMSNorm; the output."""
        g = Grid(canvas, ctx.prefix, x0, col=150)
        g.point("in", 0, 0)
        g.box("in_proj", "Linear (x, B, C, dt, z)", 0, 1)
        g.box("conv", "Conv1D + SiLU", 0, 2, cls="lm-box lm-conv", fillcolor=CONV_FILL)
        g.box("ssm", "SSM state update", 0, 3, fillcolor=RULE_FILL, cls="lm-box lm-rule")
        g.circle("mul", "×", 0, 4)
        g.box("norm", "RMSNorm", 0, 5)
        g.box("proj", "Linear layer", 0, 6)
        g.point("gate_start", 0.7, 1)
        g.circle("sigma", "σ", 0.7, 3)
        g.point("gate_corner", 0.7, 4)
        g.chain("in", "in_proj", "conv", "ssm", "mul", "norm", "proj")
        g.edge("in_proj", "gate_start", arrow=False, tailport="e")
        g.edge("gate_start", "sigma")
        g.edge("sigma", "gate_corner", arrow=False)
        g.edge("gate_corner", "mul")
        g.text("gate_label", "SiLU gate (z)", 1.05, 3, INK, bold=False)
        g.output("proj", 0)
        g.caption("title", "Mamba-2", INK)
        g.info(
            "info",
            f"{{{self.num_heads:,}}} heads of {{{self.head_dim:,}}}, state size {{{self.state_size:,}}}",
            ctx.accent,
        )
        return g.nodes
