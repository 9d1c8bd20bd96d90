"""The op kinds, by the ``type`` that names them in a spec.

Adding a kind is adding one module with an :class:`~.base.Op` subclass and
listing it here; nothing else in the package names a kind.
"""

from __future__ import annotations

from .attention import Attention
from .base import CachePart, Op, PanelContext, Rope, Slot, Variants
from .cca import CCA
from .compressed_attention import CompressedAttention
from .gated_deltanet import GatedDeltaNet
from .kda import KimiDeltaAttention
from .lightning import Lightning
from .mamba2 import Mamba2
from .mla import MLA
from .mlp import MLP
from .mlstm import MLSTM
from .moe import MoE
from .per_layer_input import PerLayerInput
from .short_conv import ShortConv

KINDS: dict[str, type[Op]] = {
    kind.type: kind
    for kind in (
        Attention,
        MLA,
        CompressedAttention,
        CCA,
        GatedDeltaNet,
        KimiDeltaAttention,
        Lightning,
        Mamba2,
        ShortConv,
        MLSTM,
        MLP,
        MoE,
        PerLayerInput,
    )
}

__all__ = [
    "CCA",
    "KINDS",
    "MLA",
    "MLP",
    "MLSTM",
    "Attention",
    "CachePart",
    "CompressedAttention",
    "GatedDeltaNet",
    "KimiDeltaAttention",
    "Lightning",
    "Mamba2",
    "MoE",
    "Op",
    "PanelContext",
    "PerLayerInput",
    "Rope",
    "ShortConv",
    "Slot",
    "Variants",
]
