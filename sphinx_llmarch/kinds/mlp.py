"""Dense feed-forward networks: gated (SwiGLU, GeGLU) or plain (GELU, ReLU, squared ReLU)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..draw.canvas import Grid
from ..draw.style import INK
from ..errors import SpecError
from ..hf.config import NO_OPTIONS, HFOptions
from ..spec.table import REQUIRED
from .base import Op, PanelContext, linear, register

if TYPE_CHECKING:
    from ..draw.canvas import Canvas, Node
    from ..hf.config import HFConfig
    from ..spec.table import SpecTable

#: FFN kind -> (display name, activation shown in the panel, gated?).
KINDS = {
    "swiglu": ("SwiGLU", "SiLU", True),
    "geglu": ("GeGLU", "GELU", True),
    "gelu": ("GELU", "GELU", False),
    "relu": ("ReLU", "ReLU", False),
    "relu2": ("squared ReLU", "Squared ReLU", False),
}
#: FFN kind -> the glossary's concept of it.
FFN_CONCEPTS = {"swiglu": "swiglu", "geglu": "geglu", "gelu": "gelu", "relu2": "squared-relu"}
#: Hugging Face activation names -> FFN kind, for gated and plain MLPs.
#: transformers' names of the exact GELU and of its tanh and sigmoid approximations.
_GELUS = ("gelu", "gelu_new", "gelu_fast", "gelu_python", "gelu_accurate", "gelu_pytorch_tanh", "quick_gelu")
GATED_BY_ACTIVATION = {"silu": "swiglu", "swish": "swiglu", **dict.fromkeys(_GELUS, "geglu")}
PLAIN_BY_ACTIVATION = {**dict.fromkeys(_GELUS, "gelu"), "relu": "relu", "relu2": "relu2"}


def mlp_params(kind: str, hidden_size: int, intermediate: int, bias: bool) -> int:
    """Gated FFNs have three ``d × d_ff`` matrices, plain ones two."""
    gated = KINDS[kind][2]
    up = linear(hidden_size, intermediate, bias) * (2 if gated else 1)
    return up + linear(intermediate, hidden_size, bias)


def kind_from_hf(config: HFConfig, gated: bool) -> str:
    activation = config.first(
        "hidden_act", "hidden_activation", "activation_function", "mlp_hidden_act", default="silu"
    )
    table = GATED_BY_ACTIVATION if gated else PLAIN_BY_ACTIVATION
    if activation not in table:
        known = ", ".join(sorted(table))
        raise SpecError(config.file, config.key("hidden_act"), f"unknown activation {activation!r} (known: {known})")
    return table[activation]


@register
@dataclass(frozen=True)
class MLP(Op):
    type: ClassVar[str] = "mlp"
    role: ClassVar[str] = "channel"
    component: ClassVar[str] = "dense_ffn"
    fact_label: ClassVar[str] = "Feed forward"

    kind: str
    intermediate_size: int
    bias: bool = False
    #: The activation function's own name (``gelu_pytorch_tanh``), for the fact sheet.
    activation: str | None = None

    @classmethod
    def read(cls, table: SpecTable, hidden_size: int) -> MLP:
        return cls(
            kind=table.choice("kind", KINDS, REQUIRED),
            intermediate_size=table.int("intermediate_size", REQUIRED),
            bias=table.bool("bias"),
            activation=table.str("activation"),
        )

    @staticmethod
    def from_hf(config: HFConfig, options: HFOptions = NO_OPTIONS) -> dict[str, Any]:
        """``options``: ``gated``, ``intermediate_size`` (a computed width), ``bias``."""
        size = options.intermediate_size or config.first("intermediate_size", "n_inner", "ffn_hidden_size")
        if size is None:  # GPT-2's n_inner defaults to four times the width
            size = 4 * config.require("hidden_size", "n_embd")
        table: dict[str, Any] = {"type": "mlp", "kind": kind_from_hf(config, options.gated)}
        table["intermediate_size"] = size
        if config.first("mlp_bias", "use_bias", default=options.bias):  # StarCoder 2: use_bias, every projection
            table["bias"] = True
        return table

    def params(self, hidden_size: int) -> Counter[str]:
        return Counter({self.component: mlp_params(self.kind, hidden_size, self.intermediate_size, self.bias)})

    @property
    def name(self) -> str:
        return KINDS[self.kind][0]

    def concepts(self) -> set[str]:
        return {FFN_CONCEPTS[self.kind]} if self.kind in FFN_CONCEPTS else set()

    def primary_concept(self) -> str | None:
        return FFN_CONCEPTS.get(self.kind)

    @property
    def title(self) -> str:
        return f"Feed forward ({self.name})"

    @property
    def short(self) -> str:
        return "dense FFN"

    @property
    def phrase(self) -> str:
        return f"{self.name} feed-forward"

    def summary(self, hidden_size: int) -> str:
        return f"{self.name}, intermediate size {self.intermediate_size:,}" + (", with biases" if self.bias else "")

    def callout(self, hidden_size: int) -> str:
        return f"Intermediate size {{{self.intermediate_size:,}}}"

    def panel_key(self) -> str | None:
        return f"ffn-{self.kind}"

    def draw_panel(self, canvas: Canvas, x0: float, ctx: PanelContext, title: str = "Feed forward") -> list[Node]:
        """Gated: two input projections, the activation on one, their product, the
        down projection. Plain: up, activation, down."""
        g = Grid(canvas, ctx.prefix, x0)
        activation = KINDS[self.kind][1] + " activation"
        g.point("in", 0, 0)
        if KINDS[self.kind][2]:
            g.point("in_b", 1, 0)
            g.box("gate", "Linear layer", 0, 1)
            g.box("act", activation, 0, 2)
            g.box("up", "Linear layer", 1, 2)
            g.circle("mul", "×", 0, 3)
            g.box("down", "Linear layer", 0, 4)
            g.edge("in", "in_b", arrow=False)
            g.chain("in", "gate", "act", "mul", "down")
            g.chain("in_b", "up", "mul")
        else:
            g.box("up", "Linear layer", 0, 1)
            g.box("act", activation, 0, 2)
            g.box("down", "Linear layer", 0, 3)
            g.chain("in", "up", "act", "down")
        top = max(n.top for n in g.nodes)
        out = g.point("out", 0, (top + 26) / g.row)
        g.edge("down", "out")
        caption = g.caption("title", f"{title} ({self.name})", INK)
        caption.x = max(caption.x, out.x + 16 + caption.w / 2)
        caption.y = out.y
        sizes = sorted({op.intermediate_size for op in ctx.variants if isinstance(op, MLP)} | {self.intermediate_size})
        widths = " or ".join(f"{{{size:,}}}" for size in sizes)  # layers of one block may differ (Gemma 4 E2B)
        g.info("info", f"Input size {{{ctx.hidden_size:,}}}\nIntermediate size {widths}", ctx.accent)
        return g.nodes
