"""The normalized, immutable architecture model every other module reads.

Nothing downstream of :class:`Architecture` sees raw TOML or JSON, and nothing in
here knows about Sphinx: stats, diagrams and tables are pure functions of it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Literal

AttentionKind = Literal["mha", "gqa", "mqa", "mla"]
QKNorm = Literal["none", "per-head", "full"]
NormKind = Literal["rmsnorm", "layernorm"]
NormPlacement = Literal["pre", "post", "sandwich"]
FFNKind = Literal["swiglu", "geglu", "gelu"]
PositionKind = Literal["rope", "learned"]
WindowKind = Literal["full", "sliding"]
LayerPosition = Literal["rope", "nope"]


@dataclass(frozen=True)
class OfficialFigure:
    """A parameter count as the model's authors publish it."""

    value: float
    stated: str
    source: str | None = None
    convention: str | None = None
    #: Components the authors left out of this figure ("embedding", "output_head"),
    #: so the check compares like with like.
    excludes: tuple[str, ...] = ()
    #: "nearest" for a rounded figure, "down" where the authors truncated it.
    rounding: str = "nearest"


@dataclass(frozen=True)
class Official:
    """The authors' figures, kept so computed counts can be checked against them."""

    total: OfficialFigure | None = None
    active: OfficialFigure | None = None
    non_embedding: OfficialFigure | None = None
    total_with_mtp: OfficialFigure | None = None
    note: str | None = None
    #: Spec fields the authors' figure was computed with, where it differs from
    #: the released checkpoint (GPT-2's paper counts a 40,478-token vocabulary).
    counted_with: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class MLA:
    """Multi-head latent attention dimensions (DeepSeek V2/V3 style)."""

    q_lora_rank: int | None
    kv_lora_rank: int
    qk_nope_head_dim: int
    qk_rope_head_dim: int
    v_head_dim: int


@dataclass(frozen=True)
class Attention:
    kind: AttentionKind
    num_heads: int
    num_kv_heads: int
    head_dim: int
    qk_norm: QKNorm = "none"
    qkv_bias: bool = False
    o_bias: bool = False
    sinks: bool = False
    sliding_window: int | None = None
    mla: MLA | None = None

    @property
    def kv_per_token_values(self) -> int:
        """Numbers one layer caches per token (keys and values, or MLA's latent)."""
        if self.mla is not None:
            return self.mla.kv_lora_rank + self.mla.qk_rope_head_dim
        return self.num_kv_heads * 2 * self.head_dim


@dataclass(frozen=True)
class Position:
    kind: PositionKind
    rope_theta: float | None = None
    rope_local_theta: float | None = None
    rope_scaling: str | None = None


@dataclass(frozen=True)
class Norm:
    kind: NormKind
    placement: NormPlacement
    eps: float | None = None


@dataclass(frozen=True)
class FFN:
    kind: FFNKind
    intermediate_size: int
    bias: bool = False
    activation: str | None = None


@dataclass(frozen=True)
class MoE:
    num_experts: int
    experts_per_token: int
    expert_intermediate_size: int
    num_shared_experts: int = 0
    first_k_dense: int = 0
    router_bias: bool = False
    expert_bias: bool = False
    score_correction_bias: bool = False


def _cyclic_count(pattern: tuple[str, ...], total: int, kind: str) -> int:
    """How often ``kind`` occurs when ``pattern`` repeats over ``total`` layers."""
    full, rest = divmod(total, len(pattern))
    return full * pattern.count(kind) + pattern[:rest].count(kind)


@dataclass(frozen=True)
class LayerPattern:
    """Per-layer variation as short cyclic patterns, so a million layers stay cheap."""

    attention: tuple[WindowKind, ...] = ("full",)
    position: tuple[LayerPosition, ...] = ("rope",)

    def count_attention(self, kind: WindowKind, num_layers: int) -> int:
        return _cyclic_count(self.attention, num_layers, kind)

    def count_position(self, kind: LayerPosition, num_layers: int) -> int:
        return _cyclic_count(self.position, num_layers, kind)


@dataclass(frozen=True)
class Vision:
    """A vision encoder and its projector, counted apart from the text stack."""

    name: str
    hidden_size: int
    intermediate_size: int
    num_layers: int
    num_heads: int
    patch_size: int
    image_size: int
    num_channels: int
    ffn: FFNKind
    norm: NormKind
    bias: bool
    patch_bias: bool
    position: Literal["learned", "rope"]
    pre_norm: bool
    post_norm: bool
    projector_norm: int
    projector_layers: tuple[tuple[int, int, bool], ...]


@dataclass(frozen=True)
class Architecture:
    """One model's architecture, normalized from whichever format it came in."""

    id: str
    name: str
    family: str
    organization: str
    released: datetime.date | None
    license: str | None
    aliases: tuple[str, ...]
    summary: str
    key_detail: str
    sources: tuple[tuple[str, str], ...]
    official: Official
    vocab_size: int
    hidden_size: int
    num_layers: int
    context_length: int
    max_position_embeddings: int | None
    tie_word_embeddings: bool
    #: A longer context the authors support with a scaling method, e.g. (131072, "YaRN").
    extended_context: tuple[int, str] | None
    attention: Attention
    position: Position
    norm: Norm
    ffn: FFN
    moe: MoE | None = None
    layers: LayerPattern = LayerPattern()
    mtp_modules: int = 0
    vision: Vision | None = None
    #: A palette colour name for the diagram (see ``style.PALETTE``); None picks one.
    colour: str | None = None
    #: The file the spec was read from (for messages and Sphinx dependencies).
    source_path: str = ""

    @property
    def num_moe_layers(self) -> int:
        return 0 if self.moe is None else max(self.num_layers - self.moe.first_k_dense, 0)

    @property
    def num_dense_layers(self) -> int:
        return self.num_layers - self.num_moe_layers
