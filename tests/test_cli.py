"""The llmarch command: JSON shapes, exit codes, rendering."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sphinx_llmarch.cli import main

from .conftest import needs_dot


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "--json")
    models = json.loads(out)
    assert code == 0 and len(models) >= 12
    gpt2 = next(m for m in models if m["id"] == "gpt-2-xl")
    assert gpt2["aliases"] == ["gpt2-xl"] and gpt2["released"] == "2019-11-05"
    assert set(gpt2) >= {"id", "name", "family", "released", "aliases"}


def test_show_json_fields(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", "qwen3-8b", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["id"] == "qwen3-8b" and data["released"] == "2025-04-29"
    assert isinstance(data["params"]["total"], int) and isinstance(data["kv_cache"]["bytes_per_token"], int)
    assert data["kv_cache"]["bytes_per_token"] == 147_456
    (kind,) = data["layer_kinds"]
    attention = kind["sublayers"][0]
    assert kind["layers"] == 36 and attention["norm"] == "pre"
    assert attention == attention | {"type": "attention", "num_heads": 32, "num_kv_heads": 8, "head_dim": 128}
    assert attention["params"] == 4096 * (32 + 8 + 8) * 128 + 32 * 128 * 4096 + 2 * 128
    for key in ("name", "family", "num_layers", "hidden_size", "vocab_size", "context_length", "layer_mix"):
        assert key in data
    assert set(data["params"]) >= {"total", "active", "embedding"}


def test_show_by_alias_and_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", "gpt2-xl")
    assert code == 0 and "GPT-2 XL (gpt-2-xl)" in out and "1,557,611,200 total" in out
    assert "vision" not in out


def test_show_text_says_how_far_layers_look_back(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", "gpt-oss-120b")
    assert code == 0 and "  mixing     Grouped-query attention, sliding 128 on 18 of 36 layers\n" in out


def test_show_text_names_the_vision_tower(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", "qwen3.6-27b")
    assert code == 0 and "  vision     415,891,440 encoder, 44,838,656 projector (LayerNorm" in out


def test_show_text_names_the_audio_tower(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", "gemma-4-e4b")
    assert code == 0 and "  audio      304,824,608 encoder, 3,932,160 projector (RMSNorm (no scale) → linear" in out


def test_unknown_id_exits_2_with_suggestions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "show", "qwen3-8bb")
    assert code == 2 and out == ""
    assert "unknown model id 'qwen3-8bb'" in err and "qwen3-8b" in err


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2


def test_dot_prints_graphviz_source(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "dot", "llama-3-8b")
    assert code == 0 and out.startswith("// render with: neato -n2") and "digraph" in out


@needs_dot
@pytest.mark.parametrize("suffix", ["svg", "png", "pdf"])
def test_render_by_suffix(tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str) -> None:
    target = tmp_path / f"model.{suffix}"
    code, _, _ = run(capsys, "render", "gpt-oss-20b", "-o", str(target))
    magic = {"svg": b"<?xml", "png": b"\x89PNG", "pdf": b"%PDF"}[suffix]
    assert code == 0 and target.read_bytes().startswith(magic)


def test_render_unknown_suffix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "render", "gpt-oss-20b", "-o", str(tmp_path / "x.gif"))
    assert code == 2 and "use .svg, .png, .pdf or .json" in err


def test_spec_path_option(capsys: pytest.CaptureFixture[str]) -> None:
    specs = Path(__file__).parent / "roots" / "test-user-spec" / "specs"
    code, out, _ = run(capsys, "--spec-path", str(specs), "show", "toy", "--json")
    assert code == 0 and json.loads(out)["id"] == "toy-lm"


def test_python_dash_m_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sphinx_llmarch", "list"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and "deepseek-v3" in result.stdout


def test_show_context_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", "gemma-3-27b", "--json", "--context", "4096")
    kv = json.loads(out)["kv_cache"]
    assert code == 0 and kv["context_tokens"] == 4096
    assert kv["bytes_at_context"] == 16 * 2 * 128 * 2 * (10 * 4096 + 52 * 1024)


def test_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = Path(__file__).parent / "roots" / "test-user-spec" / "specs" / "toy-lm.toml"
    bad = tmp_path / "toy-lm.toml"
    bad.write_text(good.read_text().replace("num_key_value_heads = 2", "num_key_value_heads = 3"))
    code, out, err = run(capsys, "validate", str(good), str(bad))
    assert code == 1 and "ok (toy-lm, Toy LM)" in out
    assert "attention.num_key_value_heads: 3 does not divide num_attention_heads 4" in err
    assert run(capsys, "validate", str(good))[0] == 0
