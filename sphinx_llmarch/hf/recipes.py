"""What each ``model_type``'s modeling code fixes that its config.json does not say.

One :class:`Recipe` per model type (norm placement, biases, QK-Norm, gates, sinks,
which keys decide the layer pattern), read by :mod:`.importer` and :mod:`.layers`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..kinds import KINDS


@dataclass(frozen=True)
class Recipe:
    """What a model type's modeling code fixes that its config.json does not say."""

    norm: str = "pre"  # pre | post | sandwich
    norm_kind: str = "rmsnorm"
    norm_bias: bool | None = None  # LayerNorm bias (None: LayerNorm has one, RMSNorm not)
    qk_norm: str = "none"  # none | per-head | full; with qk_norm_key, used when that flag is true
    qk_norm_key: str | None = None
    qkv_bias: bool = False  # when the config has no attention_bias
    o_bias: bool | None = None  # None: as qkv_bias
    gated_mlp: bool = True
    mlp_bias: bool = False  # when the config has no mlp_bias
    mixer: str = "attention"  # attention | mla | compressed_attention | mlstm
    linear: str | None = None  # the op of "linear_attention" layers
    moe: bool = True
    moe_flag: str | None = None  # config key that must be true for MoE layers to exist
    #: Gemma 4 26B-A4B: the MoE runs beside the dense MLP, each with its own norms and one more
    #: on their sum; its router scales its own normed input and each expert's weight.
    moe_beside_mlp: bool = False
    shared_key: str | None = None
    shared_flag: str | None = None  # config key that must be true for the shared expert to exist
    num_shared_experts: int = 0
    shared_expert_gate: bool = False
    score_correction_bias: bool = False
    router_bias: bool = False
    expert_bias: bool = False
    sinks: bool = False
    sliding_sinks: bool = False
    sliding_kv_factor: int = 1
    output_gate: str = "none"
    gate_function: str = "sigmoid"  # sigmoid | softplus: what the output gate applies to its projection
    #: Config key that turns the output gate on and says its width (Laguna's ``gating``).
    gate_key: str | None = None
    sliding_pattern: int = 0  # every N-th layer global (when the config gives no layer_types)
    uses_max_window_layers: bool = False
    ignores_sliding_window: bool = False
    chunked_rope_layers: bool = False  # Llama 4: with attention_chunk_size, RoPE layers attend in chunks
    nope: bool = False
    nope_interval: int = 0
    nope_on_full: bool = False
    parallel: bool = False
    parallel_key: str | None = None  # config key that makes attention and MLP parallel (StableLM)
    single_mixer: bool = False
    #: ZAYA1's router: one more choice that skips the experts, and from the second layer
    #: on the previous layer's router state (the router's width is the config's).
    skip_expert: bool = False
    router_carry: bool = False
    #: ZAYA1: a learned scale and bias on both inputs of every residual add, and on the embeddings.
    residual_scales: bool = False
    learned_positions: bool = False
    tied: bool = False  # default when the config has no tie_word_embeddings
    mtp_copies: int = 0
    vision: str | None = None
    #: Config values the family's configuration class defaults to (sparse configs rely on them).
    defaults: Mapping[str, Any] = field(default_factory=dict)
    #: Original key -> the key transformers stores it under; the original wins when both are given,
    #: as in the configuration class (LFM2's ``block_ff_dim`` and ``tie_embedding``).
    renamed: Mapping[str, str] = field(default_factory=dict)


_LLAMA = Recipe()
_QWEN3 = Recipe(qk_norm="per-head")
_GEMMA3 = Recipe(
    norm="sandwich",
    qk_norm="per-head",
    tied=True,
    sliding_pattern=6,
    defaults={
        "vocab_size": 262208,
        "hidden_activation": "gelu_pytorch_tanh",
        "rope_theta": 1_000_000.0,
        "rope_local_base_freq": 10_000.0,
        "max_position_embeddings": 131072,
        "sliding_window": 4096,
    },
)
_QWEN3_NEXT = Recipe(
    qk_norm="per-head",
    linear="gated_deltanet",
    output_gate="elementwise",
    shared_key="shared_expert_intermediate_size",
    shared_expert_gate=True,
)
_GEMMA2 = Recipe(norm="sandwich", tied=True, sliding_pattern=2)  # soft-capping changes no count
_GEMMA4 = replace(_GEMMA3, sliding_pattern=0, defaults={}, moe_flag="enable_moe_block", moe_beside_mlp=True)
_DEEPSEEK = Recipe(mixer="mla", mtp_copies=2, score_correction_bias=True)
#: GLM and GLM-4: biases on q, k and v but not on the output projection; GLM-4 norms after each sublayer too.
_GLM_DENSE = Recipe(qkv_bias=True, o_bias=False)
_GLM = replace(_GLM_DENSE, qk_norm="per-head", qk_norm_key="use_qk_norm", score_correction_bias=True)
_QWEN2 = Recipe(qkv_bias=True, o_bias=False, uses_max_window_layers=True)
#: Cohere: attention and MLP in parallel under one LayerNorm without bias, tied embeddings.
_COHERE = Recipe(norm_kind="layernorm", norm_bias=False, parallel=True, tied=True)
RECIPES: dict[str, Recipe] = {
    "gpt2": Recipe(
        norm_kind="layernorm",
        qkv_bias=True,
        gated_mlp=False,
        mlp_bias=True,
        learned_positions=True,
        tied=True,
        nope=True,
    ),
    "llama": _LLAMA,
    "mistral": _LLAMA,
    "mixtral": _LLAMA,
    "phi3": _LLAMA,
    "granite": _LLAMA,  # Granite's multipliers scale activations, not weights
    "granitemoe": _LLAMA,
    "smollm3": Recipe(nope_interval=4, tied=True),
    "qwen2": _QWEN2,
    "qwen2_moe": replace(_QWEN2, shared_key="shared_expert_intermediate_size", shared_expert_gate=True),
    "qwen3": _QWEN3,
    "qwen3_moe": _QWEN3,
    "qwen3_next": _QWEN3_NEXT,
    "qwen3_5": _QWEN3_NEXT,  # Qwen3.5 / 3.6: the Qwen3-Next stack, with a vision tower beside it
    "qwen3_5_text": _QWEN3_NEXT,
    "qwen3_5_moe": _QWEN3_NEXT,
    "qwen3_5_moe_text": _QWEN3_NEXT,
    "olmo2": Recipe(norm="post", qk_norm="full"),
    "olmo3": Recipe(norm="post", qk_norm="full"),
    "olmoe": Recipe(qk_norm="full"),
    "gemma": Recipe(tied=True),
    "gemma2": _GEMMA2,
    "gemma3": _GEMMA3,
    "gemma3_text": _GEMMA3,
    "gemma4": _GEMMA4,
    "gemma4_text": _GEMMA4,
    "gpt_oss": Recipe(qkv_bias=True, sinks=True, router_bias=True, expert_bias=True),
    "deepseek_v3": _DEEPSEEK,
    "kimi_k2": _DEEPSEEK,
    "sarvam_mla": _DEEPSEEK,
    "deepseek_v32": _DEEPSEEK,  # DeepSeek V3 with the sparse-attention indexer (read by the MLA op)
    # DeepSeek V4: compressed attention with sinks; compress_ratios, num_hash_layers and hc_mult say the rest
    "deepseek_v4": Recipe(mixer="compressed_attention", sinks=True, score_correction_bias=True),
    "glm_moe_dsa": replace(_DEEPSEEK, mtp_copies=0),  # GLM-5: the same template; its MTP layer stores no copies
    # Mistral Small 4: MLA and MoE with a shared expert, but plain softmax routing (no correction bias)
    "mistral4": Recipe(mixer="mla"),
    "kimi_linear": Recipe(mixer="mla", linear="kda", score_correction_bias=True, nope=True),
    "glm4_moe": _GLM,
    "glm": _GLM_DENSE,
    "glm4": replace(_GLM_DENSE, norm="sandwich"),
    "sarvam_moe": replace(_GLM, qkv_bias=False),
    "minimax_m2": Recipe(qk_norm="full", score_correction_bias=True),
    "hy_v3": Recipe(qk_norm="per-head", score_correction_bias=True),
    # Laguna (poolside): a softplus output gate per head (``gating``), head counts per layer
    # (num_attention_heads_per_layer), a sigmoid router with a correction bias, one shared expert
    "laguna": Recipe(
        qk_norm="per-head",
        output_gate="headwise",
        gate_function="softplus",
        gate_key="gating",
        shared_key="shared_expert_intermediate_size",
        score_correction_bias=True,
    ),
    "minimax": Recipe(linear="lightning"),
    "mimo_v2_flash": Recipe(sliding_sinks=True, sliding_kv_factor=2, score_correction_bias=True),
    # MiMo's own (Hub) layout: swa_* keys give the sliding layers' shapes, flags their sinks
    "mimo_v2": Recipe(score_correction_bias=True),
    "nemotron": Recipe(norm_kind="layernorm", gated_mlp=False),
    "nemotron_h": Recipe(
        shared_key="moe_shared_expert_intermediate_size",
        score_correction_bias=True,
        nope=True,
        gated_mlp=False,
        single_mixer=True,
        linear="mamba2",
    ),
    # LFM2: the defaults and the original key names of transformers' Lfm2Config
    "lfm2": Recipe(
        qk_norm="per-head",
        tied=True,
        defaults={
            "vocab_size": 65536,
            "hidden_size": 2560,
            "intermediate_size": 12288,
            "num_hidden_layers": 32,
            "num_attention_heads": 32,
            "num_key_value_heads": 8,
            "max_position_embeddings": 128_000,
            "norm_eps": 1e-5,
            "conv_bias": False,
            "conv_L_cache": 3,
            "block_multiple_of": 256,
            "block_ffn_dim_multiplier": 1.0,
            "block_auto_adjust_ff_dim": True,
        },
        renamed={"block_ff_dim": "intermediate_size", "tie_embedding": "tie_word_embeddings"},
    ),
    "llama4_text": Recipe(num_shared_experts=1, nope_interval=4, chunked_rope_layers=True),
    # StarCoder 2: LayerNorm with biases, a plain GELU MLP; use_bias puts biases on every projection
    "starcoder2": Recipe(norm_kind="layernorm", gated_mlp=False, qkv_bias=True, mlp_bias=True, tied=True),
    # StableLM: LayerNorm with biases, optional biases on q, k and v (not o), optional per-head
    # LayerNorms of q and k (weights only), and with use_parallel_residual one norm for attention and MLP
    "stablelm": Recipe(
        norm_kind="layernorm",
        o_bias=False,
        qk_norm="full",
        qk_norm_key="qk_layernorm",
        parallel_key="use_parallel_residual",
    ),
    # Cohere (Command R): use_qk_norm adds per-head norms of q and k; Cohere 2 has sliding windows instead
    "cohere": replace(_COHERE, qk_norm="full", qk_norm_key="use_qk_norm"),
    "cohere2": replace(_COHERE, sliding_pattern=4, nope_on_full=True),
    "xlstm": Recipe(mixer="mlstm"),
    # ZAYA1: compressed convolutional attention and an MoE with an MLP router in every layer
    "zaya": Recipe(mixer="cca", skip_expert=True, router_carry=True, residual_scales=True),
    # Grok 2: a dense GeGLU MLP beside the experts on the same input (residual_moe), as a shared expert
    "grok": Recipe(
        norm="sandwich",
        shared_key="intermediate_size",
        shared_flag="residual_moe",
        defaults={"hidden_act": "gelu_pytorch_tanh"},
    ),
}


def recipe_for(model_type: str) -> Recipe | None:
    """The recipe of a model type: the table's, or for a type an op kind from another
    package claims (:attr:`~sphinx_llmarch.kinds.Op.hf_model_types`), a pre-norm stack of
    that kind's layers."""
    recipe = RECIPES.get(model_type)
    if recipe is None:
        recipe = next((Recipe(mixer=kind.type) for kind in KINDS.values() if model_type in kind.hf_model_types), None)
    return recipe


def plugin_model_types() -> set[str]:
    """The model types op kinds from other packages claim."""
    return {name for kind in KINDS.values() for name in kind.hf_model_types}


#: Checkpoints whose model_type is not their own (Grok 2 says "git", another model's type).
ARCHITECTURES = {"Grok1ForCausalLM": "grok"}
#: Multimodal wrappers: the text stack is in text_config, read with its own recipe.
WRAPPERS = {
    "gemma3": "gemma3_text",
    "mistral3": "mistral",
    "llama4": "llama4_text",
    "gemma4": "gemma4_text",
    "kimi_k25": "kimi_k2",
}
