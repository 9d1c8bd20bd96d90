"""Compressed convolutional attention (CCA, Zyphra's ZAYA1): grouped-query attention that
runs in a space narrower than the residual stream, with queries and keys mixed along the
sequence by two short causal convolutions.

Queries and keys are projected to ``heads × head_dim`` and ``kv_heads × head_dim`` (less
than the model width, hence "compressed"), concatenated and convolved over time: first a
depthwise convolution per channel, then a grouped one per head. The projections are added
back to the convolved values (keys and queries averaged per group). Both are L2-normalized,
keys times a learned temperature per KV head. Half of the value channels come from the
current token and half from the previous one, each from a projection of its own. Only keys
and values are cached per token; the convolution's last inputs and the previous token's
delayed value are a constant state per sequence.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..draw.canvas import Grid
from ..draw.style import INK
from ..facts.labels import ROW_POSITIONS
from ..hf.config import NO_OPTIONS, HFOptions
from ..spec.table import REQUIRED
from .attention import position_text, read_position, rope_side
from .base import (
    DEFAULT_ROPE,
    Op,
    PanelContext,
    Rope,
    Slot,
    Variants,
    depthwise_conv,
    linear,
    plural,
    position_concepts,
    register,
)

if TYPE_CHECKING:
    from ..draw.canvas import Canvas, Node
    from ..hf.config import HFConfig
    from ..spec.table import SpecTable


@register
@dataclass(frozen=True)
class CCA(Op):
    type: ClassVar[str] = "cca"
    role: ClassVar[str] = "token"
    component: ClassVar[str] = "attention"
    fact_label: ClassVar[str] = "Attention"

    num_heads: int
    num_kv_heads: int
    head_dim: int
    #: Kernel of the depthwise convolution over queries and keys (config ``cca_time0``).
    depthwise_kernel: int
    #: Kernel of the per-head grouped convolution that follows (config ``cca_time1``).
    grouped_kernel: int
    qkv_bias: bool = False
    o_bias: bool = False
    sliding_window: int | None = None
    position: str = "rope"
    rope: Rope | None = DEFAULT_ROPE

    @classmethod
    def read(cls, table: SpecTable, hidden_size: int) -> CCA:
        heads = table.int("num_attention_heads", REQUIRED)
        kv_heads = table.int("num_key_value_heads", REQUIRED)
        if heads % kv_heads:
            raise table.fail("num_key_value_heads", f"{kv_heads} does not divide num_attention_heads {heads}")
        position, rope = read_position(table)
        return cls(
            num_heads=heads,
            num_kv_heads=kv_heads,
            head_dim=table.int("head_dim", REQUIRED),
            depthwise_kernel=table.int("cca_time0", REQUIRED),
            grouped_kernel=table.int("cca_time1", REQUIRED),
            qkv_bias=table.bool("qkv_bias"),
            o_bias=table.bool("o_bias"),
            sliding_window=table.int("sliding_window"),
            position=position,
            rope=rope,
        )

    @staticmethod
    def from_hf(config: HFConfig, options: HFOptions = NO_OPTIONS) -> dict[str, Any]:
        """``options``: the layer's ``sliding_window``; ``attention_bias`` covers every projection.
        The rotary settings are the importer's to add: ZAYA1 keeps them per layer type."""
        table: dict[str, Any] = {"type": "cca"}
        for key in ("num_attention_heads", "num_key_value_heads", "head_dim", "cca_time0", "cca_time1"):
            table[key] = config.require(key)
        if config.get("attention_bias"):
            table.update(qkv_bias=True, o_bias=True)
        if options.sliding_window:
            table["sliding_window"] = options.sliding_window
        return table

    # -- numbers -------------------------------------------------------------------

    @property
    def channels(self) -> int:
        """Query and key channels together: what the convolutions run over."""
        return (self.num_heads + self.num_kv_heads) * self.head_dim

    def params(self, hidden_size: int) -> Counter[str]:
        d, bias = hidden_size, self.qkv_bias
        q_width, kv_width = self.num_heads * self.head_dim, self.num_kv_heads * self.head_dim
        projections = linear(d, q_width, bias) + linear(d, kv_width, bias) + 2 * linear(d, kv_width // 2, bias)
        # the grouped convolution has one group per head: head_dim inputs per output channel
        convolutions = depthwise_conv(self.channels, self.depthwise_kernel, bias=True)
        convolutions += self.channels * self.head_dim * self.grouped_kernel + self.channels
        temperature = self.num_kv_heads
        output = linear(q_width, d, self.o_bias)
        return Counter({self.component: projections + convolutions + temperature + output})

    @property
    def rotated(self) -> int:
        """Dimensions of each head that carry rotary positions."""
        return int(self.head_dim * self.rope.fraction) if self.rope else 0

    def kv_values_per_token(self) -> int:
        return 2 * self.num_kv_heads * self.head_dim

    def attention_flops(self, context: int) -> int:
        return 2 * self.attended(context) * self.num_heads * 2 * self.head_dim

    def cache_window(self) -> int | None:
        return self.sliding_window

    def state_values(self, hidden_size: int) -> int:
        """The convolutions' last inputs (kernel − 1 steps each) and the previous token's
        delayed value half."""
        steps = self.depthwise_kernel - 1 + self.grouped_kernel - 1
        return self.channels * steps + self.num_kv_heads * self.head_dim // 2

    # -- words -----------------------------------------------------------------------

    def heads_text(self) -> str | None:
        return f"{self.num_heads} / {self.num_kv_heads} / {self.head_dim}"

    def positions_text(self) -> str | None:
        return position_text(self.position, self.rope)

    def concepts(self) -> set[str]:
        """Grouped-query attention in a narrower space, with convolved and normed queries and keys."""
        found = {"cca", "gqa" if self.num_kv_heads > 1 else "mqa", "qk-norm"}
        found |= position_concepts(self.position, self.rope)
        return found | ({"sliding-window-attention"} if self.sliding_window else set())

    def primary_concept(self) -> str | None:
        return "cca"

    @property
    def title(self) -> str:
        return "Compressed convolutional attention"

    @property
    def reach(self) -> tuple[str, ...]:
        return (f"sliding {self.sliding_window:,}",) if self.sliding_window else ()

    @property
    def short(self) -> str:
        return "CCA" + (" (sliding window)" if self.sliding_window else "")

    def summary(self, hidden_size: int) -> str:
        width = self.num_heads * self.head_dim
        text = (
            f"{self.title} (CCA): {self.num_heads} query heads, {self.num_kv_heads} KV heads, head dimension "
            f"{self.head_dim}, attending in {width:,} of the {hidden_size:,} dimensions; queries and keys "
            f"convolved along the sequence (depthwise kernel {self.depthwise_kernel}, then per head kernel "
            f"{self.grouped_kernel}), L2-normalized, keys scaled by a learned temperature per KV head; "
            "half of the value channels from the previous token"
        )
        return text + (f"; sliding window of {self.sliding_window:,} tokens" if self.sliding_window else "")

    @classmethod
    def fact_rows(cls, variants: Variants, hidden_size: int) -> list[tuple[str, str]]:
        first = variants[0][0]
        assert isinstance(first, CCA)
        return [*super().fact_rows(variants, hidden_size), (ROW_POSITIONS, position_text(first.position, first.rope))]

    @classmethod
    def slot(cls, variants: Variants, hidden_size: int) -> Slot:
        """Positions and the window on the left; the numbers are in the panel."""
        first = variants[0][0]
        assert isinstance(first, CCA)
        side: list[tuple[str, str]] = []
        if first.rope:
            side.append(("rope", rope_side(first.rope, f"on {first.rotated} of {first.head_dim} dims per head")))
        side.append(("qk_norm", "L2 QK-norm, learned\nkey temperature per KV head"))
        windowed = [(op.sliding_window, n) for op, n in variants if isinstance(op, CCA) and op.sliding_window]
        if windowed:
            sizes = " / ".join(f"{size:,}" for size in dict.fromkeys(size for size, _ in windowed))
            layers = plural(sum(n for _, n in windowed), "layer")
            side.append(("window", f"Sliding window of {sizes}\ntokens in {layers}"))
        return Slot("Compressed convolutional\nattention (CCA)", tuple(side))

    def panel_key(self) -> str | None:
        return "cca"

    def draw_panel(self, canvas: Canvas, x0: float, ctx: PanelContext) -> list[Node]:
        """Q and K projections into the two convolutions and the norm, the two value
        halves (this token's and the previous token's), attention, the output projection."""
        g = Grid(canvas, ctx.prefix, x0, col=118)
        g.fan_in(0, 1, 2, 3)
        g.box("q", "Linear (Q)", 0, 1)
        g.box("k", "Linear (K)", 1, 1)
        g.box("v_now", "Linear (V)\nthis token", 2, 1)
        g.box("v_prev", "Linear (V)\nprevious token", 3, 1)
        g.wide("conv", "Causal convolutions over Q, K\n(per channel, then per head)", 0, 1, 2.2)
        g.wide("qk_norm", "L2 norm, keys × temperature", 0, 1, 3.3)
        g.box("concat", "Concatenate\nvalue halves", 2.5, 3.3)
        g.wide("sdpa", "Scaled dot-product attention", 0.5, 2.5, 4.4)
        g.box("proj", "Linear layer", 1.5, 5.4)
        for index, slot in enumerate(("q", "k", "v_now", "v_prev")):
            g.edge("in" if index == 0 else f"in{index}", slot)
        g.into("conv", "q", "k")
        g.chain("conv", "qk_norm")
        g.edge("v_now", "concat")
        g.edge("v_prev", "concat")
        g.into("sdpa", "qk_norm", "concat")
        g.chain("sdpa", "proj")
        g.output("proj", 1.5)
        g.caption("title", f"{self.title} (CCA)", INK)
        text = f"{{{self.num_heads}}} query heads, {{{self.num_kv_heads}}} KV heads, head dimension {{{self.head_dim}}}"
        text += f"\nattention in {{{self.num_heads * self.head_dim:,}}} of the {{{ctx.hidden_size:,}}} dimensions"
        text += f"\nconv kernels {{{self.depthwise_kernel}}} (per channel), {{{self.grouped_kernel}}} (per head);"
        text += " the projections are added back"
        text += "\ncached per token: keys and values"
        g.info("info", text, ctx.accent)
        return g.nodes
