"""Facts the bundled specs state in words, checked against the numbers they come from:
cache sizes in key details, per-layer-kind positions, and how counts are described."""

from __future__ import annotations

import re

import pytest

from sphinx_llmarch.cli import main
from sphinx_llmarch.facts import stats, tables
from sphinx_llmarch.spec.registry import bundled_registry

REGISTRY = bundled_registry()
#: A cache size as key details write it: ``84 KiB per token``, ``2.5 MiB per token``.
_SIZE = re.compile(r"(\d+(?:\.\d+)?) (KiB|MiB)")


@pytest.mark.parametrize("arch", [a for a in REGISTRY if _SIZE.search(a.key_detail or "")], ids=lambda a: a.id)
def test_a_key_details_first_cache_size_is_the_models_own(arch: object) -> None:
    """Binary units throughout, rounded as written (DeepSeek V3.2 once said 86 KiB for 83.9)."""
    size = _SIZE.search(arch.key_detail)  # type: ignore[attr-defined]
    assert size is not None
    unit = 1024 if size.group(2) == "KiB" else 2**20
    decimals = len(size.group(1).partition(".")[2])
    assert round(stats.kv_cache_bytes_per_token(arch) / unit, decimals) == float(size.group(1))  # type: ignore[arg-type]


def test_deepseek_v32_compares_its_cache_with_v3s() -> None:
    sizes = _SIZE.findall(REGISTRY.get("deepseek-v3.2").key_detail)
    assert sizes == [("84", "KiB"), ("69", "KiB")]
    assert round(stats.kv_cache_bytes_per_token(REGISTRY.get("deepseek-v3")) / 1024) == 69


def test_grok_divides_the_sum_of_mlp_and_experts_by_root_two() -> None:
    detail = REGISTRY.get("grok-2.5").key_detail
    assert "divided by √2" in detail and "averag" not in detail


def test_gemma3_sliding_layers_rotate_without_the_global_scaling() -> None:
    positions = dict(tables.fact_rows(REGISTRY.get("gemma-3-27b")))["Positions"].astext()
    assert positions == (
        "RoPE, base 10,000 in 52 sliding-window layers; "
        "RoPE, base 1,000,000; linear x8 (factor 8.0) in 10 global layers"
    )


def test_descriptions_say_which_embeddings_a_count_holds_and_how_the_official_one_differs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = stats.describe(REGISTRY.get("deepseek-v3"))
    assert text.endswith(
        "671B parameters (37.6B active) counting the input embedding and the output head; "
        "the official “36.7B” active is counted without the input embedding."
    )
    assert stats.describe(REGISTRY.get("gemma-3-27b")).endswith("27B parameters counting the tied embedding once.")
    assert main(["show", "deepseek-v3"]) == 0
    out = capsys.readouterr().out
    assert "1,853,358,080 embedding (counting the input embedding and the output head)" in out
    assert "  official   “671B” total, counted the same way: ours 671B\n" in out
    assert "  official   “36.7B” active, without the input embedding: ours 36.6B\n" in out


def test_nemotron_3_super_counts_its_mtp_step_of_an_attention_and_a_moe_layer() -> None:
    """num_nextn_predict_layers 1 with mtp_hybrid_override_pattern "*E": the main model's attention
    and latent-MoE layers, enorm, hnorm, a 2d × d projection and a final norm; embedding and head shared."""
    arch = REGISTRY.get("nemotron-3-super-120b-a12b")
    d = arch.hidden_size
    layers = (stats.kind_params(arch.kinds[key], d, arch.norm) for key in ("attention-nope", "nope-moe"))
    assert stats.params(arch).mtp == sum(sum(counts.values()) for counts in layers) + 3 * d + 2 * d * d
    assert stats.params(arch).mtp == 2_942_325_248


def test_settled_context_lengths_and_what_stays_unsettled() -> None:
    """Hy3 preview: the checkpoint's 262,144 positions, not HYV3Config's default 131,072, and no licence
    (none read from a primary source); Nemotron 3 Super: 256K configured, the card's 1M as the extended
    length; Laguna XS.2 keeps the verbatim copy's YaRN x64; Mistral Small 4's note names its 6.5B too."""
    hy3 = REGISTRY.get("hy3-preview")
    assert (hy3.max_position_embeddings, hy3.context_length, hy3.license) == (262_144, 262_144, None)
    super_ = REGISTRY.get("nemotron-3-super-120b-a12b")
    assert super_.context_length == 262_144 and super_.extended_context is not None
    assert super_.extended_context[0] == 1_048_576
    laguna = REGISTRY.get("laguna-xs.2")
    ops = [op for kind, _ in laguna.kind_counts() for op in kind.ops if op.type == "attention"]
    assert {op.rope.scaling_short for op in ops if not op.sliding_window} == {"YaRN ×64"}
    assert "6.5B active" in (REGISTRY.get("mistral-small-4").official.note or "")
