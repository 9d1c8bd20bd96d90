"""Which kind each layer of a Hugging Face model is, from its ``config.json``.

Configs say it in many ways: ``layer_types`` lists, ``sliding_window_pattern``,
``max_window_layers``, ``no_rope_layers`` and their intervals, dense prefixes
(``first_k_dense_replace``), MoE steps (``decoder_sparse_step``,
``moe_layer_freq``, ``interleave_moe_layer_step``, ``mlp_only_layers``),
hybrid patterns (``hybrid_override_pattern``, ``full_attention_interval``,
``linear_attn_config``, ``full_attn_idxs``), shared KV caches
(``num_kv_shared_layers``), per-layer head counts and sizes
(``num_attention_heads_per_layer``, ``per_layer_config``, ``global_head_dim``), and
DeepSeek V4's ``compress_ratios`` and ``num_hash_layers``. Each rule here follows the transformers
configuration class that reads the key; the model type only picks defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..errors import SpecError
from ..kinds import KINDS

if TYPE_CHECKING:
    from .config import HFConfig
    from .recipes import Recipe

#: Configs list or derive every layer; a spec's schedule is the way to describe more.
MAX_LAYERS = 10_000
#: ``layer_types`` values -> (mixer, window).
_LAYER_TYPES = {
    "full_attention": ("attention", "full"),
    "attention": ("attention", "full"),
    "sliding_attention": ("attention", "sliding"),
    "chunked_attention": ("attention", "chunked"),
    "linear_attention": ("linear", "full"),
    "conv": ("conv", "full"),
    "mamba": ("mamba", "full"),
    "hybrid": ("attention", "full"),  # ZAYA1: CCA attention and an MoE in every layer
    "hybrid_sliding": ("attention", "sliding"),
}
#: ``hybrid_override_pattern`` characters (Nemotron-H): one op per layer.
_PATTERN = {"M": ("mamba", None), "*": ("attention", None), "E": (None, "moe"), "-": (None, "mlp")}


@dataclass(frozen=True)
class Layer:
    """What one layer holds, as far as counting and drawing care."""

    mixer: str | None  # attention | linear | mamba | conv | mlstm | None
    window: str = "full"  # full | sliding | chunked
    rope: bool = True
    channel: str | None = "mlp"  # mlp | moe | None
    kv_shared: bool = False
    #: A head size this layer's attention has apart from the config's head_dim (Gemma 4's global layers).
    head_dim: int | None = None
    #: Query heads this layer has apart from the config's num_attention_heads (Laguna's sliding layers).
    num_heads: int | None = None
    #: DeepSeek V4: tokens pooled into one cached latent (0: the window alone); None: no such key.
    compress_ratio: int | None = None
    #: DeepSeek V4's first layers: experts picked from a table of token ids.
    hash_routing: bool = False
    #: ZAYA1 after its first layer: the router adds the previous layer's router state.
    router_carry: bool = False

    @property
    def key(self) -> str:
        parts = [self.mixer or "", self.window if self.window != "full" else "", "" if self.rope else "nope"]
        parts += [f"h{self.num_heads}" if self.num_heads else "", f"hd{self.head_dim}" if self.head_dim else ""]
        parts += [self.compression, self.channel or "", self.routing, "shared" if self.kv_shared else ""]
        return "-".join(part for part in parts if part)

    @property
    def routing(self) -> str:
        """How this layer's MoE routes, when it differs from a plain router."""
        return "hash" if self.hash_routing else "carry" if self.router_carry else ""

    @property
    def compression(self) -> str:
        return "" if self.compress_ratio is None else f"c{self.compress_ratio}"


def _listed(config: HFConfig, key: str, count: int, known: Mapping[Any, Any] | None = None) -> list[Any]:
    """The first ``count`` entries of a per-layer list, refusing one too short or with unknown names."""
    values = config.get(key) or []
    if values and len(values) < count:
        raise SpecError(config.file, config.key(key), f"lists {len(values)} layers, but the model has {count}")
    unknown = sorted({str(v) for v in values if known is not None and v not in known})
    if unknown:
        raise SpecError(config.file, config.key(key), f"unknown {', '.join(unknown)} (known: {', '.join(known)})")
    return values[:count]


def _mixers(config: HFConfig, count: int, recipe: Recipe) -> list[tuple[str | None, str]]:
    """(mixer, window) per layer."""
    key = "layer_types" if "layer_types" in config else "layers_block_type"
    known = {**_LAYER_TYPES, **{name: (kind.type, "full") for kind in KINDS.values() for name in kind.hf_layer_types}}
    types = _listed(config, key, count, known)
    if types:
        return [known[t] for t in types]
    linear = config.nested("linear_attn_config")
    if linear is not None and linear.get("full_attn_layers"):
        full = {i - 1 for i in linear.get("full_attn_layers")}  # listed counting from 1
        return [("attention" if i in full else "linear", "full") for i in range(count)]
    interval = config.get("full_attention_interval")
    if interval:
        return [("attention" if (i + 1) % interval == 0 else "linear", "full") for i in range(count)]
    indices = config.get("full_attn_idxs")
    if indices is not None:
        return [("attention" if i in indices else "conv", "full") for i in range(count)]
    return [(recipe.mixer, window) for window in _windows(config, count, recipe)]


def _windows(config: HFConfig, count: int, recipe: Recipe) -> list[str]:
    flags = _listed(config, "hybrid_layer_pattern", count)  # MiMo: 1 = sliding window, 0 = global
    if flags:
        return ["sliding" if flag else "full" for flag in flags]
    window = config.get("sliding_window")
    pattern = config.get("sliding_window_pattern", recipe.sliding_pattern)
    if recipe.sliding_pattern and window and pattern:  # Gemma 3, Cohere 2: every pattern-th layer is global
        return ["full" if (i + 1) % pattern == 0 else "sliding" for i in range(count)]
    if config.get("use_sliding_window") is False or not window or recipe.ignores_sliding_window:
        return ["full"] * count
    first = config.get("max_window_layers", 0) if recipe.uses_max_window_layers else 0
    return ["sliding" if i >= first else "full" for i in range(count)]


def _ropes(config: HFConfig, count: int, recipe: Recipe) -> list[bool]:
    flags = _listed(config, "no_rope_layers", count)  # 1 = RoPE, 0 = NoPE
    if flags:
        return [bool(flag) for flag in flags]
    interval = config.get("no_rope_layer_interval", recipe.nope_interval)
    if interval:
        return [(i + 1) % interval != 0 for i in range(count)]
    return [not recipe.nope] * count


def _channels(config: HFConfig, count: int, recipe: Recipe) -> list[str]:
    types = _listed(config, "mlp_layer_types", count, {"sparse": "moe", "dense": "mlp"})
    if types:
        return ["moe" if t == "sparse" else "mlp" for t in types]
    experts = config.first("num_experts", "n_routed_experts", "num_local_experts")
    if not experts or not recipe.moe or (recipe.moe_flag and not config.get(recipe.moe_flag)):
        return ["mlp"] * count
    if isinstance(config.get("moe_layer_freq"), list):  # MiMo: one 0/1 flag per layer
        return ["moe" if flag else "mlp" for flag in _listed(config, "moe_layer_freq", count)]
    dense = set(config.get("mlp_only_layers") or [])
    first = config.get("first_k_dense_replace", 0)
    interleave = config.get("interleave_moe_layer_step")
    step = config.get("decoder_sparse_step")
    freq = config.get("moe_layer_freq") or 1
    out = []
    for i in range(count):
        if interleave:  # Llama 4: layers step-1, 2*step-1, ...
            moe = (i + 1) % interleave == 0
        elif step:  # Qwen MoE: every step-th layer, counting from 1
            moe = i not in dense and (i + 1) % step == 0
        else:  # DeepSeek style: after a dense prefix, every freq-th layer
            moe = i >= first and i not in dense and i % freq == 0
        out.append("moe" if moe else "mlp")
    return out


def _single_op_layers(config: HFConfig) -> list[Layer] | None:
    """Nemotron-H: each layer is one op, from a pattern string or a list of block types."""
    key = "hybrid_override_pattern" if config.get("hybrid_override_pattern") else "layers_block_type"
    listed = config.get(key) or []
    if key == "hybrid_override_pattern":
        letters = _listed(config, key, len(listed), _PATTERN)
    else:
        names = {"linear_attention": "M", "mamba": "M", "full_attention": "*", "attention": "*", "moe": "E", "mlp": "-"}
        letters = [names[t] for t in _listed(config, key, len(listed), names)]
    if len(letters) > MAX_LAYERS:
        raise SpecError(config.file, config.key(key), f"{len(letters):,} is more than {MAX_LAYERS:,} layers")
    return [Layer(mixer=_PATTERN[letter][0], channel=_PATTERN[letter][1], rope=False) for letter in letters] or None


def _head_dims(config: HFConfig, count: int, windows: list[str]) -> list[int | None]:
    """Per-layer head sizes that differ from head_dim: Gemma 4's global layers."""
    table = config.nested("per_layer_config")
    wide = config.get("global_head_dim")
    dims: list[int | None] = []
    for index, window in enumerate(windows):
        layer = table and (table.nested(f"{index:02d}") or table.nested(str(index)))
        own = layer.get("head_dim") if layer else None
        dims.append(own or (wide if wide and window == "full" else None))
    return dims


def _head_counts(config: HFConfig, count: int) -> list[int | None]:
    """Per-layer query head counts that differ from num_attention_heads (Laguna:
    ``num_attention_heads_per_layer``, 48 in global and 64 in sliding-window layers)."""
    listed = _listed(config, "num_attention_heads_per_layer", count)
    base = config.get("num_attention_heads")
    return [heads if heads != base else None for heads in listed] or [None] * count


def read_layers(config: HFConfig, recipe: Recipe) -> list[Layer]:
    """One :class:`Layer` per layer of the text stack."""
    if recipe.single_mixer:
        single = _single_op_layers(config)
        if single:
            return single
    count = config.require("num_hidden_layers", "n_layer", "num_layers", "num_blocks")
    if count > MAX_LAYERS:
        raise SpecError(config.file, config.key("num_hidden_layers"), f"{count:,} is more than {MAX_LAYERS:,} layers")
    mixers, ropes, channels = (
        _mixers(config, count, recipe),
        _ropes(config, count, recipe),
        _channels(config, count, recipe),
    )
    shared_from = count - config.get("num_kv_shared_layers", 0)
    head_dims = _head_dims(config, count, [window for _, window in mixers])
    head_counts = _head_counts(config, count)
    ratios = _listed(config, "compress_ratios", count) or [None] * count
    hashed = config.get("num_hash_layers", 0)
    layers = []
    for i, ((mixer, window), rope, channel) in enumerate(zip(mixers, ropes, channels, strict=True)):
        if recipe.nope_on_full and window == "full":
            rope = False
        if recipe.chunked_rope_layers and window == "full" and rope and config.get("attention_chunk_size"):
            window = "chunked"  # Llama 4: the RoPE layers attend within chunks
        rope = rope if mixer == "attention" else True
        head_dim, heads = (head_dims[i], head_counts[i]) if mixer == "attention" else (None, None)
        carried = recipe.router_carry and channel == "moe" and i > 0  # as transformers' ZayaRouter: not in layer 0
        layer = Layer(mixer, window, rope, channel, i >= shared_from, head_dim, heads, ratios[i], i < hashed, carried)
        layers.append(layer)
    return layers


def mtp_pattern_layers(config: HFConfig) -> list[Layer]:
    """Nemotron-H's MTP step as the layers its ``mtp_hybrid_override_pattern`` lists
    (``"*E"``: an attention layer, then an MoE layer); none for a step of one layer."""
    pattern = str(config.get("mtp_hybrid_override_pattern") or "")
    letters = _listed(config, "mtp_hybrid_override_pattern", len(pattern), _PATTERN) if len(pattern) > 1 else []
    return [Layer(mixer=_PATTERN[letter][0], channel=_PATTERN[letter][1], rope=False) for letter in letters]


def mtp_layer(config: HFConfig, layers: list[Layer]) -> Layer:
    """The block of the MTP modules: the last layer's, or with ``compress_ratios`` one
    entry longer than the stack (DeepSeek V4), a block with that last ratio and a learned router."""
    ratios = config.get("compress_ratios") or []
    if len(ratios) > len(layers):
        return replace(layers[-1], compress_ratio=ratios[len(layers)], hash_routing=False)
    return layers[-1]


def compress(keys: list[str], longest_cycle: int = 16) -> dict[str, list[str]]:
    """The shortest ``{prefix, cycle}`` that repeats to ``keys``, else ``{layers}``.

    For each period, walk back from the end while the keys repeat at that
    period: linear in the number of layers for each period tried.
    """
    count = len(keys)
    best: tuple[int, int] | None = None  # (start, period)
    for period in range(1, min(longest_cycle, count) + 1):
        start = count - period
        while start > 0 and keys[start - 1] == keys[start - 1 + period]:
            start -= 1
        if best is None or start + period < sum(best):
            best = (start, period)
    if best is None or sum(best) > count // 2 + 1:
        return {"layers": keys}
    start, period = best
    return {"prefix": keys[:start], "cycle": keys[start : start + period]} if start else {"cycle": keys[:period]}
