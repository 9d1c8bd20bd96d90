"""DeepSeek V4's attention: one shared latent key/value head, a sliding window of recent
latents, and per layer a compressed cache of older ones.

Every query head reads one latent of ``head_dim`` values per token (multi-query
attention; part of it carries rotary positions). Each layer keeps the last
``sliding_window`` latents as they are; a layer with a ``compress_ratio`` also pools
every block of that many tokens into one latent (a learned gated pooling, the
"compressor"), and a layer with an indexer attends only to the compressed entries a
small set of scoring heads picks. Attention sinks add one learned logit per head, and
the output is projected down group by group before one projection back to the
residual stream.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..draw.canvas import Grid
from ..draw.style import INK
from ..hf.config import NO_OPTIONS, HFOptions
from ..spec.table import REQUIRED
from .attention import position_text, positions_row, read_position, rope_from_hf, rope_side
from .base import (
    DEFAULT_ROPE,
    CachePart,
    Op,
    PanelContext,
    Rope,
    Slot,
    Variants,
    linear,
    plural,
    position_concepts,
    register,
    short_number,
)

if TYPE_CHECKING:
    from ..draw.canvas import Canvas, Node
    from ..hf.config import HFConfig
    from ..spec.table import SpecTable

_INDEX_KEYS = ("index_n_heads", "index_head_dim", "index_topk")


@register
@dataclass(frozen=True)
class CompressedAttention(Op):
    type: ClassVar[str] = "compressed_attention"
    role: ClassVar[str] = "token"
    component: ClassVar[str] = "attention"
    fact_label: ClassVar[str] = "Attention"

    num_heads: int
    #: Width of the one latent key/value head, and of each query head.
    head_dim: int
    q_lora_rank: int
    #: Dimensions of each head that rotate (the rest carry no position).
    qk_rope_head_dim: int
    #: Grouped low-rank output: heads in ``o_groups`` groups, each projected to ``o_lora_rank``.
    o_groups: int
    o_lora_rank: int
    sliding_window: int
    #: Tokens pooled into one compressed latent; 0: this layer keeps only the window.
    compress_ratio: int = 0
    #: Compression windows overlap by half, so the compressor pools two latents' worth
    #: of projections per entry (DeepSeek V4's ratio-4 layers).
    compress_overlap: bool = False
    index_heads: int = 0
    index_head_dim: int = 0
    index_topk: int = 0
    sinks: bool = False
    position: str = "rope"
    rope: Rope | None = DEFAULT_ROPE
    #: The config's key/value head count (one), kept so a spec can mirror config.json.
    num_kv_heads: int | None = None

    @classmethod
    def read(cls, table: SpecTable, hidden_size: int) -> CompressedAttention:
        heads, groups = table.int("num_attention_heads", REQUIRED), table.int("o_groups", REQUIRED)
        if heads % groups:
            raise table.fail("o_groups", f"{groups} does not divide num_attention_heads {heads}")
        head_dim, rope_dims = table.int("head_dim", REQUIRED), table.int("qk_rope_head_dim", REQUIRED)
        if rope_dims > head_dim:
            raise table.fail("qk_rope_head_dim", f"{rope_dims} is more than head_dim {head_dim}")
        position, rope = read_position(table)
        ratio = table.int("compress_ratio", 0, minimum=0)
        overlap = table.bool("compress_overlap")
        index = [table.int(key) for key in _INDEX_KEYS]
        if any(index) and not all(index):
            missing = next(key for key, value in zip(_INDEX_KEYS, index, strict=True) if not value)
            raise table.fail(missing, "the indexer needs index_n_heads, index_head_dim and index_topk")
        if (overlap or any(index)) and not ratio:
            key = "compress_overlap" if overlap else "index_n_heads"
            raise table.fail(key, "needs a compressed cache (compress_ratio above 0)")
        return cls(
            num_heads=heads,
            head_dim=head_dim,
            q_lora_rank=table.int("q_lora_rank", REQUIRED),
            qk_rope_head_dim=rope_dims,
            o_groups=groups,
            o_lora_rank=table.int("o_lora_rank", REQUIRED),
            sliding_window=table.int("sliding_window", REQUIRED),
            compress_ratio=ratio,
            compress_overlap=overlap,
            index_heads=index[0] or 0,
            index_head_dim=index[1] or 0,
            index_topk=index[2] or 0,
            sinks=table.bool("sinks"),
            position=position,
            rope=rope,
            num_kv_heads=table.int("num_key_value_heads"),
        )

    @staticmethod
    def from_hf(config: HFConfig, options: HFOptions = NO_OPTIONS) -> dict[str, Any]:
        """``options``: ``compress_ratio`` (this layer's entry of ``compress_ratios``) and
        ``sinks``. As DeepSeek's code builds it, ratio-4 layers overlap their windows
        and have the indexer, and the rotary positions depend on the ratio: a compressed
        layer rotates at ``compress_rope_theta`` with the YaRN scaling, a window-only
        layer (and the MTP block) at ``rope_theta`` without it."""
        table: dict[str, Any] = {"type": "compressed_attention"}
        for key in ("num_attention_heads", "num_key_value_heads", "head_dim", "q_lora_rank", "qk_rope_head_dim"):
            table[key] = config.require(key)
        for key in ("o_groups", "o_lora_rank", "sliding_window"):
            table[key] = config.require(key)
        ratio = options.compress_ratio or 0
        if ratio:
            table["compress_ratio"] = ratio
        if ratio == 4:
            table["compress_overlap"] = True
            table.update({key: config.require(key) for key in _INDEX_KEYS})
        if options.sinks:
            table["sinks"] = True
        rope = rope_from_hf(config)
        if not ratio:
            rope.pop("rope_scaling", None)
        elif config.get("compress_rope_theta"):
            rope["rope_theta"] = float(config.get("compress_rope_theta"))
        return table | rope

    # -- numbers -------------------------------------------------------------------

    def params(self, hidden_size: int) -> Counter[str]:
        d, heads, width = hidden_size, self.num_heads, self.num_heads * self.head_dim
        query = linear(d, self.q_lora_rank) + self.q_lora_rank + linear(self.q_lora_rank, width)
        key_value = linear(d, self.head_dim) + self.head_dim  # the latent and its RMSNorm
        # each group's heads to o_lora_rank (block-diagonal), then all groups to d
        output = linear(width // self.o_groups, self.o_lora_rank) * self.o_groups
        output += linear(self.o_groups * self.o_lora_rank, d)
        counts = Counter({"attention": query + key_value + output + (heads if self.sinks else 0)})
        counts["kv_compressor"] = self._compressor(d, self.head_dim)
        if self.index_heads:  # query heads from the query latent, a weight per head, its own compressor
            index = linear(self.q_lora_rank, self.index_heads * self.index_head_dim) + linear(d, self.index_heads)
            counts["indexer"] = index + self._compressor(d, self.index_head_dim)
        return +counts

    def _compressor(self, d: int, width: int) -> int:
        """Per pooled entry: a key/value projection and a gate projection (twice as wide
        with overlapping windows), a learned bias for each position in the block, and the
        RMSNorm of the pooled latent."""
        if not self.compress_ratio:
            return 0
        pooled = width * (2 if self.compress_overlap else 1)
        return 2 * linear(d, pooled) + self.compress_ratio * pooled + width

    def cache_parts(self) -> list[CachePart]:
        """The window of whole latents, one latent per compressed block, and the
        indexer's key per block."""
        parts = [CachePart(self.head_dim, window=self.sliding_window)]
        if self.compress_ratio:
            parts.append(CachePart(self.head_dim, self.compress_ratio))
        if self.index_heads:
            parts.append(CachePart(self.index_head_dim, self.compress_ratio))
        return parts

    # -- words -----------------------------------------------------------------------

    def attended(self, context: int) -> int:
        """The window, and one pooled entry per ``compress_ratio`` tokens before it."""
        window = min(context, self.sliding_window)
        return window + (context // self.compress_ratio if self.compress_ratio else 0)

    def attention_flops(self, context: int) -> int:
        """Every head scores and sums the one shared latent of ``head_dim``."""
        return 2 * self.attended(context) * self.num_heads * 2 * self.head_dim

    def heads_text(self) -> str | None:
        """Every query head reads one shared key/value latent."""
        return f"{self.num_heads} / 1 latent / {self.head_dim}"

    def positions_text(self) -> str | None:
        """With the layers it is for: compressed and window-only layers rotate differently."""
        layers = "compressed" if self.compress_ratio else "window-only"
        return f"{position_text(self.position, self.rope)} on {layers} layers"

    def concepts(self) -> set[str]:
        """One latent KV head (multi-query), a window, sinks, and the indexer where there is one."""
        found = {"mqa", "sliding-window-attention"} | position_concepts(self.position, self.rope)
        found |= {"attention-sinks"} if self.sinks else set()
        return found | ({"sparse-attention-dsa"} if self.index_heads else set())

    def primary_concept(self) -> str | None:
        return "mqa"

    @property
    def title(self) -> str:
        return "Compressed latent attention"

    @property
    def reach(self) -> tuple[str, ...]:
        pooled = (f"pooled ×{self.compress_ratio}",) if self.compress_ratio else ()
        return (f"sliding {self.sliding_window:,}", *pooled)

    @property
    def short(self) -> str:
        if not self.compress_ratio:
            return "sliding window"
        return f"compressed ×{self.compress_ratio}" + (" + indexer" if self.index_heads else "")

    def summary(self, hidden_size: int) -> str:
        return f"{self._shared_words()}; {self._compression_words()}"

    def _shared_words(self) -> str:
        """What every layer kind of a model has in common."""
        text = (
            f"{self.title}: {self.num_heads} query heads over one shared key/value latent of {self.head_dim} "
            f"(query latent {self.q_lora_rank:,}); the last {self.sliding_window:,} latents kept whole"
        )
        text += "; learned attention sinks" if self.sinks else ""
        return text + f"; output through {self.o_groups} groups of rank {self.o_lora_rank:,}"

    def _compression_words(self) -> str:
        if not self.compress_ratio:
            return "the window alone"
        text = f"older tokens pooled {self.compress_ratio} to one"
        text += " with overlapping windows" if self.compress_overlap else ""
        if self.index_heads:
            text += (
                f", an indexer ({self.index_heads} heads of {self.index_head_dim}) picking the "
                f"{self.index_topk:,} pooled entries each query attends to"
            )
        return text

    @classmethod
    def fact_rows(cls, variants: Variants, hidden_size: int) -> list[tuple[str, str]]:
        """One sentence for what the layers share, then each kind's compression and layers;
        the positions of each kind of layer when they rotate differently."""
        typed = [(op, n) for op, n in variants if isinstance(op, CompressedAttention)]
        first = typed[0][0]
        kinds = "; ".join(f"{op._compression_words()} ({plural(n, 'layer')})" for op, n in typed)
        where = f"on {first.qk_rope_head_dim} of each head's {first.head_dim} dimensions"
        groups = _position_groups(typed)
        if len(groups) == 1:
            positions = positions_row(first.position, first.rope, where)
        else:  # each rotation with the layers that use it
            each = "; ".join(f"{position_text(position, rope)} in {layers}" for position, rope, layers in groups)
            positions = ("Positions", f"{each}; {where}")
        return [("Attention", f"{first._shared_words()}; {kinds}"), positions]

    @classmethod
    def slot(cls, variants: Variants, hidden_size: int) -> Slot:
        """Positions, the window and sinks, and the compression of each layer kind."""
        typed = [(op, n) for op, n in variants if isinstance(op, CompressedAttention)]
        first = typed[0][0]
        side: list[tuple[str, str]] = []
        dims = f"on {first.qk_rope_head_dim} of {first.head_dim} dims per head"
        groups = _position_groups(typed)
        if len(groups) > 1:  # DeepSeek V4-Flash: a base (and scaling) for each kind of layer
            lines = [f"RoPE {dims}"] + [f"{_rope_words(rope)} in {layers}" for _, rope, layers in groups]
            side.append(("rope", "\n".join(lines)))
        elif first.rope:
            side.append(("rope", rope_side(first.rope, dims)))
        window = f"Sliding window of {first.sliding_window:,} tokens"
        side.append(("window", window + ("\nand learned attention sinks" if first.sinks else "")))
        side.append(("compress", _ratios(typed)))
        return Slot("Compressed latent\nattention (MQA)", tuple(side))

    def panel_key(self) -> str | None:
        return "compressed-attention"

    def draw_panel(self, canvas: Canvas, x0: float, ctx: PanelContext) -> list[Node]:
        """The query latent, the one key/value latent with its window, the compressor and
        indexer (on the layers that have them), attention with sinks, the grouped output."""
        ops = [op for op in ctx.variants or (self,) if isinstance(op, CompressedAttention)]
        g = Grid(canvas, ctx.prefix, x0, col=128)
        g.fan_in(0, 1, 2)
        g.box("q_down", "Linear (down)", 0, 1)
        g.box("q_norm", "RMSNorm", 0, 2)
        g.box("q_up", "Linear (Q)", 0, 3)
        g.box("kv", "Linear (KV latent)", 1, 1)
        g.box("kv_norm", "RMSNorm", 1, 2)
        g.box("window", "Recent latents", 1, 3)
        g.box("compress", "Compressor", 2, 1)
        g.box("compressed", "Pooled latents", 2, 2)
        g.box("indexer", "Indexer (top-k)", 2, 3)
        g.wide("sdpa", "Attention with sinks", 0, 2, 4)
        g.box("group", "Grouped Linear", 1, 5)
        g.box("proj", "Linear layer", 1, 6)
        g.chain("in", "q_down", "q_norm", "q_up")
        g.chain("in1", "kv", "kv_norm", "window")
        g.chain("in2", "compress", "compressed", "indexer")
        g.into("sdpa", "q_up", "window", "indexer")
        g.chain("sdpa", "group", "proj")
        g.output("proj", 1)
        g.caption("title", self.title, INK)
        text = f"{{{self.num_heads:,}}} query heads, one KV latent of {{{self.head_dim:,}}}"
        text += f", query latent {{{self.q_lora_rank:,}}}"
        text += f"\nwindow {{{self.sliding_window:,}}} tokens; pooled {_ratio_words(ops)}"
        indexed = [op for op in ops if op.index_heads]
        if indexed:
            top = indexed[0]
            text += f"\nindexer: {{{top.index_heads}}} heads × {{{top.index_head_dim}}}, top {{{top.index_topk:,}}}"
            text += f" entries (×{top.compress_ratio} layers)"
        text += f"\noutput: {{{self.o_groups}}} groups, each to rank {{{self.o_lora_rank:,}}}"
        g.info("info", text, ctx.accent)
        return g.nodes


def _position_groups(variants: list[tuple[CompressedAttention, int]]) -> list[tuple[str, Rope | None, str]]:
    """(position, rope, which layers) for each distinct rotation, compressed layers first:
    DeepSeek V4 rotates compressed layers at one base with YaRN and window-only layers at
    another without it."""
    groups: dict[tuple[str, Rope | None], list[tuple[CompressedAttention, int]]] = {}
    for op, n in variants:
        groups.setdefault((op.position, op.rope), []).append((op, n))
    out = []
    for (position, rope), members in sorted(groups.items(), key=lambda item: not item[1][0][0].compress_ratio):
        compressed = {bool(op.compress_ratio) for op, _ in members}
        word = "" if len(compressed) > 1 else ("compressed " if True in compressed else "window-only ")
        out.append((position, rope, plural(sum(n for _, n in members), word + "layer")))
    return out


def _rope_words(rope: Rope | None) -> str:
    """Base and scaling in a few words, for the side box: ``base 160k, YaRN ×16``."""
    if rope is None:
        return "no rotation"
    base = f"base {short_number(rope.theta)}" if rope.theta else "default base"
    return base + (f", {rope.scaling_short}" if rope.scaling else ", no scaling")


def _ratios(variants: list[tuple[CompressedAttention, int]]) -> str:
    """The compression of each layer kind with its layer count, for the side box."""
    counts: dict[int, int] = {}
    indexed: set[int] = set()
    for op, n in variants:
        counts[op.compress_ratio] = counts.get(op.compress_ratio, 0) + n
        if op.index_heads:
            indexed.add(op.compress_ratio)
    lines = []
    for ratio, n in sorted(counts.items(), key=lambda item: (not item[0], item[0])):  # window-only last
        if ratio:
            lines.append(f"KV pooled ×{ratio} in {plural(n, 'layer')}" + (" + indexer" if ratio in indexed else ""))
        else:
            lines.append(f"window only in {plural(n, 'layer')}")
    return "\n".join(lines)


def _ratio_words(ops: list[CompressedAttention]) -> str:
    ratios = sorted({op.compress_ratio for op in ops if op.compress_ratio})
    return " or ".join(f"×{{{r}}}" for r in ratios) + " by layer" if ratios else "never"
