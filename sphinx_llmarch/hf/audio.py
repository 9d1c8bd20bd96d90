"""Audio towers of multimodal Hugging Face configs, for the families whose towers we draw.

Each reader turns an ``audio_config`` into the spec's ``[audio]`` table, as that
family's modeling code builds the encoder and its projection.
"""

from __future__ import annotations

from typing import Any

from ..errors import SpecError
from .config import HFConfig


def _gemma4(audio: HFConfig, text_hidden: int) -> dict[str, Any]:
    """Gemma 4: a conformer whose feed-forward layers are four times its width (fixed in the
    code), then the same embedder as the image path: an RMSNorm without a scale and a linear
    layer to the decoder's width. The clamp bounds of its linear layers are buffers."""
    d = audio.require("hidden_size")
    out = audio.require("output_proj_dims")
    return {
        "hidden_size": d,
        "intermediate_size": 4 * d,
        "num_hidden_layers": audio.require("num_hidden_layers"),
        "num_attention_heads": audio.require("num_attention_heads"),
        "conv_kernel_size": audio.require("conv_kernel_size"),
        "subsampling_channels": list(audio.require("subsampling_conv_channels")),
        "output_size": out,
        "projector": [
            {"step": "norm", "width": out, "kind": "rmsnorm", "scale": False},
            {"step": "linear", "in": out, "out": text_hidden},
        ],
    }


def _mimo(audio: HFConfig, text_hidden: int) -> dict[str, Any]:
    """MiMo-V2.5, as vLLM's MimoAudioEncoder builds it (transformers has no class): one
    embedding table per codebook of the separate audio tokenizer's codes, summed; a Qwen2
    model over each group of group_size frames, with as many key/value heads as query heads
    and a final RMSNorm when add_post_norm is set; the group's frames side by side, then one
    linear layer or two (four times as wide between them, GELU), without biases. Qwen2's own
    token embedding goes unused and the checkpoint does not store it."""
    d, heads = audio.require("input_local_dim"), audio.require("input_local_attn_heads")
    if audio.get("input_local_head_dim", d // heads) * heads != d:
        raise SpecError(audio.file, audio.key("input_local_head_dim"), "Qwen2 uses hidden_size / heads; it differs")
    if not audio.get("add_post_norm"):
        raise SpecError(audio.file, audio.key("add_post_norm"), "only an encoder with its final norm is drawn")
    channels = audio.require("audio_channels")
    sizes = set(audio.require("speech_vocab_size").split("-"))
    if len(sizes) != 1 or not next(iter(sizes)).isdigit():
        raise SpecError(audio.file, audio.key("speech_vocab_size"), "one size for every codebook is drawn")
    group = audio.positive("group_size", default=4)
    wide, out = d * group, audio.require("out_hidden_size")
    layers = audio.positive("projection_layers", default=1)
    if layers not in (1, 2):
        raise SpecError(audio.file, audio.key("projection_layers"), f"{layers}: the code builds 1 or 2")
    projector = [{"step": "linear", "in": wide, "out": out}]
    if layers == 2:
        projector = [
            {"step": "linear", "in": wide, "out": 4 * wide},
            {"step": "activation", "name": "GELU"},
            {"step": "linear", "in": 4 * wide, "out": out},
        ]
    return {
        "kind": "transformer",
        "hidden_size": d,
        "intermediate_size": audio.require("input_local_intermediate_size"),
        "num_hidden_layers": audio.require("input_local_layers"),
        "num_attention_heads": heads,
        "codebooks": channels,
        "codebook_size": int(sizes.pop()),
        "group_size": group,
        "projector": projector,
    }


READERS = {"gemma4": _gemma4, "mimo_v2": _mimo}


def audio_from_hf(model_type: str, top: HFConfig, text: HFConfig) -> dict[str, Any] | None:
    """The ``[audio]`` table, or None when the wrapper has no tower we can draw."""
    audio = top.nested("audio_config")
    reader = READERS.get(model_type)
    if audio is None or reader is None:
        return None
    return reader(audio, text.require("hidden_size"))
