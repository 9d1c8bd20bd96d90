"""The ends of the main column: what feeds the first block and what leaves beside the head.

Token embedding, learned positions (GPT-2), per-layer embeddings (Gemma
E-models) and the image and audio paths of multimodal models (input, encoder,
projector, joining the token stream) below the blocks; multi-token prediction modules
beside the final norm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from ..facts.labels import ROW_HIDDEN_SIZE, ROW_PER_LAYER_EMBEDDINGS, ROW_POSITIONS, ROW_VOCABULARY, ROW_WITH_MTP
from ..facts.stats import human, params
from ..model.audio import audio_params
from ..model.vision import projector_summary, vision_params
from .frame import COLUMN_GAP, GAP, Item
from .style import text_width

if TYPE_CHECKING:
    from ..model.architecture import AudioTower, VisionTower
    from .canvas import Node
    from .frame import Frame


def left_of_column(frame: Frame, node: Node) -> Node:
    node.x = -(frame.width / 2 + COLUMN_GAP + node.w / 2)
    return node


def draw_inputs(frame: Frame) -> Node:
    arch, c = frame.arch, frame.canvas
    frame.main_box("input", "Tokenized text", ROW_VOCABULARY, cls="lm-box lm-io")
    embedding = frame.main_box("embedding", "Token embedding layer", ROW_HIDDEN_SIZE)
    frame.right.append(
        Item("embedding.callout", f"Embedding dimension of {{{arch.hidden_size:,}}}", embedding, ROW_HIDDEN_SIZE)
    )
    frame.context_anchor = embedding
    if arch.embeddings.learned_positions:
        add = frame.add("position_add")
        box = left_of_column(frame, c.box("positions", "Positional embedding layer", 0, add.y))
        c.edge(box.name, add.name)
        frame.rows["positions"] = ROW_POSITIONS
        frame.context_anchor = box
    left = -(frame.width / 2 + COLUMN_GAP)  # the right edge of the next box beside the embedding
    if arch.embeddings.per_layer_width:
        table = f"Per-layer embedding layer\n{arch.embeddings.per_layer_width:,} per layer"
        box = left_of_column(frame, c.box("per_layer", table, 0, embedding.y, h=40, cls="lm-box lm-side"))
        c.edge("input", "per_layer", tailport="w", headport="s")
        frame.rows["per_layer"] = ROW_PER_LAYER_EMBEDDINGS
        left -= box.w + COLUMN_GAP
    towers = []
    if arch.vision:
        title = f"Vision encoder: {arch.vision.encoder.name}" if arch.vision.encoder.name else "Vision encoder"
        labels = _labels("Image", title, arch.vision, vision_params(arch.vision))
        towers.append((_Tower("image", "vision", "projector", "image_merge", "Vision tower"), labels))
    if arch.audio:
        title = f"Audio encoder: {arch.audio.encoder.name or arch.audio.encoder.kind}"
        labels = _labels("Audio", title, arch.audio, audio_params(arch.audio))
        towers.append((_Tower("audio_input", "audio", "audio_projector", "audio_merge", "Audio tower"), labels))
    rows = (c.nodes["input"].y, embedding.y, embedding.y + 46)  # the projector just above the encoder
    for names, labels in towers:
        merge_y = _tower(frame, names, labels, left, rows)
        # a further path stacks above this one's junction, beside the column: one more column
        # of boxes would push the left callouts too far from their nodes
        left, rows = -(frame.width / 2 + COLUMN_GAP), (merge_y + 46, merge_y + 92, merge_y + 138)
    return embedding


def _labels(source: str, title: str, tower: VisionTower | AudioTower, counts: tuple[int, int]) -> tuple[str, ...]:
    """The input's, encoder's and projector's text; the count on the first line and the steps
    on the second keep the boxes narrow, which matters beside Gemma's per-layer embedding box."""
    encoder = f"{title}\n{tower.encoder.num_layers} layers, {human(counts[0])}"
    return source, encoder, f"Projector ({human(counts[1])})\n{projector_summary(tower)}"


class _Tower(NamedTuple):
    """Node names of one encoder path, and the fact-sheet row it belongs to."""

    source: str
    encoder: str
    projector: str
    merge: str
    row: str


def _tower(frame: Frame, names: _Tower, labels: tuple[str, ...], right: float, rows: tuple[float, ...]) -> float:
    """An encoder path left of the column, ending at ``right``: input, encoder and projector
    at the heights ``rows``, joining the token stream at a junction of its own level with the
    projector; returns the junction's height."""
    c = frame.canvas
    frame.y = max(frame.y, rows[2] - GAP / 2)
    merge = frame.junction(names.merge)
    source, encoder, projector = labels
    w = max(text_width(line) for line in (*encoder.split("\n"), *projector.split("\n"))) + 22
    x = right - w / 2
    c.box(names.source, source, x, rows[0], w=120, cls="lm-box lm-io")
    c.box(names.encoder, encoder, x, rows[1], w=w, h=40, cls="lm-box lm-side")
    c.box(names.projector, projector, x, merge.y, w=w, h=40, cls="lm-box lm-side")
    for tail, head in ((names.source, names.encoder), (names.encoder, names.projector)):
        c.edge(tail, head)
    c.edge(names.projector, merge.name, tailport="e")
    for name in names[:3]:
        frame.rows[name] = names.row
    return merge.y


def draw_mtp(frame: Frame) -> None:
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
    frame.rows["mtp"] = ROW_WITH_MTP
