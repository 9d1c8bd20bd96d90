"""Audio towers of multimodal Hugging Face configs, for the families whose towers we draw.

Each reader turns an ``audio_config`` into the spec's ``[audio]`` table, as that
family's modeling code builds the encoder and its projection.
"""

from __future__ import annotations

from typing import Any

from .hf_config import HFConfig


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


READERS = {"gemma4": _gemma4}


def audio_from_hf(model_type: str, top: HFConfig, text: HFConfig) -> dict[str, Any] | None:
    """The ``[audio]`` table, or None when the wrapper has no tower we can draw."""
    audio = top.nested("audio_config")
    reader = READERS.get(model_type)
    if audio is None or reader is None:
        return None
    return reader(audio, text.require("hidden_size"))
