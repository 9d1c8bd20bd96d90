"""Spec loading: every bundled spec is valid, sourced, and bad specs fail precisely."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from sphinx_llmarch.spec.loader import SpecError, UnknownModelError
from sphinx_llmarch.spec.registry import Registry, bundled_registry, bundled_spec_files, load_spec

from .test_stats import NO_OFFICIAL_TOTAL

TOY = Path(__file__).parent / "roots" / "test-user-spec" / "specs" / "toy-lm.toml"
REQUIRED_IDS = {
    "gpt-2-xl",
    "llama-3-8b",
    "llama-3.2-1b",
    "olmo-2-7b",
    "gemma-3-27b",
    "mistral-small-3.1-24b",
    "qwen3-8b",
    "qwen3-30b-a3b",
    "smollm3-3b",
    "gpt-oss-20b",
    "gpt-oss-120b",
    "deepseek-v3",
}


def test_all_required_models_are_bundled() -> None:
    assert {arch.id for arch in bundled_registry()} >= REQUIRED_IDS


@pytest.mark.parametrize("path", bundled_spec_files(), ids=lambda p: p.stem)
def test_bundled_spec_is_sourced_and_slugged(path: Path) -> None:
    arch = load_spec(path)
    assert arch.id == path.stem
    assert re.fullmatch(r"[a-z0-9]+(?:[-.][a-z0-9]+)*", arch.id)
    links = dict(arch.sources)
    primary = links.get("config", "") or links.get("paper", "")
    assert primary.startswith("https://"), "every spec links its config.json, or its paper when it has none"
    published = arch.official.total or arch.official.total_with_mtp
    assert (published and published.source) or arch.id in NO_OFFICIAL_TOTAL, "an official count and its source"
    assert arch.summary and arch.key_detail and arch.released


#: Licences as the models' own files name them (issue 21's audit: LICENSE histories, card metadata).
LICENCES = {
    "minimax-m2": "MIT at release; modified MIT from 2025-11-13",
    "minimax-m2.5": "Modified MIT at release; MiniMax Model License from 2026-03-06",
    "minimax-m2.7": "MiniMax M2.7 non-commercial licence",
    "nemotron-3-nano-30b-a3b": "NVIDIA Open Model License",
    "llama-7b": "Non-commercial bespoke license",
    "llama-65b": "Non-commercial bespoke license",
    "intellect-3": "MIT (unconfirmed)",
}


@pytest.mark.parametrize("model_id", sorted(LICENCES))
def test_licence_is_the_one_its_sources_name(model_id: str) -> None:
    assert bundled_registry().get(model_id).license == LICENCES[model_id]


def test_alias_resolves_to_the_same_model() -> None:
    registry = bundled_registry()
    assert registry.get("gpt2-xl") is registry.get("gpt-2-xl")
    assert registry.get("  GPT-2-XL ") is registry.get("gpt-2-xl")


def test_unknown_id_suggests_close_ids() -> None:
    with pytest.raises(UnknownModelError) as info:
        bundled_registry().get("qwen3-8bb")
    assert "qwen3-8b" in info.value.suggestions
    assert "did you mean qwen3-8b" in str(info.value)


def _write(tmp_path: Path, text: str, name: str = "toy-lm.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path: Path, old: str, new: str) -> SpecError:
    text = TOY.read_text()
    assert old in text
    with pytest.raises(SpecError) as info:
        load_spec(_write(tmp_path, text.replace(old, new)))
    return info.value


def test_toy_spec_loads() -> None:
    arch = load_spec(TOY)
    ((attention, _),) = arch.op_variants()["attention"]
    assert (arch.id, attention.kind, attention.head_dim) == ("toy-lm", "gqa", 16)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "num_key_value_heads = 2",
            "num_key_value_heads = 3",
            "toy-lm.toml: attention.num_key_value_heads: 3 does not divide num_attention_heads 4",
        ),
        ("hidden_size = 64\n", "", "toy-lm.toml: text.hidden_size: missing required value"),
        ("hidden_size = 64", 'hidden_size = "64"', "toy-lm.toml: text.hidden_size: expected an integer, got str '64'"),
        ("hidden_size = 64", "hidden_size = 0", "toy-lm.toml: text.hidden_size: 0 is below the minimum 1"),
        (
            'kind = "swiglu"',
            'kind = "swiglo"',
            "toy-lm.toml: ffn.kind: 'swiglo' is not one of swiglu, geglu, gelu, relu, relu2 (did you mean 'swiglu'?)",
        ),
        (
            "vocab_size = 1000",
            "vocab_sise = 1000",
            "toy-lm.toml: text.vocab_sise: unknown key (did you mean 'vocab_size'?)",
        ),
        ('name = "Toy LM"', 'name = "Toy', "toy-lm.toml: invalid TOML: "),
        ('id = "toy-lm"', 'id = "other"', "toy-lm.toml: id: 'other' does not match the file name 'toy-lm'"),
        ('id = "toy-lm"', 'id = "Toy LM"', "toy-lm.toml: id: 'Toy LM' is not a lower-case id"),
        ('aliases = ["toy"]', 'aliases = ["toy", 7]', "toy-lm.toml: aliases[1]: 7 is not a lower-case id"),
        (
            "[position]",
            '[layers]\nattention = ["sliding", "full"]\n\n[position]',
            "toy-lm.toml: attention.sliding_window: missing, but layers.attention has sliding layers",
        ),
        (
            "[position]",
            '[layers]\nposition = ["rope", "yarn"]\n\n[position]',
            "toy-lm.toml: layers.position[1]: 'yarn' is not one of rope, nope",
        ),
        (
            "[ffn]",
            "[moe]\nnum_experts = 4\nexperts_per_token = 8\nmoe_intermediate_size = 8\n\n[ffn]",
            "toy-lm.toml: moe.experts_per_token: 8 is more than num_experts 4",
        ),
    ],
)
def test_bad_spec_names_file_key_and_problem(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert str(_error(tmp_path, old, new)).startswith(message)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"missing\.toml: cannot read the file"):
        load_spec(tmp_path / "missing.toml")


def test_registry_override_replaces_and_reports() -> None:
    registry = Registry(bundled_registry())
    toy = load_spec(TOY)
    assert registry.add(toy) is None
    assert registry.add(toy) is toy
    assert registry.get("toy") is toy


def test_every_data_file_of_the_package_ships_in_the_wheel() -> None:
    """Each file the package reads (specs, glossary, stylesheet, script) matches a
    package-data pattern in pyproject.toml, so an installed copy has it too."""
    import fnmatch

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    root = Path(__file__).parent.parent
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    package = root / "sphinx_llmarch"
    data = [
        path.relative_to(package).as_posix()
        for path in package.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    ]
    assert data
    missing = [name for name in data if not any(fnmatch.fnmatch(name, p) for p in patterns["sphinx_llmarch"])]
    assert missing == []


def test_every_bundled_spec_file_loads() -> None:
    from sphinx_llmarch.spec.files import bundled_spec_files
    from sphinx_llmarch.spec.registry import bundled_registry, with_bundled

    assert with_bundled()[1] == [], "a broken bundled spec is only a warning in builds: fail here"
    assert sorted(path.stem for path in bundled_spec_files()) == sorted(arch.id for arch in bundled_registry())


# -- the JSON schema (``llmarch schema``) against real spec files --------------------------

MINIMAL = """id = "tiny"
name = "Tiny"
family = "Tiny"

[text]
vocab_size = 100
hidden_size = 8
num_hidden_layers = 1
context_length = 64

[attention]
num_attention_heads = 2
num_key_value_heads = 1

[position]
kind = "rope"

[norm]
kind = "rmsnorm"
placement = "pre"

[ffn]
kind = "swiglu"
intermediate_size = 16
"""


def schema_errors(path: Path) -> list[str]:
    """What the JSON schema finds wrong with a spec file, read as JSON reads it (dates as text)."""
    import json

    from jsonschema import Draft202012Validator

    from sphinx_llmarch.spec.files import read_toml
    from sphinx_llmarch.spec.schema import spec_schema

    data = json.loads(json.dumps(read_toml(path, path.name), default=str))
    validator = Draft202012Validator(spec_schema())
    return [f"{path.name}: {'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]


def test_every_bundled_spec_an_extension_and_a_minimal_user_spec_meet_the_schema(tmp_path: Path) -> None:
    minimal = tmp_path / "tiny.toml"
    minimal.write_text(MINIMAL)
    assert load_spec(minimal).sources == (), "a user's spec may leave [sources] out"
    extension = TOY.with_name("toy-lm-chat.toml")
    assert not [error for path in [*bundled_spec_files(), extension, minimal] for error in schema_errors(path)]
    broken = tmp_path / "broken.toml"
    broken.write_text(MINIMAL.replace("hidden_size = 8", 'hidden_size = "8"').replace('name = "Tiny"\n', ""))
    assert len(schema_errors(broken)) == 2
    unnamed = tmp_path / "unnamed.toml"
    unnamed.write_text(extension.read_text().replace('name = "Toy LM Chat"\n', ""))
    assert schema_errors(unnamed) == ["unnamed.toml: : 'name' is a required property"]
