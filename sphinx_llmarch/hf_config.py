"""A Hugging Face ``config.json`` that remembers which keys the importer read.

An unknown ``model_type`` is imported as a generic decoder, and the warning
lists the keys nothing read, so the author knows what the spec may miss.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .spec_table import SpecError

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
        return default if value is None else value

    def first(self, *keys: str, default: Any = None) -> Any:
        """The first key present: configs name one thing differently by family."""
        for key in keys:
            if key in self:
                return self.get(key)
            self.used.add(key)
        return default

    def require(self, *keys: str) -> Any:
        value = self.first(*keys)
        if value is None:
            raise SpecError(self.file, self.key(keys[0]), "missing in the config")
        return value

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def nested(self, key: str) -> HFConfig | None:
        """A sub-config such as ``text_config`` or ``vision_config``."""
        self.used.add(key)
        value = self.data.get(key)
        return HFConfig(value, self.file, self.key(key)) if isinstance(value, Mapping) else None

    def unused(self) -> list[str]:
        return sorted(k for k in self.data if k not in self.used and k not in BOOKKEEPING)
