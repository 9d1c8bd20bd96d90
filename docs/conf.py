"""Sphinx configuration of the sphinx-llmarch gallery and manual."""

from __future__ import annotations

from pathlib import Path

from sphinx_llmarch import __version__
from sphinx_llmarch.gallery import write_gallery
from sphinx_llmarch.registry import bundled_registry

project = "sphinx-llmarch"
author = "sphinx-llmarch developers"
release = version = __version__
extensions = ["sphinx_llmarch", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
numfig = True
html_theme = "alabaster"
html_theme_options = {"page_width": "1180px", "sidebar_width": "220px"}
html_title = "LLM architecture gallery"

# One generated page per bundled model (rewritten only when its text changes).
write_gallery(Path(__file__).parent / "models", bundled_registry())
