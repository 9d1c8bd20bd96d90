extensions = ["sphinx_llmarch", "myst_parser"]
numfig = True
