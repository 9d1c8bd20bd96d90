"""Vision towers: the encoder keys beyond a fixed-size ViT (Qwen3.5, Gemma 4, MiMo-V2.5), counted by hand on a
toy tower, and the vision configs the importer refuses."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from sphinx_llmarch.facts import stats, tables
from sphinx_llmarch.hf.importer import spec_from_config
from sphinx_llmarch.model.architecture import Architecture
from sphinx_llmarch.model.vision import pixels_per_token, tokens_per_image
from sphinx_llmarch.spec.loader import SpecError, architecture_from_dict
from sphinx_llmarch.spec.schema import spec_schema

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TOY = Path(__file__).parent / "roots" / "test-user-spec" / "specs" / "toy-lm.toml"
#: A dynamic-resolution tower shaped like Qwen3.5's, at toy sizes.
TOWER: dict[str, Any] = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "patch_size": 4,
    "ffn": "gelu",
    "norm": "layernorm",
    "bias": True,
    "patch_bias": True,
    "position": "both",
    "temporal_patch_size": 2,
    "position_embeddings": 16,
    "projector": [
        {"step": "norm", "width": 32, "kind": "layernorm"},
        {"step": "pixel_shuffle", "factor": 2},
        {"step": "linear", "in": 128, "out": 64, "bias": True},
    ],
}


def toy(**vision: Any) -> Architecture:
    data = tomllib.loads(TOY.read_text())
    data["vision"] = {key: value for key, value in {**TOWER, **vision}.items() if value is not None}
    return architecture_from_dict(data, "toy-lm.toml")


def test_temporal_patch_and_given_position_table() -> None:
    p = stats.params(toy())
    patch_embedding = 3 * 2 * 4 * 4 * 32 + 32  # channels x frames x patch², then the bias
    positions = 16 * 32  # the given table, not one row per patch of some image
    layer = 4 * (32 * 32 + 32) + (32 * 64 + 64) + (64 * 32 + 32) + 2 * 2 * 32
    assert p.vision_encoder == patch_embedding + positions + 2 * layer == 20_704
    assert p.vision_projector == 2 * 32 + 128 * 64 + 64 == 8_320


def test_still_image_encoder_is_unchanged_by_the_defaults() -> None:
    fixed = toy(temporal_patch_size=None, position_embeddings=None, image_size=16)
    dynamic = toy(temporal_patch_size=1, position_embeddings=16)
    assert stats.params(fixed).vision_encoder == stats.params(dynamic).vision_encoder == 20_704 - 3 * 16 * 32


def test_sandwich_norms_qk_norms_and_a_norm_without_scale() -> None:
    projector = [
        {"step": "pool", "factor": 3},
        {"step": "norm", "width": 32, "kind": "rmsnorm", "scale": False},
        {"step": "linear", "in": 32, "out": 64},
    ]
    gemma = toy(norm="rmsnorm", bias=False, patch_bias=False, ffn="geglu", projector=projector, tokens_per_image=280)
    plain = toy(norm="rmsnorm", bias=False, patch_bias=False, ffn="geglu", projector=projector)
    sandwich = toy(norm="rmsnorm", bias=False, patch_bias=False, ffn="geglu", placement="sandwich", qk_norm="per-head")
    extra_per_layer = 2 * 32 + 2 * (32 // 4)  # two more RMSNorms of the width, a query and a key norm of a head
    assert stats.params(sandwich).vision_encoder - stats.params(plain).vision_encoder == 2 * extra_per_layer
    assert stats.params(gemma).vision_projector == 32 * 64
    assert gemma.vision is not None and pixels_per_token(gemma.vision) == 12
    row = str(dict(tables.parameter_rows(gemma))["Vision tower"])
    assert "RMSNorm (no scale) → linear 32 → 64), up to 280 tokens per image, resized to fit: one per 12 × 12" in row


def test_grouped_query_heads_of_their_own_width_and_sinks() -> None:
    plain = toy(position="rope", position_embeddings=None)
    mimo = toy(position="rope", position_embeddings=None, num_key_value_heads=2, head_dim=16, sink_layers=1)
    # q and o grow from 32 to 4 x 16 = 64 wide; k and v shrink to 2 x 16 = 32 (unchanged); one layer's 4 sinks
    q_and_o = (32 * 64 + 64) + (64 * 32 + 32) - (32 * 32 + 32) - (32 * 32 + 32)
    assert stats.params(mimo).vision_encoder - stats.params(plain).vision_encoder == 2 * q_and_o + 4 == 4_164


def test_dynamic_resolution_gives_no_token_count() -> None:
    arch = toy()
    assert arch.vision is not None
    assert (tokens_per_image(arch.vision), pixels_per_token(arch.vision)) == (None, 8)
    row = dict(tables.parameter_rows(arch))["Vision tower"]
    assert "tokens per image vary with its size: one per 8 × 8 pixels" in str(row)
    fixed = toy(image_size=64)
    assert fixed.vision is not None and tokens_per_image(fixed.vision) == (64 // 8) ** 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"position_embeddings": None},
            "vision.position_embeddings: a learned position table needs its size, or image_size to derive it",
        ),
        ({"position": "rope"}, "vision.position_embeddings: position = 'rope' has no learned table to size"),
        ({"temporal_patch_size": 0}, "vision.temporal_patch_size: 0 is below the minimum 1"),
        ({"position_embeddings": 0}, "vision.position_embeddings: 0 is below the minimum 1"),
        ({"head_dim": 0}, "vision.head_dim: 0 is below the minimum 1"),
        ({"image_size": "dynamic"}, "vision.image_size: expected an integer, got str 'dynamic'"),
        (
            {"image_size": 64, "tokens_per_image": 16},
            "vision.tokens_per_image: a budget for a dynamic-resolution encoder, but image_size fixes the count",
        ),
        ({"placement": "post"}, "vision.placement: 'post' is not one of pre, sandwich"),
        ({"num_key_value_heads": 3}, "vision.num_key_value_heads: 3 does not divide num_attention_heads"),
        ({"sink_layers": 3}, "vision.sink_layers: 3 is more than num_hidden_layers"),
        ({"num_attention_heads": 5}, "vision.num_attention_heads: 5 does not divide hidden_size"),
        ({"qk_norm": "full"}, "vision.qk_norm: 'full' is not one of none, per-head"),
    ],
)
def test_bad_vision_keys_are_named(change: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=f"^toy-lm.toml: {message}"):
        toy(**change)


CONFIGS = Path(__file__).parent / "data" / "configs"


@pytest.mark.parametrize(
    ("model_id", "key", "value", "message"),
    [
        ("gemma-4-e2b", "num_key_value_heads", 4, "head_dim: only heads of hidden_size / num_attention_heads"),
        ("gemma-4-e2b", "head_dim", 32, "head_dim: only heads of hidden_size / num_attention_heads"),
        ("kimi-k2.5", "mm_projector_type", "mlp", "mm_projector_type: 'mlp': only 'patchmerger' is drawn"),
        ("kimi-k2.5", "merge_kernel_size", [2, 1], r"merge_kernel_size: \[2, 1\]: only square merges are drawn"),
        ("kimi-k2.5", "merge_kernel_size", 2, "merge_kernel_size: 2 should be a list of whole numbers"),
        ("mimo-v2.5", "kv_channels", 128, "kv_channels: differs from qk_channels; one head_dim is drawn"),
        ("mimo-v2.5", "fullatt_block_indexes", 9, "fullatt_block_indexes: 9 should be a list of whole numbers"),
    ],
)
def test_vision_config_the_tower_cannot_draw_is_refused(model_id: str, key: str, value: Any, message: str) -> None:
    data = json.loads((CONFIGS / f"{model_id}.json").read_text())
    data["vision_config"][key] = value
    with pytest.raises(SpecError, match=f"^{model_id}.json: vision_config.{message}"):
        spec_from_config(data, f"{model_id}.json", model_id)


def test_schema_lists_every_vision_key() -> None:
    vision = spec_schema()["$defs"]["spec"]["properties"]["vision"]
    new_keys = {"temporal_patch_size", "position_embeddings", "qk_norm", "placement", "tokens_per_image"}
    new_keys |= {"num_key_value_heads", "head_dim", "sink_layers"}
    assert new_keys | {"image_size", "projector"} <= set(vision["properties"])
    assert "image_size" not in vision["required"] and vision["additionalProperties"] is False
