"""Hugging Face config import: real configs give the bundled specs' numbers, default
configs give transformers' exact counts, and the written TOML reads back the same."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sphinx_llmarch.cli import main
from sphinx_llmarch.facts import stats
from sphinx_llmarch.hf.importer import known_model_types, spec_from_config
from sphinx_llmarch.hf.layers import compress
from sphinx_llmarch.spec import writer
from sphinx_llmarch.spec.loader import SpecError, architecture_from_dict, load_config
from sphinx_llmarch.spec.registry import bundled_registry, load_spec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DATA = Path(__file__).parent / "data"
CONFIGS = sorted((DATA / "configs").glob("*.json"))
#: Bundled models without config test data, and why (see tests/data/configs/SOURCES.md).
NO_CONFIG = {
    "olmo-2-7b": "no whole copy of the config found",
    "smollm3-3b": "no whole copy of the config found",
    "step3-vl-10b": "no copy found; the spec extends qwen3-8b",
    "vicuna-7b": "no citable copy found; the spec extends llama-2-7b",
    "vicuna-13b": "no citable copy found; the spec extends llama-2-13b",
    "orca-2-7b": "no citable copy found; the spec extends llama-2-7b",
    "orca-2-13b": "no citable copy found; the spec extends llama-2-13b",
    "mistral-large-3": "the checkpoint ships Mistral's params.json, no config.json",
    "intellect-3": "no copy found; the spec extends glm-4.5-air",
    "granite-4.1-30b": "no copy found; IBM's disclosure file, blog table and BUILD.md give every shape",
    "step-3.5-flash": "no whole copy found, and the importer does not read model_type step3p5",
    "trinity-large": "no copy found; the report's table gives the shapes; the importer does not read afmoe",
}


def test_every_bundled_model_has_config_test_data_or_a_reason() -> None:
    bundled = {arch.id for arch in bundled_registry()}
    assert {path.stem for path in CONFIGS} | set(NO_CONFIG) == bundled


def facts(arch: object) -> dict[str, object]:
    """What an import must reproduce: every count, cache and state, layer by layer kind, and the
    vision and audio towers step by step (all but the vision encoder's name, which configs do not carry)."""
    p = stats.params(arch)  # type: ignore[arg-type]
    tower = arch.vision  # type: ignore[attr-defined]
    return {
        "components": p.components,
        "active": p.active,
        "vision": (p.vision_encoder, p.vision_projector),
        "vision_tower": replace(tower, encoder=replace(tower.encoder, name="")) if tower else None,
        "audio": (p.audio_encoder, p.audio_projector),
        "audio_tower": arch.audio,  # type: ignore[attr-defined]
        "kv_bytes_per_token": stats.kv_cache_bytes_per_token(arch),  # type: ignore[arg-type]
        "kv_bytes_at_32k": stats.kv_cache_bytes(arch, 32768),  # type: ignore[arg-type]
        "state_bytes": stats.state_bytes(arch),  # type: ignore[arg-type]
        "layers": sorted(count for _, count in arch.kind_counts()),  # type: ignore[attr-defined]
    }


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_real_config_imports_to_the_bundled_spec(path: Path) -> None:
    imported, warnings = load_config(path, model_id=path.stem)
    assert warnings == []
    assert facts(imported) == facts(bundled_registry().get(path.stem))


@pytest.mark.parametrize("model_id", ["deepseek-v3", "deepseek-v3.2", "glm-5", "deepseek-v4-flash", "deepseek-v4-pro"])
def test_mtp_modules_are_imported(model_id: str) -> None:
    """num_nextn_predict_layers gives the MTP module, with the copies the recipe says."""
    imported, _ = load_config(DATA / "configs" / f"{model_id}.json", model_id=model_id)
    assert stats.params(imported).mtp == stats.params(bundled_registry().get(model_id)).mtp > 0


# transformers 5.24 on PyTorch's meta device, each model type's default config (the dict
# its configuration class saves), plus the router correction biases the checkpoints store
# as buffers, which transformers does not count as parameters; nemotron.json is a
# Nemotron-4-shaped config, since that class has no usable default, and the two
# *_sparse_step / *_window_layers files exercise those keys on small models.
TRANSFORMERS_DEFAULTS = {
    "cohere": 34_980_831_232,
    "cohere2": 34_980_831_232,
    "deepseek_v3": 671_026_404_352 + 14_848,
    "gemma": 8_537_680_896,
    "gemma2": 2_614_341_888,
    "gemma3_text": 2_628_658_432,
    "gemma4_text": 5_077_177_856,
    "glm": 9_399_951_360,
    "glm4": 9_400_279_040,
    "glm4_moe": 103_481_200_640 + 5_760,
    "gpt2": 124_439_808,
    "gpt_oss": 116_829_156_672,
    "granite": 6_738_415_616,
    "granitemoe": 37_039_116_288,
    "kimi_linear": 49_133_074_464 + 6_656,
    "lfm2": 2_705_497_600,
    "llama": 6_738_415_616,
    "llama4_text": 107_769_861_120,
    "mimo_v2_flash": 308_778_768_832 + 12_032,
    "minimax": 47_373_946_880,
    "minimax_m2": 228_689_748_992 + 15_872,
    "mistral": 7_241_732_096,
    "mixtral": 46_702_792_704,
    "nemotron": 15_628_775_424,
    "nemotron_h": 1_968_355_712 + 8,
    "olmo2": 6_888_624_128,
    "olmo3": 6_888_624_128,
    "olmoe": 13_361_612_800,
    "phi3": 3_821_079_552,
    "qwen2": 12_049_846_272,
    "qwen2_moe": 14_315_784_192,
    "qwen3": 12_049_461_248,
    "qwen3_moe": 15_350_731_776,
    "qwen3_next": 79_674_391_296,
    "qwen3_moe_sparse_step": 23_602_688,  # decoder_sparse_step 2 with mlp_only_layers [1, 4]: MoE at 3, 5, 7
    "qwen2_window_layers": 4_057_344,  # use_sliding_window with max_window_layers 4
    "sarvam_moe": 32_152_648_064 + 2_304,
    "smollm3": 3_075_098_624,
    "stablelm": 2_795_443_200,
    "starcoder2": 3_030_371_328,
    "xlstm": 6_865_424_896,
}


@pytest.mark.parametrize("model_type", sorted(TRANSFORMERS_DEFAULTS))
def test_default_config_matches_transformers_exactly(model_type: str) -> None:
    arch, warnings = load_config(DATA / "hf" / f"{model_type}.json")
    assert warnings == []
    assert stats.params(arch).total == TRANSFORMERS_DEFAULTS[model_type]


#: transformers 5.25 on the meta device: (total, active, KV-cache bytes per token in bf16, from the
#: widths of every layer's k_proj and v_proj) for a model type's default config in tests/data/hf/ with
#: these changes. Searching public repositories turned up no checkpoint config.json of these types as a
#: file with a repository and path to cite, so each is its configuration class's defaults plus a variant
#: (other depth, width, heads, tying or flags), built the same way from the class.
RECIPE_COUNTS = [
    pytest.param("gemma", {}, TRANSFORMERS_DEFAULTS["gemma"], 8_537_680_896, 458_752, id="gemma"),
    pytest.param(
        "gemma",
        {
            "num_hidden_layers": 6,
            "hidden_size": 2048,
            "intermediate_size": 16384,
            "num_attention_heads": 8,
            "num_key_value_heads": 1,
            "tie_word_embeddings": False,
        },
        1_709_205_504,
        1_709_205_504,
        6_144,
        id="gemma-variant",
    ),
    pytest.param("gemma2", {}, TRANSFORMERS_DEFAULTS["gemma2"], 2_614_341_888, 106_496, id="gemma2"),
    pytest.param(
        "gemma2",
        {
            "num_hidden_layers": 42,
            "hidden_size": 3584,
            "intermediate_size": 14336,
            "num_attention_heads": 16,
            "num_key_value_heads": 8,
            "layer_types": None,
        },
        9_241_705_984,
        9_241_705_984,
        344_064,
        id="gemma2-variant",
    ),
    pytest.param("qwen2_moe", {}, TRANSFORMERS_DEFAULTS["qwen2_moe"], 2_689_173_504, 196_608, id="qwen2_moe"),
    pytest.param(
        "qwen2_moe",
        {
            "num_hidden_layers": 6,
            "num_experts": 8,
            "num_experts_per_tok": 2,
            "num_key_value_heads": 4,
            "decoder_sparse_step": 2,
            "mlp_only_layers": [1],
            "layer_types": None,
            "tie_word_embeddings": True,
        },
        720_191_488,
        616_382_464,
        12_288,
        id="qwen2_moe-variant",
    ),
    pytest.param("olmoe", {}, TRANSFORMERS_DEFAULTS["olmoe"], 2_087_323_648, 131_072, id="olmoe"),
    pytest.param(
        "olmoe",
        {"num_hidden_layers": 4, "num_key_value_heads": 4, "num_experts": 32, "num_experts_per_tok": 4},
        1_858_891_776,
        449_605_632,
        8_192,
        id="olmoe-variant",
    ),
    pytest.param("granite", {}, TRANSFORMERS_DEFAULTS["granite"], 6_738_415_616, 524_288, id="granite"),
    pytest.param(
        "granite",
        {"attention_bias": True, "mlp_bias": True, "num_key_value_heads": 8, "tie_word_embeddings": True},
        5_803_200_512,
        5_803_200_512,
        131_072,
        id="granite-variant",
    ),
    pytest.param("granitemoe", {}, TRANSFORMERS_DEFAULTS["granitemoe"], 11_067_985_920, 524_288, id="granitemoe"),
    pytest.param(
        "granitemoe",
        {"num_local_experts": 32, "num_experts_per_tok": 8, "num_key_value_heads": 8, "tie_word_embeddings": True},
        139_990_405_120,
        36_105_883_648,
        131_072,
        id="granitemoe-variant",
    ),
    pytest.param("starcoder2", {}, TRANSFORMERS_DEFAULTS["starcoder2"], 3_030_371_328, 30_720, id="starcoder2"),
    pytest.param(
        "starcoder2",
        {"use_bias": False, "sliding_window": 4096, "num_key_value_heads": 4, "tie_word_embeddings": False},
        3_227_891_712,
        3_227_891_712,
        61_440,
        id="starcoder2-variant",
    ),
    pytest.param("stablelm", {}, TRANSFORMERS_DEFAULTS["stablelm"], 2_795_443_200, 327_680, id="stablelm"),
    pytest.param(
        "stablelm",
        {"use_qkv_bias": True, "qk_layernorm": True, "use_parallel_residual": True, "num_key_value_heads": 8},
        2_480_931_840,
        2_480_931_840,
        81_920,
        id="stablelm-variant",
    ),
    pytest.param("cohere", {}, TRANSFORMERS_DEFAULTS["cohere"], 34_980_831_232, 1_310_720, id="cohere"),
    pytest.param(
        "cohere",
        {"use_qk_norm": True, "num_key_value_heads": 8, "num_hidden_layers": 8},
        7_734_444_032,
        7_734_444_032,
        32_768,
        id="cohere-variant",
    ),
    pytest.param("glm", {}, TRANSFORMERS_DEFAULTS["glm"], 9_399_951_360, 40_960, id="glm"),
    pytest.param(
        "glm",
        {"attention_bias": False, "tie_word_embeddings": True, "num_hidden_layers": 28},
        6_331_535_360,
        6_331_535_360,
        28_672,
        id="glm-variant",
    ),
    pytest.param("glm4", {}, TRANSFORMERS_DEFAULTS["glm4"], 9_400_279_040, 40_960, id="glm4"),
    pytest.param(
        "glm4",
        {"num_key_value_heads": 4, "head_dim": 64, "num_hidden_layers": 6, "tie_word_embeddings": True},
        1_743_899_648,
        1_743_899_648,
        6_144,
        id="glm4-variant",
    ),
]


@pytest.mark.parametrize(("model_type", "change", "total", "active", "kv"), RECIPE_COUNTS)
def test_recipe_counts_match_transformers(
    model_type: str, change: dict[str, Any], total: int, active: int, kv: int
) -> None:
    """Total and active parameters and the KV cache, exact for the defaults and a variant of other
    depth, width, heads, tying or flags."""
    data = json.loads((DATA / "hf" / f"{model_type}.json").read_text()) | change
    spec, warnings = spec_from_config(data, "config.json")
    assert warnings == []
    arch = architecture_from_dict(spec, "config.json")
    p = stats.params(arch)
    assert (p.total, p.active, stats.kv_cache_bytes_per_token(arch)) == (total, active, kv)


def test_layer_placement_keys_follow_transformers() -> None:
    arch, _ = load_config(DATA / "hf" / "qwen3_moe_sparse_step.json")
    assert [key.endswith("moe") for key in arch.schedule.layers(8)] == [False, False, False, True] + [False, True] * 2
    arch, _ = load_config(DATA / "hf" / "qwen2_window_layers.json")
    assert ["sliding" in key for key in arch.schedule.layers(6)] == [False] * 4 + [True] * 2


def test_every_default_config_is_checked() -> None:
    assert {path.stem for path in (DATA / "hf").glob("*.json")} == set(TRANSFORMERS_DEFAULTS)


def test_written_toml_reads_back_the_same_spec(tmp_path: Path) -> None:
    for path in CONFIGS:
        spec, _ = spec_from_config(json.loads(path.read_text()), path.name, path.stem)
        text = writer.dumps(spec)
        assert tomllib.loads(text) == spec, path.stem
        target = tmp_path / f"{path.stem}.toml"
        target.write_text(text)
        assert facts(load_spec(target)) == facts(bundled_registry().get(path.stem))


def test_bad_config_files_are_located_errors(tmp_path: Path) -> None:
    broken = tmp_path / "config.json"
    broken.write_text("{not json")
    with pytest.raises(SpecError, match=r"config\.json: invalid JSON"):
        load_config(broken)
    broken.write_text(json.dumps({"model_type": "llama", "hidden_size": 64}))
    with pytest.raises(SpecError, match=r"config\.json: vocab_size: missing in the config"):
        load_config(broken)
    broken.write_text("[1, 2]")
    with pytest.raises(SpecError, match="one JSON object"):
        load_config(broken)


LLAMA = {"model_type": "llama", "vocab_size": 100, "hidden_size": 64, "intermediate_size": 128}
LLAMA |= {"num_hidden_layers": 4, "num_attention_heads": 4}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"model_type": "mystery"}, "'mystery' is not a model type the importer knows"),
        ({"model_type": "falcon", "new_decoder_architecture": False}, "'falcon' is not a model type"),
        ({"model_type": "bert"}, "'bert' is not a model type"),
        ({"model_type": "phi"}, "'phi' is not a model type"),  # its output head's bias: no spec states one
        ({"model_type": "t5", "hidden_size": None}, "'t5' is not a model type"),  # not "hidden_size: missing"
        ({"model_type": "mamba", "hidden_size": None}, "'mamba' is not a model type"),
        ({"model_type": "lamma"}, r"'lamma' is not a model type the importer knows \(did you mean 'llama'\?\)"),
        ({"model_type": None}, "model_type: missing"),
    ],
)
def test_an_unknown_model_type_is_refused_not_guessed(change: dict[str, Any], problem: str) -> None:
    """A Falcon or BERT config read as a Llama decoder would publish a wrong architecture."""
    data = {key: value for key, value in (LLAMA | change).items() if value is not None}
    with pytest.raises(SpecError, match=problem) as caught:
        spec_from_config(data, "config.json")
    assert "known types: " in str(caught.value) and "llama, " in str(caught.value)


@pytest.mark.parametrize("activation", ["gelu_new", "gelu_fast", "gelu_pytorch_tanh", "quick_gelu", "gelu_accurate"])
def test_the_common_gelu_names_are_known(activation: str) -> None:
    spec, _ = spec_from_config(LLAMA | {"hidden_act": activation}, "config.json")
    assert {op.get("kind") for op in spec["ops"].values()} >= {"geglu"}


def test_an_unknown_activation_names_the_known_ones() -> None:
    with pytest.raises(SpecError, match=r"hidden_act: unknown activation 'tanh' \(known: gelu, gelu_accurate, "):
        spec_from_config(LLAMA | {"hidden_act": "tanh"}, "config.json")


def test_the_spec_docs_name_every_model_type_the_importer_knows() -> None:
    text = (Path(__file__).parents[1] / "docs" / "specs.rst").read_text()
    named = {name for name in known_model_types() if f"``{name}``" in text}
    assert {name for name in known_model_types() if not name.endswith("_text") and name != "grok"} <= named


def test_an_unknown_model_type_is_read_as_a_known_one_only_when_asked() -> None:
    data = json.loads((DATA / "hf" / "llama.json").read_text()) | {"model_type": "mystery", "wobble_factor": 3}
    spec, warnings = spec_from_config(data, "mystery.json", "mystery", read_as="llama")
    arch = architecture_from_dict(spec, "mystery.json")
    assert stats.params(arch).total == TRANSFORMERS_DEFAULTS["llama"]
    assert warnings == ["model_type 'mystery' is not known: read as 'llama', as asked; keys not read: wobble_factor"]
    with pytest.raises(SpecError, match=r"cannot read it as 'lama': not a known model type \(did you mean 'llama'\?\)"):
        spec_from_config(data, "mystery.json", read_as="lama")
    assert spec_from_config(LLAMA, "config.json", read_as="qwen3")[1] == []  # a known type is read as itself


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"num_attention_heads": "4"}, "num_attention_heads: '4' should be a whole number, 0 or more"),
        ({"num_attention_heads": 0}, "num_attention_heads: 0 should be above 0"),
        ({"num_hidden_layers": 10**6}, "num_hidden_layers: 1,000,000 is more than 10,000 layers"),
        ({"layer_types": ["full_attention"] * 3}, "layer_types: lists 3 layers, but the model has 4"),
        ({"layer_types": ["full_attention"] * 3 + ["wide"]}, "layer_types: unknown wide [(]known: full_attention"),
        ({"rope_scaling": "yarn"}, "rope_scaling: 'yarn' should be a table"),
        ({"rope_theta": float("nan")}, "rope_theta: nan should be a non-negative number"),
        ({"tie_word_embeddings": "yes"}, "tie_word_embeddings: 'yes' should be true or false"),
    ],
)
def test_wrong_config_values_name_their_key(change: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=rf"^config\.json: {message}"):
        spec_from_config(LLAMA | change, "config.json")


#: Kimi Linear: MLA every fourth layer, and at the last one too; not a cycle.
KIMI = ["k"] * 3 + ["m", "k", "k", "k"] * 5 + ["m", "k", "k", "m"]


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["a"] * 6, {"cycle": ["a"]}),
        (["d", "d", "d"] + ["m"] * 10, {"prefix": ["d", "d", "d"], "cycle": ["m"]}),
        (["s", "s", "f"] * 4 + ["s"], {"cycle": ["s", "s", "f"]}),
        (["x", "y", "y", "x", "x", "y"], {"cycle": ["x", "y", "y", "x"]}),
        (KIMI, {"layers": KIMI}),
    ],
)
def test_schedule_compression(keys: list[str], expected: dict[str, list[str]]) -> None:
    assert compress(keys) == expected


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_import_prints_writes_and_shows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = DATA / "configs" / "qwen3-next-80b-a3b.json"
    code, out, _ = run(capsys, "import", str(config))
    assert code == 0 and 'type = "gated_deltanet"' in out and 'cycle = ["linear-moe"' in out
    target = tmp_path / "my-next.toml"
    code, out, _ = run(capsys, "import", str(config), "-o", str(target))
    assert code == 0 and load_spec(target).id == "my-next"
    code, out, _ = run(capsys, "import", str(config), "--json")
    data = json.loads(out)
    assert data["params"]["total"] == 79_674_391_296 and data["layer_mix"] == "36 Gated DeltaNet + 12 global attention"


def test_cli_validate_reads_configs_and_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "config.json").write_text((DATA / "configs" / "lfm2-1.2b.json").read_text())
    code, out, _ = run(capsys, "validate", str(folder))
    assert code == 0 and "config.json: ok (mine," in out


def test_cli_schema_is_json_schema_of_every_op_kind(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema")
    schema = json.loads(out)
    ops = schema["$defs"]["spec"]["properties"]["ops"]["additionalProperties"]["oneOf"]
    assert code == 0 and schema["$schema"].startswith("https://json-schema.org/")
    kinds = {op["properties"]["type"]["const"]: op for op in ops}
    assert {"attention", "mla", "gated_deltanet", "kda", "mamba2", "short_conv", "mlstm", "mlp", "moe"} <= set(kinds)
    assert "num_attention_heads" in kinds["attention"]["required"]
    assert kinds["attention"]["properties"]["qk_norm"]["enum"] == ["none", "per-head", "full"]


LAGUNA = json.loads((DATA / "configs" / "laguna-xs.2.json").read_text())


def test_laguna_heads_per_layer_gate_and_rope_per_layer_type() -> None:
    """num_attention_heads_per_layer gives the sliding-window layers their 64 heads; gating
    true is one softplus gate per head; each layer type's rope_parameters replace the top
    level's partial_rotary_factor (the sliding layers rotate every dimension)."""
    spec, warnings = spec_from_config(LAGUNA, "config.json", "laguna-xs.2")
    assert warnings == []
    ops = spec["ops"]
    full, sliding = ops["attention"], ops["attention-sliding-h64"]
    assert (full["num_attention_heads"], sliding["num_attention_heads"]) == (48, 64)
    for op in (full, sliding):
        assert (op["output_gate"], op["gate_function"], op["qk_norm"]) == ("headwise", "softplus", "per-head")
    assert (full["partial_rotary_factor"], full["rope_theta"], full["rope_scaling"]) == (0.5, 500000.0, "yarn x64")
    assert "partial_rotary_factor" not in sliding and sliding["rope_theta"] == 10000.0
    assert spec["schedule"]["prefix"] == ["attention-mlp"] and len(spec["schedule"]["cycle"]) == 4


@pytest.mark.parametrize(("gating", "gate"), [("per-element", "elementwise"), ("per-head", "headwise"), (False, None)])
def test_laguna_gating_says_the_gate_width(gating: object, gate: str | None) -> None:
    spec, _ = spec_from_config(LAGUNA | {"gating": gating}, "config.json")
    assert spec["ops"]["attention"].get("output_gate") == gate
    assert ("gate_function" in spec["ops"]["attention"]) == (gate is not None)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"gating": "sometimes"}, "gating: unknown gating 'sometimes'"),
        ({"num_attention_heads_per_layer": [48] * 39}, "num_attention_heads_per_layer: lists 39 layers, but the model"),
        ({"num_attention_heads_per_layer": ["48"] * 40}, "num_attention_heads_per_layer: .* should be a list of whole"),
    ],
)
def test_laguna_bad_keys_name_their_key(change: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=rf"^config\.json: {message}"):
        spec_from_config(LAGUNA | change, "config.json")


LFM2 = json.loads((DATA / "configs" / "lfm2-1.2b.json").read_text())
#: Issue 22's config: the released 1.2B's, cut to 12 layers (3 attention, 9 convolution),
#: with its block_ff_dim taken as given, biased convolutions and an untied output head.
LFM2_SMALL = LFM2 | {"num_hidden_layers": 12, "full_attn_idxs": [2, 5, 8], "block_ff_dim": 5632}
LFM2_SMALL |= {"block_auto_adjust_ff_dim": False, "conv_bias": True, "tie_embedding": False}
D, V = 2048, 65536
#: Per layer: SwiGLU 3 × d × 5632, two RMSNorms; attention q, o d × d and k, v d × 512, QK-Norm 2 × 64;
#: convolution in_proj d -> 3d and out_proj d -> d with biases, a depthwise width-3 conv with its bias.
LFM2_FFN, LFM2_NORMS = 3 * D * 5632, 2 * D
LFM2_ATTENTION = 2 * D * D + 2 * D * 512 + 2 * 64
LFM2_CONV = (D * 3 * D + 3 * D) + (D * D + D) + (3 * D + D)
LFM2_SMALL_TOTAL = 2 * V * D + 12 * (LFM2_FFN + LFM2_NORMS) + 3 * LFM2_ATTENTION + 9 * LFM2_CONV + D


def without(config: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k != key}


@pytest.mark.parametrize(
    ("config", "total"),
    [
        # transformers 5.25 on the meta device builds each of these to the count given
        (LFM2, 1_170_340_608),  # the released LFM2-1.2B, its model card's figure
        (LFM2_SMALL, 866_322_816),
        (LFM2_SMALL | {"intermediate_size": 8192}, 866_322_816),  # block_ff_dim wins
        # block_auto_adjust_ff_dim defaults to true: int(2/3 × 5632) = 3754, rounded up to 3840
        (without(LFM2_SMALL, "block_auto_adjust_ff_dim"), 866_322_816 - 12 * 3 * D * 1792),
        # int(1.5 × 3754) = 5631, rounded up to a multiple of 100: 5700
        (
            LFM2_SMALL | {"block_auto_adjust_ff_dim": True, "block_ffn_dim_multiplier": 1.5, "block_multiple_of": 100},
            866_322_816 + 12 * 3 * D * 68,
        ),
        # tie_embedding wins over tie_word_embeddings; without either, the head is tied
        (LFM2_SMALL | {"tie_embedding": True, "tie_word_embeddings": False}, 866_322_816 - V * D),
        (without(LFM2_SMALL, "tie_embedding"), 866_322_816 - V * D),
        # no full_attn_idxs: every layer attends
        (without(LFM2_SMALL, "full_attn_idxs"), 866_322_816 + 9 * (LFM2_ATTENTION - LFM2_CONV)),
        ({"model_type": "lfm2"}, TRANSFORMERS_DEFAULTS["lfm2"]),  # every size from Lfm2Config's defaults
    ],
    ids=["1.2b", "issue-22", "two-ff-keys", "auto-adjust", "multiplier", "tie-both", "tied", "all-attn", "defaults"],
)
def test_lfm2_keys_follow_transformers(config: dict[str, Any], total: int) -> None:
    """LFM2's original key names (block_ff_dim, tie_embedding) and its configuration class's defaults."""
    spec, warnings = spec_from_config(config, "config.json")
    assert warnings == []
    assert stats.params(architecture_from_dict(spec, "config.json")).total == total


def test_lfm2_issue_22_config_imports_its_ffn_width_and_head() -> None:
    assert LFM2_SMALL_TOTAL == 866_322_816, "the hand count agrees with transformers"
    spec, _ = spec_from_config(LFM2_SMALL, "config.json")
    assert spec["ops"]["mlp"]["intermediate_size"] == 5632 and spec["ops"]["conv"]["conv_bias"] is True
    assert spec["text"]["tie_word_embeddings"] is False


def test_lfm2_original_keys_name_themselves_when_wrong() -> None:
    with pytest.raises(SpecError, match=r"^config\.json: block_ff_dim: '5632' should be a whole number"):
        spec_from_config(LFM2 | {"block_ff_dim": "5632"}, "config.json")
    with pytest.raises(SpecError, match=r"^config\.json: tie_embedding: 'no' should be true or false"):
        spec_from_config(LFM2 | {"tie_embedding": "no"}, "config.json")


def test_an_op_unlike_one_of_the_same_name_gets_its_own_name() -> None:
    """A first layer whose op differs from the rest is not merged into them."""
    from sphinx_llmarch.hf.importer import _add_op

    ops: dict[str, dict[str, Any]] = {}
    first = _add_op(ops, "mamba", {"type": "mamba2", "conv_kernel": 4})
    same = _add_op(ops, "mamba", {"type": "mamba2", "conv_kernel": 4})
    other = _add_op(ops, "mamba", {"type": "mamba2", "conv_kernel": 2})
    assert (first, same, other) == ("mamba", "mamba", "mamba-2") and len(ops) == 2


def test_an_mtp_step_of_several_layers_is_imported_as_the_spec_has_it() -> None:
    """Nemotron 3 Super's mtp_hybrid_override_pattern "*E": an attention and a latent-MoE
    sublayer in one MTP step, counted as the bundled spec counts it."""
    data = json.loads((DATA / "configs" / "nemotron-3-super-120b-a12b.json").read_text())
    spec, _ = spec_from_config(data, "config.json", "nemotron-3-super-120b-a12b")
    assert spec["mtp"]["layer_kind"] == "mtp" and len(spec["layer_kinds"]["mtp"]["sublayers"]) == 2
    imported = stats.params(architecture_from_dict(spec, "config.json"))
    bundled = stats.params(bundled_registry().get("nemotron-3-super-120b-a12b"))
    assert imported.mtp == bundled.mtp == 2_942_325_248
