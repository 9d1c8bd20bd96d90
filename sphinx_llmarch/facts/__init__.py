"""Numbers and words computed from an architecture: counts, caches, the glossary's concepts,
comparisons, the filter language and the fact-sheet tables (docutils nodes, no Sphinx)."""
