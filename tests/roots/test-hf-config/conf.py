extensions = ["sphinx_llmarch"]
llmarch_spec_paths = ["my specs"]
