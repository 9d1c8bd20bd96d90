"""The op kinds, by the ``type`` that names them in a spec.

Each kind is one module holding an :class:`~.base.Op` subclass decorated with
:func:`~.base.register`. The package's kinds are imported below, in the order error
messages and the schema list them; a separate package adds kinds by naming a module
in the ``sphinx_llmarch.kinds`` entry-point group (its import registers them).
"""

from __future__ import annotations

from importlib.metadata import entry_points

# Imported for their registration; the order is the order KINDS lists them in.
from .attention import Attention
from .base import KINDS, CachePart, Op, PanelContext, Rope, Slot, Variants, register
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

#: The entry-point group through which other packages add op kinds.
ENTRY_POINT_GROUP = "sphinx_llmarch.kinds"


def load_plugins() -> list[str]:
    """Import every module of the :data:`ENTRY_POINT_GROUP` group (registering its kinds);
    return what failed, one line each, so that a broken plug-in is reported, not fatal."""
    problems = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            entry.load()
        except Exception as error:
            problems.append(f"op kinds from {entry.value!r} ({entry.name}) could not be loaded: {error}")
    return problems


PLUGIN_PROBLEMS = load_plugins()

__all__ = [
    "CCA",
    "ENTRY_POINT_GROUP",
    "KINDS",
    "MLA",
    "MLP",
    "MLSTM",
    "PLUGIN_PROBLEMS",
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
    "load_plugins",
    "register",
]
