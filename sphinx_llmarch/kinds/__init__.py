"""The op kinds, by the ``type`` that names them in a spec.

Each kind is one module holding an :class:`~.base.Op` subclass decorated with
:func:`~.base.register`. The package's kinds are imported below, in the order error
messages and the schema list them; a separate package adds kinds by naming a module
in the ``sphinx_llmarch.kinds`` entry-point group (its import registers them).
"""

from __future__ import annotations

from importlib.metadata import entry_points

from .base import KINDS, CachePart, Op, PanelContext, Rope, Slot, Variants, register

# Imported for their registration; the order is the order KINDS lists them in.
from .attention import Attention  # isort: skip
from .mla import MLA  # isort: skip
from .compressed_attention import CompressedAttention  # isort: skip
from .cca import CCA  # isort: skip
from .gated_deltanet import GatedDeltaNet  # isort: skip
from .kda import KimiDeltaAttention  # isort: skip
from .lightning import Lightning  # isort: skip
from .mamba2 import Mamba2  # isort: skip
from .short_conv import ShortConv  # isort: skip
from .mlstm import MLSTM  # isort: skip
from .mlp import MLP  # isort: skip
from .moe import MoE  # isort: skip
from .per_layer_input import PerLayerInput  # isort: skip

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
