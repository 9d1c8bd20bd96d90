"""The ends of the main column: what feeds the first block and what leaves beside the head.

Token embedding, learned positions (GPT-2), per-layer embeddings (Gemma
E-models) and the image path of multimodal models (image, encoder, projector,
joining the token stream) below the blocks; multi-token prediction modules
beside the final norm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .columns import COLUMN_GAP, GAP, Item
from .stats import human, params
from .style import text_width
from .vision import projector_summary, vision_params

if TYPE_CHECKING:
    from .diagram import _Frame
    from .layout import Node


def left_of_column(frame: _Frame, node: Node) -> Node:
    node.x = -(frame.width / 2 + COLUMN_GAP + node.w / 2)
    return node


def draw_inputs(frame: _Frame) -> Node:
    arch, c = frame.arch, frame.canvas
    frame.main_box("input", "Tokenized text", "Vocabulary", cls="lm-box lm-io")
    embedding = frame.main_box("embedding", "Token embedding layer", "Hidden size")
    frame.right.append(
        Item("embedding.callout", f"Embedding dimension of {{{arch.hidden_size:,}}}", embedding, "Hidden size")
    )
    frame.context_anchor = embedding
    if arch.embeddings.learned_positions:
        add = frame.add("position_add")
        box = left_of_column(frame, c.box("positions", "Positional embedding layer", 0, add.y))
        c.edge(box.name, add.name)
        frame.rows["positions"] = "Positions"
        frame.context_anchor = box
    if arch.embeddings.per_layer_width:
        table = f"Per-layer embedding layer\n{arch.embeddings.per_layer_width:,} per layer"
        left_of_column(frame, c.box("per_layer", table, 0, embedding.y, h=40, cls="lm-box lm-side"))
        c.edge("input", "per_layer", tailport="w", headport="s")
        frame.rows["per_layer"] = "Per-layer embeddings"
    if arch.vision:
        _vision(frame, embedding)
    return embedding


def _vision(frame: _Frame, embedding: Node) -> None:
    """The image path: image, encoder, projector, joining the token stream."""
    c, vision = frame.canvas, frame.arch.vision
    assert vision is not None
    encoder_count, projector_count = vision_params(vision)
    projector_y = embedding.y + 46  # the projector sits just above the encoder, level with the merge
    frame.y = max(frame.y, projector_y - GAP / 2)
    merge = frame.junction("image_merge")
    enc = vision.encoder
    text = f"Vision encoder: {enc.name}" if enc.name else "Vision encoder"
    text += f"\n{enc.num_layers} layers, {human(encoder_count)}"
    # the count on the first line and the steps on the second keep the box narrow, which
    # matters beside Gemma's per-layer embedding box
    label = f"Projector ({human(projector_count)})\n{projector_summary(vision)}"
    w = max(text_width(line) for line in (*text.split("\n"), *label.split("\n"))) + 22
    x = -(frame.width / 2 + COLUMN_GAP + w / 2)
    if frame.arch.embeddings.per_layer_width:
        x -= c.nodes["per_layer"].w + COLUMN_GAP
    c.box("vision", text, x, embedding.y, w=w, h=40, cls="lm-box lm-side")
    projector = c.box("projector", label, x, merge.y, w=w, h=40, cls="lm-box lm-side")
    c.box("image", "Image", x, c.nodes["input"].y, w=120, cls="lm-box lm-io")
    for tail, head in (("image", "vision"), ("vision", "projector")):
        c.edge(tail, head)
    c.edge(projector.name, merge.name, tailport="e")
    for name in ("vision", "projector", "image"):
        frame.rows[name] = "Vision tower"


def draw_mtp(frame: _Frame) -> None:
    """Multi-token prediction: the last hidden state also feeds the MTP modules,
    which predict tokens further ahead (drawn left of the final norm)."""
    c, mtp = frame.canvas, frame.arch.mtp
    assert mtp is not None
    split = frame.junction("mtp_split")
    extra = params(frame.arch).mtp
    kind = frame.arch.kinds[mtp.kind].label
    text = f"{mtp.num_modules} × MTP module: predicts a token further\nahead with one {kind} block ({human(extra)})"
    box = left_of_column(frame, c.box("mtp", text, 0, split.y + GAP + 20, h=40, cls="lm-box lm-side"))
    corner = c.point("mtp_corner", box.x, split.y)
    c.edge(split.name, corner.name, arrow=False)
    c.edge(corner.name, box.name)
    out = c.point("mtp_output", box.x, box.top + 12)
    c.edge(box.name, out.name)
    frame.rows["mtp"] = "With MTP modules"
