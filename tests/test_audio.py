"""Audio towers: Gemma 4's conformer counted by hand on a toy tower, its fact-sheet row, the
keys the loader refuses and the audio configs the importer refuses."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from sphinx_llmarch.facts import stats, tables
from sphinx_llmarch.hf.importer import spec_from_config
from sphinx_llmarch.model.architecture import Architecture
from sphinx_llmarch.spec.loader import SpecError, architecture_from_dict
from sphinx_llmarch.spec.schema import spec_schema

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TOY = Path(__file__).parent / "roots" / "test-user-spec" / "specs" / "toy-lm.toml"
CONFIGS = Path(__file__).parent / "data" / "configs"
#: Gemma 4's conformer at toy sizes.
TOWER: dict[str, Any] = {
    "hidden_size": 16,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "conv_kernel_size": 5,
    "subsampling_channels": [8, 4],
    "output_size": 24,
    "projector": [
        {"step": "norm", "width": 24, "kind": "rmsnorm", "scale": False},
        {"step": "linear", "in": 24, "out": 32},
    ],
}


def toy(**audio: Any) -> Architecture:
    data = tomllib.loads(TOY.read_text())
    data["audio"] = {key: value for key, value in {**TOWER, **audio}.items() if value is not None}
    return architecture_from_dict(data, "toy-lm.toml")


def test_conformer_counted_by_hand() -> None:
    p = stats.params(toy())
    subsampling = 1 * 8 * 9 + 8 + 8 * 4 * 9 + 4 + (8 // 4 * 4) * 16  # two convs and their norms, then the linear
    feed_forward = 2 * 16 * 64 + 2 * 16
    attention = 5 * 16 * 16 + 16 // 4  # q, k, v, out, relative keys; the per-dim scale
    convolution = 16 * 32 + 16 * 5 + 2 * 16 + 16 * 16
    layer = 2 * feed_forward + attention + convolution + 3 * 16
    assert p.audio_encoder == subsampling + 2 * layer + 16 * 24 + 24 == 13_652
    assert p.audio_projector == 24 * 32
    assert p.total_with_audio == p.total + 13_652 + 768


def test_transformer_over_codes_counted_by_hand() -> None:
    mimo = toy(
        kind="transformer",
        conv_kernel_size=None,
        subsampling_channels=None,
        output_size=None,
        codebooks=3,
        codebook_size=10,
        group_size=4,
        projector=[{"step": "linear", "in": 64, "out": 32}],
    )
    embeddings = 3 * 10 * 16  # one table per codebook
    attention = 3 * (16 * 16 + 16) + 16 * 16  # q, k and v with biases, the output without
    layer = attention + 3 * 16 * 64 + 2 * 16  # SwiGLU and two RMSNorms
    p = stats.params(mimo)
    assert p.audio_encoder == embeddings + 2 * layer + 16 == 8_848
    assert p.audio_projector == 64 * 32


def test_fact_sheet_row() -> None:
    row = dict(tables.parameter_rows(toy()))["Audio tower"]
    assert str(row).startswith("13.7K (13,652) encoder (2 conformer layers of 16) + 768 (768) projector (RMSNorm (no")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"subsampling_channels": [8]}, r"audio.subsampling_channels: expected two channel counts, got \[8\]"),
        ({"subsampling_channels": [8, 0]}, r"audio.subsampling_channels: expected two channel counts, got \[8, 0\]"),
        ({"subsampling_channels": 8}, "audio.subsampling_channels: expected a list, got int 8"),
        ({"num_attention_heads": 5}, "audio.num_attention_heads: 5 does not divide hidden_size"),
        ({"hidden_size": 0}, "audio.hidden_size: 0 is below the minimum 1"),
        ({"intermediate_size": None}, "audio.intermediate_size: missing"),
        ({"num_hidden_layers": "12"}, "audio.num_hidden_layers: expected an integer, got str '12'"),
        ({"conv_kernel_size": 0}, "audio.conv_kernel_size: 0 is below the minimum 1"),
        ({"output_size": None}, "audio.output_size: missing"),
        ({"name": 3}, "audio.name: expected a string, got int 3"),
        ({"kernel": 5}, "audio.kernel: unknown key"),
        ({"projector": [{"step": "pool"}]}, r"audio.projector\[0\].factor: missing"),
        ({"kind": "rnn"}, "audio.kind: 'rnn' is not one of conformer, transformer"),
        ({"codebooks": 20}, "audio.codebooks: a transformer key, but kind = 'conformer'"),
        ({"kind": "transformer"}, "audio.codebooks: missing"),
        (
            {"kind": "transformer", "codebooks": 2, "codebook_size": 8},
            "audio.conv_kernel_size: a conformer key, but kind = 'transformer'",
        ),
        ({"group_size": 0}, "audio.group_size: 0 is below the minimum 1"),
    ],
)
def test_bad_audio_keys_are_named(change: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=f"^toy-lm.toml: {message}"):
        toy(**change)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("subsampling_conv_channels", 128, "subsampling_conv_channels: 128 should be a list of whole numbers"),
        ("hidden_size", None, "hidden_size: missing"),
    ],
)
def test_audio_config_the_tower_cannot_draw_is_refused(key: str, value: Any, message: str) -> None:
    refused("gemma-4-e4b", key, value, message)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("speech_vocab_size", "1025-1025-129", "speech_vocab_size: one size for every codebook is drawn"),
        ("speech_vocab_size", 1280, "speech_vocab_size: 1280 should be a string"),
        ("input_local_head_dim", 128, "input_local_head_dim: Qwen2 uses hidden_size / heads; it differs"),
        ("add_post_norm", False, "add_post_norm: only an encoder with its final norm is drawn"),
        ("projection_layers", 3, "projection_layers: 3: the code builds 1 or 2"),
    ],
)
def test_mimo_audio_config_the_tower_cannot_draw_is_refused(key: str, value: Any, message: str) -> None:
    refused("mimo-v2.5", key, value, message)


def refused(model_id: str, key: str, value: Any, message: str) -> None:
    data = json.loads((CONFIGS / f"{model_id}.json").read_text())
    data["audio_config"][key] = value
    if value is None:
        del data["audio_config"][key]
    with pytest.raises(SpecError, match=f"^{model_id}.json: audio_config.{message}"):
        spec_from_config(data, f"{model_id}.json", model_id)


def test_one_projection_layer() -> None:
    data = json.loads((CONFIGS / "mimo-v2.5.json").read_text())
    data["audio_config"]["projection_layers"] = 1
    spec, _ = spec_from_config(data, "mimo-v2.5.json", "mimo-v2.5")
    assert spec["audio"]["projector"] == [{"step": "linear", "in": 4096, "out": 4096}]


def test_import_writes_the_audio_table() -> None:
    data = json.loads((CONFIGS / "gemma-4-e4b.json").read_text())
    spec, _ = spec_from_config(data, "gemma-4-e4b.json", "gemma-4-e4b")
    assert spec["audio"]["subsampling_channels"] == [128, 32] and spec["audio"]["intermediate_size"] == 4096
    assert spec["audio"]["projector"][-1] == {"step": "linear", "in": 1536, "out": 2560}


def test_schema_lists_every_audio_key() -> None:
    audio = spec_schema()["$defs"]["spec"]["properties"]["audio"]
    keys = {"hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "conv_kernel_size"}
    keys |= {"subsampling_channels", "output_size", "name", "projector", "kind"}
    assert keys | {"codebooks", "codebook_size", "group_size"} == set(audio["properties"])
    assert "name" not in audio["required"] and audio["additionalProperties"] is False
