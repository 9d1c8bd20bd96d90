"""Kimi Delta Attention (Kimi Linear): a delta-rule state with per-channel decay."""

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


@register
@dataclass(frozen=True)
class KimiDeltaAttention(Op):
    type: ClassVar[str] = "kda"
    role: ClassVar[str] = "token"
    component: ClassVar[str] = "linear_attention"
    concept_ids: ClassVar[tuple[str, ...]] = ("kda", "linear-attention")
    filter_family: ClassVar[str | None] = "linear"
    proper_name: ClassVar[bool] = True
    fact_label: ClassVar[str] = "Linear attention"

    num_heads: int
    head_dim: int
    conv_kernel: int = 4

    @classmethod
    def read(cls, table: SpecTable, hidden_size: int) -> KimiDeltaAttention:
        return cls(
            num_heads=table.int("linear_num_heads", REQUIRED),
            head_dim=table.int("linear_head_dim", REQUIRED),
            conv_kernel=table.int("linear_conv_kernel_dim", 4),
        )

    @staticmethod
    def from_hf(config: HFConfig, options: HFOptions = NO_OPTIONS) -> dict[str, Any]:
        nested = config.nested("linear_attn_config")  # Moonshot's own config; transformers flattens it
        if nested is not None:
            heads, head_dim = nested.require("num_heads"), nested.require("head_dim")
            kernel = nested.get("short_conv_kernel_size", 4)
        else:
            heads, head_dim = config.require("linear_num_heads"), config.require("linear_head_dim")
            kernel = config.get("linear_conv_kernel_dim", 4)
        return {"type": "kda", "linear_num_heads": heads, "linear_head_dim": head_dim, "linear_conv_kernel_dim": kernel}

    @property
    def width(self) -> int:
        return self.num_heads * self.head_dim

    def params(self, hidden_size: int) -> Counter[str]:
        d, width, rank = hidden_size, self.width, self.head_dim
        qkv = 3 * linear(d, width) + depthwise_conv(3 * width, self.conv_kernel)
        decay = linear(d, rank) + linear(rank, width) + width + self.num_heads  # low-rank gate, dt_bias, A_log
        beta = linear(d, self.num_heads)
        output_gate = linear(d, rank) + linear(rank, width) + self.head_dim  # low-rank gate and gated RMSNorm
        return Counter({self.component: qkv + decay + beta + output_gate + linear(width, d)})

    def state_values(self, hidden_size: int) -> int:
        return self.num_heads * self.head_dim * self.head_dim + 3 * self.width * (self.conv_kernel - 1)

    @property
    def title(self) -> str:
        return "Kimi Delta Attention"

    @property
    def short(self) -> str:
        return "KDA"

    def summary(self, hidden_size: int) -> str:
        return (
            f"Kimi Delta Attention: {self.num_heads} heads of {self.head_dim}, per-channel decay through a "
            f"low-rank gate, causal convolutions of width {self.conv_kernel}, low-rank sigmoid output gate; "
            "a constant-size state"
        )

    def callout(self, hidden_size: int) -> str:
        return f"{{{self.num_heads:,}}} heads of {{{self.head_dim:,}}}\nper-channel decay"

    def panel_key(self) -> str | None:
        return "kda"

    def draw_panel(self, canvas: Canvas, x0: float, ctx: PanelContext) -> list[Node]:
        from .linear_panels import delta_rule_panel

        rule = "Delta rule, per-channel decay"
        info = self.callout(ctx.hidden_size)
        return delta_rule_panel(canvas, x0, ctx, self.title, rule, "Sigmoid gate", info, decay="decay, β")
