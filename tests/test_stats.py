"""Computed numbers against the authors' published figures and hand-worked values."""

from __future__ import annotations

import re

import pytest

from sphinx_llmarch import stats
from sphinx_llmarch.loader import bundled_registry
from sphinx_llmarch.model import OfficialFigure

REGISTRY = bundled_registry()
ALL = [arch.id for arch in REGISTRY]

_UNITS = {"T": 1e12, "B": 1e9, "billion": 1e9, "M": 1e6, "million": 1e6}


def stated_precision(stated: str) -> float:
    """The value of the last digit the authors printed: '8B' -> 1e9, '8.2B' -> 1e8."""
    match = re.search(r"(\d[\d,]*)(?:\.(\d+))?\s*(T|B|M|billion|million)\b", stated)
    assert match, f"cannot read a parameter count from {stated!r}"
    return _UNITS[match.group(3)] / 10 ** len(match.group(2) or "")


def agrees(computed: int, figure: OfficialFigure) -> bool:
    """Within 1%, or within half a unit of the last digit when that is coarser.

    A model card that says only "8B" claims no more than that precision.
    """
    tolerance = max(0.01 * figure.value, stated_precision(figure.stated) / 2)
    return abs(computed - figure.value) <= tolerance


def test_stated_precision() -> None:
    assert stated_precision("8B") == 1e9
    assert stated_precision("8.2B") == pytest.approx(1e8)
    assert stated_precision("1542M") == 1e6
    assert stated_precision("24 billion parameters") == 1e9


def _counts(model_id: str) -> stats.Params:
    return stats.params_as_counted(REGISTRY.get(model_id))


def _excluding(model_id: str, value: int, figure: OfficialFigure) -> int:
    p = _counts(model_id)
    removed = {"embedding": p.embedding + p.position_embedding, "output_head": p.output_head}
    return value - sum(removed[name] for name in figure.excludes)


@pytest.mark.parametrize("model_id", ALL)
def test_total_matches_official(model_id: str) -> None:
    figure = REGISTRY.get(model_id).official.total
    if figure is None:
        pytest.skip("no official total published")
    computed = _excluding(model_id, _counts(model_id).total, figure)
    assert agrees(computed, figure), f"{computed:,} vs official {figure.stated}"


@pytest.mark.parametrize("model_id", [a.id for a in REGISTRY if a.official.active])
def test_active_matches_official(model_id: str) -> None:
    figure = REGISTRY.get(model_id).official.active
    computed = _excluding(model_id, _counts(model_id).active, figure)
    assert agrees(computed, figure), f"{computed:,} vs official {figure.stated}"


@pytest.mark.parametrize("model_id", [a.id for a in REGISTRY if a.official.non_embedding])
def test_non_embedding_matches_official(model_id: str) -> None:
    figure = REGISTRY.get(model_id).official.non_embedding
    assert agrees(_counts(model_id).non_embedding, figure)


@pytest.mark.parametrize("model_id", [a.id for a in REGISTRY if a.official.total_with_mtp])
def test_total_with_mtp_matches_official(model_id: str) -> None:
    figure = REGISTRY.get(model_id).official.total_with_mtp
    assert agrees(_counts(model_id).total_with_mtp, figure)


def test_gpt2_paper_figure_is_explained_by_its_vocabulary() -> None:
    arch = REGISTRY.get("gpt-2-xl")
    # The released checkpoint is ~1% larger than the paper's 1542M ...
    assert stats.params(arch).total == 1_557_611_200
    # ... and counting it with GPT-1's 40,478-token vocabulary gives the paper's figure.
    assert round(stats.params_as_counted(arch).total / 1e6) == 1542


# layers x (kv heads x 2 x head_dim, or MLA latent + rope dims) x 2 bytes, worked by hand
KV_BYTES_PER_TOKEN = {
    "gpt-2-xl": 48 * 25 * 2 * 64 * 2,
    "llama-3-8b": 32 * 8 * 2 * 128 * 2,
    "llama-3.2-1b": 16 * 8 * 2 * 64 * 2,
    "olmo-2-7b": 32 * 32 * 2 * 128 * 2,
    "smollm3-3b": 36 * 4 * 2 * 128 * 2,
    "mistral-small-3.1-24b": 40 * 8 * 2 * 128 * 2,
    "qwen3-8b": 36 * 8 * 2 * 128 * 2,
    "qwen3-30b-a3b": 48 * 4 * 2 * 128 * 2,
    "gemma-3-27b": 62 * 16 * 2 * 128 * 2,
    "gpt-oss-20b": 24 * 8 * 2 * 64 * 2,
    "gpt-oss-120b": 36 * 8 * 2 * 64 * 2,
    "deepseek-v3": 61 * (512 + 64) * 2,
}


@pytest.mark.parametrize("model_id", sorted(KV_BYTES_PER_TOKEN))
def test_kv_cache_bytes_per_token(model_id: str) -> None:
    assert stats.kv_cache_bytes_per_token(REGISTRY.get(model_id)) == KV_BYTES_PER_TOKEN[model_id]


def test_kv_cache_at_context_caps_sliding_layers_at_the_window() -> None:
    gemma = REGISTRY.get("gemma-3-27b")  # 52 sliding (window 1,024) + 10 global layers
    per_layer_token = 16 * 2 * 128 * 2
    assert stats.kv_cache_bytes(gemma, 131_072) == per_layer_token * (10 * 131_072 + 52 * 1_024)
    assert stats.kv_cache_bytes(gemma, 512) == per_layer_token * 62 * 512


@pytest.mark.parametrize(
    ("model_id", "mix"),
    [
        ("gemma-3-27b", "52 sliding-window + 10 global attention"),
        ("gpt-oss-20b", "12 sliding-window + 12 global attention"),
        ("smollm3-3b", "27 RoPE + 9 NoPE"),
        ("deepseek-v3", "3 dense + 58 MoE"),
        ("qwen3-8b", "36 identical dense layers"),
        ("qwen3-30b-a3b", "48 identical MoE layers"),
    ],
)
def test_layer_mix(model_id: str, mix: str) -> None:
    assert stats.layer_mix(REGISTRY.get(model_id)) == mix


def test_decoder_type() -> None:
    assert stats.decoder_type(REGISTRY.get("qwen3-8b")) == "dense"
    assert stats.decoder_type(REGISTRY.get("deepseek-v3")) == "sparse MoE"


def test_tied_embeddings_are_counted_once() -> None:
    arch = REGISTRY.get("llama-3.2-1b")
    p = stats.params(arch)
    assert arch.tie_word_embeddings and p.output_head == 0 and p.embedding == 128_256 * 2_048


def test_human_formatting() -> None:
    assert stats.human(8_190_735_360) == "8.19B"
    assert stats.human(671_026_419_200) == "671B"
    assert stats.human(1_234) == "1.23K"
    assert stats.human_bytes(147_456) == "144 KiB"
