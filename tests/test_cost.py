"""The cost model against numbers worked out by hand and the standard approximations."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

from sphinx_llmarch.cli import main
from sphinx_llmarch.facts import stats
from sphinx_llmarch.facts.cost import attention_flops, cost, flops_per_token, touched_params, weights_bytes
from sphinx_llmarch.model.architecture import Architecture
from sphinx_llmarch.spec.registry import bundled_registry

REGISTRY = bundled_registry()


def test_llama_3_8b_weights_and_cache_as_the_issue_states() -> None:
    llama = REGISTRY.get("llama-3-8b")
    found = cost(llama, context=8192, batch=1, dtype="bf16")
    assert found.weights_bytes == 16_060_522_496 == 2 * 8_030_261_248
    assert found.kv_bytes == 2**30, "32 layers x 8 KV heads x (128 + 128) x 2 bytes x 8,192 tokens"
    assert found.total_bytes == found.weights_bytes + found.kv_bytes and found.state_bytes == 0
    assert cost(llama, 8192, batch=4).kv_bytes == 4 * 2**30
    assert weights_bytes(llama, "int4") == weights_bytes(llama, "bf16") // 4


def test_gemma_3_27b_windows_cap_the_sliding_layers_at_128k() -> None:
    """52 sliding layers hold their 1,024 tokens, the 10 global layers all 131,072."""
    gemma = REGISTRY.get("gemma-3-27b")
    per_token_per_layer = 16 * (128 + 128) * 2
    assert cost(gemma, 131_072).kv_bytes == (52 * 1024 + 10 * 131_072) * per_token_per_layer


def test_a_constant_state_grows_with_the_batch_not_the_context() -> None:
    nano = REGISTRY.get("nemotron-3-nano-30b-a3b")
    one, other = cost(nano, 4096), cost(nano, 65_536, batch=2)
    assert one.state_bytes == stats.state_bytes(nano) > 0 and other.state_bytes == 2 * one.state_bytes


@pytest.mark.parametrize("arch", list(REGISTRY), ids=lambda arch: arch.id)
def test_a_token_at_the_start_costs_twice_the_parameters_it_passes(arch: Architecture) -> None:
    assert abs(flops_per_token(arch, 1) / (2 * touched_params(arch)) - 1) < 0.01


def test_the_attention_term_of_a_dense_model_is_the_standard_one() -> None:
    """Logits and the weighted values each cost 2 x n_layer x n_ctx x d_attn (Kaplan et al.
    count the logits; Hoffmann et al. both)."""
    llama = REGISTRY.get("llama-3-8b")
    n_layer, n_ctx, d_attn = 32, 8192, 32 * 128
    assert attention_flops(llama, n_ctx) == 2 * (2 * n_layer * n_ctx * d_attn)
    tied = REGISTRY.get("gemma-3-270m")
    assert touched_params(tied) == stats.params(tied).active, "a tied head is a product, not a lookup"


def test_llmarch_cost_json_echoes_its_inputs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "llama-3-8b", "--context", "8192", "--batch", "2", "--dtype", "fp8", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["context"] == 8192 and data["batch"] == 2 and data["dtype"] == "fp8"
    assert data["weights_bytes"] == 8_030_261_248 and data["kv_bytes"] == 2 * 2**30
    assert {"weights_bytes", "kv_bytes", "state_bytes", "total_bytes", "flops_per_token"} <= data.keys()


def test_the_filter_language_asks_for_weights_in_bytes() -> None:
    from sphinx_llmarch.facts.selection import select

    chosen = {arch.id for arch in select(REGISTRY, "weights_bf16 <= 16 GiB and weights > 14 GiB")}
    assert "llama-3-8b" in chosen and all(14 * 2**30 < weights_bytes(REGISTRY.get(i)) <= 16 * 2**30 for i in chosen)


def test_the_memory_table_in_a_page(make_app: Callable[..., SphinxTestApp], tmp_path: Path) -> None:
    (tmp_path / "conf.py").write_text('extensions = ["sphinx_llmarch"]\n')
    page = "Memory\n======\n\n.. llm-arch-memory:: gemma-3-27b\n   :contexts: 4k, 128k\n   :precisions: bf16, int4\n"
    page += "   :batch: 2\n\n.. llm-arch-memory:: gemma-3-27b\n   :contexts: 0\n\n.. llm-arch-memory:: gemma-9\n"
    (tmp_path / "index.rst").write_text(page)
    app = make_app("html", srcdir=tmp_path)
    app.build()
    html = (Path(app.outdir) / "index.html").read_text()
    gemma = REGISTRY.get("gemma-3-27b")
    cache = 2 * (52 * 1024 + 10 * 131_072) * 16 * 256 * 2
    cells = re.findall(r"<td><p>([^<]*)</p></td>", html)
    assert cells[:4] == [
        "4k tokens",
        stats.human_bytes(2 * stats.kv_cache_bytes(gemma, 4096)),
        stats.human_bytes(weights_bytes(gemma) + 2 * stats.kv_cache_bytes(gemma, 4096)),
        stats.human_bytes(weights_bytes(gemma, "int4") + 2 * stats.kv_cache_bytes(gemma, 4096)),
    ]
    assert cells[4:6] == ["128k tokens", stats.human_bytes(cache)]
    warnings = app.warning.getvalue()
    assert "'0' is not a context length" in warnings and "unknown model id 'gemma-9'" in warnings


def test_comparisons_have_cost_rows() -> None:
    from sphinx_llmarch.facts.compare import compare, comparison_table

    llama, qwen = REGISTRY.get("llama-3-8b"), REGISTRY.get("qwen3-8b")
    table = comparison_table(compare([llama, qwen], ("weights", "memory", "flops"), context=8192))
    text = table.astext()
    assert "Weights (bf16)" in text and "Memory at 8k tokens" in text and "FLOPs per token at 4k" in text
    assert stats.human_bytes(cost(llama, 8192).total_bytes) in text
    assert stats.human(flops_per_token(qwen, 4096)) in text
