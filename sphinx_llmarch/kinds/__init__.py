"""The op kinds, by the ``type`` that names them in a spec.

Each kind is one module of this package holding an :class:`~.base.Op` subclass
decorated with :func:`~.base.register`. Every module here is imported, so adding a
kind is adding its module (with its glossary entry and its docs); :data:`KINDS` lists
the package's kinds by type, alphabetically, which is the order error messages and
the schema give. A separate package adds kinds by naming a module in the
``sphinx_llmarch.kinds`` entry-point group (its import registers them).
"""

from __future__ import annotations

import pkgutil
from importlib import import_module
from importlib.metadata import entry_points

# The kinds other rooms name, for isinstance checks: attention, the dense MLP and MoE.
from .attention import Attention
from .base import KINDS, CachePart, Op, PanelContext, Rope, Slot, Variants, register
from .mlp import MLP
from .moe import MoE

for _module in sorted(module.name for module in pkgutil.iter_modules(__path__)):
    import_module(f".{_module}", __name__)
_ordered = sorted(KINDS.items())
KINDS.clear()
KINDS.update(_ordered)

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
    "ENTRY_POINT_GROUP",
    "KINDS",
    "MLP",
    "PLUGIN_PROBLEMS",
    "Attention",
    "CachePart",
    "MoE",
    "Op",
    "PanelContext",
    "Rope",
    "Slot",
    "Variants",
    "load_plugins",
    "register",
]
