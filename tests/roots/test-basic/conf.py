extensions = ["sphinx_llmarch"]
numfig = True
