"""Sphinx configuration of the sphinx-llmarch gallery and manual."""

from __future__ import annotations

from sphinx_llmarch import __version__

project = "sphinx-llmarch"
author = "sphinx-llmarch developers"
release = version = __version__
extensions = ["sphinx_llmarch", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
numfig = True
html_theme = "alabaster"
html_theme_options = {"page_width": "1180px", "sidebar_width": "220px", "show_relbars": True}
html_show_sourcelink = False  # the model pages are generated: their source is one directive
html_title = "sphinx-llmarch"  # the tab reads "<page> — sphinx-llmarch"; the front page is the gallery

# One generated page per bundled model, and an overview (see usage.rst, "A gallery").
llmarch_gallery = "models"
# Every model's facts, for download from the front page.
llmarch_export = ["models.json", "models.csv"]
