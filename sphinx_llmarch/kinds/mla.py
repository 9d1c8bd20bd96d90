"""Multi-head latent attention (DeepSeek V2/V3, Kimi): keys and values from one
compressed latent, so the cache holds the latent plus a shared RoPE key.

With DeepSeek sparse attention (V3.2, GLM-5) a small "lightning indexer" scores
every earlier token from the query latent and one cached key per token, and each
query attends only to the top-k tokens it picks."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..draw.canvas import Grid
from ..draw.style import INK
from ..hf.config import NO_OPTIONS, HFOptions
from ..spec.table import REQUIRED
from .attention import position_text, positions_row, read_position, rope_from_hf, rope_side
from .base import DEFAULT_ROPE, Op, PanelContext, Rope, Slot, Variants, linear, position_concepts, register

if TYPE_CHECKING:
    from ..draw.canvas import Canvas, Node
    from ..hf.config import HFConfig
    from ..spec.table import SpecTable


@register
@dataclass(frozen=True)
class MLA(Op):
    type: ClassVar[str] = "mla"
    role: ClassVar[str] = "token"
    component: ClassVar[str] = "attention"
    fact_label: ClassVar[str] = "Attention"

    num_heads: int
    q_lora_rank: int | None
    kv_lora_rank: int
    qk_nope_head_dim: int
    qk_rope_head_dim: int
    v_head_dim: int
    position: str = "rope"
    rope: Rope | None = DEFAULT_ROPE
    #: A sigmoid gate per head on the output (Ling 2.5's MLA layers).
    output_gate: bool = False
    #: The config's key/value head count, kept only so a spec can mirror config.json.
    num_kv_heads: int | None = None
    #: DeepSeek sparse attention's indexer: its heads, head size, and the tokens each query keeps.
    index_heads: int = 0
    index_head_dim: int = 0
    index_topk: int = 0

    @classmethod
    def read(cls, table: SpecTable, hidden_size: int) -> MLA:
        heads = table.int("num_attention_heads", REQUIRED)
        table.used.add("head_dim")
        table.choice("qk_norm", ("none",), "none")  # the latent norms are part of MLA itself
        for flag in ("qkv_bias", "o_bias", "sinks"):
            if table.bool(flag):
                raise table.fail(flag, "is not supported for MLA layers")
        position, rope = read_position(table)
        index = [table.int(key) for key in ("index_n_heads", "index_head_dim", "index_topk")]
        if any(index) and not all(index):
            missing = [
                k for k, v in zip(("index_n_heads", "index_head_dim", "index_topk"), index, strict=True) if not v
            ]
            raise table.fail(
                missing[0], "the sparse-attention indexer needs index_n_heads, index_head_dim and index_topk"
            )
        return cls(
            num_heads=heads,
            q_lora_rank=table.int("q_lora_rank"),
            kv_lora_rank=table.int("kv_lora_rank", REQUIRED),
            qk_nope_head_dim=table.int("qk_nope_head_dim", REQUIRED),
            qk_rope_head_dim=table.int("qk_rope_head_dim", REQUIRED),
            v_head_dim=table.int("v_head_dim", REQUIRED),
            position=position,
            rope=rope,
            output_gate=table.bool("output_gate"),
            num_kv_heads=table.int("num_key_value_heads"),
            index_heads=index[0] or 0,
            index_head_dim=index[1] or 0,
            index_topk=index[2] or 0,
        )

    @staticmethod
    def from_hf(config: HFConfig, options: HFOptions = NO_OPTIONS) -> dict[str, Any]:
        table: dict[str, Any] = {"type": "mla", "num_attention_heads": config.require("num_attention_heads")}
        if config.get("q_lora_rank"):  # null in DeepSeek V2-Lite and Kimi Linear: a plain query projection
            table["q_lora_rank"] = config.get("q_lora_rank")
        for key in ("kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim"):
            table[key] = config.require(key)
        if config.get("index_n_heads"):  # DeepSeek sparse attention (V3.2, GLM-5)
            for key in ("index_n_heads", "index_head_dim", "index_topk"):
                table[key] = config.require(key)
        if options.output_gate not in (None, "none", False):
            table["output_gate"] = True
        if options.position not in (None, "rope"):
            table["position"] = options.position
        else:
            table.update(rope_from_hf(config))
        return table

    @property
    def qk_head_dim(self) -> int:
        return self.qk_nope_head_dim + self.qk_rope_head_dim

    def params(self, hidden_size: int) -> Counter[str]:
        d, heads = hidden_size, self.num_heads
        if self.q_lora_rank:  # down-projection, its RMSNorm, up-projection
            query = linear(d, self.q_lora_rank) + self.q_lora_rank + linear(self.q_lora_rank, heads * self.qk_head_dim)
        else:
            query = linear(d, heads * self.qk_head_dim)
        key_value = linear(d, self.kv_lora_rank + self.qk_rope_head_dim) + self.kv_lora_rank
        key_value += linear(self.kv_lora_rank, heads * (self.qk_nope_head_dim + self.v_head_dim))
        gate = linear(d, heads) if self.output_gate else 0
        return Counter(
            {self.component: query + key_value + gate + linear(heads * self.v_head_dim, d) + self._indexer(d)}
        )

    def _indexer(self, d: int) -> int:
        """Query heads from the query latent, one key per token with its LayerNorm (weight
        and bias), and a weight per head from the hidden state."""
        if not self.index_heads:
            return 0
        width = self.index_heads * self.index_head_dim
        return (
            linear(self.q_lora_rank or d, width)
            + linear(d, self.index_head_dim)
            + 2 * self.index_head_dim
            + linear(d, self.index_heads)
        )

    def attention_flops(self, context: int) -> int:
        """Scores over the nope and RoPE parts of each head, values of ``v_head_dim``, as the
        model is defined (an implementation that absorbs the up-projections works in the
        latent instead); a sparse-attention model reads at most ``index_topk`` tokens."""
        tokens = min(context, self.index_topk) if self.index_topk else context
        width = self.qk_nope_head_dim + self.qk_rope_head_dim + self.v_head_dim
        return 2 * tokens * self.num_heads * width

    def kv_values_per_token(self) -> int:
        """The latent and the RoPE key; with sparse attention, the indexer's key too."""
        return self.kv_lora_rank + self.qk_rope_head_dim + self.index_head_dim

    def heads_text(self) -> str | None:
        return f"{self.num_heads} / latent {self.kv_lora_rank} / {self.qk_nope_head_dim}+{self.qk_rope_head_dim}"

    def positions_text(self) -> str | None:
        return position_text(self.position, self.rope)

    def mixer_name(self) -> str:
        return f"MLA {self.num_heads}"

    def concepts(self) -> set[str]:
        found = {"mla"} | position_concepts(self.position, self.rope)
        return found | ({"sparse-attention-dsa"} if self.index_heads else set())

    def primary_concept(self) -> str | None:
        return "mla"

    @property
    def title(self) -> str:
        return "Multi-head latent attention"

    def summary(self, hidden_size: int) -> str:
        text = (
            f"{self.title}: {self.num_heads} heads, KV latent {self.kv_lora_rank}, RoPE part "
            f"{self.qk_rope_head_dim}, query latent {self.q_lora_rank or 'none'}, head dims "
            f"{self.qk_nope_head_dim}+{self.qk_rope_head_dim} (QK) and {self.v_head_dim} (V)"
        )
        if self.index_heads:
            text += (
                f"; DeepSeek sparse attention: a lightning indexer ({self.index_heads} heads of "
                f"{self.index_head_dim}) picks the {self.index_topk:,} earlier tokens each query attends to"
            )
        return text + ("; sigmoid output gate per head" if self.output_gate else "")

    def callout(self, hidden_size: int) -> str:
        text = f"{{{self.num_heads:,}}} heads, KV latent of {{{self.kv_lora_rank:,}}}"
        text += f"\nplus {{{self.qk_rope_head_dim:,}}} RoPE dims per token"
        if self.q_lora_rank:
            text += f"\nquery latent of {{{self.q_lora_rank:,}}}"
        return text

    @property
    def short(self) -> str:
        return "MLA + sparse indexer" if self.index_heads else "MLA"

    @classmethod
    def fact_rows(cls, variants: Variants, hidden_size: int) -> list[tuple[str, str]]:
        rows = super().fact_rows(variants, hidden_size)
        first = variants[0][0]
        assert isinstance(first, MLA)
        where = f"on the {first.qk_rope_head_dim}-dim decoupled part of queries and keys"
        return [*rows, positions_row(first.position, first.rope, where)]

    @classmethod
    def slot(cls, variants: Variants, hidden_size: int) -> Slot:
        first = variants[0][0]
        assert isinstance(first, MLA)
        side: tuple[tuple[str, str], ...] = ()
        if first.rope:
            side = (("rope", rope_side(first.rope, f"on {first.qk_rope_head_dim} dims per head")),)
        elif first.position == "nope":
            side = (("rope", "No positional encoding"),)
        if first.index_heads:
            side += (("indexer", f"Lightning indexer keeps\nthe top {first.index_topk:,} tokens"),)
        return Slot("Multi-head\nlatent attention", side, first.callout(hidden_size))

    def panel_key(self) -> str | None:
        return "mla"

    def draw_panel(self, canvas: Canvas, x0: float, ctx: PanelContext) -> list[Node]:
        """Queries (through their own latent when the model has one) and a shared
        key/value latent, which is what the cache holds, expanded per head."""
        g = Grid(canvas, ctx.prefix, x0, col=110)
        g.fan_in(0, 1.5)
        query = ["q_down", "q_norm", "q_up"] if self.q_lora_rank else ["q_up"]
        if self.q_lora_rank:
            g.box("q_down", "Linear (down)", 0, 1)
            g.box("q_norm", "RMSNorm", 0, 2)
        g.box("q_up", "Linear (Q)", 0, 3)
        g.box("kv_down", "Linear (down)", 1.5, 1)
        g.box("kv_norm", "RMSNorm", 1.5, 2)
        g.point("kv_split", 1.5, 2.55)
        g.point("k_in", 1, 2.55)
        g.point("v_in", 2, 2.55)
        g.box("k_up", "Linear (K)", 1, 3)
        g.box("v_up", "Linear (V)", 2, 3)
        g.wide("sdpa", "Scaled dot-product attention", 0, 2, 4)
        g.box("proj", "Linear layer", 1, 5)
        g.chain("in", *query)
        g.chain("in1", "kv_down", "kv_norm", "kv_split")
        g.edge("kv_split", "k_in", arrow=False)
        g.edge("kv_split", "v_in", arrow=False)
        g.chain("k_in", "k_up")
        g.chain("v_in", "v_up")
        g.into("sdpa", "q_up", "k_up", "v_up")
        g.chain("sdpa", "proj")
        g.output("proj", 1)
        g.text("cache", "cached", 2.25, 2, INK, bold=False)
        g.caption("title", self.title, INK)
        text = f"{{{self.num_heads:,}}} heads; KV latent {{{self.kv_lora_rank:,}}}"
        text += f" + RoPE key {{{self.qk_rope_head_dim:,}}} cached per token"
        if self.q_lora_rank:
            text += f"\nquery latent {{{self.q_lora_rank:,}}}"
        if self.index_heads:
            heads, size, top = self.index_heads, self.index_head_dim, self.index_topk
            text += f"\nindexer: {{{heads:,}}} heads × {{{size:,}}}, top {{{top:,}}} tokens"
        g.info("info", text, ctx.accent)
        return g.nodes
