extensions = ["sphinx_llmarch"]
nitpicky = True
