"""DeepSeek V4's pieces on a toy model, counted by hand: compressed attention by ratio, its
indexer and grouped output, hyper-connections, hash routing, and an MTP block of its own kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from sphinx_llmarch.facts import stats, tables
from sphinx_llmarch.kinds.compressed_attention import CompressedAttention
from sphinx_llmarch.spec.loader import SpecError, load_config
from sphinx_llmarch.spec.registry import bundled_registry, load_spec

_SHAPE = """
num_attention_heads = 4
head_dim = 32
q_lora_rank = 16
qk_rope_head_dim = 8
o_groups = 2
o_lora_rank = 8
sliding_window = 16
sinks = true
"""
TOY = (
    """
id = "v4-toy"
name = "V4 toy"
family = "Toy"

[sources]
config = "https://example.org/v4-toy/config.json"

[text]
vocab_size = 100
hidden_size = 64
num_hidden_layers = 4
context_length = 4096
hyper_connections = 4

[norm]
kind = "rmsnorm"

[ops.window]
type = "compressed_attention"
"""
    + _SHAPE
    + """
[ops.c4]
type = "compressed_attention"
"""
    + _SHAPE
    + """compress_ratio = 4
compress_overlap = true
index_n_heads = 2
index_head_dim = 8
index_topk = 16

[ops.c8]
type = "compressed_attention"
"""
    + _SHAPE
    + """compress_ratio = 8

[ops.moe-hash]
type = "moe"
num_experts = 4
experts_per_token = 2
kind = "swiglu"
moe_intermediate_size = 16
num_shared_experts = 1
hash_routing = true

[ops.moe]
type = "moe"
num_experts = 4
experts_per_token = 2
kind = "swiglu"
moe_intermediate_size = 16
num_shared_experts = 1
score_correction_bias = true

[layer_kinds.w-hash]
sublayers = [{ op = "window" }, { op = "moe-hash" }]

[layer_kinds.c4]
sublayers = [{ op = "c4" }, { op = "moe" }]

[layer_kinds.c8]
sublayers = [{ op = "c8" }, { op = "moe" }]

[layer_kinds.mtp]
sublayers = [{ op = "window" }, { op = "moe" }]

[schedule]
layers = ["w-hash", "c4", "c8", "c4"]

[mtp]
num_modules = 1
layer_kind = "mtp"
"""
)

D = 64
#: sinks 4; query d x 16, its norm, 16 x (4 x 32); latent d x 32 and its norm;
#: output: 2 groups of (64 -> 8), then 16 -> d
ATTENTION = 4 + (D * 16 + 16 + 16 * 128) + (D * 32 + 32) + (2 * 64 * 8 + 16 * D)
#: overlapping windows at ratio 4: key/value and gate projections d x 64, a bias per position (4 x 64), norm 32
COMPRESSOR_4 = 2 * D * 64 + 4 * 64 + 32
COMPRESSOR_8 = 2 * D * 32 + 8 * 32 + 32
#: query heads 16 x (2 x 8), a weight per head d x 2, and its own ratio-4 compressor of width 8
INDEXER = 16 * 16 + D * 2 + (2 * D * 16 + 4 * 16 + 8)
EXPERTS, SHARED, ROUTER = 4 * 3 * D * 16, 3 * D * 16, 4 * D
#: per sublayer: (2 + 4) x 4 mixing logits from 4 x d, a bias each, three scales
MIX = 24 * 4 * D + 24 + 3
HEAD_MIX = 4 * 4 * D + 4 + 1
NORMS = 2 * D


def write(tmp_path: Path, text: str = TOY) -> Path:
    path = tmp_path / "v4-toy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_components_by_hand(tmp_path: Path) -> None:
    p = stats.params(load_spec(write(tmp_path)))
    assert p["attention"] == 4 * ATTENTION
    assert p["kv_compressor"] == 2 * COMPRESSOR_4 + COMPRESSOR_8
    assert p["indexer"] == 2 * INDEXER
    assert p["router"] == 4 * ROUTER + 3 * 4  # the hash-routed layer has no correction bias
    assert p["hyper_connections"] == 4 * 2 * MIX + HEAD_MIX
    layers = 4 * (ATTENTION + EXPERTS + SHARED + ROUTER + NORMS + 2 * MIX) + 3 * 4
    layers += 2 * (COMPRESSOR_4 + INDEXER) + COMPRESSOR_8
    assert p.total == 2 * 100 * D + D + HEAD_MIX + layers
    assert p.total - p.active == 4 * 2 * 3 * D * 16  # only the two unchosen experts per layer drop out


def test_mtp_block_of_a_kind_no_main_layer_has(tmp_path: Path) -> None:
    """The MTP block: window-only attention with a learned router, its input projections
    and norms, and a head mix of its own."""
    p = stats.params(load_spec(write(tmp_path)))
    block = ATTENTION + EXPERTS + SHARED + ROUTER + 4 + NORMS + 2 * MIX
    assert p.mtp == block + 3 * D + 2 * D * D + HEAD_MIX


def test_cache_keeps_a_window_of_latents_and_one_per_compressed_block(tmp_path: Path) -> None:
    arch = load_spec(write(tmp_path))
    # per token, windows in full: 32 in every layer, 32/4 + 8/4 in the two ratio-4 layers, 32/8 in the other
    assert stats.kv_cache_bytes_per_token(arch) == (4 * 32 + 2 * (8 + 2) + 4) * 2
    # at 100 tokens: 16 whole latents per layer, 25 pooled latents and index keys at ratio 4, 12 at ratio 8
    assert stats.kv_cache_bytes(arch, 100) == (4 * 16 * 32 + 2 * 25 * (32 + 8) + 12 * 32) * 2
    assert stats.capped_layers(arch) == [(4, 16)]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("o_groups = 2", "o_groups = 3", "ops.window.o_groups: 3 does not divide num_attention_heads 4"),
        ("compress_ratio = 8", "index_n_heads = 2", "ops.c8.index_head_dim: the indexer needs"),
        ("compress_ratio = 8", "compress_overlap = true", "ops.c8.compress_overlap: needs a compressed cache"),
        (
            "hash_routing = true",
            "hash_routing = true\nscore_correction_bias = true",
            "ops.moe-hash.score_correction_bias",
        ),
        ('layer_kind = "mtp"', 'layer_kind = "c4"', "layer_kinds.mtp.sublayers: layer kind 'mtp' is defined but never"),
        ("hyper_connections = 4", "hyper_connections = 1", "text.hyper_connections: 1 is below the minimum 2"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in TOY
    with pytest.raises(SpecError, match=message):
        load_spec(write(tmp_path, TOY.replace(old, new, 1)))


def test_fact_sheet_says_each_kinds_compression_and_what_the_window_caps(tmp_path: Path) -> None:
    arch = load_spec(write(tmp_path))
    kv = dict(tables.cache_rows(arch, 100))["KV cache (bf16)"]
    assert kv.endswith(
        "(4 layers keep at most 16 tokens whole, 2 also one pooled entry per 4 tokens, "
        "1 also one pooled entry per 8 tokens)"
    )
    (_, attention), (_, positions) = CompressedAttention.fact_rows(arch.op_variants()["compressed_attention"], D)
    assert attention.count("4 query heads over one shared key/value latent of 32") == 1
    assert "the window alone (1 layer); older tokens pooled 4 to one with overlapping windows, an indexer" in attention
    assert attention.endswith("older tokens pooled 8 to one (1 layer)")
    assert positions.endswith("on 8 of each head's 32 dimensions")


def test_each_kind_of_layer_states_its_own_rotation(tmp_path: Path) -> None:
    """DeepSeek V4: compressed layers rotate at compress_rope_theta with YaRN, window-only
    layers at rope_theta without it; the fact sheet and the side box say which is which."""
    yarn = 'rope_theta = 160000.0\nrope_scaling = "yarn x16"\n'
    text = TOY.replace(_SHAPE + "compress_ratio", _SHAPE + yarn + "compress_ratio")
    text = text.replace(_SHAPE + "\n[ops.c4]", _SHAPE + "rope_theta = 10000.0\n\n[ops.c4]")
    arch = load_spec(write(tmp_path, text))
    variants = arch.op_variants()["compressed_attention"]
    (_, _), (_, positions) = CompressedAttention.fact_rows(variants, D)
    assert positions == (
        "RoPE, base 160,000; yarn x16 in 3 compressed layers; RoPE, base 10,000 in 1 window-only layer; "
        "on 8 of each head's 32 dimensions"
    )
    rope = dict(CompressedAttention.slot(variants, D).side)["rope"]
    assert rope == "RoPE on 8 of 32 dims per head\nbase 160k, YaRN ×16 in 3 compressed layers\n" + (
        "base 10k, no scaling in 1 window-only layer"
    )


@pytest.mark.parametrize("model_id", ["deepseek-v4-flash", "deepseek-v4-pro"])
def test_the_import_takes_compress_rope_theta_for_compressed_layers_only(model_id: str) -> None:
    imported, _ = load_config(Path(__file__).parent / "data" / "configs" / f"{model_id}.json", model_id=model_id)
    bundled = bundled_registry().get(model_id)
    for arch in (imported, bundled):
        kinds = [kind for kind, _ in arch.kind_counts()] + [arch.kinds[arch.mtp.kind]]
        for kind in kinds:
            op = kind.sublayers[0].op
            assert isinstance(op, CompressedAttention) and op.rope is not None
            if op.compress_ratio:
                assert op.rope.theta == 160_000 and op.rope.scaling_short == "YaRN ×16"
            else:  # Flash's layers 0-1 and both models' MTP blocks
                assert op.rope.theta == 10_000 and op.rope.scaling is None
