"""A Hugging Face ``config.json`` that remembers which keys the importer read, and the
options an op kind's ``from_hf`` takes beside it.

A config of an unknown ``model_type`` read as a known one (``read_as``) gets a
warning that lists the keys nothing read, so the author knows what the spec may miss.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import SpecError

#: Keys every config carries that say nothing about the architecture.
BOOKKEEPING = frozenset(
    {
        "_name_or_path",
        "architectures",
        "auto_map",
        "bos_token_id",
        "eos_token_id",
        "pad_token_id",
        "torch_dtype",
        "dtype",
        "transformers_version",
        "use_cache",
        "initializer_range",
        "attention_dropout",
        "hidden_dropout",
        "dropout",
        "quantization_config",
        "output_router_logits",
        "router_aux_loss_coef",
        "tokenizer_class",
        "bos_token",
        "eos_token",
        "pad_token",
        "model_type",
        "_attn_implementation",
        "embd_pdrop",
        "resid_pdrop",
        "attn_pdrop",
        "summary_first_dropout",
        "task_specific_params",
        "image_token_index",
        "image_token_id",
        "boi_token_index",
        "eoi_token_index",
        "pretraining_tp",
        "summary_activation",
        "summary_proj_to_labels",
        "summary_type",
        "summary_use_proj",
        "use_sliding_window",
        "mlp_bias_legacy",
        "layer_norm_epsilon",
        "rms_norm_eps",
        "norm_eps",
        "layer_norm_eps",
        "initializer_factor",
        "scale_attn_weights",
        "attention_probs_dropout_prob",
        "hidden_dropout_prob",
        "decoder_start_token_id",
        "tie_encoder_decoder",
        "generation_config",
    }
)


#: What a key's value must be, by the key's name, so a wrong value is refused with its
#: key rather than failing later in arithmetic. Checked in order; unlisted keys pass.
_NAME_LISTS = frozenset({"layer_types", "mlp_layer_types", "layers_block_type", "architectures"})
_NUMBER_LISTS = frozenset(
    {"no_rope_layers", "full_attn_idxs", "full_attn_layers", "mlp_only_layers", "hybrid_layer_pattern"}
    | {"compress_ratios", "num_attention_heads_per_layer", "merge_kernel_size", "fullatt_block_indexes"}
    | {"subsampling_conv_channels"}
)
#: A period, or one 0/1 flag per layer (MiMo's Hub configs).
_PERIOD_OR_FLAGS = frozenset({"moe_layer_freq"})
_TABLES = frozenset({"rope_parameters", "rope_scaling", "per_layer_config"})
_STRINGS = frozenset(
    {"hybrid_override_pattern", "model_type", "_name_or_path", "rope_type", "type", "mm_projector_type"}
    | {"hidden_act", "hidden_activation", "activation_function", "mlp_hidden_act", "projector_hidden_act"}
    | {"speech_vocab_size"}  # MiMo: codes per codebook, one number or one per codebook joined by "-"
)
_NUMBER = re.compile(r"(_factor|_multiplier|eps|_epsilon|_theta|_ratio|_base_freq)$|^factor$")
_FLAG = re.compile(r"_bias$|^use_|^tie_|^attention_k_eq_v$|^block_auto_adjust_ff_dim$|^norm_topk_prob$")
_COUNT = re.compile(
    r"^(num|n|vocab)_|^d_model$|_(size|dim|rank|heads|experts|window|step|interval|replace|freq|of|length|layers|channels)$"
    r"|_per_layer_input$|_per_image$|_embeddings$|^head_dim$|^sliding_window_pattern$|^hc_mult$"
)


def checked(file: str, key: str, name: str, value: Any) -> Any:
    """``value`` if it has the type ``name`` implies (whole floats become ints)."""
    problem = None
    if name in _NAME_LISTS:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problem = "should be a list of names"
    elif name in _NUMBER_LISTS:
        if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            problem = "should be a list of whole numbers"
    elif name in _PERIOD_OR_FLAGS and isinstance(value, list):
        if not all(v in (0, 1) and not isinstance(v, bool) for v in value):
            problem = "should be a whole number or a list of 0 and 1 per layer"
    elif name in _TABLES:
        if not isinstance(value, Mapping):
            problem = "should be a table"
    elif name in _STRINGS:
        if not isinstance(value, str):
            problem = "should be a string"
    elif _NUMBER.search(name):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            problem = "should be a non-negative number"
    elif _FLAG.search(name):
        if not isinstance(value, bool):
            problem = "should be true or false"
    elif _COUNT.search(name):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problem = "should be a whole number, 0 or more"
    if problem:
        raise SpecError(file, key, f"{value!r:.60} {problem}")
    return value


class HFConfig:
    """Read access to one config (or its ``text_config``), recording every key read."""

    def __init__(self, data: Mapping[str, Any], file: str = "config.json", path: str = "") -> None:
        self.data, self.file, self.path = data, file, path
        self.used: set[str] = set()

    def __contains__(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None

    def get(self, key: str, default: Any = None) -> Any:
        """The value, or ``default`` when the key is absent or null."""
        self.used.add(key)
        value = self.data.get(key)
        return default if value is None else checked(self.file, self.key(key), key, value)

    def first(self, *keys: str, default: Any = None) -> Any:
        """The first key present: configs name one thing differently by family."""
        for key in keys:
            if key in self:
                return self.get(key)
            self.used.add(key)
        return default

    def require(self, *keys: str) -> Any:
        """A size the architecture cannot do without: present and positive."""
        return self.positive(*keys)

    def positive(self, *keys: str, default: Any = None) -> Any:
        """A size or factor that must be above zero; ``default`` when absent (else required)."""
        value = self.first(*keys, default=default)
        if value is None:
            raise SpecError(self.file, self.key(keys[0]), "missing in the config")
        if isinstance(value, (int, float)) and value <= 0:
            used = next(key for key in keys if key in self)
            raise SpecError(self.file, self.key(used), f"{value} should be above 0")
        return value

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def nested(self, key: str) -> HFConfig | None:
        """A sub-config such as ``text_config`` or ``vision_config``."""
        self.used.add(key)
        value = self.data.get(key)
        if value is not None and not isinstance(value, Mapping):
            raise SpecError(self.file, self.key(key), f"{value!r:.60} should be a table")
        return HFConfig(value, self.file, self.key(key)) if value is not None else None

    def unused(self) -> list[str]:
        return sorted(k for k in self.data if k not in self.used and k not in BOOKKEEPING)


@dataclass(frozen=True)
class HFOptions:
    """What a model type's modeling code fixes for one op and its ``config.json`` does not
    say, as the importer hands it to an op kind's ``from_hf`` (None: not fixed, the kind's
    or the config's own default holds)."""

    # attention
    qk_norm: str | None = None
    qkv_bias: bool = False
    o_bias: bool | None = None
    output_gate: str | None = None
    gate_function: str | None = None
    sinks: bool = False
    sliding_window: int | None = None
    attention_chunk_size: int | None = None
    position: str | None = None
    compress_ratio: int | None = None
    # feed-forward and experts
    gated: bool = True
    intermediate_size: int | None = None
    bias: bool = False
    shared_key: str | None = None
    num_shared_experts: int = 0
    shared_expert_gate: bool = False
    router_bias: bool = False
    expert_bias: bool = False
    router_input_scale: bool = False
    per_expert_scale: bool = False
    hash_routing: bool = False
    score_correction_bias: bool = False
    skip_expert: bool = False
    router_carry: bool = False


#: Nothing fixed beyond the config.
NO_OPTIONS = HFOptions()
