"""Hugging Face ``config.json`` -> spec, through one table of what each model type fixes.

A config states sizes; the family's modeling code fixes the rest (where the
norms sit, which projections have biases, QK-Norm, gates, sinks). That
knowledge lives in :data:`~.recipes.RECIPES`, keyed by ``model_type``; which
layer is which is read by :mod:`.layers`, and each op reads its own keys
(``from_hf`` in :mod:`sphinx_llmarch.kinds`). The result is a spec table in the
explicit form, validated by the same loader as every bundled spec.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..errors import SpecError
from ..kinds import KINDS
from ..spec.table import suggest
from .config import HFConfig, HFOptions, checked
from .layers import Layer, compress, mtp_layer, mtp_pattern_layers, read_layers
from .recipes import ARCHITECTURES, RECIPES, WRAPPERS, Recipe, plugin_model_types, recipe_for

# -- ops --------------------------------------------------------------------------------


def _attention(config: HFConfig, recipe: Recipe, layer: Layer, rope: HFConfig) -> dict[str, Any]:
    qk_norm = recipe.qk_norm if not recipe.qk_norm_key or config.get(recipe.qk_norm_key) else "none"
    sliding = layer.window == "sliding"
    gate = recipe.output_gate
    if recipe.gate_key:
        value = config.get(recipe.gate_key, True)
        if not isinstance(value, (bool, str)) or value not in _GATING:
            raise SpecError(config.file, config.key(recipe.gate_key), f"unknown gating {value!r}")
        gate = _GATING[value]
    options: dict[str, Any] = {"qk_norm": qk_norm, "output_gate": gate, "qkv_bias": recipe.qkv_bias}
    options["gate_function"] = recipe.gate_function
    options["sinks"] = recipe.sinks or (recipe.sliding_sinks and sliding)
    sink_flag = config.get("add_swa_attention_sink_bias" if sliding else "add_full_attention_sink_bias")
    if sink_flag is not None:
        options["sinks"] = bool(sink_flag)
    if recipe.o_bias is not None:
        options["o_bias"] = recipe.o_bias
    if sliding:
        options["sliding_window"] = config.get("sliding_window")
    if layer.window == "chunked":
        options["attention_chunk_size"] = config.get("attention_chunk_size")
    if not layer.rope:
        options["position"] = "absolute" if recipe.learned_positions else "nope"
    if recipe.mixer == "mla":
        return KINDS["mla"].from_hf(config, HFOptions(**options)) | _rope(rope, layer)
    if recipe.mixer == "compressed_attention":  # reads its own window and rotary keys
        return KINDS[recipe.mixer].from_hf(config, HFOptions(compress_ratio=layer.compress_ratio, sinks=recipe.sinks))
    if recipe.mixer == "cca":
        window = HFOptions(sliding_window=options.get("sliding_window"))
        return KINDS["cca"].from_hf(config, window) | _rope(rope, layer)
    table = KINDS["attention"].from_hf(config, HFOptions(**options))
    if layer.rope:
        if _rope_for_type(rope, layer) is not None:  # the layer type's own settings replace the top level's
            for key in ("rope_theta", "partial_rotary_factor", "rope_scaling"):
                table.pop(key, None)
        table.update(_rope(rope, layer))
    if sliding and recipe.sliding_kv_factor > 1:
        table["num_key_value_heads"] *= recipe.sliding_kv_factor
    if layer.head_dim:
        table["head_dim"] = layer.head_dim
    if layer.num_heads:
        table["num_attention_heads"] = layer.num_heads
    if config.get("v_head_dim"):
        table["v_head_dim"] = config.get("v_head_dim")
    if layer.kv_shared:
        table["kv_shared"] = True
    if sliding:  # MiMo: the sliding-window layers' own shapes
        for key in ("num_attention_heads", "num_key_value_heads", "head_dim", "v_head_dim"):
            if config.get(f"swa_{key}"):
                table[key] = config.get(f"swa_{key}")
    if config.get("attention_k_eq_v") and layer.window == "full":
        table["k_eq_v"] = True
        if config.get("num_global_key_value_heads"):  # Gemma 4: fewer KV heads where keys are the values
            table["num_key_value_heads"] = config.get("num_global_key_value_heads")
    return table


#: Laguna's ``gating``: true means one gate per head (as transformers, vLLM and mlx-lm read it).
_GATING: dict[Any, str] = {True: "headwise", "per-head": "headwise", "per-element": "elementwise", False: "none"}


#: The ``rope_parameters`` entries of global and sliding-window layers (ZAYA1 names its layer types "hybrid").
_ROPE_TYPES = {False: ("full_attention", "hybrid"), True: ("sliding_attention", "hybrid_sliding")}


def _rope_for_type(config: HFConfig, layer: Layer) -> dict[str, Any] | None:
    """The ``rope_parameters`` entry of the layer's type, when the config gives one per type;
    a top-level ``partial_rotary_factor`` is its default (transformers' Laguna config)."""
    per_type = config.get("rope_parameters") or {}
    own = next((per_type[name] for name in _ROPE_TYPES[layer.window == "sliding"] if name in per_type), None)
    if not isinstance(own, Mapping):
        return None
    fraction = config.get("partial_rotary_factor")
    return {"partial_rotary_factor": fraction, **own} if fraction is not None else dict(own)


def _rope(config: HFConfig, layer: Layer) -> dict[str, Any]:
    """RoPE settings, per layer type where the config gives them so (Gemma, MiMo)."""
    if not layer.rope:
        return {}
    from ..kinds.attention import rope_from_hf

    own = _rope_for_type(config, layer)
    if own is not None:
        return rope_from_hf(HFConfig({"rope_parameters": own}))
    table = rope_from_hf(config)
    if layer.window == "sliding" and config.get("rope_local_base_freq"):
        table = {"rope_theta": float(config.get("rope_local_base_freq"))}  # Gemma 3: local layers, no scaling
    if layer.window == "sliding" and config.get("swa_rope_theta"):
        table["rope_theta"] = float(config.get("swa_rope_theta"))  # MiMo
    if config.get("rotary_dim") and config.get("head_dim"):  # MiniMax: rotary_dim of head_dim rotate
        table["partial_rotary_factor"] = config.get("rotary_dim") / config.get("head_dim")
    return table


def _mlp(config: HFConfig, recipe: Recipe, wide: bool = False) -> dict[str, Any]:
    """The dense FFN; ``wide``: Gemma 4's double-width MLP of the layers that reuse a KV cache."""
    size = config.get("intermediate_size_mlp")  # Llama 4's dense layers
    if wide:
        size = 2 * config.require("intermediate_size")
    if config.get("block_auto_adjust_ff_dim"):  # LFM2: two thirds, scaled, rounded up; else as given
        size = int(2 * config.require("intermediate_size") / 3)
        if config.get("block_ffn_dim_multiplier") is not None:
            multiple = config.require("block_multiple_of")
            size = multiple * -(-int(config.get("block_ffn_dim_multiplier") * size) // multiple)
    if config.get("ffn_proj_factor"):  # xLSTM: a factor of the width, rounded up
        multiple = config.get("ffn_round_up_to_multiple_of") or 64
        width = config.require("embedding_dim", "hidden_size")
        size = multiple * -(-int(width * config.get("ffn_proj_factor")) // multiple)
    return KINDS["mlp"].from_hf(config, HFOptions(gated=recipe.gated_mlp, intermediate_size=size, bias=recipe.mlp_bias))


def _moe(config: HFConfig, recipe: Recipe, layer: Layer) -> dict[str, Any]:
    keys = ("shared_key", "shared_expert_gate", "router_bias", "expert_bias", "skip_expert")
    options = {key: getattr(recipe, key) for key in keys}
    options.update(hash_routing=layer.hash_routing, router_carry=layer.router_carry)
    if recipe.shared_flag and not config.get(recipe.shared_flag):
        options["shared_key"] = None
    options["num_shared_experts"] = recipe.num_shared_experts
    options["score_correction_bias"] = recipe.score_correction_bias
    options["router_input_scale"] = options["per_expert_scale"] = recipe.moe_beside_mlp
    return KINDS["moe"].from_hf(config, HFOptions(gated=recipe.gated_mlp, **options))


#: Parts of a layer's key that describe its channel mixer, not its attention.
_CHANNEL_PARTS = ("mlp", "moe", "hash", "carry")
_SIMPLE = {"linear": None, "mamba": "mamba2", "conv": "short_conv", "mlstm": "mlstm"}


def _add_op(ops: dict[str, dict[str, Any]], name: str, table: dict[str, Any]) -> str:
    """Add an op table under ``name``, or under ``name-2``, ``name-3``... when a layer
    read earlier holds a different op by that name (a first layer unlike the rest must
    not be merged into them); return the name it has."""
    candidate, number = name, 1
    while candidate in ops and ops[candidate] != table:
        number += 1
        candidate = f"{name}-{number}"
    ops.setdefault(candidate, table)
    return candidate


def _ops_for(layer: Layer, config: HFConfig, recipe: Recipe, ops: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The sublayers of one layer kind, adding the ops they use to ``ops``."""
    subs: list[dict[str, Any]] = []
    norm = recipe.norm
    if layer.mixer == "attention":
        name = "attention" + "".join(f"-{p}" for p in layer.key.split("-")[1:] if p not in _CHANNEL_PARTS)
        subs.append({"op": _add_op(ops, name, _attention(config, recipe, layer, config)), "norm": norm})
    elif layer.mixer:
        kind = recipe.linear if layer.mixer == "linear" else recipe.mixer if layer.mixer == "mlstm" else None
        kind = kind or _SIMPLE.get(layer.mixer) or (layer.mixer if layer.mixer in KINDS else None)
        if kind is None:
            what = "linear-attention" if layer.mixer == "linear" else repr(layer.mixer)
            raise SpecError(config.file, config.key("layer_types"), f"{what} layers, but this model type has none")
        subs.append({"op": _add_op(ops, layer.mixer, KINDS[kind].from_hf(config)), "norm": norm})
    if layer.channel:
        wide = layer.channel == "mlp" and layer.kv_shared and bool(config.get("use_double_wide_mlp"))
        channel = "mlp-wide" if wide else "-".join(p for p in (layer.channel, layer.routing) if p)
        beside = layer.channel == "moe" and recipe.moe_beside_mlp
        if beside:
            subs.append({"op": _add_op(ops, "mlp", _mlp(config, recipe)), "norm": norm})
        moe = layer.channel == "moe"
        table = _moe(config, recipe, layer) if moe else _mlp(config, recipe, wide)
        sub: dict[str, Any] = {"op": _add_op(ops, channel, table), "norm": norm}
        if recipe.parallel or (recipe.parallel_key and config.get(recipe.parallel_key)):
            sub.update(norm="none", parallel=True)
        if beside:
            sub.update(parallel=True, sum_norm=True)
        subs.append(sub)
    if config.get("hidden_size_per_layer_input"):
        subs.append({"op": _add_op(ops, "ple", KINDS["per_layer_input"].from_hf(config)), "norm": "post"})
    return subs


# -- the whole spec -----------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-.") or "imported-model"


def known_model_types() -> list[str]:
    """Every ``model_type`` the importer reads, sorted."""
    return sorted({*RECIPES, *WRAPPERS, *plugin_model_types()})


def _recipe(top: HFConfig, model_type: str, read_as: str | None) -> tuple[Recipe, list[str]]:
    """The recipe for a config, and a warning when the user chose it (``read_as``).

    An unknown model type is refused rather than read as something else: a guessed
    architecture would be published with confident, wrong numbers.
    """
    architectures = top.get("architectures") or []
    own_type = next((ARCHITECTURES[a] for a in architectures if a in ARCHITECTURES), None)
    recipe = recipe_for(own_type or WRAPPERS.get(model_type, model_type))
    if recipe is not None:
        return recipe, []
    known = known_model_types()
    if read_as is not None:
        chosen = recipe_for(WRAPPERS.get(read_as, read_as))
        if chosen is None:
            hint = suggest(read_as, known)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise SpecError(top.file, "model_type", f"cannot read it as {read_as!r}: not a known model type{extra}")
        return chosen, [f"model_type {model_type!r} is not known: read as {read_as!r}, as asked"]
    what = f"{model_type!r} is not a model type the importer knows" if model_type else "missing"
    hint = suggest(model_type, known) if model_type else []
    extra = f" (did you mean {hint[0]!r}?)" if hint else ""
    raise SpecError(
        top.file,
        "model_type",
        f"{what}{extra}, so its architecture is not read (a guess would publish wrong numbers); "
        f"known types: {', '.join(known)}. If the model is built exactly like one of them, "
        "ask for that reading (the directive's :read-as: option, or llmarch import --read-as)",
    )


def spec_from_config(
    data: Mapping[str, Any], file: str, model_id: str | None = None, read_as: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    """The spec for a config.json, and warnings (a type read as another: the keys nothing read).

    ``read_as`` names a known model type to read a config of an unknown type as.
    """
    top = HFConfig(data, file)
    model_type = str(top.get("model_type") or "")
    text = top.nested("text_config") if model_type in WRAPPERS or "text_config" in top else top
    if text is None:
        raise SpecError(file, "text_config", f"missing, but model_type {model_type!r} keeps its text stack there")
    recipe, warnings = _recipe(top, model_type, read_as)
    text = _as_transformers_reads(text, recipe)
    name = str(top.get("_name_or_path") or model_id or model_type or "imported model").rstrip("/").split("/")[-1]
    spec: dict[str, Any] = {
        "id": _slug(model_id or name),
        "name": name,
        "family": model_type or "unknown",
        "sources": {"config": file},
        "text": _text(text, recipe),
        "norm": _norm(text, recipe),
    }
    mixer = "attention" if recipe.mixer in ("mla", "compressed_attention", "cca") else recipe.mixer
    layers = read_layers(text, replace(recipe, mixer=mixer))
    spec["text"]["num_hidden_layers"] = len(layers)
    ops: dict[str, dict[str, Any]] = {}
    kinds: dict[str, dict[str, Any]] = {}
    for layer in layers:
        if layer.key not in kinds:
            kinds[layer.key] = {"sublayers": _ops_for(layer, text, recipe, ops)}
    spec.update(ops=ops, layer_kinds=kinds, schedule=compress([layer.key for layer in layers]))
    modules = text.first("num_nextn_predict_layers", "mtp_num_hidden_layers", default=0)
    steps = mtp_pattern_layers(text)
    if modules and steps:  # Nemotron 3 Super: one MTP step of several layers, drawn and counted as one kind
        kinds["mtp"] = {"sublayers": [sub for step in steps for sub in _ops_for(step, text, recipe, ops)]}
        spec["mtp"] = {"num_modules": modules, "layer_kind": "mtp", "embedding_copies": recipe.mtp_copies}
    elif modules:
        block = mtp_layer(text, layers)
        if block.key not in kinds:
            kinds[block.key] = {"sublayers": _ops_for(block, text, recipe, ops)}
        spec["mtp"] = {"num_modules": modules, "layer_kind": block.key, "embedding_copies": recipe.mtp_copies}
    if "vision_config" in top:
        from .vision import vision_from_hf

        vision = vision_from_hf(model_type, top, text)
        if vision:
            spec["vision"] = vision
    if "audio_config" in top:
        from .audio import audio_from_hf

        audio = audio_from_hf(model_type, top, text)
        if audio:
            spec["audio"] = audio
    if warnings and text.unused():
        warnings[0] += f"; keys not read: {', '.join(text.unused())}"
    return spec, warnings


def _as_transformers_reads(config: HFConfig, recipe: Recipe) -> HFConfig:
    """The config with the family's defaults beneath it and its original key names moved to the
    names the modeling code reads, so every op reads one name (a bad value names the original key)."""
    if not recipe.defaults and not recipe.renamed:
        return config
    data = {**recipe.defaults, **config.data}
    for original, name in recipe.renamed.items():
        if config.data.get(original) is not None:
            data[name] = checked(config.file, config.key(original), name, config.data[original])
    return HFConfig(data, config.file, config.path)


def _text(config: HFConfig, recipe: Recipe) -> dict[str, Any]:
    table: dict[str, Any] = {
        "vocab_size": config.require("vocab_size"),
        "hidden_size": config.require("hidden_size", "n_embd", "d_model", "embedding_dim"),
        "num_hidden_layers": 0,  # the number of layers read_layers finds, set by spec_from_config
    }
    positions = config.first("max_position_embeddings", "n_positions", "model_max_length")
    table["context_length"] = positions or 4096
    if positions:
        table["max_position_embeddings"] = positions
    table["tie_word_embeddings"] = bool(config.get("tie_word_embeddings", recipe.tied))
    if recipe.learned_positions:
        table["learned_positions"] = True
    if config.get("hc_mult", 1) > 1:  # DeepSeek V4's hyper-connections
        table["hyper_connections"] = config.get("hc_mult")
    if recipe.residual_scales:
        table["residual_scales"] = True
    if config.get("hidden_size_per_layer_input"):
        table["hidden_size_per_layer_input"] = config.get("hidden_size_per_layer_input")
        table["vocab_size_per_layer_input"] = config.get("vocab_size_per_layer_input", table["vocab_size"])
    return table


def _norm(config: HFConfig, recipe: Recipe) -> dict[str, Any]:
    table: dict[str, Any] = {"kind": recipe.norm_kind}
    if recipe.norm_bias is not None:
        table["bias"] = recipe.norm_bias
    eps = config.first(
        "rms_norm_eps", "layer_norm_epsilon", "layer_norm_eps", "layernorm_epsilon", "norm_epsilon", "norm_eps", "eps"
    )
    if eps:
        table["eps"] = float(eps)
    return table
