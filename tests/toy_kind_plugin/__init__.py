"""A toy op kind from outside the package, registered through the entry-point group.

It stands for what a third party writes to add a new kind of layer (an RWKV-style
recurrence here): one module, a decorated :class:`~sphinx_llmarch.kinds.Op`
subclass, and nothing changed in sphinx_llmarch itself.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import ClassVar

from sphinx_llmarch.hf.config import NO_OPTIONS, HFConfig, HFOptions
from sphinx_llmarch.kinds import Op, register
from sphinx_llmarch.spec.table import REQUIRED, SpecTable


@register
@dataclass(frozen=True)
class ToyRecurrence(Op):
    type: ClassVar[str] = "toy_recurrence"
    role: ClassVar[str] = "token"
    component: ClassVar[str] = "toy_recurrence"
    component_names: ClassVar[dict[str, str]] = {"toy_recurrence": "toy recurrences"}
    fact_label: ClassVar[str] = "Token mixing"
    concept_ids: ClassVar[tuple[str, ...]] = ("toy-recurrence",)
    glossary_entries: ClassVar[dict[str, dict[str, object]]] = {
        "toy-recurrence": {
            "title": "Toy recurrence",
            "section": "Attention",
            "summary": "A made-up recurrent token mixer: a decayed running sum of keys times values, read by a "
            "receptance gate. It stands in the tests for a kind of layer that another package adds.",
            "reference": "https://example.org/toy-recurrence",
            "reference_title": "The sphinx-llmarch tests, Toy recurrence (2026)",
            "related": ["linear-attention"],
        }
    }

    #: A config.json's layers of this kind, and a model type made of them.
    hf_layer_types: ClassVar[tuple[str, ...]] = ("toy_recurrence",)
    hf_model_types: ClassVar[tuple[str, ...]] = ("toy_rnn",)

    #: Numbers of state per channel.
    state_size: int

    @staticmethod
    def from_hf(config: HFConfig, options: HFOptions = NO_OPTIONS) -> dict[str, object]:
        return {"type": "toy_recurrence", "state_size": config.require("state_size")}

    @classmethod
    def read(cls, table: SpecTable, hidden_size: int) -> ToyRecurrence:
        return cls(state_size=table.int("state_size", REQUIRED))

    def params(self, hidden_size: int) -> Counter[str]:
        """Receptance, key, value and output projections, and a decay per channel."""
        return Counter({self.component: 4 * hidden_size * hidden_size + hidden_size})

    def state_values(self, hidden_size: int) -> int:
        return hidden_size * self.state_size

    @property
    def title(self) -> str:
        return "RWKV-7 time mix"
