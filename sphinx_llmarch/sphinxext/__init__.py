"""Everything that knows Sphinx: configuration, directives, the ``llm`` domain, nodes and their
visitors, the gallery pages, images and the per-build state."""
