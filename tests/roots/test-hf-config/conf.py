extensions = ["sphinx_llmarch"]
