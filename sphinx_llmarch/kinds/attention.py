"""Softmax attention with per-token keys and values: MHA, GQA and MQA.

One op holds one layer's settings: its window (full, sliding or chunked), its
positions (RoPE with its own base, or none), QK-Norm, biases, sinks, an output
gate (a sigmoid or a softplus of a projection of the layer's input, per element or
per head), and whether it reuses another layer's cache.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from ..draw.canvas import Grid
from ..draw.style import INK
from ..facts.labels import ROW_POSITIONS
from ..hf.config import NO_OPTIONS, HFConfig, HFOptions
from ..spec.table import REQUIRED
from .base import (
    DEFAULT_ROPE,
    Op,
    PanelContext,
    Rope,
    Slot,
    Variants,
    linear,
    plural,
    position_concepts,
    register,
    short_number,
)

if TYPE_CHECKING:
    from ..draw.canvas import Canvas, Node
    from ..spec.table import SpecTable

QKNorm = Literal["none", "per-head", "full"]
Gate = Literal["none", "elementwise", "headwise"]
#: What the output gate applies to its projection: Qwen3-Next's sigmoid (0..1) or
#: Laguna's softplus (positive and unbounded, so it can also amplify a head).
GateFunction = Literal["sigmoid", "softplus"]
GATE_FUNCTIONS = ("sigmoid", "softplus")
NAMES = {"mha": "Multi-head attention", "gqa": "Grouped-query attention", "mqa": "Multi-query attention"}


POSITIONS = ("rope", "nope", "absolute")


def read_position(table: SpecTable) -> tuple[str, Rope | None]:
    """``position`` and the RoPE settings of an attention op (shared with MLA).

    ``nope``: no positional signal in this layer; ``absolute``: positions were
    added to the token embeddings (GPT-2), so the layer rotates nothing either.
    """
    position = table.choice("position", POSITIONS, "rope")
    theta = table.number("rope_theta")
    fraction = table.fraction("partial_rotary_factor")
    scaling = table.str("rope_scaling")
    if position != "rope":
        for key, value in (("rope_theta", theta), ("rope_scaling", scaling)):
            if value is not None:
                raise table.fail(key, f"given for a layer without rotary positions (position = {position!r})")
        return position, None
    return position, Rope(theta, fraction, scaling)


def position_text(position: str, rope: Rope | None) -> str:
    """The fact-sheet wording of an attention op's positions."""
    if rope is not None:
        return rope.describe()
    return "learned absolute positions, added to the token embeddings" if position == "absolute" else "none (NoPE)"


def positions_row(position: str, rope: Rope | None, where: str) -> tuple[str, str]:
    """The fact sheet's positions row for attention that rotates only some dimensions
    (MLA, compressed attention); ``where`` says which."""
    return (ROW_POSITIONS, position_text(position, rope) + (f", {where}" if rope else ""))


def rope_side(rope: Rope, dims: str) -> str:
    """The RoPE side box of attention that rotates only ``dims``: base and scaling (the
    name leaves the fraction to ``dims``)."""
    base = f", base {short_number(rope.theta)}" if rope.theta else ""
    scaling = f"\n{rope.scaling_short} scaling" if rope.scaling else ""
    return f"{'RoPE' if rope.fraction == 1 else 'Partial RoPE'}{base}\n{dims}{scaling}"


def rope_from_hf(config: HFConfig) -> dict[str, Any]:
    """``rope_theta``, ``partial_rotary_factor`` and a readable ``rope_scaling``."""
    params = config.nested("rope_parameters") or HFConfig({}, config.file)
    out: dict[str, Any] = {}
    theta = config.get("rope_theta", params.get("rope_theta"))
    if theta:
        out["rope_theta"] = float(theta)
    fraction = config.get("partial_rotary_factor", params.get("partial_rotary_factor"))
    if fraction and fraction != 1:
        out["partial_rotary_factor"] = float(fraction)
    scaling = config.nested("rope_scaling") or (params if params.get("rope_type", "default") != "default" else None)
    if scaling:
        kind = scaling.first("rope_type", "type", default="scaled")
        factor = scaling.get("factor")
        out["rope_scaling"] = f"{kind}" + (f" x{factor:g}" if factor else "")
    return out


@register
@dataclass(frozen=True)
class Attention(Op):
    type: ClassVar[str] = "attention"
    role: ClassVar[str] = "token"
    component: ClassVar[str] = "attention"
    fact_label: ClassVar[str] = "Attention"

    num_heads: int
    num_kv_heads: int
    head_dim: int
    v_head_dim: int
    position: str = "rope"
    rope: Rope | None = DEFAULT_ROPE
    #: Tokens a sliding window or chunk covers; None for global attention.
    sliding_window: int | None = None
    chunk_size: int | None = None
    qk_norm: QKNorm = "none"
    qkv_bias: bool = False
    o_bias: bool = False
    sinks: bool = False
    output_gate: Gate = "none"
    gate_function: GateFunction = "sigmoid"
    #: Reads the keys and values an earlier layer cached (no K/V projections or cache).
    kv_shared: bool = False
    #: Keys double as values (no V projection; only keys are cached).
    k_eq_v: bool = False

    @classmethod
    def read(cls, table: SpecTable, hidden_size: int) -> Attention:
        heads = table.int("num_attention_heads", REQUIRED)
        kv_heads = table.int("num_key_value_heads", heads)
        if heads % kv_heads:
            raise table.fail("num_key_value_heads", f"{kv_heads} does not divide num_attention_heads {heads}")
        head_dim = table.int("head_dim")
        if head_dim is None:
            if hidden_size % heads:
                raise table.fail(
                    "head_dim", f"missing, and hidden_size {hidden_size} is not a multiple of {heads} heads"
                )
            head_dim = hidden_size // heads
        sliding, chunk = table.int("sliding_window"), table.int("attention_chunk_size")
        if sliding and chunk:
            raise table.fail("attention_chunk_size", "a layer has a sliding window or chunks, not both")
        position, rope = read_position(table)
        output_gate = table.choice("output_gate", ("none", "elementwise", "headwise"), "none")
        if table.has("gate_function") and output_gate == "none":
            raise table.fail("gate_function", "given for attention without an output gate (output_gate = 'none')")
        return cls(
            num_heads=heads,
            num_kv_heads=kv_heads,
            head_dim=head_dim,
            v_head_dim=table.int("v_head_dim", head_dim),
            position=position,
            rope=rope,
            sliding_window=sliding,
            chunk_size=chunk,
            qk_norm=table.choice("qk_norm", ("none", "per-head", "full"), "none"),
            qkv_bias=table.bool("qkv_bias"),
            o_bias=table.bool("o_bias"),
            sinks=table.bool("sinks"),
            output_gate=output_gate,
            gate_function=table.choice("gate_function", GATE_FUNCTIONS, "sigmoid"),
            kv_shared=table.bool("kv_shared"),
            k_eq_v=table.bool("k_eq_v"),
        )

    @staticmethod
    def from_hf(config: HFConfig, options: HFOptions = NO_OPTIONS) -> dict[str, Any]:
        """``options``: what the family's modeling code fixes (``qk_norm``, the biases,
        ``output_gate`` and its ``gate_function``, ``sinks``), and the layer's window."""
        heads = config.require("num_attention_heads", "n_head", "num_heads")
        table: dict[str, Any] = {"type": "attention", "num_attention_heads": heads}
        table["num_key_value_heads"] = config.first("num_key_value_heads", "num_kv_heads", default=heads)
        hidden = config.require("hidden_size", "n_embd", "d_model")
        head_dim = config.get("head_dim") or hidden // heads  # transformers' rule when the config has none
        if head_dim * heads != hidden:
            table["head_dim"] = head_dim
        bias = bool(config.first("attention_bias", "qkv_bias", "use_qkv_bias", "use_bias", default=options.qkv_bias))
        table.update(qkv_bias=bias, o_bias=bias if options.o_bias is None else options.o_bias)
        for key in ("qk_norm", "output_gate", "sinks", "sliding_window", "attention_chunk_size", "position"):
            if getattr(options, key) not in (None, "none", False):
                table[key] = getattr(options, key)
        if "output_gate" in table and options.gate_function not in (None, "sigmoid"):
            table["gate_function"] = options.gate_function
        if table.get("position", "rope") == "rope":
            table.update(rope_from_hf(config))
        return table

    # -- numbers ---------------------------------------------------------------

    @property
    def kind(self) -> str:
        if self.num_kv_heads == self.num_heads:
            return "mha"
        return "mqa" if self.num_kv_heads == 1 else "gqa"

    def params(self, hidden_size: int) -> Counter[str]:
        d, heads, kv = hidden_size, self.num_heads, self.num_kv_heads
        q_width, k_width, v_width = heads * self.head_dim, kv * self.head_dim, kv * self.v_head_dim
        total = linear(d, q_width, self.qkv_bias) + linear(heads * self.v_head_dim, d, self.o_bias)
        if self.output_gate == "elementwise":
            total += linear(d, q_width, self.qkv_bias)
        elif self.output_gate == "headwise":
            total += linear(d, heads)
        if not self.kv_shared:
            total += linear(d, k_width, self.qkv_bias) + (0 if self.k_eq_v else linear(d, v_width, self.qkv_bias))
        if self.qk_norm == "per-head":
            total += self.head_dim * (1 if self.kv_shared else 2)
        elif self.qk_norm == "full":
            total += q_width + (0 if self.kv_shared else k_width)
        if self.sinks:
            total += heads
        return Counter({self.component: total})

    def kv_values_per_token(self) -> int:
        if self.kv_shared:
            return 0
        return self.num_kv_heads * (self.head_dim + (0 if self.k_eq_v else self.v_head_dim))

    def attention_flops(self, context: int) -> int:
        """Each head scores ``head_dim`` against every key it reads and sums ``v_head_dim``
        values: two multiply-adds per dimension and token."""
        return 2 * self.attended(context) * self.num_heads * (self.head_dim + self.v_head_dim)

    def cache_window(self) -> int | None:
        return self.sliding_window or self.chunk_size

    # -- words -----------------------------------------------------------------

    def filter_words(self) -> set[str]:
        windows = {"sliding": self.sliding_window, "chunked": self.chunk_size}
        return {self.kind, *(word for word, on in windows.items() if on)}

    def heads_text(self) -> str | None:
        return f"{self.num_heads} / {self.num_kv_heads} / {self.head_dim}"

    def positions_text(self) -> str | None:
        return position_text(self.position, self.rope)

    def mixer_name(self) -> str:
        return f"{self.kind.upper()} {self.num_heads}/{self.num_kv_heads}"

    def concepts(self) -> set[str]:
        flags = {
            "sliding-window-attention": self.sliding_window,
            "chunked-attention": self.chunk_size,
            "gated-attention": self.output_gate != "none",
            "attention-sinks": self.sinks,
            "kv-sharing": self.kv_shared,
            "qk-norm": self.qk_norm != "none",
        }
        return {self.kind, *(name for name, on in flags.items() if on)} | position_concepts(self.position, self.rope)

    def primary_concept(self) -> str | None:
        return "gated-attention" if self.output_gate != "none" else self.kind

    @property
    def title(self) -> str:
        name = NAMES[self.kind]
        return f"Gated {name[0].lower()}{name[1:]}" if self.output_gate != "none" else name

    @property
    def span(self) -> str:
        """How far the layer looks back, in a few words."""
        if self.sliding_window:
            return "sliding-window"
        return "chunked" if self.chunk_size else "global"

    @property
    def reach(self) -> tuple[str, ...]:
        if self.sliding_window:
            return (f"sliding {self.sliding_window:,}",)
        return (f"chunked {self.chunk_size:,}",) if self.chunk_size else ()

    @property
    def short(self) -> str:
        text = f"{self.span}{' NoPE' if self.position == 'nope' else ''} attention"
        return text + (", shared KV" if self.kv_shared else "")

    def summary(self, hidden_size: int) -> str:
        text = f"{self.title}: {self.num_heads} heads, {self.num_kv_heads} KV heads, head dimension {self.head_dim}"
        if self.v_head_dim != self.head_dim:
            text += f" (values {self.v_head_dim})"
        extras = [
            label
            for flag, label in (
                (self.qk_norm == "per-head", "QK-Norm per head"),
                (self.qk_norm == "full", "QK-Norm over all heads"),
                (self.qkv_bias, "QKV bias"),
                (self.o_bias, "output bias"),
                (self.sinks, "learned attention sinks"),
                (self.output_gate != "none", self.gate_text),
                (bool(self.sliding_window), f"sliding window of {self.sliding_window or 0:,} tokens"),
                (bool(self.chunk_size), f"chunks of {self.chunk_size or 0:,} tokens"),
                (self.kv_shared, "reuses an earlier layer's keys and values"),
                (self.k_eq_v, "keys double as values"),
                (self.position == "nope", "no positional encoding (NoPE)"),
            )
            if flag
        ]
        return text + ("; " + ", ".join(extras) if extras else "")

    def callout(self, hidden_size: int) -> str:
        return _callout([(self, 1)], hidden_size)

    @classmethod
    def fact_rows(cls, variants: Variants, hidden_size: int) -> list[tuple[str, str]]:
        rows = super().fact_rows(variants, hidden_size)
        positions = []
        for op, count in _typed(variants):
            text = position_text(op.position, op.rope)
            positions.append(text + (f" in {plural(count, op.span + ' layer')}" if len(variants) > 1 else ""))
        return [*rows, (ROW_POSITIONS, "; ".join(dict.fromkeys(positions)))]

    @classmethod
    def slot(cls, variants: Variants, hidden_size: int) -> Slot:
        """One box for a block whose layers differ only in window or positions."""
        typed = _typed(variants)
        first = typed[0][0]
        name = first.title.replace(" ", "\n", 1)
        spans = list(dict.fromkeys(op.span for op, _ in typed))
        if len(spans) > 1:
            name += f"\n({' or '.join(spans)})"
        return Slot(name, tuple(_side_inputs(typed)), _callout(typed, hidden_size))

    @property
    def gate_text(self) -> str:
        """The output gate in words: ``headwise softplus output gate (one per head)``."""
        width = "one per head" if self.output_gate == "headwise" else "one per element"
        return f"{self.output_gate} {self.gate_function} output gate ({width})"

    def panel_key(self) -> str | None:
        return "gated-attention" if self.output_gate != "none" else None

    def draw_panel(self, canvas: Canvas, x0: float, ctx: PanelContext) -> list[Node]:
        """Q, K (with their norms) and V into scaled dot-product attention, whose
        output a gate from a fourth projection scales: a sigmoid per element
        (Qwen3-Next) or a softplus per head (Laguna)."""
        g = Grid(canvas, ctx.prefix, x0, col=104)
        g.fan_in(0, 1, 2, 3)
        for col, slot in enumerate(("q", "k", "v")):
            g.box(slot, f"Linear ({slot.upper()})", col, 1)
        per_head = self.output_gate == "headwise"
        g.box("gate", "Linear (gate)\none per head" if per_head else "Linear (gate)", 3, 1)
        tails = ["q", "k", "v"]
        if self.qk_norm != "none":
            for col, slot in enumerate(("q", "k")):
                g.box(f"{slot}_norm", "RMSNorm", col, 2)
                g.edge(slot, f"{slot}_norm")
                tails[col] = f"{slot}_norm"
        g.wide("sdpa", "Scaled dot-product attention", 0, 2, 3)
        if self.gate_function == "sigmoid":
            g.circle("sigma", "σ", 3, 3)
        else:
            g.box("sigma", self.gate_function.capitalize(), 3, 3)
        g.circle("mul", "×", 1, 4)
        g.point("gate_corner", 3, 4)
        g.box("proj", "Linear layer", 1, 5)
        for index, slot in enumerate(("q", "k", "v", "gate")):
            g.edge("in" if index == 0 else f"in{index}", slot)
        g.into("sdpa", *tails)
        g.chain("gate", "sigma")
        g.edge("sigma", "gate_corner", arrow=False)
        g.edge("gate_corner", "mul")
        g.chain("sdpa", "mul", "proj")
        g.output("proj", 1)
        g.caption("title", self.title, INK)
        width = "per element" if self.output_gate == "elementwise" else "per head"
        ops = [(op, 1) for op in ctx.variants or (self,) if isinstance(op, Attention)]
        pairs = list(dict.fromkeys((op.span, op.num_heads) for op, _ in ops))
        if len({n for _, n in pairs}) > 1 and len({span for span, _ in pairs}) == len(pairs):
            # one head count per kind of layer (Laguna: 48 global, 64 sliding-window)
            heads = ", ".join(f"{{{n:,}}} heads in {span} layers" for span, n in pairs)
            text = f"{heads}\n{{{_values(ops, 'num_kv_heads')}}} KV heads, "
        else:
            text = f"{{{_values(ops, 'num_heads')}}} heads, {{{_values(ops, 'num_kv_heads')}}} KV heads, "
        text += f"head dimension {{{_values(ops, 'head_dim')}}}"
        g.info("info", f"{text}\n{self.gate_function} output gate {width}", ctx.accent)
        return g.nodes


def _callout(variants: list[tuple[Attention, int]], hidden_size: int) -> str:
    """Heads, KV heads and head size, each value listed once (``256 / 512``)."""
    text = f"{{{_values(variants, 'num_heads')}}} attention heads\n"
    text += f"{{{_values(variants, 'num_kv_heads')}}} key & value heads"
    if any(op.head_dim * op.num_heads != hidden_size for op, _ in variants):
        text += f"\nhead dimension {{{_values(variants, 'head_dim')}}}"
    return text


def _values(variants: list[tuple[Attention, int]], field: str) -> str:
    """One setting over the variants, each value listed once (``48 / 64``)."""
    return " / ".join(f"{v:,}" for v in dict.fromkeys(getattr(op, field) for op, _ in variants))


def _typed(variants: Variants) -> list[tuple[Attention, int]]:
    return [(op, n) for op, n in variants if isinstance(op, Attention)]


def _side_inputs(variants: list[tuple[Attention, int]]) -> list[tuple[str, str]]:
    """RoPE (with each base), QK-Norm, windows and sinks, merged over the variants."""
    ops = [op for op, _ in variants]
    entries: list[tuple[str, str]] = []
    roped = [op.rope for op in ops if op.rope is not None]
    if roped:
        bases = list(dict.fromkeys(rope.theta for rope in roped if rope.theta))
        text = roped[0].name + (", base " + " / ".join(short_number(b) for b in bases) if bases else "")
        fractions = list(dict.fromkeys(rope.fraction for rope in roped))
        if len(fractions) > 1:  # Laguna: all of each head in sliding-window layers, half in global ones
            text = "RoPE" + text[len(roped[0].name) :]
            text += "\non " + " / ".join(f"{f:.0%}" for f in fractions) + " of head dims"
        scalings = [scaling for scaling in dict.fromkeys(rope.scaling_short for rope in roped) if scaling]
        text += f"\n{' / '.join(scalings)} scaling" if scalings else ""
        scaled = [op for op in ops if op.rope is not None and op.rope.scaling]
        if scalings and len(scaled) < len(roped):  # Gemma 3, OLMo 3: the sliding layers rotate unscaled
            text += " on " + " / ".join(dict.fromkeys(op.span for op in scaled)) + " layers"
        nope = sum(n for op, n in variants if op.position == "nope")
        if nope:
            text += f"\n(none in {plural(nope, 'NoPE layer')})"
        entries.append(("rope", text))
    elif any(op.position == "nope" for op in ops):
        entries.append(("rope", "No positional encoding"))
    qk_norms = [op.qk_norm for op in ops if op.qk_norm != "none"]
    if qk_norms:
        entries.append(("qk_norm", "QK-Norm " + ("per head" if qk_norms[0] == "per-head" else "over all heads")))
    for slot, label, sizes in (
        ("window", "Sliding window of", [op.sliding_window for op in ops if op.sliding_window]),
        ("chunk", "Chunks of", [op.chunk_size for op in ops if op.chunk_size]),
    ):
        if sizes:
            entries.append((slot, f"{label} {' / '.join(f'{s:,}' for s in dict.fromkeys(sizes))} tokens"))
    if any(op.sinks for op in ops):
        entries.append(("sinks", "Learned attention sinks"))
    shared = sum(n for op, n in variants if op.kv_shared)
    if shared:
        entries.append(("kv_shared", f"KV cache shared in {plural(shared, 'layer')}"))
    return entries
