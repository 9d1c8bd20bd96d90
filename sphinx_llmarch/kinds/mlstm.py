"""The mLSTM layer of xLSTM: a matrix memory with exponential input and forget gates."""

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
class MLSTM(Op):
    type: ClassVar[str] = "mlstm"
    role: ClassVar[str] = "token"
    component: ClassVar[str] = "mlstm"
    concept_ids: ClassVar[tuple[str, ...]] = ("mlstm",)
    fact_label: ClassVar[str] = "Recurrent layers"

    num_heads: int
    qk_dim: int
    v_dim: int
    bias: bool = False

    @classmethod
    def read(cls, table: SpecTable, hidden_size: int) -> MLSTM:
        heads = table.int("num_heads", REQUIRED)
        qk = int(hidden_size * table.fraction("qk_dim_factor", 0.5))
        v = int(hidden_size * table.number("v_dim_factor", 1.0))
        for key, width in (("qk_dim_factor", qk), ("v_dim_factor", v)):
            if width % heads:
                raise table.fail(key, f"gives a width of {width}, not a multiple of {heads} heads")
        return cls(num_heads=heads, qk_dim=qk, v_dim=v, bias=table.bool("use_bias"))

    @staticmethod
    def from_hf(config: HFConfig, options: HFOptions = NO_OPTIONS) -> dict[str, Any]:
        return {
            "type": "mlstm",
            "num_heads": config.require("num_heads"),
            "qk_dim_factor": config.get("qk_dim_factor", 0.5),
            "v_dim_factor": config.get("v_dim_factor", 1.0),
            "use_bias": bool(config.get("use_bias")),
        }

    def params(self, hidden_size: int) -> Counter[str]:
        d, heads, b = hidden_size, self.num_heads, self.bias
        qkv = 2 * linear(d, self.qk_dim, b) + linear(d, self.v_dim, b)
        gates = linear(d, self.v_dim, b) + 2 * linear(d, heads, True)  # output gate; input and forget gates
        norm = self.v_dim * (2 if b else 1)  # the per-head layer norm
        return Counter({self.component: qkv + gates + norm + linear(self.v_dim, d, b)})

    def state_values(self, hidden_size: int) -> int:
        """Per head: the key × value memory, the normalizer vector and the max-stabilizer."""
        qk_head, v_head = self.qk_dim // self.num_heads, self.v_dim // self.num_heads
        return self.num_heads * (qk_head * v_head + qk_head + 1)

    @property
    def title(self) -> str:
        return "mLSTM"

    def summary(self, hidden_size: int) -> str:
        return (
            f"mLSTM: {self.num_heads} heads, query/key width {self.qk_dim:,}, value width {self.v_dim:,}, "
            "exponential input and forget gates, sigmoid output gate, per-head layer norm; a constant-size "
            "matrix memory instead of attention"
        )

    def callout(self, hidden_size: int) -> str:
        return f"{{{self.num_heads:,}}} heads\nquery & key width {{{self.qk_dim:,}}}\nvalue width {{{self.v_dim:,}}}"
