"""The extension's tables and grids kept as plain data in stored doctrees.

Sphinx unpickles and walks every stored doctree on every build, even one where no page
changed (figure numbering visits each element of each page). A fact sheet is some 150
elements and a model table several hundred; kept as nested lists inside one node, each
costs about what one element costs. :class:`UnpackNodes` rebuilds the nodes before
references are resolved, so every builder writes the same ordinary tables as before.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform

from ..facts.links import llmarch_links
from .views import llmarch_thumbnail

#: What is packed: the outermost node of each of the extension's tables and grids.
PACKED_CLASSES = frozenset({"llmarch-facts", "llmarch-compare", "llmarch-models", "llmarch-grid"})

#: The node classes a packed tree may hold, by tag name. Anything else (an image, a
#: target, an index entry: things Sphinx collects when a page is read) keeps the
#: node unpacked, so nothing the environment needs is hidden from it.
_CLASSES: dict[str, type[nodes.Element]] = {
    cls.tagname or cls.__name__: cls
    for cls in (
        nodes.table,
        nodes.tgroup,
        nodes.colspec,
        nodes.thead,
        nodes.tbody,
        nodes.row,
        nodes.entry,
        nodes.paragraph,
        nodes.strong,
        nodes.emphasis,
        nodes.literal,
        nodes.inline,
        nodes.reference,
        nodes.container,
        addnodes.pending_xref,
        llmarch_links,
        llmarch_thumbnail,
    )
}


class llmarch_packed(nodes.General, nodes.Element):  # noqa: N801 (docutils node naming)
    """One stored node standing for a whole tree: ``tree`` is ``[tagname, attributes,
    *children]`` with text as plain strings (see :func:`pack`)."""


class _UnpackableError(Exception):
    """A node of a class :func:`_node` does not rebuild."""


def _tree(node: nodes.Node) -> Any:
    if isinstance(node, nodes.Text):
        return str(node)
    assert isinstance(node, nodes.Element)
    if _CLASSES.get(node.tagname) is not type(node):
        raise _UnpackableError(node.tagname)
    attributes = {key: value for key, value in node.attributes.items() if value != []}
    return [node.tagname, attributes, *(_tree(child) for child in node.children)]


def _node(tree: Any) -> nodes.Node:
    """The node a packed tree stands for. Built by hand, not with ``extend``: on a
    detached node that only sets each child's parent, at half the cost."""
    if isinstance(tree, str):
        return nodes.Text(tree)
    node = _CLASSES[tree[0]]()
    node.attributes.update(tree[1])
    for packed in tree[2:]:
        child = _node(packed)
        child.parent = node
        node.children.append(child)
    return node


def pack(node: nodes.Element) -> nodes.Element:
    """``node`` as one :class:`llmarch_packed` node, or ``node`` itself when it holds
    something that must stay visible while pages are read."""
    try:
        return llmarch_packed(tree=_tree(node))
    except _UnpackableError:
        return node


def pack_doctree(app: Sphinx, doctree: nodes.document) -> None:
    """Pack the extension's tables and grids once the page is read. A node with ids or
    names (a numbered fact sheet) stays as it is: figure numbering and ``:numref:``
    need it."""
    for node in list(doctree.findall(nodes.Element)):
        if PACKED_CLASSES.intersection(node["classes"]) and not node["ids"] and not node["names"]:
            node.replace_self(pack(node))


class UnpackNodes(SphinxPostTransform):
    """Rebuild packed trees first, before pending references inside them are resolved."""

    default_priority = 5

    def run(self, **kwargs: Any) -> None:
        for node in list(self.document.findall(llmarch_packed)):
            node.replace_self(_node(node["tree"]))


class FlattenNestedTables(SphinxPostTransform):
    """The text and man writers cannot write a table inside a table (they stop the build).
    There, each of the extension's tables that sits in another table's cell (a comparison
    in a ``list-table``) becomes a list with one item per row: ``label: cell | cell``."""

    default_priority = 6  # after UnpackNodes, before references are resolved
    builders = ("text", "man")

    def run(self, **kwargs: Any) -> None:
        for table in list(self.document.findall(nodes.table)):
            if any(cls.startswith("llmarch-") for cls in table["classes"]) and _nested(table):
                table.replace_self(_rows_as_list(table))


def _nested(node: nodes.Element) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, nodes.table):
            return True
        parent = parent.parent
    return False


def _rows_as_list(table: nodes.table) -> nodes.container:
    """The title, then a bullet per row (a cell keeps its line breaks only in a list)."""
    out = nodes.container(classes=table["classes"])
    for title in table.findall(nodes.title):
        out += nodes.paragraph("", "", nodes.strong("", "", *title.children))
    rows = nodes.bullet_list()
    for row in table.findall(nodes.row):
        label, *cells = (_inline(entry) for entry in row.findall(nodes.entry))
        para = nodes.paragraph("", "", *label)
        for index, cell in enumerate(cells):
            para += nodes.Text((": " if label else "") if index == 0 else " | ")
            para.extend(cell)
        rows += nodes.list_item("", para)
    out += rows
    return out


def _inline(entry: nodes.entry) -> list[nodes.Node]:
    """An entry's content as inline nodes: its paragraphs' children, anything else as text."""
    parts: list[nodes.Node] = []
    for child in entry.children:
        if isinstance(child, nodes.paragraph):
            parts += child.children
        else:
            parts.append(nodes.Text(child.astext()))
    return parts
