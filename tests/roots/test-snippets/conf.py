extensions = ["sphinx_llmarch", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
numfig = True
copyright = "sphinx-llmarch tests"
version = release = "1.0"
