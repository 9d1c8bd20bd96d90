"""Architecture -> Graphviz graph, in the visual language of the gallery panels.

Bottom to top: tokenized text, embedding, the repeated block in the family colour
with "N ×", final norm, output layer. Side inputs sit left of attention, callouts
right of the model, detail panels (FFN, MoE, layer pattern) in a column beyond.
Everything is driven by the spec's data; no model is special-cased here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import graphviz

from .layout import Canvas, Node, pack, rich_size
from .model import Architecture
from .stats import ATTENTION_NAMES, FFN_NAMES, NORM_NAMES, human, layer_mix, params, vision_params
from .style import DARK_BOX, INK, MUTED, PANEL_FILL, SMALL_SIZE, TITLE_SIZE, family_colour

GAP = 22.0  # vertical space between consecutive main-column boxes
PAD = 14.0  # inner padding of clusters
COLUMN_GAP = 26.0
STRIP_CELLS = 16  # longest layer pattern drawn cell by cell


def compact(value: int) -> str:
    """Context lengths the way model cards say them: 131072 -> 128k."""
    if value >= 1024 and value % 1024 == 0:
        return f"{value // 1024:,}k"
    return f"{value:,}"


def _short(value: float) -> str:
    """RoPE bases: 1000000 -> 1M, 10000 -> 10k, 150000 -> 150k."""
    for suffix, scale in (("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:g}{suffix}"
    return f"{value:g}"


class _Panel:
    """The diagram of one architecture, laid out on a :class:`Canvas`."""

    def __init__(self, arch: Architecture) -> None:
        self.arch = arch
        self.colour = family_colour(arch.family, arch.colour)
        self.accent = self.colour.accent
        self.canvas = Canvas()
        self.y = 0.0
        self.previous: str | None = None
        norm = NORM_NAMES[arch.norm.kind]
        labels = [
            "Tokenized text",
            "Token embedding layer",
            "Linear output layer",
            f"Final {norm}",
            f"Pre-attention {norm}",
            f"Post-attention {norm}",
            self._ffn_label(),
        ]
        self.width = max(150.0, max(rich_size(label, bold=False)[0] for label in labels) + 26)
        self.residual_x = self.width / 2 + 22
        self.right_items: list[tuple[str, str, float]] = []  # (anchor node, text, wanted y)

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

    def main_box(self, name: str, text: str, h: float = 26, **attrs: str) -> Node:
        y = self._advance(h)
        return self._link(self.canvas.box(name, text, 0, y, w=self.width, h=h, **attrs))

    def junction(self, name: str) -> Node:
        node = self.canvas.point(name, 0, self._advance(0) - GAP / 2, visible=True)
        self.y = node.y
        return self._link(node, arrow=False)

    def add(self, name: str) -> Node:
        return self._link(self.canvas.circle(name, "+", 0, self._advance(20)))

    def residual(self, start: Node, end: Node) -> None:
        """Draw the skip connection along the right side, from junction to ⊕."""
        c = self.canvas
        low = c.point(f"{start.name}_r", self.residual_x, start.y)
        high = c.point(f"{end.name}_r", self.residual_x, end.y)
        c.edge(start.name, low.name, arrow=False)
        c.edge(low.name, high.name, arrow=False)
        c.edge(high.name, end.name)

    # -- labels ------------------------------------------------------------------

    def _ffn_label(self) -> str:
        kind = FFN_NAMES[self.arch.ffn.kind]
        return f"MoE ({kind} experts)" if self.arch.moe else f"Feed forward ({kind})"

    def _norm(self, role: str) -> str:
        return f"{role} {NORM_NAMES[self.arch.norm.kind]}"

    def _sublayer(self, name: str, role: str, text: str, h: float = 26, **box: str) -> Node:
        """One sublayer with its norms by placement (pre, post as in OLMo 2, or sandwich)
        and its residual add."""
        placement = self.arch.norm.placement
        start = self.junction(f"{name}_split")
        if placement in ("pre", "sandwich"):
            self.main_box(f"{name}_prenorm", self._norm(f"Pre-{role}"), cls="lm-box lm-norm")
        node = self.main_box(name, text, h, **box)
        if placement in ("post", "sandwich"):
            self.main_box(f"{name}_postnorm", self._norm(f"Post-{role}"), cls="lm-box lm-norm")
        self.residual(start, self.add(f"{name}_add"))
        return node

    # -- whole panel ---------------------------------------------------------------

    def build(self) -> Canvas:
        arch, c = self.arch, self.canvas
        self.main_box("input", "Tokenized text", cls="lm-box lm-io")
        embedding = self.main_box("embedding", "Token embedding layer")
        self.right_items.append(("embedding", f"Embedding dimension of {{{arch.hidden_size:,}}}", embedding.y))
        context_anchor = embedding
        if arch.vision:
            self._vision_input(embedding)
        if arch.position.kind == "learned":
            context_anchor = self._learned_positions()
        # The block's frame must clear everything drawn below it (side boxes included).
        floor = max(n.top for n in c.nodes.values())
        self.y = max(self.y + 8, floor + PAD + 4 - GAP / 2)
        block_start = len(c.nodes)
        attention = self._sublayer(
            "attention",
            "attention",
            text=ATTENTION_NAMES[self.arch.attention.kind].replace(" ", "\n", 1),
            h=40,
            fillcolor=DARK_BOX,
            fontcolor="#ffffff",
            cls="lm-box lm-attention",
        )
        ffn = self._sublayer("ffn", "FFN", text=self._ffn_label(), fillcolor="#dee2e6", cls="lm-box lm-ffn")
        side = self._side_inputs(attention)
        if side:
            context_anchor = side[0]
        block_nodes = list(c.nodes.values())[block_start:]
        self.y += 8
        self.main_box("final_norm", f"Final {NORM_NAMES[arch.norm.kind]}")
        head = self.main_box("head", "Linear output layer")
        vocab = f"Vocabulary size of {{{arch.vocab_size:,}}}"
        if arch.tie_word_embeddings:
            vocab += "\nweights tied to the embedding"
        out = c.point("output", 0, head.top + GAP + 6)
        c.edge("head", out.name)

        block = c.cluster(
            "block",
            block_nodes,
            PAD,
            style="rounded,filled",
            fillcolor=self.colour.block,
            color=self.colour.block,
            **{"class": "lm-block"},
        )
        model_nodes = [n for n in c.nodes.values() if n.name not in ("input", "output")]
        frame = c.cluster(
            "model",
            model_nodes,
            PAD,
            (block,),
            style="rounded,filled",
            fillcolor=PANEL_FILL,
            color="#adb5bd",
            **{"class": "lm-frame"},
        )
        c.clusters.reverse()  # draw the frame first, the block on top of it
        self.right_items.append((attention.name, self.attention_text(), attention.y))
        self._left_column(frame.x0, block.y0, context_anchor, head, vocab)
        self._right_column(frame.x1, ffn)
        self._title()
        return c

    def _learned_positions(self) -> Node:
        """GPT-2 style: a learned position table added to the token embedding."""
        c = self.canvas
        add = self.add("position_add")
        box = c.box("positions", "Positional embedding layer", 0, add.y)
        box.x = -(self.width / 2 + COLUMN_GAP + box.w / 2)
        c.edge(box.name, add.name)
        return box

    def _vision_input(self, embedding: Node) -> None:
        """Multimodal checkpoints: image features join the token embeddings."""
        vision = self.arch.vision
        assert vision is not None
        encoder, projector = vision_params(vision)
        text = f"Vision encoder: {vision.name}\n{vision.num_layers} layers, {human(encoder + projector)} parameters"
        box = self.canvas.box("vision", text, 0, embedding.y, h=38, cls="lm-box lm-side")
        box.x = -(self.width / 2 + COLUMN_GAP + box.w / 2)
        self.canvas.edge(box.name, embedding.name, headport="w")

    def _side_inputs(self, attention: Node) -> list[Node]:
        """RoPE, QK-Norm, sinks and window boxes, right-aligned left of attention."""
        arch, attn, c = self.arch, self.arch.attention, self.canvas
        entries: list[tuple[str, str]] = []
        if arch.position.kind == "rope":
            rope = "RoPE"
            if arch.position.rope_theta:
                rope += f", base {_short(arch.position.rope_theta)}"
                if arch.position.rope_local_theta:
                    rope += f" ({_short(arch.position.rope_local_theta)} local)"
            nope = arch.layers.count_position("nope", arch.num_layers)
            if nope:
                rope += f" (none in {nope:,} NoPE layers)"
            entries.append(("rope", rope))
        if attn.qk_norm != "none":
            entries.append(("qk_norm", "QK-Norm " + ("per head" if attn.qk_norm == "per-head" else "over all heads")))
        if attn.sliding_window:
            entries.append(("window", f"Sliding window of {attn.sliding_window:,} tokens"))
        if attn.sinks:
            entries.append(("sinks", "Learned attention sinks"))
        right = -(self.width / 2 + COLUMN_GAP)
        step = 30.0
        nodes = []
        for index, (name, label) in enumerate(entries):
            y = attention.y + (index - (len(entries) - 1) / 2) * step
            node = c.box(name, label, 0, y, cls="lm-box lm-side")
            node.x = right - node.w / 2
            c.edge(name, attention.name, tailport="e", headport="w")
            nodes.append(node)
        return nodes

    def attention_text(self) -> str:
        attn = self.arch.attention
        if attn.mla is not None:
            m = attn.mla
            text = f"{{{attn.num_heads:,}}} heads, KV latent of {{{m.kv_lora_rank:,}}}"
            text += f"\nplus {{{m.qk_rope_head_dim:,}}} RoPE dims per token"
            if m.q_lora_rank:
                text += f"\nquery latent of {{{m.q_lora_rank:,}}}"
            return text
        text = f"{{{attn.num_heads:,}}} attention heads\n{{{attn.num_kv_heads:,}}} key & value heads"
        if attn.head_dim * attn.num_heads != self.arch.hidden_size:
            text += f"\nhead dimension {{{attn.head_dim:,}}}"
        return text

    def _left_column(
        self, frame_left: float, block_bottom: float, context_anchor: Node, head: Node, vocab: str
    ) -> None:
        """'N ×', the context, vocabulary and dense-prefix callouts, packed."""
        arch, c = self.arch, self.canvas
        right = frame_left - 12
        placement = {"pre": "pre-norm", "post": "post-norm", "sandwich": "sandwich-norm"}[arch.norm.placement]
        repeat = c.text(
            "repeat",
            f"{{{arch.num_layers:,} ×}}\n{placement} blocks",
            right,
            0,
            self.accent,
            align="right",
            cls="lm-text lm-repeat",
        )
        items: list[tuple[Node, float]] = [(repeat, block_bottom)]
        context = f"Supported context\nlength of {{{compact(arch.context_length)}}} tokens"
        if arch.extended_context:
            length, method = arch.extended_context
            context += f"\n{{{compact(length)}}} with {method}"
        callout = c.text("context", context, right, 0, self.accent, align="right")
        items.append((callout, context_anchor.y))
        c.leader(context_anchor.name, callout.name)
        vocab_callout = c.text("vocab", vocab, right, 0, self.accent, align="right")
        items.append((vocab_callout, head.y))
        c.leader(head.name, vocab_callout.name)
        if arch.moe and arch.moe.first_k_dense:
            note = (
                f"First {{{arch.moe.first_k_dense:,}}} blocks use a\ndense FFN of size "
                f"{{{arch.ffn.intermediate_size:,}}}\ninstead of MoE"
            )
            dense = c.text("dense_prefix", note, right, 0, self.accent, align="right")
            items.insert(0, (dense, block_bottom - dense.h / 2 - 10))
            c.leader(repeat.name, dense.name)
        for (node, _), y in zip(items, pack([(want, node.h) for node, want in items], gap=14), strict=True):
            node.y = y

    def _right_column(self, frame_right: float, ffn: Node) -> None:
        """Callouts beside their nodes and the detail panels, packed in one column."""
        c = self.canvas
        left = frame_right + COLUMN_GAP
        callouts = []
        for anchor, text, y in self.right_items:
            node = c.text(f"{anchor}_callout", text, left, y, self.accent, align="left")
            c.leader(anchor, node.name)
            callouts.append(node)
        panels, strip = self._panel_stack(left + PAD)
        stack = [n for group in [*panels, strip] for n in group]
        low = min(n.bottom for n in stack) - PAD
        high = max(n.top for n in stack) + PAD
        # Aim the first panel (MoE, or the FFN detail) at the FFN row; the rest sit above it.
        first_centre = (min(n.bottom for n in panels[0]) + max(n.top for n in panels[0])) / 2
        wanted = ffn.y + (low + high) / 2 - first_centre
        placed = pack([(n.y, n.h) for n in callouts] + [(wanted, high - low)], gap=16)
        for node, y in zip(callouts, placed[:-1], strict=True):
            node.y = y
        shift = placed[-1] - (low + high) / 2
        for node in stack:
            node.y += shift
        clusters = [
            c.cluster(
                f"panel{index}",
                group,
                PAD,
                style="rounded,dashed,filled",
                fillcolor=PANEL_FILL,
                color=INK,
                penwidth="1.6",
                **{"class": "lm-panel"},
            )
            for index, group in enumerate(panels)
        ]
        first = clusters[0]
        anchor = c.point("panel_anchor", first.x0, min(max(ffn.y, first.y0 + 12), first.y1 - 12))
        c.leader(ffn.name, anchor.name)
        if len(clusters) > 1:  # the expert FFN detail sits above the MoE panel
            expert = c.nodes["expert_first"]
            detail = c.point("detail_anchor", expert.x, clusters[1].y0)
            c.edge(expert.name, detail.name, arrow=False, style="dotted", penwidth="1.6", **{"class": "lm-connector"})

    def _panel_stack(self, x0: float) -> tuple[list[list[Node]], list[Node]]:
        """Framed panels (MoE if any, FFN detail) and the layer strip, bottom to top."""
        arch = self.arch
        ffn_size = arch.moe.expert_intermediate_size if arch.moe else arch.ffn.intermediate_size
        panels = [self._moe_panel(x0)] if arch.moe else []
        panels.append(self._ffn_panel(x0, ffn_size))
        strip = self._strip(x0)
        top = 0.0
        for group in [*panels, strip] if strip else panels:
            bottom = min(n.bottom for n in group)
            lift = top - bottom + (3 * PAD if top else 0)
            for node in group:
                node.y += lift
            top = max(n.top for n in group) + PAD
        return panels, strip

    def _ffn_panel(self, x0: float, size: int) -> list[Node]:
        """The feed-forward module: gated (SwiGLU/GeGLU) or a plain two-layer MLP."""
        c, arch = self.canvas, self.arch
        kind = arch.ffn.kind
        act = {"swiglu": "SiLU", "geglu": "GELU", "gelu": "GELU"}[kind] + " activation"
        w = 130.0
        xa, xb = x0 + w / 2, x0 + w * 1.5 + 24
        text = f"Input size {{{arch.hidden_size:,}}}\nIntermediate size {{{size:,}}}"
        info = c.text("ffn_info", text, x0, 0, self.accent, align="left")
        info.y = info.h / 2
        y = info.top + 16
        start = c.point("ffn_in", xa, y)
        nodes = [info, start]
        if kind == "gelu":
            up = c.box("ffn_up", "Linear layer", xa, y + 30, w=w)
            mid = c.box("ffn_act", act, xa, up.y + 48, w=w)
            down = c.box("ffn_down", "Linear layer", xa, mid.y + 48, w=w)
            c.edge(start.name, up.name)
            c.edge(up.name, mid.name)
            c.edge(mid.name, down.name)
            nodes += [up, mid, down]
        else:
            gate = c.box("ffn_gate", "Linear layer", xa, y + 30, w=w)
            actn = c.box("ffn_act", act, xa, gate.y + 48, w=w)
            up = c.box("ffn_up", "Linear layer", xb, actn.y, w=w)
            corner = c.point("ffn_in_b", xb, y)
            mul = c.circle("ffn_mul", "×", xa, actn.y + 42)
            down = c.box("ffn_down", "Linear layer", xa, mul.y + 42, w=w)
            c.edge(start.name, gate.name)
            c.edge(start.name, corner.name, arrow=False)
            c.edge(corner.name, up.name)
            c.edge(gate.name, actn.name)
            c.edge(actn.name, mul.name)
            c.edge(up.name, mul.name)
            c.edge(mul.name, down.name)
            nodes += [gate, actn, up, corner, mul, down]
        title = "Expert feed forward" if arch.moe else "Feed forward"
        caption = c.text("ffn_title", f"{title} ({FFN_NAMES[kind]})", x0, nodes[-1].top + 22, INK, align="left")
        out = c.point("ffn_out", xa, caption.y)
        c.edge(nodes[-1].name, out.name)
        caption.x = max(caption.x, xa + 16 + caption.w / 2)
        nodes += [caption, out]
        return nodes

    def _moe_panel(self, x0: float) -> list[Node]:
        """Router, a bounded row of experts (first, ..., last), shared experts, ⊕."""
        c, moe = self.canvas, self.arch.moe
        assert moe is not None
        text = (
            f"{{{moe.num_experts:,}}} experts, {{{moe.experts_per_token:,}}} active per token\n"
            f"expert size {{{moe.expert_intermediate_size:,}}}"
        )
        if moe.num_shared_experts:
            text += f", {{{moe.num_shared_experts:,}}} shared expert" + ("s" if moe.num_shared_experts > 1 else "")
        info = c.text("moe_info", text, x0, 0, self.accent, align="left")
        info.y = info.h / 2
        y = info.top + 16
        ew = max(96.0, rich_size(f"Expert {moe.num_experts:,}", bold=False)[0] + 20)
        xs = [x0 + ew / 2, x0 + ew + 30, x0 + ew * 1.5 + 60]
        start = c.point("moe_in", xs[1], y)
        router = c.box("router", "Router", xs[1], y + 30, w=80)
        row = router.y + 56
        first = c.box("expert_first", "Expert 1", xs[0], row, w=ew)
        dots = c.text("expert_dots", "⋯", xs[1], row, INK, bold=False)
        last = c.box("expert_last", f"Expert {moe.num_experts:,}", xs[2], row, w=ew)
        total = c.circle("moe_add", "+", xs[1], row + 52)
        c.edge(start.name, router.name)
        nodes = [info, start, router, first, dots, last, total]
        for expert in (first, last):
            c.edge(router.name, expert.name)
            c.edge(expert.name, total.name)
        if moe.num_shared_experts:
            xs_shared = xs[2] + ew + 24
            shared = c.box(
                "expert_shared", "Shared expert", xs_shared, row, w=ew, cls="lm-box lm-shared", penwidth="2.2"
            )
            corner = c.point("moe_in_shared", xs_shared, y)
            c.edge(start.name, corner.name, arrow=False)
            c.edge(corner.name, shared.name)
            c.edge(shared.name, total.name)
            nodes += [shared, corner]
        caption = c.text("moe_title", "MoE layer", max(n.right for n in nodes), total.y, INK, align="right")
        out = c.point("moe_out", xs[1], total.y + 34)
        c.edge(total.name, out.name)
        nodes += [caption, out]
        return nodes

    def _strip(self, x0: float) -> list[Node]:
        """One period of the layer schedule as coloured cells, with the counts."""
        arch, c = self.arch, self.canvas
        attention, position = arch.layers.attention, arch.layers.position
        dense = arch.moe.first_k_dense if arch.moe else 0
        if len(attention) == 1 and len(position) == 1 and not dense:
            return []
        period = math.lcm(len(attention), len(position))
        cells = []
        if dense:
            cells.append((f"dense ×{dense:,}", "#ffffff"))
        for i in range(min(period, STRIP_CELLS)):
            kind = "global" if attention[i % len(attention)] == "full" else f"SW {arch.attention.sliding_window:,}"
            if len(attention) == 1:
                kind = "MoE" if dense else "RoPE"
            if position[i % len(position)] == "nope":
                kind = "NoPE" if len(attention) == 1 and not dense else f"{kind}, NoPE"
            fill = self.colour.block if kind in ("global", "MoE", "RoPE") else "#ffffff"
            cells.append((kind, fill))
        if period > STRIP_CELLS:
            cells.append(("…", "#ffffff"))
        repeats, rest = divmod(arch.num_layers - dense, period)
        tail = f"× {repeats:,}" + (f" + {rest:,}" if rest else "")
        row = "".join(f'<td bgcolor="{fill}">{label}</td>' for label, fill in cells)
        label = (
            f'<<table border="0" cellborder="1" cellspacing="2" cellpadding="4" color="{INK}">'
            f'<tr>{row}<td border="0">{tail}</td></tr></table>>'
        )
        width = sum(rich_size(lbl, SMALL_SIZE + 2, False)[0] + 12 for lbl, _ in cells) + 60
        strip = c.node(
            "layer_strip",
            x0 + width / 2,
            0,
            width,
            32,
            label=label,
            shape="plaintext",
            fontsize=f"{SMALL_SIZE:g}",
            **{"class": "lm-strip"},
        )
        caption = c.text(
            "layer_mix", f"Layer pattern: {layer_mix(arch)}", x0, 0, MUTED, size=SMALL_SIZE + 1, align="left"
        )
        strip.y = strip.h / 2
        caption.y = strip.top + 2 + caption.h / 2
        return [caption, strip]

    def _title(self) -> None:
        arch, c = self.arch, self.canvas
        top = max(n.top for n in c.nodes.values())
        xs = [n.left for n in c.nodes.values()] + [n.right for n in c.nodes.values()]
        centre = (min(xs) + max(xs)) / 2
        p = params(arch)
        size = f"{human(p.total)} parameters"
        if arch.moe:
            size += f", {human(p.active)} active"
        if arch.vision:
            size += f" + {human(p.vision_encoder + p.vision_projector)} vision"
        subtitle = c.text(
            "subtitle", f"{size} · {arch.organization}".rstrip(" ·"), centre, 0, INK, size=SMALL_SIZE + 1, bold=False
        )
        subtitle.y = top + 14 + subtitle.h / 2
        title = c.text("title", arch.name, centre, 0, self.accent, size=TITLE_SIZE)
        title.label = title.attrs["label"] = (
            f'<<font point-size="{TITLE_SIZE:g}" color="{self.accent}"><b>{arch.name}</b></font>>'
        )
        title.y = subtitle.top + 4 + title.h / 2


Links = Mapping[str, tuple[str, str]]


def build_canvas(arch: Architecture, links: Links | None = None) -> Canvas:
    """Lay out the panel; ``links`` maps node names to (URL, tooltip); absent nodes are skipped."""
    canvas = _Panel(arch).build()
    for name, (url, tooltip) in (links or {}).items():
        if name in canvas.nodes:
            canvas.nodes[name].attrs.update(URL=url, tooltip=tooltip, target="_top")
    return canvas


def to_graph(arch: Architecture, links: Links | None = None) -> graphviz.Digraph:
    """The model's diagram as a graph with pinned positions (render with neato -n2)."""
    return build_canvas(arch, links).to_graphviz(arch.id)


def to_dot(arch: Architecture, links: Links | None = None) -> str:
    return to_graph(arch, links).source
