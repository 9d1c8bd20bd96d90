"""Per-layer inputs (Gemma 3n, Gemma 4 E-models): each layer mixes in its own slice
of a per-layer embedding through a small gated projection."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..hf.config import NO_OPTIONS, HFOptions
from ..spec.table import REQUIRED
from .base import Op, Slot, Variants, linear, register

if TYPE_CHECKING:
    from ..hf.config import HFConfig
    from ..spec.table import SpecTable


@register
@dataclass(frozen=True)
class PerLayerInput(Op):
    type: ClassVar[str] = "per_layer_input"
    role: ClassVar[str] = "other"
    component: ClassVar[str] = "per_layer_input"
    fact_label: ClassVar[str] = "Per-layer input"

    #: Width of each layer's slice (``hidden_size_per_layer_input``).
    width: int

    @classmethod
    def read(cls, table: SpecTable, hidden_size: int) -> PerLayerInput:
        return cls(width=table.int("hidden_size_per_layer_input", REQUIRED))

    @staticmethod
    def from_hf(config: HFConfig, options: HFOptions = NO_OPTIONS) -> dict[str, Any]:
        return {"type": "per_layer_input", "hidden_size_per_layer_input": config.require("hidden_size_per_layer_input")}

    def params(self, hidden_size: int) -> Counter[str]:
        """A gate down to the slice width and a projection back up."""
        return Counter({self.component: linear(hidden_size, self.width) + linear(self.width, hidden_size)})

    @property
    def title(self) -> str:
        return "Per-layer input"

    def summary(self, hidden_size: int) -> str:
        return (
            f"after the FFN, a gate projects the hidden state to {self.width}, multiplies it by this layer's "
            f"{self.width}-wide per-layer embedding, and projects it back to {hidden_size:,}"
        )

    @classmethod
    def slot(cls, variants: Variants, hidden_size: int) -> Slot:
        first = variants[0][0]
        assert isinstance(first, PerLayerInput)
        return Slot(first.title, (("slice", f"This layer's {first.width}-wide\nper-layer embedding"),))
