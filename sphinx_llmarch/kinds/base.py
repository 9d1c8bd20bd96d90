"""What every op kind provides, and the small helpers several kinds share.

An op is one token mixer (attention, a linear-attention or state-space layer,
a convolution) or one channel mixer (an MLP, a mixture of experts) inside a
layer. Each kind lives in its own module and knows everything about itself:
how to read it from a spec table and from a Hugging Face config, its parameters
by component, what it caches, its fact-sheet rows and how it is drawn. Stats,
tables and the diagram only iterate over ops.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

from ..hf.config import NO_OPTIONS, HFOptions

if TYPE_CHECKING:
    from ..draw.canvas import Canvas, Node
    from ..hf.config import HFConfig
    from ..spec.table import SpecTable

Role = Literal["token", "channel", "other"]


@dataclass(frozen=True)
class Rope:
    """Rotary positions of one attention op; ``None`` on the op means NoPE."""

    theta: float | None = None
    #: Fraction of each head's dimensions that rotate (partial RoPE).
    fraction: float = 1.0
    scaling: str | None = None

    @property
    def name(self) -> str:
        return "RoPE" if self.fraction == 1 else f"Partial RoPE ({self.fraction:.0%} of head dims)"

    def describe(self) -> str:
        """The fact-sheet wording: exact base and the scaling method."""
        text = self.name + (f", base {self.theta:,.0f}" if self.theta else "")
        return text + (f"; {self.scaling}" if self.scaling else "")

    @property
    def scaling_short(self) -> str:
        """The scaling method as a diagram says it: ``YaRN ×40``, ``llama3 ×8``."""
        if not self.scaling:
            return ""
        head = re.split(r" \(| on | with ", self.scaling, maxsplit=1)[0]
        method, _, factor = head.partition(" x")
        method = _SCALING_NAMES.get(method.lower(), method)
        return f"{method} ×{factor}" if factor else method


#: How diagrams name the RoPE scaling methods that configs spell in lower case.
_SCALING_NAMES = {"yarn": "YaRN", "llama3": "llama3-style", "linear": "linear", "dynamic": "dynamic NTK"}


#: RoPE with the model's defaults, for ops whose spec gives no base.
DEFAULT_ROPE = Rope()


def position_concepts(position: str, rope: Rope | None) -> set[str]:
    """The glossary's concepts of an attention op's positions."""
    if position == "nope":
        return {"nope"}
    if position in ("absolute", "learned"):
        return {"learned-positions"}
    if rope is None:
        return set()
    found = {"partial-rope" if rope.fraction < 1 else "rope"}
    if rope.scaling and "yarn" in rope.scaling.lower():
        found.add("yarn")
    return found


@dataclass(frozen=True)
class PanelContext:
    """What a detail panel needs from the diagram around it."""

    hidden_size: int
    accent: str
    #: Prefix that namespaces the panel's node names (``panel.moe``).
    prefix: str
    #: Every op the panel stands for (layers of one block may differ in a size).
    variants: tuple[Op, ...] = ()


class Op:
    """Base class of the op kinds; subclasses are frozen dataclasses."""

    #: The ``type`` that names the kind in a spec table.
    type: ClassVar[str]
    #: Token mixers are drawn as dark boxes, channel mixers as light ones.
    role: ClassVar[Role]
    #: Parameter component this kind's weights count towards.
    component: ClassVar[str]
    #: Display names of components the package does not name already (a plug-in's own).
    component_names: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def read(cls, table: SpecTable, hidden_size: int) -> Op:
        """Build the op from its spec table (unknown keys are checked by the caller);
        ``hidden_size`` is the residual stream's width, which defaults derive from."""
        raise NotImplementedError

    @staticmethod
    def from_hf(config: HFConfig, options: HFOptions = NO_OPTIONS) -> dict[str, Any]:
        """The spec table for this op, read from a Hugging Face config; ``options`` hold
        what the model type's code fixes and the config does not say."""
        raise NotImplementedError

    #: ``layer_types`` entries of a config.json that are layers of this kind (a kind from
    #: another package; the package's own kinds are read by :mod:`sphinx_llmarch.hf`).
    hf_layer_types: ClassVar[tuple[str, ...]] = ()
    #: ``model_type`` values whose configs are pre-norm stacks of this kind's layers.
    hf_model_types: ClassVar[tuple[str, ...]] = ()

    # -- numbers ---------------------------------------------------------------

    def params(self, hidden_size: int) -> Counter[str]:
        """Parameters by component."""
        raise NotImplementedError

    def active_params(self, hidden_size: int) -> Counter[str]:
        """Parameters one token passes through (all of them, except in MoE)."""
        return self.params(hidden_size)

    def kv_values_per_token(self) -> int:
        """Numbers this op caches for every token it has seen (0: none)."""
        return 0

    def cache_window(self) -> int | None:
        """Tokens the per-token cache is capped at (sliding or chunked attention)."""
        return None

    def cache_parts(self) -> list[CachePart]:
        """Everything the op caches per token, part by part: one part by default (the
        values above, capped at the window); DeepSeek V4's attention keeps three."""
        values = self.kv_values_per_token()
        return [CachePart(values, window=self.cache_window())] if values else []

    def attended(self, context: int) -> int:
        """How many earlier tokens one token's attention reads at position ``context``: all of
        them, or the window when the cache keeps only that (0: the op does not attend)."""
        if not self.cache_parts():
            return 0
        window = self.cache_window()
        return min(context, window) if window else context

    def attention_flops(self, context: int) -> int:
        """FLOPs of one token's attention scores and weighted values at position ``context``
        (the projections are in the parameters; 0 for an op that does not attend)."""
        return 0

    def state_values(self, hidden_size: int) -> int:
        """Numbers of constant recurrent state per sequence (linear and state-space ops)."""
        return 0

    # -- glossary ------------------------------------------------------------------

    #: Glossary entries a kind from another package brings, by concept id, with the keys of
    #: a table of ``facts/concepts.toml`` (title, section, summary, reference, ...).
    glossary_entries: ClassVar[Mapping[str, Mapping[str, Any]]] = {}

    #: The glossary's concepts every op of this kind embodies, the one its panel illustrates first.
    concept_ids: ClassVar[tuple[str, ...]] = ()

    def concepts(self) -> set[str]:
        """Ids of the glossary's concepts this op embodies (``concepts.toml``)."""
        return set(self.concept_ids)

    def primary_concept(self) -> str | None:
        """The concept this op's detail panel illustrates (its title links there)."""
        return self.concept_ids[0] if self.concept_ids else None

    #: The filter language's word for a family of token mixers (``linear``); default: the type.
    filter_family: ClassVar[str | None] = None

    def filter_words(self) -> set[str]:
        """What the filter language's ``attention`` field matches for this op (a token
        mixer's type; kinds of one family, such as linear attention, share a word)."""
        return {self.filter_family or self.type} if self.role == "token" else set()

    # -- short forms for tables ---------------------------------------------------

    def heads_text(self) -> str | None:
        """``query / key-value heads / head width`` for a comparison (None: no attention heads)."""
        return None

    def positions_text(self) -> str | None:
        """How the op knows where a token is, in words (None: it has no positions of its own)."""
        return None

    def mixer_name(self) -> str:
        """How a model table names this token mixer: ``GQA 32/8``, ``MLA 128``."""
        return self.short

    # -- words and drawing -------------------------------------------------------

    @property
    def title(self) -> str:
        """The op's name, as the fact sheet and the diagram's box say it."""
        raise NotImplementedError

    @property
    def short(self) -> str:
        """The short name used in layer mixes and legends."""
        return self.title

    #: Whether the title is a name (Mamba-2, Kimi Delta Attention) that keeps its capitals mid-sentence.
    proper_name: ClassVar[bool] = False

    @property
    def reach(self) -> tuple[str, ...]:
        """How far back the layer looks, in a few words each (``sliding 128``, ``chunked
        8,192``, ``pooled ×4``); none for a layer that sees every earlier token as it is."""
        return ()

    @property
    def phrase(self) -> str:
        """How a sentence describing the model names this op: the title, its first letter
        lower-cased unless it is a name or an acronym (``RWKV-7 time mix``)."""
        title = self.title
        if self.proper_name or not title[1:2].islower():
            return title
        return title[0].lower() + title[1:]

    def callout(self, hidden_size: int) -> str | None:
        """Text beside the box; ``{...}`` spans are drawn in the accent colour."""
        return None

    def summary(self, hidden_size: int) -> str:
        """The fact-sheet text for this op alone."""
        return self.title

    @classmethod
    def fact_rows(cls, variants: Variants, hidden_size: int) -> list[tuple[str, str]]:
        """Fact-sheet rows for every op of this kind in a model, with their layer counts."""
        texts = [op.summary(hidden_size) for op, _ in variants]
        if len(texts) == 1:
            return [(cls.fact_label, texts[0])]
        parts = (f"{text} ({plural(count, 'layer')})" for text, (_, count) in zip(texts, variants, strict=True))
        return [(cls.fact_label, "; ".join(parts))]

    #: The fact-sheet row this kind fills.
    fact_label: ClassVar[str] = "Feed forward"

    @classmethod
    def slot(cls, variants: Variants, hidden_size: int) -> Slot:
        """How one box of the main column draws these ops (several when one block
        holds layers whose ops differ only in their settings)."""
        first = variants[0][0]
        return Slot(first.title, callout=first.callout(hidden_size))

    def panel_key(self) -> str | None:
        """Ops with the same key share one detail panel; None: no panel."""
        return None

    def detail_width(self, hidden_size: int) -> int:
        """The width the parts of :meth:`detail_ops` work at (the residual stream's, unless
        the op projects into a latent space first)."""
        return hidden_size

    def detail_ops(self) -> list[tuple[Op, str]]:
        """Parts drawn as panels of their own above this op's panel, each with the
        slot of this panel that the dotted connector leaves from."""
        return []

    def draw_panel(self, canvas: Canvas, x0: float, ctx: PanelContext) -> list[Node]:
        """Draw the detail panel with its bottom-left corner at (x0, 0)."""
        raise NotImplementedError


#: Every op kind, by the ``type`` that names it in a spec, in the order they registered.
KINDS: dict[str, type[Op]] = {}

_OpKind = TypeVar("_OpKind", bound=type[Op])


def register(kind: _OpKind) -> _OpKind:
    """Class decorator: make ``kind`` readable from specs under its ``type``.

    The package's own kinds register as their modules are imported; a separate
    package registers its kinds the same way from a module named in the
    ``sphinx_llmarch.kinds`` entry-point group (see :func:`.load_plugins`).
    """
    known = KINDS.get(kind.type)
    if known is not None and known is not kind:
        raise ValueError(f"op type {kind.type!r} is registered twice: {known.__qualname__} and {kind.__qualname__}")
    KINDS[kind.type] = kind
    return kind


@dataclass(frozen=True)
class CachePart:
    """One cache an op keeps: ``values`` numbers for every ``every`` tokens (a compressed
    cache stores one entry per block of tokens), holding at most ``window`` tokens."""

    values: int
    every: int = 1
    window: int | None = None

    @property
    def per_token(self) -> Fraction:
        """Growth per token with no window applied (the per-token rule counts windows in full)."""
        return Fraction(self.values, self.every)

    def at(self, context: int) -> int:
        """Values held after ``context`` tokens: a window caps them, a compressed cache
        holds one entry per complete block."""
        return self.values * (min(context, self.window) if self.window else context // self.every)


@dataclass(frozen=True)
class Slot:
    """A main-column box: its text, the side inputs left of it, the callout right of it."""

    label: str
    side: tuple[tuple[str, str], ...] = ()
    callout: str | None = None


Variants = list[tuple[Op, int]]


def short_number(value: float) -> str:
    """RoPE bases and similar: 1000000 -> 1M, 10000 -> 10k, 150000 -> 150k."""
    for suffix, scale in (("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:g}{suffix}"
    return f"{value:g}"


def linear(fan_in: int, fan_out: int, bias: bool = False) -> int:
    """Weights (and bias) of one dense projection."""
    return fan_in * fan_out + (fan_out if bias else 0)


def depthwise_conv(channels: int, kernel: int, bias: bool = False) -> int:
    """A depthwise 1-D convolution, as linear-attention and state-space layers use."""
    return channels * kernel + (channels if bias else 0)


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")
