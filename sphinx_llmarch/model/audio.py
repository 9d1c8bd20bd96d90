"""Audio towers: a conformer or a transformer over audio-tokenizer codes, and the projector
steps that reach the decoder.

Counted apart from the text stack, as the vision tower is; the projector steps are the
vision tower's (``[[audio.projector]]`` takes the same keys as ``[[vision.projector]]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..kinds.attention import Attention
from ..kinds.base import linear
from ..kinds.mlp import mlp_params
from ..spec.table import REQUIRED
from .architecture import AudioEncoder, AudioTower
from .vision import describe_projector, optional_tower, projector_params, read_step

if TYPE_CHECKING:
    from ..spec.table import SpecTable

KINDS = ("conformer", "transformer")
#: The keys only one kind of encoder has.
OWN_KEYS = {
    "conformer": ("conv_kernel_size", "subsampling_channels", "output_size"),
    "transformer": ("codebooks", "codebook_size", "group_size"),
}
#: The subsampling convolutions: 3 × 3 kernels of stride 2, so each halves time and frequency.
SUBSAMPLING_KERNEL = 3


def read_audio(root: SpecTable) -> AudioTower | None:
    return optional_tower(root, "audio", read_tower, _check)


def _check(tower: AudioTower, table: SpecTable) -> None:
    """Keys that are each valid but do not fit together."""
    encoder = tower.encoder
    for kind, keys in OWN_KEYS.items():
        for key in keys:
            if kind != encoder.kind and table.has(key):
                raise table.fail(key, f"a {kind} key, but kind = {encoder.kind!r}")
    channels = encoder.subsampling_channels
    if encoder.kind == "conformer" and (len(channels) != 2 or not all(type(c) is int and c > 0 for c in channels)):
        raise table.fail("subsampling_channels", f"expected two channel counts, got {list(channels)!r}")
    if encoder.hidden_size % encoder.num_heads:
        raise table.fail("num_attention_heads", f"{encoder.num_heads} does not divide hidden_size")


def read_tower(table: SpecTable) -> AudioTower:
    """The ``[audio]`` keys one by one (``llmarch schema`` records them by running this);
    each kind's own keys are required of it and refused by ``read_audio`` for the other."""
    kind = table.choice("kind", KINDS, "conformer")
    conformer, transformer = (REQUIRED, None) if kind == "conformer" else (None, REQUIRED)
    encoder = AudioEncoder(
        name=table.str("name", ""),
        kind=kind,
        hidden_size=table.int("hidden_size", REQUIRED),
        intermediate_size=table.int("intermediate_size", REQUIRED),
        num_layers=table.int("num_hidden_layers", REQUIRED),
        num_heads=table.int("num_attention_heads", REQUIRED),
        conv_kernel_size=table.int("conv_kernel_size", conformer) or 0,
        subsampling_channels=tuple(table.list("subsampling_channels", conformer) or ()),
        output_size=table.int("output_size", conformer) or 0,
        codebooks=table.int("codebooks", transformer) or 0,
        codebook_size=table.int("codebook_size", transformer) or 0,
        group_size=table.int("group_size", 1),
    )
    steps = [read_step(step) for step in table.tables("projector")] if table.has("projector") else []
    table.check_unknown()
    return AudioTower(encoder, tuple(steps))


def _subsampling_params(encoder: AudioEncoder) -> int:
    """Two bias-free convolutions, each followed by a LayerNorm with a scale only, then a
    linear layer from the flattened channels to the encoder's width. Its input width is
    (first channels // 4) × second channels, as the reference code computes it: the 128 mel
    bins, quartered by the two strides, happen to equal the first convolution's 128 channels."""
    first, second = encoder.subsampling_channels
    convs = (1 * first + first * second) * SUBSAMPLING_KERNEL**2 + first + second
    return convs + linear(first // 4 * second, encoder.hidden_size)


def _conformer_layer(encoder: AudioEncoder) -> int:
    """One conformer layer; every linear layer is bias-free and every RMSNorm has a scale."""
    d, ff = encoder.hidden_size, encoder.intermediate_size
    feed_forward = 2 * linear(d, ff) + 2 * d  # with its pre- and post-norm; there are two
    # q, k, v and output, a projection of the relative position encodings, a learned per-dim query scale
    attention = 5 * linear(d, d) + d // encoder.num_heads
    # a GLU in-projection, a depthwise convolution, a norm before it and one after, the out-projection
    convolution = linear(d, 2 * d) + d * encoder.conv_kernel_size + 2 * d + linear(d, d)
    norms = 3 * d  # before and after attention, and at the layer's end
    return 2 * feed_forward + attention + convolution + norms


def _transformer_layer(encoder: AudioEncoder) -> int:
    """One Qwen2-style layer: biases on q, k and v only, SwiGLU, two RMSNorms."""
    d, heads = encoder.hidden_size, encoder.num_heads
    attention = sum(Attention(heads, heads, d // heads, d // heads, qkv_bias=True).params(d).values())
    return attention + mlp_params("swiglu", d, encoder.intermediate_size, False) + 2 * d


def encoder_params(encoder: AudioEncoder) -> int:
    d = encoder.hidden_size
    if encoder.kind == "transformer":  # the codebook tables, the layers and a final RMSNorm
        return encoder.codebooks * encoder.codebook_size * d + encoder.num_layers * _transformer_layer(encoder) + d
    output = linear(d, encoder.output_size, bias=True)
    return _subsampling_params(encoder) + encoder.num_layers * _conformer_layer(encoder) + output


def audio_params(tower: AudioTower) -> tuple[int, int]:
    """(encoder, projector) parameters."""
    return encoder_params(tower.encoder), projector_params(tower)


def audio_json(tower: AudioTower) -> dict[str, Any]:
    encoder, projector = audio_params(tower)
    return {
        "name": tower.encoder.name,
        "kind": tower.encoder.kind,
        "encoder_params": encoder,
        "projector_params": projector,
        "num_layers": tower.encoder.num_layers,
        "hidden_size": tower.encoder.hidden_size,
        "projector": describe_projector(tower),
    }
