"""sphinx-llmarch: LLM architecture diagrams and fact sheets for Sphinx."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sphinx.application import Sphinx

from .version import __version__

__all__ = ["__version__", "setup"]


def setup(app: Sphinx) -> dict[str, Any]:
    """Sphinx entry point; imports Sphinx-dependent code only when used."""
    from .sphinxext.extension import setup_extension

    return setup_extension(app)
