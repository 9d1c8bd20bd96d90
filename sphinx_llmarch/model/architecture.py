"""The normalized, immutable architecture model every other module reads.

A model is embeddings, a stack of layers and a head. The layers need not be
alike: each is one of a few *layer kinds* (a named sequence of sublayers, each an
op with its norm placement), and a *schedule* says which kind each layer is.
Nothing downstream of :class:`Architecture` sees raw TOML or JSON, and nothing
here knows about Sphinx.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from ..facts.memo import per_model
from ..kinds import MoE, Op

NormKind = Literal["rmsnorm", "layernorm"]
Placement = Literal["pre", "post", "sandwich", "none"]
PLACEMENTS = ("pre", "post", "sandwich", "none")


@dataclass(frozen=True)
class OfficialFigure:
    """A parameter count as the model's authors publish it."""

    value: float
    stated: str
    source: str | None = None
    convention: str | None = None
    #: Components the authors left out of this figure ("embedding", "output_head", ...).
    excludes: tuple[str, ...] = ()
    #: Parts counted apart from the text stack that this figure includes ("vision", "mtp").
    plus: tuple[str, ...] = ()
    #: Parameters of parts the spec does not model (an audio encoder), as the authors state
    #: them, which this figure includes.
    plus_params: float = 0
    #: "nearest" for a rounded figure, "down" where the authors truncated it.
    rounding: str = "nearest"


@dataclass(frozen=True)
class Official:
    """The authors' figures, kept so computed counts can be checked against them."""

    total: OfficialFigure | None = None
    active: OfficialFigure | None = None
    non_embedding: OfficialFigure | None = None
    total_with_mtp: OfficialFigure | None = None
    note: str | None = None


@dataclass(frozen=True)
class Norm:
    kind: NormKind
    #: LayerNorm has a bias unless the model drops it (Cohere); RMSNorm never has one.
    bias: bool = False
    eps: float | None = None

    def params(self, width: int) -> int:
        return width * (2 if self.bias else 1)

    @property
    def name(self) -> str:
        return "RMSNorm" if self.kind == "rmsnorm" else "LayerNorm"


@dataclass(frozen=True)
class Sublayer:
    """One op in a layer, wrapped by its norms and residual add."""

    op: Op
    #: The key of the op in the spec's ``[ops]`` table (its slot name in diagrams).
    op_key: str
    norm: Placement = "pre"
    #: Reads the same input as the previous sublayer and adds into the same residual
    #: (Cohere's and GPT-J's parallel attention and MLP).
    parallel: bool = False
    #: On a parallel sublayer: one more norm on the sum of the two branches, before the
    #: residual add (Gemma 4 26B-A4B's post_feedforward_layernorm over its MLP and MoE).
    sum_norm: bool = False

    @property
    def norm_count(self) -> int:
        return {"pre": 1, "post": 1, "sandwich": 2, "none": 0}[self.norm] + int(self.sum_norm)

    @property
    def own_input_norm(self) -> bool:
        """A parallel sublayer with a pre-norm of its own: the branches do not share one."""
        return self.parallel and self.norm in ("pre", "sandwich")


@dataclass(frozen=True)
class LayerKind:
    key: str
    label: str
    sublayers: tuple[Sublayer, ...]

    @property
    def ops(self) -> tuple[Op, ...]:
        return tuple(sub.op for sub in self.sublayers)

    @property
    def structure(self) -> tuple[tuple[str, str, bool, bool], ...]:
        """What the diagram draws: op kinds and norms, not their sizes. Kinds with
        the same structure share one block (sliding and global attention, say)."""
        return tuple((sub.op.type, sub.norm, sub.parallel, sub.sum_norm) for sub in self.sublayers)


@dataclass(frozen=True)
class Schedule:
    """Which kind each layer is: a prefix, then a cycle repeated to the depth.

    An explicit per-layer list is a prefix with no cycle. Counts take time
    linear in the pattern, so a million layers cost no more than four.
    """

    prefix: tuple[str, ...]
    cycle: tuple[str, ...]
    num_layers: int

    def counts(self) -> dict[str, int]:
        """Layers per kind, in order of first appearance."""
        counts = dict.fromkeys(self.order(), 0)
        head = self.prefix[: self.num_layers]
        for key in head:
            counts[key] += 1
        if self.cycle:
            full, rest = divmod(self.num_layers - len(head), len(self.cycle))
            for index, key in enumerate(self.cycle):
                counts[key] += full + (index < rest)
        return {key: count for key, count in counts.items() if count}

    def order(self) -> list[str]:
        return list(dict.fromkeys(self.prefix + self.cycle))

    def layers(self, limit: int) -> Iterator[str]:
        """The kind of each of the first ``limit`` layers."""
        for index in range(min(limit, self.num_layers)):
            if index < len(self.prefix):
                yield self.prefix[index]
            else:
                yield self.cycle[(index - len(self.prefix)) % len(self.cycle)]


@dataclass(frozen=True)
class Embeddings:
    vocab_size: int
    tied: bool
    #: Rows of a learned absolute position table (GPT-2); 0 for none.
    learned_positions: int = 0
    #: Per-layer embeddings (Gemma E-models): width of each layer's slice and their vocabulary.
    per_layer_width: int = 0
    per_layer_vocab: int = 0


@dataclass(frozen=True)
class MTP:
    """Multi-token prediction modules, counted apart from the main model."""

    num_modules: int
    #: The layer kind each module's block has.
    kind: str
    #: Copies of the embedding and output head the checkpoint stores per module (DeepSeek: 2).
    embedding_copies: int = 0


ProjectorStepKind = Literal["linear", "norm", "pool", "pixel_shuffle", "conv", "activation"]


@dataclass(frozen=True)
class ProjectorStep:
    """One step from a vision or audio encoder's output to the decoder's width."""

    step: ProjectorStepKind
    in_features: int = 0
    out_features: int = 0
    bias: bool = False
    #: Pool or shuffle factor per side, or the convolution's kernel.
    factor: int = 1
    stride: int = 1
    name: str = ""
    #: A norm's learned scale; Gemma 4's projector normalizes without one.
    scale: bool = True


@dataclass(frozen=True)
class VisionEncoder:
    """A ViT-style encoder: patch embedding, identical layers, norms."""

    name: str
    hidden_size: int
    intermediate_size: int
    num_layers: int
    num_heads: int
    patch_size: int
    #: The fixed input side in pixels; None for a dynamic-resolution encoder, which takes images at
    #: (about) their own size, so its token count depends on the image.
    image_size: int | None
    num_channels: int
    ffn: str
    norm: Norm
    bias: bool
    patch_bias: bool
    #: "learned" table, "rope" (2-D rotary, no parameters), or "both".
    position: Literal["learned", "rope", "both"]
    class_token: bool = False
    layer_scale: bool = False
    pre_norm: bool = False
    post_norm: bool = False
    #: Frames one patch spans (a 3-D patch embedding that also reads video); 1 for still images only.
    temporal_patch_size: int = 1
    #: Rows of the learned position table when it is not one per patch of a fixed image, as a
    #: dynamic-resolution encoder that interpolates its table to each image's grid has; 0: derived.
    position_embeddings: int = 0
    #: "per-head": an RMSNorm with a scale on each query and key head (Gemma 4).
    qk_norm: Literal["none", "per-head"] = "none"
    #: "sandwich": each sublayer's output is normed too, four norms a layer instead of two.
    placement: Literal["pre", "sandwich"] = "pre"
    #: Grouped-query attention: key/value heads (0: one per query head), and a head width that
    #: need not be hidden_size / num_heads (0: that quotient), as MiMo-V2.5's ViT has.
    num_kv_heads: int = 0
    head_dim: int = 0
    #: Layers whose attention learns one sink logit per head (MiMo-V2.5: the windowed ones).
    sink_layers: int = 0


@dataclass(frozen=True)
class VisionTower:
    encoder: VisionEncoder
    projector: tuple[ProjectorStep, ...]
    #: A dynamic-resolution tower that resizes every image to fill a token budget has this
    #: many tokens per image at most (Gemma 4: 280 by default); 0 when there is none.
    token_budget: int = 0


@dataclass(frozen=True)
class AudioEncoder:
    """One of two audio encoders. A "conformer" (Gemma 4's, after Google's Universal Speech
    Model) reads the spectrogram: two strided 3 × 3 convolutions, a linear layer to the
    encoder's width, then layers of half-step feed-forward, chunked local attention with
    relative positions, a depthwise convolution module and a second half-step feed-forward,
    and a biased linear layer at the end. A "transformer" (MiMo-V2.5's) reads the codes of a
    separate audio tokenizer: one embedding table per codebook, summed, then Qwen2-style layers
    over each group of frames, whose outputs are concatenated into one token."""

    name: str
    kind: Literal["conformer", "transformer"]
    hidden_size: int
    intermediate_size: int
    num_layers: int
    num_heads: int
    #: Conformer: the depthwise convolution's kernel, the output channels of the two subsampling
    #: convolutions, e.g. (128, 32), and the width of the final linear layer.
    conv_kernel_size: int = 0
    subsampling_channels: tuple[int, ...] = ()
    output_size: int = 0
    #: Transformer: the codebooks and the codes in each, and the frames per output token.
    codebooks: int = 0
    codebook_size: int = 0
    group_size: int = 1


@dataclass(frozen=True)
class AudioTower:
    encoder: AudioEncoder
    projector: tuple[ProjectorStep, ...]


@dataclass(frozen=True)
class Architecture:
    """One model's architecture, normalized from whichever format it came in."""

    id: str
    name: str
    family: str
    organization: str
    released: datetime.date | None
    license: str | None
    aliases: tuple[str, ...]
    summary: str
    key_detail: str
    sources: tuple[tuple[str, str], ...]
    official: Official
    hidden_size: int
    context_length: int
    max_position_embeddings: int | None
    #: A longer context the authors support with a scaling method, e.g. (131072, "YaRN").
    extended_context: tuple[int, str] | None
    embeddings: Embeddings
    norm: Norm
    kinds: dict[str, LayerKind]
    schedule: Schedule
    mtp: MTP | None = None
    vision: VisionTower | None = None
    audio: AudioTower | None = None
    #: Hyper-connections (DeepSeek V4): the residual stream is this many copies of the hidden
    #: state, which every sublayer reads from and writes back to through learned mixes; 0: a
    #: plain residual.
    hyper_connections: int = 0
    #: ZAYA1: every residual add scales and shifts both the sublayer's output and the stream
    #: by learned vectors, and the embeddings are scaled and shifted once on the way in.
    residual_scales: bool = False
    #: A palette colour name for the diagram (see ``style.PALETTE``); None picks one.
    colour: str | None = None
    #: The id of the spec this one extends, if any.
    base: str | None = None
    #: Every file the spec was read from (its own first, then its bases'), for
    #: messages and so Sphinx rebuilds pages when any of them changes.
    files: tuple[str, ...] = field(default=())

    @property
    def num_layers(self) -> int:
        return self.schedule.num_layers

    @property
    def vocab_size(self) -> int:
        return self.embeddings.vocab_size

    @property
    def source_path(self) -> str:
        return self.files[0] if self.files else ""

    @per_model
    def kind_counts(self) -> list[tuple[LayerKind, int]]:
        """Each layer kind with its number of layers, in order of first appearance."""
        return [(self.kinds[key], count) for key, count in self.schedule.counts().items()]

    @per_model
    def op_variants(self) -> dict[str, list[tuple[Op, int]]]:
        """Distinct ops by kind type, each with the number of layers it appears in."""
        out: dict[str, dict[Op, int]] = {}
        for kind, count in self.kind_counts():
            for op in kind.ops:
                slot = out.setdefault(op.type, {})
                slot[op] = slot.get(op, 0) + count
        return {type_: list(ops.items()) for type_, ops in out.items()}

    @property
    def is_moe(self) -> bool:
        return any(isinstance(op, MoE) for kind, _ in self.kind_counts() for op in kind.ops)
