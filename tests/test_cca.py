"""ZAYA1's pieces: CCA attention, the MLP router with its skip choice and carried state, and
the residual scales, counted against the tensor shapes transformers 5.24 builds for
Zyphra/ZAYA1-8B on the meta device (ZayaForCausalLM, layers 0 and 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sphinx_llmarch.facts import stats
from sphinx_llmarch.hf.importer import spec_from_config
from sphinx_llmarch.kinds import MoE
from sphinx_llmarch.kinds.cca import CCA
from sphinx_llmarch.model.architecture import Architecture
from sphinx_llmarch.spec.loader import SpecError, architecture_from_dict
from sphinx_llmarch.spec.registry import bundled_registry

D = 2048
ZAYA = bundled_registry().get("zaya1-8b")
CONFIG = json.loads((Path(__file__).parent / "data" / "configs" / "zaya1-8b.json").read_text())


def _ops(kind: str) -> tuple[CCA, MoE]:
    cca, moe = ZAYA.kinds[kind].ops
    assert isinstance(cca, CCA) and isinstance(moe, MoE)
    return cca, moe


def test_cca_counts_every_tensor_of_a_layer() -> None:
    cca, _ = _ops("first")
    q, k, v_now, v_prev = 1024 * D, 256 * D, 128 * D, 128 * D  # q_proj, k_proj, v_proj_current, v_proj_delayed
    depthwise = 1280 * 1 * 2 + 1280  # conv_qk_depthwise weight [1280, 1, 2] and bias
    grouped = 1280 * 128 * 2 + 1280  # conv_qk_grouped weight [1280, 128, 2] and bias
    temperature, output = 2, D * 1024  # qk_norm.temp [2], o_proj [2048, 1024]
    expected = q + k + v_now + v_prev + depthwise + grouped + temperature + output
    assert cca.params(D) == {"attention": expected} and expected == 5_575_682


def test_cca_caches_keys_and_values_and_keeps_the_convolution_inputs_as_state() -> None:
    cca, _ = _ops("first")
    assert cca.kv_values_per_token() == 2 * 2 * 128  # 2 KV heads, keys and values of 128
    assert cca.state_values(D) == 1280 * (1 + 1) + 128  # two kernel-2 convolutions, one delayed value half
    assert stats.kv_cache_bytes_per_token(ZAYA) == 40 * 512 * 2
    assert stats.state_bytes(ZAYA) == 40 * 2688 * 2


def test_mlp_router_with_skip_and_carried_state() -> None:
    _, first = _ops("first")
    _, later = _ops("zaya")
    # down_proj [256, 2048] + bias, norm [256], fc1 and fc2 [256, 256] + bias, out_proj [17, 256]
    router = 256 * D + 256 + 256 + 2 * (256 * 256 + 256) + 17 * 256
    assert first.router_choices == 17
    assert first.params(D)["router"] == router == 660_736
    assert later.params(D)["router"] == router + 256  # router_states_scale [256] from layer 1 on
    expert = 4096 * D + D * 2048  # gate_up_proj [16, 4096, 2048] and down_proj [16, 2048, 2048], per expert
    assert first.params(D)["routed_experts"] == 16 * expert
    assert first.active_params(D)["routed_experts"] == expert


def test_zaya_totals_match_transformers_component_by_component() -> None:
    p = stats.params(ZAYA)
    assert p.components == {
        "embedding": 262_272 * D,
        "attention": 40 * 5_575_682,
        "routed_experts": 8_053_063_680,
        "router": 40 * 660_736 + 39 * 256,
        "residual_scales": 40 * 2 * 4 * D + 2 * D,  # two ZayaResidualScaling per layer, the input scale and bias
        "norms": 40 * 2 * D + D,
    }
    assert p.total == 8_840_488_784 and p.active == 1_290_741_584


def test_import_reads_the_layer_types_rope_and_router() -> None:
    spec, warnings = spec_from_config(CONFIG, "config.json", "zaya1-8b")
    assert warnings == []
    assert spec["schedule"] == {"prefix": ["attention-moe"], "cycle": ["attention-moe-carry"]}
    attention = spec["ops"]["attention"]
    assert (attention["rope_theta"], attention["partial_rotary_factor"]) == (5_000_000.0, 0.5)  # the "hybrid" entry
    assert "router_carry" not in spec["ops"]["moe"] and spec["ops"]["moe-carry"]["router_carry"]
    assert spec["text"]["residual_scales"] is True


def _sliding() -> Architecture:
    """The config with every second layer of transformers' other ZAYA layer type."""
    config = CONFIG | {"layer_types": ["hybrid", "hybrid_sliding"] * 20, "sliding_window": 4096}
    return architecture_from_dict(spec_from_config(config, "config.json", "zaya-swa")[0], "config.json")


def test_a_sliding_layer_type_imports_with_its_window_and_rope() -> None:
    arch = _sliding()
    ops = [op for op, _ in arch.op_variants()["cca"]]
    assert {(op.sliding_window, op.rope.theta if op.rope else None) for op in ops} == {
        (None, 5_000_000.0),
        (4096, 10_000.0),
    }
    assert stats.kv_cache_bytes(arch, 8192) == 20 * 512 * 2 * (8192 + 4096)


_TOY = {
    "id": "toy",
    "name": "Toy",
    "family": "Toy",
    "sources": {"config": "https://example.org/config.json"},
    "text": {"vocab_size": 100, "hidden_size": 64, "num_hidden_layers": 2, "context_length": 512},
    "norm": {"kind": "rmsnorm"},
    "ops": {
        "cca": {"type": "cca", "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16}
        | {"cca_time0": 2, "cca_time1": 2},
        "moe": {"type": "moe", "num_experts": 4, "experts_per_token": 1, "kind": "swiglu"}
        | {"moe_intermediate_size": 32, "router_hidden_size": 8, "skip_expert": True},
    },
    "layer_kinds": {"block": {"sublayers": [{"op": "cca"}, {"op": "moe"}]}},
    "schedule": {"cycle": ["block"]},
}


def _toy(changes: dict[str, dict[str, object]]) -> dict[str, object]:
    """The toy with some keys of ``text`` or of an op set (None: removed)."""
    data = json.loads(json.dumps(_TOY))
    for section, values in changes.items():
        table = data["text"] if section == "text" else data["ops"][section]
        for key, value in values.items():
            if value is None:
                del table[key]
            else:
                table[key] = value
    return data


def test_a_toy_counts_by_hand() -> None:
    arch = architecture_from_dict(_toy({"text": {"residual_scales": True}}), "toy.toml")
    cca = 64 * 64 + 64 * 32 + 2 * 64 * 16 + (96 * 2 + 96) + (96 * 16 * 2 + 96) + 2 + 64 * 64
    router = 64 * 8 + 8 + 8 + 2 * (8 * 8 + 8) + 5 * 8
    p = stats.params(arch)
    assert (p["attention"], p["router"], p["residual_scales"]) == (2 * cca, 2 * router, 2 * 2 * 4 * 64 + 2 * 64)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cca": {"num_key_value_heads": 3}}, "ops.cca.num_key_value_heads: 3 does not divide num_attention_heads 4"),
        ({"cca": {"head_dim": None}}, "ops.cca.head_dim: missing"),
        ({"cca": {"cca_time1": 0}}, "ops.cca.cca_time1: 0 is below the minimum 1"),
        ({"moe": {"router_carry": True, "router_hidden_size": None}}, "ops.moe.router_carry: only an MLP router"),
        ({"moe": {"hash_routing": True}}, "ops.moe.router_hidden_size: a hash-routed layer has no learned router"),
        (
            {"moe": {"hash_routing": True, "router_hidden_size": None}},
            "ops.moe.skip_expert: a hash-routed layer has no learned router",
        ),
        ({"moe": {"skip_expert": "yes"}}, "ops.moe.skip_expert: expected true or false"),
        ({"text": {"residual_scales": 1}}, "text.residual_scales: expected true or false"),
    ],
)
def test_bad_values_name_their_key(changes: dict[str, dict[str, object]], message: str) -> None:
    with pytest.raises(SpecError, match=f"^toy.toml: {message}"):
        architecture_from_dict(_toy(changes), "toy.toml")


def test_sliding_layers_get_a_window_box_that_counts_them() -> None:
    slot = CCA.slot(_sliding().op_variants()["cca"], D)
    assert dict(slot.side)["window"] == "Sliding window of 4,096\ntokens in 20 layers"
