# Every text field of a spec and of a config.json holds markup of some output format
# (tests/test_trust.py writes the hostile values into specs/ and checkpoints/).
extensions = ["sphinx_llmarch"]
llmarch_spec_paths = ["specs"]
llmarch_gallery = "models"
llmarch_gallery_models = ["hostile", "qwen3-8b"]
project = "Hostile input"
copyright = "2026, the sphinx-llmarch tests"
version = "1"
