"""Lightning attention (MiniMax-01, Ling 2.5): linear attention with a decayed state."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..hf.config import NO_OPTIONS, HFOptions
from ..spec.table import REQUIRED
from .base import Op, linear, register

if TYPE_CHECKING:
    from ..hf.config import HFConfig
    from ..spec.table import SpecTable


@register
@dataclass(frozen=True)
class Lightning(Op):
    type: ClassVar[str] = "lightning"
    role: ClassVar[str] = "token"
    component: ClassVar[str] = "linear_attention"
    concept_ids: ClassVar[tuple[str, ...]] = ("lightning-attention", "linear-attention")
    filter_family: ClassVar[str | None] = "linear"
    fact_label: ClassVar[str] = "Linear attention"

    num_heads: int
    head_dim: int

    @classmethod
    def read(cls, table: SpecTable, hidden_size: int) -> Lightning:
        heads = table.int("num_attention_heads", REQUIRED)
        head_dim = table.int("head_dim")
        if head_dim is None:
            if hidden_size % heads:
                raise table.fail("head_dim", f"missing, and hidden_size {hidden_size} is not a multiple of {heads}")
            head_dim = hidden_size // heads
        return cls(num_heads=heads, head_dim=head_dim)

    @staticmethod
    def from_hf(config: HFConfig, options: HFOptions = NO_OPTIONS) -> dict[str, Any]:
        heads = config.require("num_attention_heads")
        table: dict[str, Any] = {"type": "lightning", "num_attention_heads": heads}
        if config.get("head_dim"):
            table["head_dim"] = config.get("head_dim")
        return table

    def params(self, hidden_size: int) -> Counter[str]:
        width = self.num_heads * self.head_dim
        # fused QKV, a sigmoid output gate, an RMSNorm over all heads, the output projection
        return Counter(
            {
                self.component: linear(hidden_size, 3 * width)
                + linear(hidden_size, width)
                + width
                + linear(width, hidden_size)
            }
        )

    def state_values(self, hidden_size: int) -> int:
        return self.num_heads * self.head_dim * self.head_dim

    @property
    def title(self) -> str:
        return "Lightning attention"

    def summary(self, hidden_size: int) -> str:
        return (
            f"Lightning attention: {self.num_heads} heads of {self.head_dim}, a decayed key × value state "
            "per head, RMSNorm and sigmoid output gate; a constant-size state"
        )

    def callout(self, hidden_size: int) -> str:
        return f"{{{self.num_heads:,}}} heads of {{{self.head_dim:,}}}\nlinear attention"
