"""Parameter counts, KV cache, recurrent state and layer mix: pure functions of an Architecture.

Every number is a sum over layer kinds times their layer counts; the ops say
what one layer holds. The counting rules are written out in
``docs/computations.rst``; keep the two in step.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..kinds import KINDS, Attention, CachePart
from ..model.architecture import Architecture, LayerKind, Norm, OfficialFigure
from ..model.audio import audio_params
from ..model.vision import vision_params
from .memo import per_model

BYTES_BF16 = 2
#: Components that are embedding tables rather than compute.
EMBEDDING_PARTS = ("embedding", "position_embedding", "per_layer_embedding", "output_head")
#: Display names of parameter components, in fact-sheet order.
COMPONENT_NAMES = {
    "attention": "attention",
    "linear_attention": "linear attention",
    "ssm": "state-space layers",
    "conv": "convolutions",
    "mlstm": "mLSTM layers",
    "dense_ffn": "dense FFN",
    "routed_experts": "routed experts",
    "shared_experts": "shared experts",
    "router": "routers",
    "latent_projections": "latent projections",
    "per_layer_input": "per-layer inputs",
    "kv_compressor": "KV compressors",
    "indexer": "sparse-attention indexers",
    "hyper_connections": "hyper-connections",
    "residual_scales": "residual scales",
    "norms": "norms",
    "embedding": "input embedding",
    "position_embedding": "position embedding",
    "per_layer_embedding": "per-layer embeddings",
    "output_head": "output head",
}


def component_names(components: Iterable[str]) -> dict[str, str]:
    """Display names of ``components``: in :data:`COMPONENT_NAMES` order, then any other
    (a plug-in kind's) by the name its kind declares, so no component is ever left out."""
    declared = {key: name for kind in KINDS.values() for key, name in kind.component_names.items()}
    present = list(components)
    names = {key: name for key, name in COMPONENT_NAMES.items() if key in present}
    for key in present:
        names.setdefault(key, declared.get(key, key.replace("_", " ")))
    return names


def kind_params(
    kind: LayerKind, hidden_size: int, norm: Norm, *, active: bool = False, streams: int = 0, scales: bool = False
) -> Counter[str]:
    """One layer of ``kind``: its ops, the norms their placements add, and around each
    residual add with ``streams`` residual copies (hyper-connections) their mix, with
    ``scales`` a learned scale and bias for the sublayer's output and for the stream (ZAYA1)."""
    counts: Counter[str] = Counter()
    for sub in kind.sublayers:
        counts += sub.op.active_params(hidden_size) if active else sub.op.params(hidden_size)
        counts["norms"] += sub.norm_count * norm.params(hidden_size)
        if sub.parallel:  # a parallel pair shares one residual add
            continue
        if streams:
            counts["hyper_connections"] += sublayer_mix_params(hidden_size, streams)
        if scales:
            counts["residual_scales"] += 4 * hidden_size
    return counts


def sublayer_mix_params(hidden_size: int, streams: int) -> int:
    """DeepSeek V4's hyper-connection around one sublayer: a linear map from all streams
    (``streams × d``) to ``(2 + streams) × streams`` mixing logits (the weights that read
    the streams into the sublayer, write its output back, and mix the streams among
    themselves), a bias for each logit, and one scale for each of the three groups."""
    logits = (2 + streams) * streams
    return logits * streams * hidden_size + logits + 3


def head_mix_params(hidden_size: int, streams: int) -> int:
    """The mix of the streams into one before the final norm: ``streams`` weights from
    ``streams × d`` inputs, a bias each and one scale."""
    return streams * streams * hidden_size + streams + 1


def _times(counts: Counter[str], factor: int) -> Counter[str]:
    return Counter({key: value * factor for key, value in counts.items()})


@dataclass(frozen=True)
class Params:
    """Parameter counts by component. ``total`` is the text stack alone; MTP
    modules and the vision and audio towers are kept apart."""

    components: dict[str, int]
    active_components: dict[str, int]
    mtp: int
    vision_encoder: int
    vision_projector: int
    audio_encoder: int
    audio_projector: int

    def __getitem__(self, component: str) -> int:
        return self.components.get(component, 0)

    @property
    def total(self) -> int:
        return sum(self.components.values())

    @property
    def active(self) -> int:
        """Per token: everything dense, shared experts, and the top-k routed experts."""
        return sum(self.active_components.values())

    @property
    def embedding(self) -> int:
        """Every embedding table, the output head included."""
        return sum(self[part] for part in EMBEDDING_PARTS)

    @property
    def non_embedding(self) -> int:
        return self.total - self.embedding

    @property
    def total_with_mtp(self) -> int:
        return self.total + self.mtp

    @property
    def vision(self) -> int:
        return self.vision_encoder + self.vision_projector

    @property
    def total_with_vision(self) -> int:
        return self.total + self.vision

    @property
    def audio(self) -> int:
        return self.audio_encoder + self.audio_projector

    @property
    def total_with_audio(self) -> int:
        return self.total + self.audio


def _embedding_params(arch: Architecture) -> Counter[str]:
    d, emb = arch.hidden_size, arch.embeddings
    counts = Counter({"embedding": emb.vocab_size * d, "output_head": 0 if emb.tied else emb.vocab_size * d})
    counts["position_embedding"] = emb.learned_positions * d
    if emb.per_layer_width:
        width = arch.num_layers * emb.per_layer_width
        counts["per_layer_embedding"] = emb.per_layer_vocab * width
        # the projection of the token embedding that is added to every layer's slice, and its norm
        counts["per_layer_input"] = d * width + arch.norm.params(emb.per_layer_width)
    counts["norms"] = arch.norm.params(d)  # the final norm
    if arch.hyper_connections:
        counts["hyper_connections"] = head_mix_params(d, arch.hyper_connections)
    if arch.residual_scales:  # the embeddings' scale and bias
        counts["residual_scales"] = 2 * d
    return counts


@per_model
def params(arch: Architecture) -> Params:
    """Exact parameter counts, component by component."""
    d, streams, scales = arch.hidden_size, arch.hyper_connections, arch.residual_scales
    total, active = _embedding_params(arch), _embedding_params(arch)
    for kind, count in arch.kind_counts():
        total += _times(kind_params(kind, d, arch.norm, streams=streams, scales=scales), count)
        active += _times(kind_params(kind, d, arch.norm, active=True, streams=streams, scales=scales), count)
    mtp = 0
    if arch.mtp:
        # per module: two input norms, a 2d -> d projection, one block, an output norm,
        # any copies of the embedding and head the checkpoint stores, and with
        # hyper-connections a head mix of its own
        block = sum(kind_params(arch.kinds[arch.mtp.kind], d, arch.norm, streams=streams, scales=scales).values())
        copies = arch.mtp.embedding_copies * arch.vocab_size * d
        head = head_mix_params(d, streams) if streams else 0
        mtp = arch.mtp.num_modules * (block + 3 * arch.norm.params(d) + 2 * d * d + copies + head)
    encoder, projector = vision_params(arch.vision) if arch.vision else (0, 0)
    audio = audio_params(arch.audio) if arch.audio else (0, 0)
    keep = {key: value for key, value in total.items() if value}
    return Params(keep, {k: v for k, v in active.items() if v}, mtp, encoder, projector, *audio)


OFFICIAL_FIGURES = ("total", "active", "non_embedding", "total_with_mtp")
#: What an official figure's ``excludes`` and ``plus`` may name.
EXCLUDABLE = {
    "embedding": ("embedding", "position_embedding"),
    "output_head": ("output_head",),
    "per_layer_embedding": ("per_layer_embedding",),
}
ADDABLE = ("vision", "audio", "mtp")


def counted_like_official(arch: Architecture, figure: str) -> int:
    """Our count under the conventions of the authors' ``figure`` (one of
    :data:`OFFICIAL_FIGURES`): the components they leave out (``excludes``) and
    the parts they add (``plus``)."""
    official = getattr(arch.official, figure)
    p = params(arch)
    value = getattr(p, figure)
    if official:
        value -= sum(p[part] for name in official.excludes for part in EXCLUDABLE[name])
        value += sum(getattr(p, name) for name in official.plus)
        value += round(official.plus_params)
    return value


_LEFT_OUT = {
    "embedding": "the input embedding",
    "output_head": "the output head",
    "per_layer_embedding": "the per-layer embeddings",
}
_ADDED = {"vision": "the vision tower", "audio": "the audio tower", "mtp": "the MTP modules"}


def counted_as(figure: OfficialFigure) -> str:
    """How our count was adjusted to compare with ``figure``, in words."""
    parts = [f"without {_LEFT_OUT[name]}" for name in figure.excludes]
    parts += [f"with {_ADDED[name]}" for name in figure.plus]
    if figure.plus_params:
        parts.append(f"plus the authors' {human(round(figure.plus_params))} for parts not modelled")
    return ", ".join(parts) if parts else "counted the same way"


_UNITS = {"T": 1e12, "B": 1e9, "billion": 1e9, "M": 1e6, "million": 1e6}


def stated_precision(stated: str) -> float | None:
    """The value of the last digit the authors printed: '8B' -> 1e9, '8.2B' -> 1e8;
    None when ``stated`` holds no count in a unit we read."""
    if re.fullmatch(r"\d{1,3}(,\d{3})+", stated):  # an exact count, digit for digit
        return 1.0
    match = re.search(r"(\d[\d,]*)(?:\.(\d+))?\s*(T|B|M|billion|million)\b", stated)
    if match is None:
        return None
    return _UNITS[match.group(3)] / 10 ** len(match.group(2) or "")


def agrees(computed: int, figure: OfficialFigure) -> bool:
    """Within 1%, or within half a unit of the last digit when that is coarser.

    A model card that says only "8B" claims no more than that precision. Where
    the spec records that the authors truncated (``rounding = "down"``), the
    count must lie in [stated, stated + one unit of the last digit); where the
    figure is only a size-class name (``rounding = "class"``), within 2.5% of it.
    """
    unit = stated_precision(figure.stated) or 0.01 * figure.value  # unreadable: 1% either way
    if figure.rounding == "down":
        return figure.value <= computed < figure.value + unit
    if figure.rounding == "class":
        return abs(computed - figure.value) <= 0.025 * figure.value
    return abs(computed - figure.value) <= max(0.01 * figure.value, unit / 2)


def official_disagreements(arch: Architecture) -> list[tuple[str, str]]:
    """(key, problem) for each of the spec's ``[official]`` figures that our count
    does not match within the figure's rounding: a wrong shape or a wrong figure."""
    found = []
    for figure in OFFICIAL_FIGURES:
        official = getattr(arch.official, figure)
        if official is None:
            continue
        computed = counted_like_official(arch, figure)
        if not agrees(computed, official):
            found.append(
                (
                    f"official.{figure}_params",
                    f"the computed count {computed:,} ({human(computed)}) differs from the stated "
                    f"{official.stated!r} by more than its rounding ({official.rounding}); "
                    "check the spec's shape, or the figure and its conventions",
                )
            )
    return found


# -- caches and state -----------------------------------------------------------------


def kv_cache_bytes_per_token(arch: Architecture, bytes_per_value: int = BYTES_BF16) -> int:
    """Cache growth per token with every caching layer counted in full (bf16 by default);
    a compressed cache grows by its entry's width over the tokens it compresses."""
    values = sum(count * part.per_token for kind, count in arch.kind_counts() for part in _cache_parts(kind))
    return round(values * bytes_per_value)


def kv_cache_bytes(arch: Architecture, context: int, bytes_per_value: int = BYTES_BF16) -> int:
    """Cache at ``context`` tokens; sliding-window and chunked layers keep at most their window."""
    values = sum(count * part.at(context) for kind, count in arch.kind_counts() for part in _cache_parts(kind))
    return values * bytes_per_value


def _cache_parts(kind: LayerKind) -> list[CachePart]:
    return [part for op in kind.ops for part in op.cache_parts()]


def state_bytes(arch: Architecture, bytes_per_value: int = BYTES_BF16) -> int:
    """Constant per-sequence state of linear-attention, state-space and convolution layers."""
    d = arch.hidden_size
    values = sum(count * sum(op.state_values(d) for op in kind.ops) for kind, count in arch.kind_counts())
    return values * bytes_per_value


def capped_layers(arch: Architecture) -> list[tuple[int, int]]:
    """(layers, window) for every window that caps a cache, for explanations."""
    return _layers_by(arch, lambda part: part.window)


def pooled_layers(arch: Architecture) -> list[tuple[int, int]]:
    """(layers, tokens per entry) for every compressed cache, for explanations."""
    return _layers_by(arch, lambda part: part.every if part.every > 1 else None)


def _layers_by(arch: Architecture, value: Callable[[CachePart], int | None]) -> list[tuple[int, int]]:
    """How many layers keep a cache part with each ``value`` (a layer counts once per value)."""
    out: dict[int, int] = {}
    for kind, count in arch.kind_counts():
        for key in dict.fromkeys(value(part) for part in _cache_parts(kind)):
            if key:
                out[key] = out.get(key, 0) + count
    return [(layers, key) for key, layers in out.items()]


# -- words ------------------------------------------------------------------------------


def layer_mix(arch: Architecture) -> str:
    """How layers differ, e.g. ``36 Gated DeltaNet + 12 gated attention``."""
    kinds = arch.kind_counts()
    if len(kinds) == 1:
        return f"{arch.num_layers:,} identical {'MoE' if arch.is_moe else 'dense'} layers"
    return " + ".join(f"{count:,} {kind.label}" for kind, count in kinds)


def token_mixers(arch: Architecture) -> list[str]:
    """Distinct token-mixer names, in order of first appearance."""
    return list(dict.fromkeys(op.title for kind, _ in arch.kind_counts() for op in kind.ops if op.role == "token"))


def token_mixing(arch: Architecture) -> str:
    """The token mixers and how many layers look back only so far (or through pooled
    entries): ``Grouped-query attention, sliding 128 on 18 of 36 layers``."""
    reaches: Counter[str] = Counter()
    for kind, count in arch.kind_counts():
        for reach in dict.fromkeys(words for op in kind.ops if op.role == "token" for words in op.reach):
            reaches[reach] += count
    clauses = [
        f"{reach} on {'all ' if layers == arch.num_layers else f'{layers:,} of '}{arch.num_layers:,} layers"
        for reach, layers in reaches.items()
    ]
    return ", ".join([" + ".join(token_mixers(arch)), *clauses])


def decoder_type(arch: Architecture) -> str:
    """``dense``, ``sparse MoE``, or either with ``hybrid``/``attention-free`` and its mixers."""
    kind = "sparse MoE" if arch.is_moe else "dense"
    attends = {op.type for kind_, _ in arch.kind_counts() for op in kind_.ops if op.component == "attention"}
    mixers = token_mixers(arch)
    if not attends:
        return f"attention-free {kind} ({' + '.join(mixers)})"
    if len({op for op in mixers}) > 1 and any(
        op.role == "token" and op.component != "attention" for kind_, _ in arch.kind_counts() for op in kind_.ops
    ):
        return f"hybrid {kind} ({' + '.join(mixers)})"
    return kind


def describe(arch: Architecture) -> str:
    """One sentence, used as default alt text and by the text builder."""
    p = params(arch)
    size = f"{human(p.total)} parameters" + (f" ({human(p.active)} active)" if arch.is_moe else "")
    size += f" counting {embedding_words(arch)}" + "".join(f"; {text}" for text in official_conventions(arch))
    mixers = token_mixers(arch)
    if len(mixers) == 1:
        first = next(op for kind, _ in arch.kind_counts() for op in kind.ops if op.role == "token")
        layers = f"{arch.num_layers:,} layers of {first.phrase}"
        ops = list(dict.fromkeys(op for kind, _ in arch.kind_counts() for op in kind.ops if isinstance(op, Attention)))
        if ops:  # each count once: Laguna's global and sliding-window layers have 48 and 64 heads
            heads, kv = (
                " / ".join(dict.fromkeys(str(getattr(op, key)) for op in ops)) for key in ("num_heads", "num_kv_heads")
            )
            layers += f" ({heads} heads, {kv} KV heads)"
    else:
        layers = f"{arch.num_layers:,} layers ({layer_mix(arch)})"
    ops = [op for kind, _ in arch.kind_counts() for op in kind.ops if op.role != "token"]
    rest = " and ".join(dict.fromkeys(op.phrase for op in ops)) or "no feed-forward"
    first = arch.kind_counts()[0][0].sublayers[0].norm
    placement = {"pre": "pre-norm", "post": "post-norm", "sandwich": "sandwich-norm", "none": "un-normed"}[first]
    kind = decoder_type(arch)
    article = "an" if kind[0] in "aeiou" else "a"
    return (
        f"{arch.name}: {article} {kind} decoder with {layers}, {rest}, {placement} {arch.norm.name}, "
        f"hidden size {arch.hidden_size:,}, vocabulary {arch.vocab_size:,}, {size}."
    )


def embedding_words(arch: Architecture) -> str:
    """Which embedding matrices our counts include, so that a reader comparing them with an
    official figure counted another way knows the difference is a convention."""
    return "the tied embedding once" if arch.embeddings.tied else "the input embedding and the output head"


#: An official figure's name in a sentence.
_FIGURE_WORDS = {"non_embedding": "non-embedding", "total_with_mtp": "total with MTP"}


def official_conventions(arch: Architecture, *, all_figures: bool = False) -> list[str]:
    """How the official figures count, in words: those counted unlike ours as clauses
    (``the official “37B” active is counted without the input embedding``), or with
    ``all_figures`` every one beside our count made the same way."""
    found = []
    for name in OFFICIAL_FIGURES:
        figure = getattr(arch.official, name)
        if figure is None or not (all_figures or figure.excludes or figure.plus or figure.plus_params):
            continue
        stated = f"“{figure.stated}” {_FIGURE_WORDS.get(name, name)}"
        if all_figures:
            found.append(f"{stated}, {counted_as(figure)}: ours {human(counted_like_official(arch, name))}")
        else:
            found.append(f"the official {stated} is counted {counted_as(figure)}")
    return found


def human(count: float) -> str:
    """``8190735360`` -> ``8.19B``; three significant digits."""
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if count >= scale:
            value = count / scale
            return f"{value:.3g}{unit}" if value < 1000 else f"{value:,.0f}{unit}"
    return f"{count:g}"


def human_bytes(count: float) -> str:
    """``147456`` -> ``144 KiB``: three significant digits, up to EiB, never an exponent."""
    for unit, scale in (("EiB", 2**60), ("PiB", 2**50), ("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= scale:
            value = count / scale
            return f"{value:.3g} {unit}" if value < 1000 else f"{value:,.0f} {unit}"
    return f"{count:,.0f} B"
