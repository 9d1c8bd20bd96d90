"""The llmarch command: JSON shapes, exit codes, rendering."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sphinx_llmarch.cli import CLOSED_PIPE, main

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


USER_SPECS = Path(__file__).parent / "roots" / "test-user-spec" / "specs"
CHECKPOINT = Path(__file__).parent / "roots" / "test-hf-config" / "models" / "liquid"
ROOT_SPECS = Path(__file__).parent / "roots" / "test-user-spec" / "specs"


@pytest.mark.parametrize(
    ("argument", "model_id"),
    [
        (str(USER_SPECS / "toy-lm-chat.toml"), "toy-lm-chat"),  # extends toy-lm, found on --spec-path
        (str(CHECKPOINT / "config.json"), "liquid"),
        (str(CHECKPOINT), "liquid"),  # a checkpoint folder: its config.json
    ],
)
def test_show_reads_a_spec_or_config_file(capsys: pytest.CaptureFixture[str], argument: str, model_id: str) -> None:
    code, out, _ = run(capsys, "--spec-path", str(USER_SPECS), "show", argument, "--json")
    assert code == 0 and json.loads(out)["id"] == model_id


def test_dot_reads_a_spec_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "dot", str(USER_SPECS / "toy-lm.toml"))
    assert code == 0 and 'digraph "toy-lm"' in out


@needs_dot
def test_render_reads_a_checkpoint_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(capsys, "render", str(CHECKPOINT), "-o", str(tmp_path / "liquid.json"))
    assert code == 0 and json.loads((tmp_path / "liquid.json").read_text())["name"] == "liquid"


def test_import_reads_a_checkpoint_folder(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "import", str(CHECKPOINT))
    assert code == 0 and 'id = "liquid"' in out and f"config = {json.dumps(str(CHECKPOINT / 'config.json'))}" in out


MYSTERY = CHECKPOINT.parent / "mystery"


def test_validate_finds_the_base_of_an_extends_on_the_spec_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = (ROOT_SPECS / "toy-lm.toml").read_text()
    (tmp_path / "toy-lm.toml").write_text(base)
    child = tmp_path / "toy-child.toml"
    child.write_text(
        'id = "toy-child"\nextends = "toy-lm"\nname = "Toy child"\n[sources]\nconfig = "https://x.org/c"\n'
    )
    assert run(capsys, "validate", str(child))[0] == 1, "the base is not bundled"
    code, _, err = run(capsys, "validate", str(child), "--spec-path", str(tmp_path))
    assert code == 0, err


@pytest.mark.parametrize("command", ["show", "import", "validate"])
def test_an_unknown_model_type_is_read_only_as_asked(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    target = str(MYSTERY / "config.json") if command == "validate" else str(MYSTERY)
    code, _, err = run(capsys, command, target)
    assert code in (1, 2) and "model_type: 'mystery' is not a model type the importer knows" in err
    code, out, err = run(capsys, command, target, "--read-as", "llama")
    assert code == 0 and "is not known: read as 'llama', as asked; keys not read: wobble_factor" in err
    assert out or command == "validate"


@pytest.mark.parametrize("command", [["list"], ["show", "qwen3-8b", "--json"]])
def test_closed_pipe_exits_quietly(command: list[str]) -> None:
    """The reader is gone before the first write, as when ``head`` has read all it wants."""
    read, write = os.pipe()
    os.close(read)
    with os.fdopen(write, "wb") as stdout:
        result = subprocess.run(
            [sys.executable, "-m", "sphinx_llmarch", *command], stdout=stdout, stderr=subprocess.PIPE, check=False
        )
    assert result.returncode == CLOSED_PIPE == 141 and result.stderr == b""


def test_one_broken_spec_leaves_the_others(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = (USER_SPECS / "toy-lm.toml").read_text()
    (tmp_path / "toy-lm.toml").write_text(good)
    broken = good.replace('id = "toy-lm"', 'id = "toy-bad"')
    (tmp_path / "toy-bad.toml").write_text(broken.replace("num_key_value_heads = 2", "num_key_value_heads = 3"))
    code, out, err = run(capsys, "--spec-path", str(tmp_path), "show", "toy-lm", "--json")
    assert code == 0 and json.loads(out)["id"] == "toy-lm"
    problem = "toy-bad.toml: attention.num_key_value_heads: 3 does not divide num_attention_heads 4\n"
    assert err.startswith("llmarch: warning: ") and err.endswith(problem)
    code, _, err = run(capsys, "--spec-path", str(tmp_path), "show", "toy-bad")  # its own error, not "unknown"
    assert code == 2 and err.endswith(f"llmarch: error: {tmp_path}/{problem}")


def test_import_writes_what_validate_accepts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "my-model.toml"
    assert run(capsys, "import", str(CHECKPOINT), "--id", "my-model", "-o", str(spec))[0] == 0
    code, out, _ = run(capsys, "validate", str(spec))
    assert code == 0 and "ok (my-model, my-model)" in out
    # an id the file name contradicts would be a spec that validate refuses: nothing is written
    for args, problem in [
        (["--id", "other", "-o", str(tmp_path / "mine.toml")], "--id 'other' contradicts the file name 'mine.toml'"),
        (["-o", str(tmp_path / "Mine.toml")], "Mine.toml: id: 'mine' does not match the file name 'Mine'"),
    ]:
        code, _, err = run(capsys, "import", str(CHECKPOINT), *args)
        assert code == 2 and problem in err
    assert sorted(tmp_path.iterdir()) == [spec]


def test_import_output_format_from_the_ending(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    facts = tmp_path / "facts.json"
    assert run(capsys, "import", str(CHECKPOINT), "-o", str(facts))[0] == 0
    assert json.loads(facts.read_text())["id"] == "liquid"


def test_validate_looks_into_subfolders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "specs" / "toy").mkdir(parents=True)
    (tmp_path / "specs" / "toy" / "toy-lm.toml").write_text((USER_SPECS / "toy-lm.toml").read_text())
    (tmp_path / "specs" / "liquid").mkdir()
    (tmp_path / "specs" / "liquid" / "config.json").write_text((CHECKPOINT / "config.json").read_text())
    (tmp_path / "specs" / ".venv").mkdir()
    (tmp_path / "specs" / ".venv" / "pyproject.toml").write_text("[project]\n")  # hidden folders are skipped
    code, out, _ = run(capsys, "validate", str(tmp_path / "specs"))
    assert code == 0 and "ok (toy-lm, Toy LM)" in out and "ok (liquid, liquid)" in out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["frobnicate"], 2, "invalid choice: 'frobnicate'"),
        (["show"], 2, "the following arguments are required: model"),
        (["show", "gpt-2-xl", "--context", "0"], 2, "expected a positive integer, got '0'"),
        (["show", "qwen3-8bb"], 2, "unknown model id 'qwen3-8bb'"),
        (["show", "{tmp}/missing.toml"], 2, "missing.toml: cannot read the file"),
        (["show", "{tmp}/broken.toml"], 2, "broken.toml: invalid TOML"),
        (["dot", "{tmp}/bad.json"], 2, "bad.json: invalid JSON"),
        (["--spec-path", "{tmp}/nowhere", "list"], 2, "--spec-path {tmp}/nowhere: no such file or folder"),
        (["render", "gpt-2-xl", "-o", "{tmp}/x.gif"], 2, "cannot tell the format from 'x.gif'"),
        (["render", "gpt-2-xl", "-o", "{tmp}/x.json", "--format", "svg"], 2, "--format svg contradicts the file name"),
        (["render", "gpt-2-xl", "-o", "-"], 2, "'-o -' needs --format"),
        (["render", "gpt-2-xl", "-o", "{tmp}"], 2, "is a folder"),
        (["render", "gpt-2-xl", "-o", "{tmp}/x.svg", "--dot", "{tmp}/no-dot"], 2, "point --dot at the dot executable"),
        pytest.param(["render", "gpt-2-xl", "-o", "{tmp}/no/x.svg"], 2, "cannot write {tmp}/no/x.svg", marks=needs_dot),
        (["import", "{tmp}"], 2, "config.json: cannot read the file (No such file"),
        (["import", "{tmp}/missing.json"], 2, "missing.json: cannot read the file (No such file"),
        (["import", str(CHECKPOINT), "-o", "{tmp}/no/x.toml"], 2, "cannot write {tmp}/no/x.toml"),
        (["import", str(CHECKPOINT), "-o", "{tmp}/x.toml", "--json"], 2, "--json contradicts the file name 'x.toml'"),
        (["validate", "{tmp}/empty"], 2, "no spec files in {tmp}/empty"),
        (["validate", "{tmp}/missing"], 2, "{tmp}/missing: no such file or folder"),
        (["validate", "{tmp}/broken.toml"], 1, "broken.toml: invalid TOML"),
    ],
)
def test_bad_invocations_say_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: int, message: str
) -> None:
    (tmp_path / "broken.toml").write_text('id = "broken"\nname = "no end\n')
    (tmp_path / "bad.json").write_text("{")
    (tmp_path / "empty").mkdir()
    try:
        status = main([arg.format(tmp=tmp_path) for arg in args])
    except SystemExit as exit:  # argparse
        status = exit.code
    out, err = capsys.readouterr()
    assert (status, out) == (code, "")
    assert err.count("\n") == 1 and err.endswith("\n") and message.format(tmp=tmp_path) in err


def test_validate_of_a_project_folder_skips_toml_files_that_are_not_specs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "mine"\n')
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "toy-lm.toml").write_text((USER_SPECS / "toy-lm.toml").read_text())
    (tmp_path / "specs" / "broken.toml").write_text("id = [\n")
    code, out, err = run(capsys, "validate", str(tmp_path))
    assert code == 1 and "toy-lm.toml: ok" in out and "broken.toml: invalid TOML" in err
    assert "skipped" in err and "pyproject.toml: a TOML file with no id or extends is not a spec" in err
    assert run(capsys, "validate", str(tmp_path / "pyproject.toml"))[0] == 1, "a file named is always checked"


def test_import_to_standard_output_with_a_dash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "import", str(CHECKPOINT), "-o", "-")
    assert code == 0 and 'id = "liquid"' in out and not Path("-").exists()
