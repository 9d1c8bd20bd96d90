"""Every registered op kind, checked for what used to fail silently when a kind was added
(a component the fact sheet did not name, a concept missing, a lower-cased acronym), and
a kind added from outside the package through the entry-point group."""

from __future__ import annotations

import importlib.metadata
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

from sphinx_llmarch import kinds
from sphinx_llmarch.draw import diagram
from sphinx_llmarch.facts import stats
from sphinx_llmarch.facts.concepts import concepts_of, glossary
from sphinx_llmarch.facts.tables import fact_rows
from sphinx_llmarch.hf.importer import known_model_types, spec_from_config
from sphinx_llmarch.kinds import KINDS, Op
from sphinx_llmarch.spec.loader import architecture_from_dict, read_raw
from sphinx_llmarch.spec.problems import spec_problems
from sphinx_llmarch.spec.registry import bundled_registry, load_spec
from sphinx_llmarch.spec.schema import op_schema

from .conftest import needs_dot
from .test_layer_kinds import HYBRID, write

MakeApp = Callable[..., SphinxTestApp]


def _ops_in_bundled_models() -> dict[str, list[tuple[Op, int]]]:
    found: dict[str, list[tuple[Op, int]]] = {}
    for arch in bundled_registry():
        for kind, _ in arch.kind_counts():
            for op in kind.ops:
                found.setdefault(op.type, []).append((op, arch.hidden_size))
    return found


OPS = _ops_in_bundled_models()


@pytest.mark.parametrize("type_", list(KINDS))
def test_every_kind_is_used_and_named_throughout(type_: str) -> None:
    """A kind no bundled model uses is untested; each of its components has a display name,
    its phrase keeps acronyms, and a kind with a detail panel links it to a concept."""
    assert KINDS[type_].type == type_
    if type_ not in OPS:
        pytest.skip(f"no bundled model uses {type_}")
    for op, hidden_size in OPS[type_]:
        components = op.params(hidden_size)
        assert set(components) <= set(stats.COMPONENT_NAMES) | set(type(op).component_names), components
        assert not (op.title[:2].isupper() and op.phrase[:1].islower()), f"an acronym lower-cased: {op.phrase}"
        assert op.concepts() <= set(glossary()), "a concept the glossary does not explain"
        assert op.primary_concept() in (op.concepts() | {None})
        if op.panel_key() is not None:
            assert op.primary_concept(), f"{op.title}: its panel's title links to no concept"
    assert op_schema(type_)["properties"]["type"] == {"const": type_}


@pytest.mark.parametrize("type_", list(KINDS))
def test_every_key_of_every_kind_is_documented(type_: str) -> None:
    """The spec format page names each key a kind reads (the schema lists them by running
    the kind's reader)."""
    text = (Path(__file__).parents[1] / "docs" / "specs.rst").read_text(encoding="utf-8")
    keys = [key for key in op_schema(type_)["properties"] if key != "type"]
    assert [key for key in keys if f"``{key}``" not in text] == [], f"add them to docs/specs.rst ({type_})"


def test_one_layer_of_a_kind_is_not_layers() -> None:
    arch = next(a for a in bundled_registry() if a.id == "qwen3-next-80b-a3b")
    texts = [text for _, text in fact_rows(arch)]
    assert not any("(1 layers)" in str(text) for text in texts)


def test_an_unknown_op_type_is_one_problem_not_a_cascade(tmp_path: Path) -> None:
    path = write(tmp_path, HYBRID.replace('type = "mamba2"', 'type = "mamba3"'))
    problems = spec_problems(read_raw(path, path.name), bundled_registry().raw_spec)
    assert [str(problem) for problem in problems] == [
        f"hybrid-toy.toml: ops.mamba.type: 'mamba3' is not one of {', '.join(KINDS)} (did you mean 'mamba2'?)"
    ]


# -- a kind from outside the package -------------------------------------------------------

TOY_SPEC = HYBRID.replace(
    '[ops.mamba]\ntype = "mamba2"\nmamba_num_heads = 4\nmamba_head_dim = 16\nssm_state_size = 8\n',
    '[ops.mamba]\ntype = "toy_recurrence"\nstate_size = 16\n',
)


@pytest.fixture
def toy_plugin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The toy package as an installed distribution would announce it."""
    entry = importlib.metadata.EntryPoint("toy", "tests.toy_kind_plugin", kinds.ENTRY_POINT_GROUP)
    monkeypatch.setattr(kinds, "entry_points", lambda group: [entry] if group == kinds.ENTRY_POINT_GROUP else [])
    glossary.cache_clear()
    sys.modules.pop("tests.toy_kind_plugin", None)  # imported afresh: its import registers the kind
    assert kinds.load_plugins() == []
    yield
    KINDS.pop("toy_recurrence", None)
    glossary.cache_clear()


@pytest.mark.usefixtures("toy_plugin")
def test_a_kind_from_another_package_is_read_counted_and_drawn(tmp_path: Path) -> None:
    assert "toy_recurrence" in KINDS
    arch = load_spec(write(tmp_path, TOY_SPEC))
    d = 64
    toy = 4 * d * d + d
    assert stats.params(arch)["toy_recurrence"] == 6 * toy, "six of the eight layers"
    assert stats.state_bytes(arch) == 6 * d * 16 * stats.BYTES_BF16
    by_component = dict(fact_rows(arch))["Parameters by component"].astext()
    assert f"toy recurrences {stats.human(6 * toy)}" in by_component, "a plug-in's component is named, not dropped"
    assert "RWKV-7 time mix" in diagram.to_dot(arch)
    assert "toy-recurrence" in concepts_of(arch) and glossary()["toy-recurrence"].title == "Toy recurrence"
    assert "with 8 layers (6 RWKV-7 time mix + 2 global attention)" in stats.describe(arch)


@pytest.mark.usefixtures("toy_plugin")
def test_a_kind_from_another_package_is_imported_from_a_config() -> None:
    """Its model type is known, its layers are read from layer_types, beside attention."""
    config = {"model_type": "toy_rnn", "vocab_size": 1000, "hidden_size": 64, "intermediate_size": 128}
    config |= {"num_attention_heads": 4, "num_key_value_heads": 2, "state_size": 16, "num_hidden_layers": 4}
    config["layer_types"] = ["toy_recurrence", "toy_recurrence", "toy_recurrence", "full_attention"]
    assert "toy_rnn" in known_model_types()
    arch = architecture_from_dict(spec_from_config(config, "config.json", "toy")[0], "config.json")
    d = 64
    assert stats.params(arch)["toy_recurrence"] == 3 * (4 * d * d + d)
    assert [n for _, n in arch.kind_counts()] == [3, 1]


@needs_dot
@pytest.mark.usefixtures("toy_plugin")
def test_a_page_shows_a_kind_from_another_package(make_app: MakeApp, tmp_path: Path) -> None:
    """Diagram, fact sheet and glossary entry, in a real build."""
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "hybrid-toy.toml").write_text(TOY_SPEC)
    (tmp_path / "conf.py").write_text('extensions = ["sphinx_llmarch"]\nllmarch_spec_paths = ["specs"]\n')
    (tmp_path / "index.rst").write_text("Toy\n===\n\n.. llm-arch:: hybrid-toy\n\n.. llm-concepts::\n")
    app = make_app("html", srcdir=tmp_path)
    app.build()
    page = (Path(app.outdir) / "index.html").read_text()
    assert app._warncount == 0, app.warning.getvalue()
    assert ">RWKV&#45;7 time mix<" in page or ">RWKV-7 time mix<" in page, "the box in the inlined diagram"
    assert "toy recurrences 98.7K" in page and 'id="llm-concept-toy-recurrence"' in page


def test_a_broken_plugin_is_reported_not_fatal(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = importlib.metadata.EntryPoint("broken", "tests.no_such_module", kinds.ENTRY_POINT_GROUP)
    monkeypatch.setattr(kinds, "entry_points", lambda group: [entry])
    problems = kinds.load_plugins()
    assert len(problems) == 1 and problems[0].startswith("op kinds from 'tests.no_such_module' (broken) could not")


def test_a_type_registered_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="op type 'mla' is registered twice"):
        kinds.register(type("OtherMLA", (Op,), {"type": "mla"}))
