"""Architecture -> Graphviz graph, in the visual language of the gallery panels.

This module is the frame: the main column bottom to top (tokenized text,
embedding, one block per distinct layer structure with its "N ×", final norm,
output layer) with residual adds on the right and side inputs on the left.
What each box says, and each detail panel, comes from the ops themselves
(:mod:`.kinds`); the callouts, panels, layer strip and title are placed by
:mod:`.columns`. No model is special-cased here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from itertools import pairwise

import graphviz

from ..facts.labels import (
    ROW_CONTEXT_LENGTH,
    ROW_LAYERS,
    ROW_NORMALIZATION,
    ROW_POSITIONS,
    ROW_RESIDUAL_STREAM,
    ROW_VOCABULARY,
)
from ..facts.words import compact
from ..kinds import Op
from ..model.architecture import Architecture, LayerKind, Sublayer
from .canvas import Canvas, Cluster, Node, rich_size
from .columns import place_columns
from .ends import draw_inputs, draw_mtp
from .frame import COLUMN_GAP, GAP, PAD, Block, Item, group_blocks
from .style import DARK_BOX, DIFFERS, FONT, PANEL_FILL, family_colour

#: Norm-box wording by the component of the op the norm wraps.
_NORM_ROLE = {"attention": "attention", "dense_ffn": "FFN", "routed_experts": "FFN", "per_layer_input": "PLE"}
#: The same inside a parallel pair whose branches have norms of their own (an MLP beside an MoE).
_BRANCH_ROLE = {**_NORM_ROLE, "dense_ffn": "MLP", "routed_experts": "MoE"}


def cluster_anchor(canvas: Canvas, key: str, cluster: Cluster) -> Node:
    """An invisible point at a block's lower left corner, for its "N ×" label."""
    return canvas.point(f"{key}.corner", cluster.x0, cluster.y0)


def _common_label(labels: list[str]) -> str:
    """The words all of a block's kind labels start with (``MoE`` for ``MoE, chunked``
    and ``MoE, global NoPE``), else the labels joined by "or"."""
    words = [label.replace(",", "").split() for label in labels]
    common = []
    for group in zip(*words, strict=False):
        if len(set(group)) > 1:
            break
        common.append(group[0])
    return " ".join(common) or " or ".join(labels)


class _Frame:
    """The diagram of one architecture, laid out on a :class:`Canvas`."""

    def __init__(self, arch: Architecture) -> None:
        self.arch = arch
        self.colour = family_colour(arch.family, arch.colour)
        self.canvas = Canvas()
        self.y = 0.0
        self.previous: str | None = None
        self.blocks = group_blocks(arch)
        norm = arch.norm.name
        labels = ["Tokenized text", "Token embedding layer", f"Final {norm}", f"Post-attention {norm}"]
        labels += [sub.op.title for kind in arch.kinds.values() for sub in kind.sublayers if sub.op.role != "token"]
        labels += [self.hc_label] if arch.hyper_connections else []
        self.width = max(150.0, max(rich_size(label, bold=False)[0] for label in labels) + 26)
        parallel = any(sub.parallel for kind in arch.kinds.values() for sub in kind.sublayers)
        #: Parallel sublayers put their second op right of the column, and the residual beyond it.
        self.branch_x = self.width + 24 if parallel else 0.0
        self.residual_x = self.branch_x + self.width / 2 + 22
        self.right: list[Item] = []
        self.left: list[Item] = []
        #: Node -> the fact-sheet row that explains it (for links).
        self.rows: dict[str, str] = {}
        #: Panel key -> the op that draws it and every box it may hang from.
        self.panel_anchors: dict[str, tuple[Op, list[str]]] = {}
        #: Panel key -> every op its boxes stand for (an FFN of two widths in one block).
        self.panel_variants: dict[str, list[Op]] = {}
        #: Box name -> the ops of the layer kinds it stands for.
        self.box_variants: dict[str, list[Op]] = {}
        self.block_labels: dict[str, Item] = {}
        #: Every op box with its callout, in drawing order.
        self.boxes: list[tuple[Op, Node, str | None]] = []
        #: Boxes with a parallel branch level with them on their right: their callouts go left.
        self.beside: set[str] = set()

    # -- main column -------------------------------------------------------------

    def _advance(self, height: float) -> float:
        self.y += (GAP if self.previous else 0) + height / 2
        return self.y

    def _link(self, node: Node, arrow: bool = True) -> Node:
        if self.previous:
            self.canvas.edge(self.previous, node.name, arrow=arrow)
        self.previous = node.name
        self.y = node.top
        return node

    def main_box(self, name: str, text: str, row: str, h: float = 26, **attrs: str) -> Node:
        y = self._advance(h)
        self.rows[name] = row
        return self._link(self.canvas.box(name, text, 0, y, w=self.width, h=h, **attrs))

    def junction(self, name: str) -> Node:
        node = self.canvas.point(name, 0, self._advance(0) - GAP / 2, visible=True)
        self.y = node.y
        return self._link(node, arrow=False)

    def add(self, name: str) -> Node:
        return self._link(self.canvas.circle(name, "+", 0, self._advance(20)))

    def residual(self, start: Node, end: Node) -> None:
        """The skip connection along the right side, from junction to ⊕ (drawn heavy when
        it carries several streams)."""
        c = self.canvas
        low = c.point(f"{start.name}.r", self.residual_x, start.y)
        high = c.point(f"{end.name}.r", self.residual_x, end.y)
        heavy = {"penwidth": "3.2"} if self.arch.hyper_connections else {}
        c.edge(start.name, low.name, arrow=False, **heavy)
        c.edge(low.name, high.name, arrow=False, **heavy)
        c.edge(high.name, end.name, **heavy)

    @property
    def hc_label(self) -> str:
        return f"Hyper-connection: {self.arch.hyper_connections} streams → 1"

    def hc_mix(self, name: str) -> Node:
        """Hyper-connections: the learned mix that reads the streams into one input. The first
        one drawn says what the streams are."""
        node = self.main_box(name, self.hc_label, ROW_RESIDUAL_STREAM, cls="lm-box lm-norm")
        if "hc" not in {item.name for item in self.right}:
            streams = self.arch.hyper_connections
            text = f"{{{streams}}} residual streams (hyper-connections)\nmixed around every sublayer"
            self.right.append(Item("hc", text, node, ROW_RESIDUAL_STREAM))
        return node

    # -- blocks ------------------------------------------------------------------

    def _norm_box(
        self, name: str, op: Op, when: str, shared: bool = False, branch: bool = False, bottom: float | None = None
    ) -> Node:
        """A norm box named for what it wraps (the input of a parallel pair is shared;
        in a pair of branches with norms of their own, each is named for its branch).
        With ``bottom``, it goes in the branch column, its lower edge there."""
        role = (_BRANCH_ROLE if branch else _NORM_ROLE).get(op.component, "mixer")
        label = f"Input {self.arch.norm.name}" if shared else f"{when}-{role} {self.arch.norm.name}"
        if bottom is None:
            return self.main_box(name, label, ROW_NORMALIZATION, cls="lm-box lm-norm")
        self.rows[name] = ROW_NORMALIZATION
        return self.canvas.box(name, label, self.branch_x, bottom + 13, w=self.width, cls="lm-box lm-norm")

    def _op_box(self, name: str, block: Block, index: int, x: float = 0.0, bottom: float | None = None) -> Node:
        """The box of one sublayer, with its side inputs and callout."""
        variants = block.variants(index)
        op = variants[0][0]
        slot = type(op).slot(variants, self.arch.hidden_size)
        h = 26 + 14 * slot.label.count("\n")
        style = {"fillcolor": DARK_BOX, "fontcolor": "#ffffff", "cls": "lm-box lm-mixer"} if op.role == "token" else {}
        if op.role == "channel":
            style = {"fillcolor": "#dee2e6", "cls": "lm-box lm-ffn"}
        if x:
            low = self.y + GAP / 2 if bottom is None else bottom
            node = self.canvas.box(name, slot.label, x, low + h / 2, w=self.width, h=h, **style)
        else:
            node = self.main_box(name, slot.label, op.fact_label, h, **style)
        self.rows[name] = op.fact_label
        self.box_variants[name] = [variant for variant, _ in variants]
        self._side_inputs(name, node, slot.side, op)
        self.boxes.append((op, node, slot.callout))
        return node

    def _annotate(self) -> None:
        """Give each box its detail panel or its callout.

        A panel belongs to the first box whose op has it, unless another op draws
        it as one of its parts (an MoE's expert FFN): the FFN box of a dense
        prefix then gets a callout with its size instead of a second panel. A
        panel states its op's numbers, so its boxes need no callout; a callout
        that says what an earlier one said is left out.
        """
        parts = {part.panel_key() for op, _, _ in self.boxes for part, _ in op.detail_ops()}
        for op, node, _ in self.boxes:
            key = op.panel_key()
            if key and key not in parts:
                self.panel_anchors.setdefault(key, (op, []))[1].append(node.name)
                ops = self.panel_variants.setdefault(key, [])
                ops += [variant for variant in self.box_variants[node.name] if variant not in ops]
        said: set[str] = set()
        for op, node, callout in self.boxes:
            drawn = op.panel_key() in self.panel_anchors
            if not callout or callout in said or drawn:
                continue
            said.add(callout)
            if node.name in self.beside:  # a branch fills its right side
                self.left.append(Item(f"{node.name}.callout", callout, node, op.fact_label))
            elif op.role == "channel" and op.panel_key():  # its panel is drawn as part of another (the MoE's)
                label = self.block_labels[node.name.split(".", 1)[0]]
                label.text += "\n" + callout.replace("\n", " ")
            else:
                self.right.append(Item(f"{node.name}.callout", callout, node, op.fact_label))

    def _side_inputs(self, name: str, node: Node, entries: tuple[tuple[str, str], ...], op: Op) -> None:
        """RoPE, QK-Norm, windows and sinks: right-aligned left of the box they feed,
        stacked around its row."""
        right = -(self.width / 2 + COLUMN_GAP)
        heights = [26 + 14 * label.count("\n") for _, label in entries]
        y = node.y + (sum(heights) + 4 * (len(heights) - 1)) / 2
        for (slot, label), h in zip(entries, heights, strict=True):
            y -= h / 2
            side = self.canvas.box(f"{name}.{slot}", label, 0, y, h=h, cls="lm-box lm-side")
            y -= h / 2 + 4
            side.x = right - side.w / 2
            self.canvas.edge(side.name, node.name, tailport="e", headport="w")
            self.rows[side.name] = ROW_POSITIONS if slot == "rope" else op.fact_label
            if slot == "rope" and self.context_anchor.name == "embedding":
                self.context_anchor = side

    def _sublayers(self, block: Block, first_kind: LayerKind) -> None:
        """Each sublayer's norms, box and residual add; a parallel pair side by side.

        Boxes are named ``<block>.<op type>`` (``moe.mla``), so the same slot has
        the same name in every model's diagram.
        """
        subs = first_kind.sublayers
        types = [sub.op.type for sub in subs]
        slots = [
            f"{block.key}.{t if types.count(t) == 1 else t + str(types[:i].count(t) + 1)}" for i, t in enumerate(types)
        ]
        index = 0
        while index < len(subs):
            twin = subs[index + 1] if index + 1 < len(subs) and subs[index + 1].parallel else None
            start = self.junction(f"{slots[index]}.split")
            if self.arch.hyper_connections:
                self.hc_mix(f"{slots[index]}.hc")
            if twin is not None and twin.own_input_norm:
                end = self._branches(subs[index], twin, block, index, slots[index : index + 2])
            else:
                end = self._sublayer(subs[index], block, index, slots[index], slots[index + 1] if twin else None)
            self.residual(start, end)
            index += 1 + (twin is not None)

    def _sublayer(self, sub: Sublayer, block: Block, index: int, name: str, twin: str | None) -> Node:
        """One sublayer, or a parallel pair on one input norm (Cohere's); returns its ⊕."""
        if sub.norm in ("pre", "sandwich"):
            self._norm_box(f"{name}.prenorm", sub.op, "Pre", shared=twin is not None)
        fork = self.junction(f"{name}.fork") if twin else None
        self._op_box(name, block, index)
        box = None
        if twin and fork:
            # one row up and to the right, so the first box's callout leader passes under it
            box = self._op_box(twin, block, index + 1, x=self.branch_x)
            self.y = box.top
            self._fork_to(fork, box)
        if sub.norm in ("post", "sandwich"):
            self._norm_box(f"{name}.postnorm", sub.op, "Post")
        end = self.add(f"{name}.add")
        if box is not None:  # straight into the ⊕, apart from the residual line
            self.canvas.edge(box.name, end.name, tailport="n")
        return end

    def _branches(self, sub: Sublayer, twin: Sublayer, block: Block, index: int, names: list[str]) -> Node:
        """Two branches side by side, each in its own norms, their outputs summed (and
        the sum normed) before the residual ⊕, which it returns. The second branch
        stacks level with the first in the branch column; the first one's callout
        goes left."""
        name, other = names
        fork = self.junction(f"{name}.fork")
        if sub.norm in ("pre", "sandwich"):
            self._norm_box(f"{name}.prenorm", sub.op, "Pre", branch=True)
        self._op_box(name, block, index)
        self.beside.add(name)
        if sub.norm in ("post", "sandwich"):
            self._norm_box(f"{name}.postnorm", sub.op, "Post", branch=True)
        bottom = fork.top + GAP
        boxes = [self._norm_box(f"{other}.prenorm", twin.op, "Pre", branch=True, bottom=bottom)]
        boxes.append(self._op_box(other, block, index + 1, x=self.branch_x, bottom=boxes[-1].top + GAP))
        if twin.norm == "sandwich":
            boxes.append(self._norm_box(f"{other}.postnorm", twin.op, "Post", branch=True, bottom=boxes[-1].top + GAP))
        self._fork_to(fork, boxes[0])
        for low, high in pairwise(boxes):
            self.canvas.edge(low.name, high.name)
        self.y = max(self.y, boxes[-1].top)
        if not twin.sum_norm:
            end = self.add(f"{name}.add")
            self.canvas.edge(boxes[-1].name, end.name, tailport="n")
            return end
        total = self.add(f"{name}.sum")  # up the branch column, then left into the sum
        corner = self.canvas.point(f"{other}.out", self.branch_x, total.y)
        self.canvas.edge(boxes[-1].name, corner.name, arrow=False)
        self.canvas.edge(corner.name, total.name)
        self._norm_box(f"{name}.sumnorm", sub.op, "Post")
        return self.add(f"{name}.add")

    def _fork_to(self, fork: Node, first: Node) -> None:
        """A branch's input: right from the fork, then up into its first box."""
        corner = self.canvas.point(f"{first.name}.in", self.branch_x, fork.y)
        self.canvas.edge(fork.name, corner.name, arrow=False)
        self.canvas.edge(corner.name, first.name)

    def _block(self, block: Block, first: bool) -> None:
        c = self.canvas
        floor = max(n.top for n in c.nodes.values())
        self.y = max(self.y + 8, floor + PAD + 4 - GAP / 2) if first else self.y + PAD
        begin = len(c.nodes)
        self._sublayers(block, block.kinds[0][0])
        members = list(c.nodes.values())[begin:]
        cluster = c.cluster(
            f"block.{block.key}",
            members,
            PAD,
            style="rounded,filled",
            fillcolor=block.fill,
            color=block.fill,
            **{"class": "lm-block"},
        )
        self.y = cluster.y1 - GAP / 2 + 4
        placement = {"pre": "pre-norm", "post": "post-norm", "sandwich": "sandwich-norm", "none": ""}
        if len(self.blocks) == 1:
            words = f"{placement[block.kinds[0][0].sublayers[0].norm]} blocks".strip()
        else:
            words = _common_label([kind.label for kind, _ in block.kinds]) + " layers"
        text = f"{{{block.count:,} ×}}\n{words}"
        if self.arch.residual_scales:  # ZAYA1: said by the block, so no leader crosses the panels'
            text += "\nresidual adds with learned\nscale and bias on both inputs"
        label = Item(
            f"{block.key}.repeat",
            text,
            cluster_anchor(c, block.key, cluster),
            ROW_LAYERS,
            wanted=cluster.y0 + 18,
            leader=False,
            cls="lm-text lm-repeat",
        )
        self.block_labels[block.key] = label
        self.left.append(label)
        self.block_clusters.append(cluster)

    # -- embeddings ----------------------------------------------------------------

    # -- whole diagram ----------------------------------------------------------------

    def build(self) -> Canvas:
        arch, c = self.arch, self.canvas
        draw_inputs(self)
        self.block_clusters: list[Cluster] = []
        for index, block in enumerate(self.blocks):
            self._block(block, index == 0)
        left = min(cluster.x0 for cluster in self.block_clusters)
        right = max(cluster.x1 for cluster in self.block_clusters)
        for cluster in self.block_clusters:  # stacked blocks share one width
            cluster.x0, cluster.x1 = left, right
        self.y += 8
        if arch.mtp:
            draw_mtp(self)
        if arch.hyper_connections:
            self.hc_mix("hc_head")
        self.main_box("final_norm", f"Final {arch.norm.name}", ROW_NORMALIZATION)
        head = self.main_box("head", "Linear output layer", ROW_VOCABULARY)
        out = c.point("output", 0, head.top + GAP + 6)
        c.edge("head", out.name)
        outside = ("input", "output", "image", "mtp_output")
        model_nodes = [n for n in c.nodes.values() if n.name not in outside]
        frame = c.cluster(
            "model",
            model_nodes,
            PAD,
            tuple(self.block_clusters),
            style="rounded,filled",
            fillcolor=PANEL_FILL,
            color="#adb5bd",
            **{"class": "lm-frame"},
        )
        c.clusters.reverse()  # draw the frame first, the blocks on top of it
        vocab = f"Vocabulary size of {{{arch.vocab_size:,}}}"
        if arch.embeddings.tied:
            vocab += "\nweights tied to the embedding"
        self.left.append(Item("vocab", vocab, head, ROW_VOCABULARY))
        context = f"Supported context\nlength of {{{compact(arch.context_length)}}} tokens"
        if arch.extended_context:
            length, method = arch.extended_context
            context += f"\n{{{compact(length)}}} with {method}"
        self.left.append(Item("context", context, self.context_anchor, ROW_CONTEXT_LENGTH))
        self._annotate()
        place_columns(self, frame)
        return c


Links = Mapping[str, tuple[str, str]]
#: Marks a node whose text names a glossary concept. Only the html writer, which knows
#: where the glossary is, turns it into a link; other formats ignore classes.
CONCEPT_CLASS = "lm-concept-"


def build_canvas(arch: Architecture, links: Links | None = None, marked: Collection[str] = ()) -> Canvas:
    """Lay out the diagram. ``links`` maps fact-sheet row labels (and ``"title"``)
    to (URL, tooltip); every node that row explains gets the link. Boxes whose row
    is in ``marked`` get a heavy outline in the difference colour (comparisons)."""
    frame = _Frame(arch)
    canvas = frame.build()
    for key, (op, _) in frame.panel_anchors.items():  # panel titles: links to the glossary, made per page
        for owner, panel in [(op, key), *((part, part.panel_key()) for part, _ in op.detail_ops())]:
            title, concept = canvas.nodes.get(f"panel.{panel}.title"), owner.primary_concept()
            if title is not None and concept:
                title.attrs["class"] = f"{title.attrs.get('class', '')} {CONCEPT_CLASS}{concept}".strip()
    for name, row in frame.rows.items():
        node = canvas.nodes.get(name)
        if node is None:
            continue
        if links and row in links:
            url, tooltip = links[row]
            node.attrs.update(URL=url, tooltip=tooltip, target="_top")
        if row in marked and node.attrs.get("shape") == "box":
            node.attrs.update(color=DIFFERS, penwidth="3.5", **{"class": node.attrs.get("class", "") + " lm-differs"})
    return canvas


def to_graph(
    arch: Architecture, links: Links | None = None, marked: Collection[str] = (), font: str = FONT
) -> graphviz.Digraph:
    """The model's diagram as a graph with pinned positions (render with neato -n2)."""
    return build_canvas(arch, links, marked).to_graphviz(arch.id, font=font)


def to_dot(arch: Architecture, links: Links | None = None, marked: Collection[str] = (), font: str = FONT) -> str:
    return to_graph(arch, links, marked, font).source


def to_svg(arch: Architecture, links: Links | None = None, marked: Collection[str] = (), font: str = FONT) -> str:
    """The model's diagram as SVG, drawn without Graphviz (see :mod:`.svg`)."""
    from .svg import to_svg as write

    return write(build_canvas(arch, links, marked), arch.id, font=font)
