"""Vision towers of multimodal Hugging Face configs, for the families whose towers we draw.

Each reader turns a ``vision_config`` (and the wrapper's projector keys) into
the spec's ``[vision]`` table: the encoder's sizes and the projector's steps,
as that family's modeling code builds them.
"""

from __future__ import annotations

from typing import Any

from ..errors import SpecError
from .config import HFConfig


def _encoder(vision: HFConfig, *, dynamic: bool = False, **fixed: Any) -> dict[str, Any]:
    """The sizes every tower has; a ``dynamic`` (any-resolution) one has no image_size."""
    table = {
        "hidden_size": vision.require("hidden_size", "vt_hidden_size"),
        "intermediate_size": vision.require("intermediate_size", "vt_intermediate_size"),
        "num_hidden_layers": vision.require("num_hidden_layers", "depth", "vt_num_hidden_layers"),
        "num_attention_heads": vision.require("num_attention_heads", "num_heads", "vt_num_attention_heads"),
        "patch_size": vision.require("patch_size"),
        "num_channels": vision.first("num_channels", "in_channels", "in_chans", default=3),
        **fixed,
    }
    if not dynamic:
        table["image_size"] = vision.require("image_size")
    return table


def _siglip(top: HFConfig, vision: HFConfig, text_hidden: int) -> dict[str, Any]:
    """Gemma 3: SigLIP, then an average pool to mm_tokens_per_image, an RMSNorm and one linear layer."""
    table = _encoder(
        vision,
        name="SigLIP",
        ffn="gelu",
        norm="layernorm",
        bias=True,
        patch_bias=True,
        position="learned",
        post_norm=True,
    )
    side = table["image_size"] // table["patch_size"]
    pool = side // int(top.positive("mm_tokens_per_image", default=256) ** 0.5)
    d = table["hidden_size"]
    table["projector"] = [
        {"step": "pool", "factor": pool},
        {"step": "norm", "width": d, "kind": "rmsnorm"},
        {"step": "linear", "in": d, "out": text_hidden},
    ]
    return table


def _pixtral(top: HFConfig, vision: HFConfig, text_hidden: int) -> dict[str, Any]:
    """Mistral 3: Pixtral, then an RMSNorm, a patch merger and a two-layer GELU MLP."""
    table = _encoder(vision, name="Pixtral", ffn="swiglu", norm="rmsnorm", position="rope", pre_norm=True)
    d, merge, bias = (
        table["hidden_size"],
        top.positive("spatial_merge_size", default=2),
        bool(top.get("multimodal_projector_bias")),
    )
    table["projector"] = [
        {"step": "norm", "width": d, "kind": "rmsnorm"},
        {"step": "pixel_shuffle", "factor": merge},
        {"step": "linear", "in": d * merge * merge, "out": d},
        {"step": "linear", "in": d, "out": text_hidden, "bias": bias},
        {"step": "activation", "name": str(top.get("projector_hidden_act", "gelu")).upper()},
        {"step": "linear", "in": text_hidden, "out": text_hidden, "bias": bias},
    ]
    return table


def _llama4(top: HFConfig, vision: HFConfig, text_hidden: int) -> dict[str, Any]:
    """Llama 4: a ViT with a class token, a pixel-shuffle MLP adapter and one linear projector."""
    table = _encoder(
        vision,
        ffn="gelu",
        norm="layernorm",
        bias=True,
        position="both",
        class_token=True,
        pre_norm=True,
        post_norm=True,
    )
    shuffle = round(1 / vision.positive("pixel_shuffle_ratio", default=0.5))
    wide = table["hidden_size"] * shuffle * shuffle
    adapter, out = vision.require("projector_input_dim"), vision.require("projector_output_dim")
    table["projector"] = [
        {"step": "pixel_shuffle", "factor": shuffle},
        {"step": "linear", "in": wide, "out": adapter},
        {"step": "activation", "name": "GELU"},
        {"step": "linear", "in": adapter, "out": out},
        {"step": "activation", "name": "GELU"},
        {
            "step": "linear",
            "in": vision.require("vision_output_dim"),
            "out": text_hidden,
            "bias": bool(vision.get("multi_modal_projector_bias")),
        },
    ]
    return table


def _qwen3_5(top: HFConfig, vision: HFConfig, text_hidden: int) -> dict[str, Any]:
    """Qwen3.5 / 3.6: a dynamic-resolution ViT whose 3-D patches span two frames, with a learned
    position table resampled to each image's grid and 2-D RoPE, then the patch merger: a
    LayerNorm, 2 × 2 patches concatenated, and a two-layer GELU MLP to the decoder's width.
    Qwen3-VL's deepstack mergers are gone: transformers deletes them and ignores
    ``deepstack_visual_indexes`` (empty in these configs anyway)."""
    table = _encoder(
        vision,
        dynamic=True,
        ffn="gelu",
        norm="layernorm",
        bias=True,
        patch_bias=True,
        position="both",
        temporal_patch_size=vision.positive("temporal_patch_size", default=2),
        position_embeddings=vision.require("num_position_embeddings"),
    )
    merge = vision.positive("spatial_merge_size", default=2)
    table["projector"] = _patch_merger(table["hidden_size"], merge, vision.require("out_hidden_size"))
    return table


def _patch_merger(width: int, merge: int, out: int, norm: str = "layernorm", bias: bool = True) -> list[dict[str, Any]]:
    """A norm on each patch, ``merge`` × ``merge`` patches side by side, and a two-layer GELU
    MLP as wide as the merged patch: Qwen3.5's merger, Kimi's projector and MiMo's merger."""
    wide = width * merge * merge
    return [
        {"step": "norm", "width": width, "kind": norm},
        {"step": "pixel_shuffle", "factor": merge},
        {"step": "linear", "in": wide, "out": wide, "bias": bias},
        {"step": "activation", "name": "GELU"},
        {"step": "linear", "in": wide, "out": out, "bias": bias},
    ]


def _mimo(top: HFConfig, vision: HFConfig, text_hidden: int) -> dict[str, Any]:
    """MiMo-V2.5: a dynamic-resolution ViT with Qwen2.5-VL's shapes (3-D patches, SwiGLU with
    biases, RMSNorm, 2-D RoPE) but grouped-query heads of qk_channels (64 by default in the
    reference code, not hidden_size / num_heads) and a sink logit per head in every block
    outside fullatt_block_indexes; the merger is Qwen2.5-VL's, with RMSNorm and no biases.
    Which blocks window their attention changes no parameter."""
    head_dim = vision.positive("qk_channels", default=64)
    if vision.positive("kv_channels", default=64) != head_dim:
        raise SpecError(vision.file, vision.key("kv_channels"), "differs from qk_channels; one head_dim is drawn")
    depth = vision.require("depth", "num_hidden_layers")
    table = _encoder(
        vision,
        dynamic=True,
        ffn="swiglu",
        norm="rmsnorm",
        bias=True,
        position="rope",
        temporal_patch_size=vision.positive("temporal_patch_size", default=2),
        num_key_value_heads=vision.require("num_key_value_heads"),
        head_dim=head_dim,
    )
    if vision.get("use_sink"):
        table["sink_layers"] = depth - len(set(vision.get("fullatt_block_indexes") or []))
    merge = vision.positive("spatial_merge_size", default=2)
    out = vision.require("out_hidden_size")
    table["projector"] = _patch_merger(table["hidden_size"], merge, out, norm="rmsnorm", bias=False)
    return table


def _moonvit(top: HFConfig, vision: HFConfig, text_hidden: int) -> dict[str, Any]:
    """Kimi K2.5 / K2.6: MoonViT, a dynamic-resolution ViT with a learned position grid resampled
    to each image and 2-D RoPE, a final LayerNorm, then the "patchmerger" projector. The
    checkpoint's remote-code keys carry a ``vt_`` prefix; videos are pooled over time, which
    adds no parameters."""
    kind = vision.get("mm_projector_type", "patchmerger")
    if kind != "patchmerger":
        raise SpecError(vision.file, vision.key("mm_projector_type"), f"{kind!r}: only 'patchmerger' is drawn")
    rows = vision.require("init_pos_emb_height") * vision.require("init_pos_emb_width")
    table = _encoder(
        vision,
        dynamic=True,
        name="MoonViT",
        ffn="gelu",
        norm="layernorm",
        bias=True,
        patch_bias=True,
        position="both",
        post_norm=True,
        position_embeddings=rows,
    )
    merge = vision.get("merge_kernel_size", [2, 2])
    if len(set(merge)) != 1:
        raise SpecError(vision.file, vision.key("merge_kernel_size"), f"{merge}: only square merges are drawn")
    width = vision.get("mm_hidden_size", table["hidden_size"])
    table["projector"] = _patch_merger(width, merge[0], text_hidden)
    return table


def _gemma4(top: HFConfig, vision: HFConfig, text_hidden: int) -> dict[str, Any]:
    """Gemma 4: a dynamic-resolution ViT with Gemma's sandwich norms and per-head QK norms, a
    learned x table and y table of position_embedding_size rows each, and 2-D RoPE; its pooler
    averages k × k patches, and the embedder normalizes them without a scale and projects them."""
    table = _encoder(
        vision,
        dynamic=True,
        ffn="geglu",
        norm="rmsnorm",
        position="both",
        qk_norm="per-head",
        placement="sandwich",
        position_embeddings=2 * vision.require("position_embedding_size"),
        tokens_per_image=top.positive("vision_soft_tokens_per_image", default=280),
    )
    d, heads = table["hidden_size"], table["num_attention_heads"]
    if vision.get("num_key_value_heads", heads) != heads or vision.get("head_dim", d // heads) * heads != d:
        raise SpecError(
            vision.file, vision.key("head_dim"), "only heads of hidden_size / num_attention_heads are drawn"
        )
    table["projector"] = [
        {"step": "pool", "factor": vision.positive("pooling_kernel_size", default=3)},
        {"step": "norm", "width": d, "kind": "rmsnorm", "scale": False},
        {"step": "linear", "in": d, "out": text_hidden},
    ]
    return table


READERS = {
    "gemma3": _siglip,
    "mistral3": _pixtral,
    "llama4": _llama4,
    "qwen3_5": _qwen3_5,
    "qwen3_5_moe": _qwen3_5,
    "gemma4": _gemma4,
    "kimi_k25": _moonvit,
    "mimo_v2": _mimo,
}


def vision_from_hf(model_type: str, top: HFConfig, text: HFConfig) -> dict[str, Any] | None:
    """The ``[vision]`` table, or None when the wrapper has no tower we can draw."""
    vision = top.nested("vision_config")
    reader = READERS.get(model_type)
    if vision is None or reader is None:
        return None
    return reader(top, vision, text.require("hidden_size"))
