"""Gated DeltaNet (Qwen3-Next, Qwen3.5): linear attention with a delta-rule state."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..hf.config import NO_OPTIONS, HFOptions
from ..spec.table import REQUIRED
from .base import Op, PanelContext, depthwise_conv, linear, register

if TYPE_CHECKING:
    from ..draw.canvas import Canvas, Node
    from ..hf.config import HFConfig
    from ..spec.table import SpecTable

KEYS = ("linear_num_key_heads", "linear_num_value_heads", "linear_key_head_dim", "linear_value_head_dim")


@register
@dataclass(frozen=True)
class GatedDeltaNet(Op):
    type: ClassVar[str] = "gated_deltanet"
    role: ClassVar[str] = "token"
    component: ClassVar[str] = "linear_attention"
    concept_ids: ClassVar[tuple[str, ...]] = ("gated-deltanet", "linear-attention")
    filter_family: ClassVar[str | None] = "linear"
    proper_name: ClassVar[bool] = True
    fact_label: ClassVar[str] = "Linear attention"

    num_key_heads: int
    num_value_heads: int
    key_head_dim: int
    value_head_dim: int
    conv_kernel: int = 4

    @classmethod
    def read(cls, table: SpecTable, hidden_size: int) -> GatedDeltaNet:
        key_heads, value_heads = (table.int(key, REQUIRED) for key in KEYS[:2])
        if value_heads % key_heads:
            raise table.fail(KEYS[1], f"{value_heads} is not a multiple of {KEYS[0]} {key_heads}")
        return cls(
            num_key_heads=key_heads,
            num_value_heads=value_heads,
            key_head_dim=table.int(KEYS[2], REQUIRED),
            value_head_dim=table.int(KEYS[3], REQUIRED),
            conv_kernel=table.int("linear_conv_kernel_dim", 4),
        )

    @staticmethod
    def from_hf(config: HFConfig, options: HFOptions = NO_OPTIONS) -> dict[str, Any]:
        table: dict[str, Any] = {"type": "gated_deltanet"}
        table.update({key: config.require(key) for key in KEYS})
        table["linear_conv_kernel_dim"] = config.get("linear_conv_kernel_dim", 4)
        return table

    @property
    def key_width(self) -> int:
        return self.num_key_heads * self.key_head_dim

    @property
    def value_width(self) -> int:
        return self.num_value_heads * self.value_head_dim

    @property
    def conv_channels(self) -> int:
        """Queries, keys and values each pass a short causal convolution."""
        return 2 * self.key_width + self.value_width

    def params(self, hidden_size: int) -> Counter[str]:
        d, heads = hidden_size, self.num_value_heads
        projections = linear(d, 2 * self.key_width + 2 * self.value_width) + linear(d, 2 * heads)  # qkvz, beta/alpha
        per_head = 2 * heads  # dt_bias and A_log
        norm = self.value_head_dim  # gated RMSNorm shared by the heads
        conv = depthwise_conv(self.conv_channels, self.conv_kernel)
        total = projections + conv + per_head + norm + linear(self.value_width, d)
        return Counter({self.component: total})

    def state_values(self, hidden_size: int) -> int:
        """A key × value matrix per value head, plus the convolution's last inputs."""
        matrix = self.num_value_heads * self.key_head_dim * self.value_head_dim
        return matrix + self.conv_channels * (self.conv_kernel - 1)

    @property
    def title(self) -> str:
        return "Gated DeltaNet"

    def summary(self, hidden_size: int) -> str:
        return (
            f"Gated DeltaNet: {self.num_key_heads} query/key heads of {self.key_head_dim}, "
            f"{self.num_value_heads} value heads of {self.value_head_dim}, causal convolution of "
            f"width {self.conv_kernel}, gated RMSNorm and SiLU output gate; a constant-size state"
        )

    def callout(self, hidden_size: int) -> str:
        return (
            f"{{{self.num_key_heads:,}}} query & key heads\n{{{self.num_value_heads:,}}} value heads\n"
            f"head dimension {{{self.key_head_dim:,}}}"
        )

    def panel_key(self) -> str | None:
        return "gated-deltanet"

    def draw_panel(self, canvas: Canvas, x0: float, ctx: PanelContext) -> list[Node]:
        from .linear_panels import delta_rule_panel

        return delta_rule_panel(
            canvas, x0, ctx, self.title, "Gated delta rule", "SiLU gate", self.callout(ctx.hidden_size)
        )
