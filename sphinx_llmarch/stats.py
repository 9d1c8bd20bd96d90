"""Parameter counts, KV cache and layer mix: pure functions of an Architecture.

The counting rules are written out in ``docs/computations.rst``; keep the two in step.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from .model import FFN, Architecture, Attention, FFNKind, NormKind, Vision

BYTES_BF16 = 2


def _norm(kind: NormKind, size: int) -> int:
    """RMSNorm has a scale; LayerNorm a scale and a bias."""
    return size * (2 if kind == "layernorm" else 1)


def _mlp(kind: FFNKind, d_model: int, d_ff: int, bias: bool) -> int:
    """Gated FFNs (SwiGLU, GeGLU) have three matrices, plain GELU MLPs two."""
    if kind == "gelu":
        return 2 * d_model * d_ff + (d_ff + d_model if bias else 0)
    return 3 * d_model * d_ff + (2 * d_ff + d_model if bias else 0)


def attention_params(attn: Attention, d_model: int) -> int:
    """One attention layer: projections, biases, QK-Norm scales and sinks."""
    heads = attn.num_heads
    if attn.mla is not None:
        m = attn.mla
        qk_dim = m.qk_nope_head_dim + m.qk_rope_head_dim
        if m.q_lora_rank:
            query = d_model * m.q_lora_rank + m.q_lora_rank + m.q_lora_rank * heads * qk_dim
        else:
            query = d_model * heads * qk_dim
        key_value = d_model * (m.kv_lora_rank + m.qk_rope_head_dim) + m.kv_lora_rank
        key_value += m.kv_lora_rank * heads * (m.qk_nope_head_dim + m.v_head_dim)
        return query + key_value + heads * m.v_head_dim * d_model
    q_width = heads * attn.head_dim
    kv_width = attn.num_kv_heads * attn.head_dim
    total = d_model * (q_width + 2 * kv_width) + q_width * d_model
    if attn.qkv_bias:
        total += q_width + 2 * kv_width
    if attn.o_bias:
        total += d_model
    if attn.qk_norm == "per-head":
        total += 2 * attn.head_dim
    elif attn.qk_norm == "full":
        total += q_width + kv_width
    if attn.sinks:
        total += heads
    return total


def ffn_params(ffn: FFN, d_model: int) -> int:
    return _mlp(ffn.kind, d_model, ffn.intermediate_size, ffn.bias)


def vision_params(vision: Vision) -> tuple[int, int]:
    """(encoder, projector) parameters of a ViT-style vision tower."""
    d = vision.hidden_size
    patches = (vision.image_size // vision.patch_size) ** 2
    patch_embed = vision.num_channels * vision.patch_size**2 * d + (d if vision.patch_bias else 0)
    position = patches * d if vision.position == "learned" else 0
    attention = 4 * d * d + (4 * d if vision.bias else 0)
    layer = attention + _mlp(vision.ffn, d, vision.intermediate_size, vision.bias) + 2 * _norm(vision.norm, d)
    norms = _norm(vision.norm, d) * (int(vision.pre_norm) + int(vision.post_norm))
    encoder = patch_embed + position + vision.num_layers * layer + norms
    projector = vision.projector_norm + sum(i * o + (o if b else 0) for i, o, b in vision.projector_layers)
    return encoder, projector


@dataclass(frozen=True)
class Params:
    """Parameter counts by component. ``total`` is the text stack alone."""

    embedding: int
    position_embedding: int
    output_head: int
    attention: int
    norms: int
    dense_ffn: int
    routed_experts: int
    shared_experts: int
    router: int
    mtp: int
    vision_encoder: int
    vision_projector: int
    active_routed_experts: int

    @property
    def total(self) -> int:
        return (
            self.embedding
            + self.position_embedding
            + self.output_head
            + self.attention
            + self.norms
            + self.dense_ffn
            + self.routed_experts
            + self.shared_experts
            + self.router
        )

    @property
    def active(self) -> int:
        """Per-token: everything dense, shared experts, and the top-k routed experts."""
        return self.total - self.routed_experts + self.active_routed_experts

    @property
    def non_embedding(self) -> int:
        return self.total - self.embedding - self.position_embedding - self.output_head

    @property
    def total_with_mtp(self) -> int:
        return self.total + self.mtp

    @property
    def total_with_vision(self) -> int:
        return self.total + self.vision_encoder + self.vision_projector


def params(arch: Architecture) -> Params:
    """Exact parameter counts, component by component."""
    d = arch.hidden_size
    norm = _norm(arch.norm.kind, d)
    norms_per_layer = 4 if arch.norm.placement == "sandwich" else 2
    attention = attention_params(arch.attention, d)
    dense_ffn = ffn_params(arch.ffn, d)
    moe = arch.moe
    expert = router = shared = 0
    if moe is not None:
        expert = _mlp(arch.ffn.kind, d, moe.expert_intermediate_size, moe.expert_bias)
        shared = moe.num_shared_experts * _mlp(arch.ffn.kind, d, moe.expert_intermediate_size, False)
        router = d * moe.num_experts + moe.num_experts * (int(moe.router_bias) + int(moe.score_correction_bias))
    moe_layers, dense_layers = arch.num_moe_layers, arch.num_dense_layers
    embedding = arch.vocab_size * d
    mtp = 0
    if arch.mtp_modules:
        # DeepSeek-style module: two input norms, a 2d -> d projection, one MoE block
        # and an output norm; its embedding and head are copies of the main model's.
        block = attention + norms_per_layer * norm + shared + router + (moe.num_experts * expert if moe else dense_ffn)
        mtp = arch.mtp_modules * (block + 3 * norm + 2 * d * d + 2 * embedding)
    vision_encoder, vision_projector = vision_params(arch.vision) if arch.vision else (0, 0)
    return Params(
        embedding=embedding,
        position_embedding=(arch.max_position_embeddings or 0) * d if arch.position.kind == "learned" else 0,
        output_head=0 if arch.tie_word_embeddings else embedding,
        attention=arch.num_layers * attention,
        norms=arch.num_layers * norms_per_layer * norm + norm,
        dense_ffn=dense_layers * dense_ffn,
        routed_experts=moe_layers * (moe.num_experts * expert if moe else 0),
        shared_experts=moe_layers * shared,
        router=moe_layers * router,
        mtp=mtp,
        vision_encoder=vision_encoder,
        vision_projector=vision_projector,
        active_routed_experts=moe_layers * (moe.experts_per_token * expert if moe else 0),
    )


def params_as_counted(arch: Architecture) -> Params:
    """Counts for the spec as the authors counted it (``official.counted_with``)."""
    changes = dict(arch.official.counted_with)
    return params(dataclasses.replace(arch, **changes) if changes else arch)


OFFICIAL_FIGURES = ("total", "active", "non_embedding", "total_with_mtp")


def counted_like_official(arch: Architecture, figure: str) -> int:
    """Our count under the conventions of the authors' ``figure`` (one of
    :data:`OFFICIAL_FIGURES`): their vocabulary (``counted_with``) and the
    components they leave out (``excludes``), so the two compare like with like."""
    official = getattr(arch.official, figure)
    p = params_as_counted(arch)
    value = getattr(p, figure)
    removed = {"embedding": p.embedding + p.position_embedding, "output_head": p.output_head}
    return value - sum(removed[name] for name in (official.excludes if official else ()))


def num_attention_layers(arch: Architecture, kind: Literal["full", "sliding"]) -> int:
    return arch.layers.count_attention(kind, arch.num_layers)


def kv_cache_bytes_per_token(arch: Architecture, bytes_per_value: int = BYTES_BF16) -> int:
    """Cache growth per token with every layer counted in full (bf16 by default)."""
    return arch.num_layers * arch.attention.kv_per_token_values * bytes_per_value


def kv_cache_bytes(arch: Architecture, context: int, bytes_per_value: int = BYTES_BF16) -> int:
    """Cache at ``context`` tokens; sliding-window layers keep at most the window."""
    per_layer_token = arch.attention.kv_per_token_values * bytes_per_value
    sliding = num_attention_layers(arch, "sliding")
    window = arch.attention.sliding_window or context
    return per_layer_token * ((arch.num_layers - sliding) * context + sliding * min(context, window))


def layer_mix(arch: Architecture) -> str:
    """A short description of how layers differ, e.g. ``52 sliding-window + 10 global``."""
    n = arch.num_layers
    parts = []
    sliding = num_attention_layers(arch, "sliding")
    if sliding:
        parts.append(f"{sliding} sliding-window + {n - sliding} global attention")
    nope = arch.layers.count_position("nope", n)
    if nope:
        parts.append(f"{n - nope} RoPE + {nope} NoPE")
    if arch.moe is not None and arch.num_dense_layers:
        parts.append(f"{arch.num_dense_layers} dense + {arch.num_moe_layers} MoE")
    if not parts:
        kind = "MoE" if arch.moe else "dense"
        parts.append(f"{n} identical {kind} layers")
    return "; ".join(parts)


def decoder_type(arch: Architecture) -> str:
    return "sparse MoE" if arch.moe is not None else "dense"


ATTENTION_NAMES = {
    "mha": "Multi-head attention",
    "gqa": "Grouped-query attention",
    "mqa": "Multi-query attention",
    "mla": "Multi-head latent attention",
}


def describe(arch: Architecture) -> str:
    """One sentence, used as default alt text and in the text builder."""
    p = params(arch)
    size = f"{human(p.total)} parameters"
    if arch.moe:
        size = f"{human(p.total)} parameters ({human(p.active)} active, {arch.moe.num_experts} experts, "
        size += f"{arch.moe.experts_per_token} per token)"
    return (
        f"{arch.name}: a {decoder_type(arch)} decoder with {arch.num_layers} layers of "
        f"{ATTENTION_NAMES[arch.attention.kind].lower()} ({arch.attention.num_heads} heads, "
        f"{arch.attention.num_kv_heads} KV heads), {FFN_NAMES[arch.ffn.kind]} "
        f"feed-forward, {arch.norm.placement}-norm {NORM_NAMES[arch.norm.kind]}, hidden size "
        f"{arch.hidden_size:,}, vocabulary {arch.vocab_size:,}, {size}."
    )


FFN_NAMES = {"swiglu": "SwiGLU", "geglu": "GeGLU", "gelu": "GELU"}
NORM_NAMES = {"rmsnorm": "RMSNorm", "layernorm": "LayerNorm"}


def human(count: float) -> str:
    """``8190735360`` -> ``8.19B``; three significant digits."""
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if count >= scale:
            value = count / scale
            return f"{value:.3g}{unit}" if value < 1000 else f"{value:,.0f}{unit}"
    return f"{count:g}"


def human_bytes(count: float) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count:g} B"
