"""The diagram: a pinned canvas, the main column, the ends and panels, and Graphviz rendering."""
