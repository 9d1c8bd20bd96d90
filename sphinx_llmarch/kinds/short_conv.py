"""Gated short convolution (LFM2): B·x through a depthwise causal convolution, times C."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..hf.config import NO_OPTIONS, HFOptions
from ..spec.table import REQUIRED
from .base import Op, depthwise_conv, linear, register

if TYPE_CHECKING:
    from ..hf.config import HFConfig
    from ..spec.table import SpecTable


@register
@dataclass(frozen=True)
class ShortConv(Op):
    type: ClassVar[str] = "short_conv"
    role: ClassVar[str] = "token"
    component: ClassVar[str] = "conv"
    concept_ids: ClassVar[tuple[str, ...]] = ("short-convolution",)
    fact_label: ClassVar[str] = "Convolutions"

    #: Width of the causal convolution (LFM2's ``conv_L_cache``).
    kernel: int
    bias: bool = False

    @classmethod
    def read(cls, table: SpecTable, hidden_size: int) -> ShortConv:
        return cls(kernel=table.int("conv_L_cache", REQUIRED), bias=table.bool("conv_bias"))

    @staticmethod
    def from_hf(config: HFConfig, options: HFOptions = NO_OPTIONS) -> dict[str, Any]:
        return {
            "type": "short_conv",
            "conv_L_cache": config.require("conv_L_cache"),
            "conv_bias": bool(config.get("conv_bias")),
        }

    def params(self, hidden_size: int) -> Counter[str]:
        d = hidden_size
        total = linear(d, 3 * d, self.bias) + depthwise_conv(d, self.kernel, self.bias) + linear(d, d, self.bias)
        return Counter({self.component: total})

    def state_values(self, hidden_size: int) -> int:
        """Only the last ``kernel - 1`` inputs: nothing that grows with the context."""
        return hidden_size * (self.kernel - 1)

    @property
    def title(self) -> str:
        return "Gated short convolution"

    @property
    def short(self) -> str:
        return "convolution"

    def summary(self, hidden_size: int) -> str:
        return (
            f"Gated short convolution: input projection to B, C and x, a depthwise causal convolution of width "
            f"{self.kernel} over B·x, multiplied by C, output projection" + ("; with biases" if self.bias else "")
        )

    def callout(self, hidden_size: int) -> str:
        return f"causal convolution of width {{{self.kernel}}}\ndepthwise over {{{hidden_size:,}}} channels"
