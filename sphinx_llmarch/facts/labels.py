"""The fact sheet's row labels that the diagram links to.

The fact sheet writes its rows under these labels, and each box, callout and panel of
the diagram names the row that explains it by the same constant, so the link from a
drawing to its numbers cannot point at a row that is not there (a test checks every
bundled model). Op kinds name their own rows with ``fact_label``.
"""

ROW_PARAMETERS = "Parameters (text stack)"
ROW_LAYERS = "Layers"
ROW_HIDDEN_SIZE = "Hidden size"
ROW_VOCABULARY = "Vocabulary"
ROW_CONTEXT_LENGTH = "Context length"
ROW_NORMALIZATION = "Normalization"
ROW_POSITIONS = "Positions"
ROW_RESIDUAL_STREAM = "Residual stream"
ROW_PER_LAYER_EMBEDDINGS = "Per-layer embeddings"
ROW_WITH_MTP = "With MTP modules"
#: Not a row: the diagram's title links to the model card.
ROW_TITLE = "title"
