"""Property tests over the whole input surface: mutated specs and configs either load
(and then give finite, non-negative numbers and a clean diagram) or fail with a
:class:`SpecError` naming the file, never with any other exception."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sphinx_llmarch.draw import diagram
from sphinx_llmarch.draw.render import render_bytes
from sphinx_llmarch.facts import stats, tables
from sphinx_llmarch.hf.importer import spec_from_config
from sphinx_llmarch.spec.loader import SpecError, architecture_from_dict
from sphinx_llmarch.spec.registry import bundled_spec_files

from .conftest import needs_dot
from .layout_check import layout, problems

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SPECS = {path.stem: tomllib.loads(path.read_text()) for path in bundled_spec_files()}
CONFIGS = {
    path.stem: json.loads(path.read_text())
    for path in sorted((Path(__file__).parent / "data" / "configs").glob("*.json"))
}
HOSTILE = [
    "",
    " ",
    "0",
    "-1",
    '"; <script>alert(1)</script>',
    "a\\nb\\\\",
    "}]{[",
    "&amp;&lt;",
    "שלום עולם",
    "x" * 100_000,
    "javascript:alert(1)",
    "\x00",
    "label=<<b>x</b>>",
    "a:b",
    "é€😀",
]
VALUES = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, -1, 2, 3, 7, 64, 10**6, 2**40]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.sampled_from(HOSTILE),
    st.lists(st.sampled_from(["full", "sliding", "rope", "nope", "x", 1]), max_size=5),
    st.just({}),
)


def paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path into nested tables and lists."""
    out = []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else []
    for key, value in items:
        out.append((*prefix, key))
        out += paths(value, (*prefix, key))
    return out


@st.composite
def mutated(draw: st.DrawFn, documents: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """A real document with a few keys replaced, removed or added."""
    name = draw(st.sampled_from(sorted(documents)))
    data = copy.deepcopy(documents[name])
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        where = paths(data)
        path = draw(st.sampled_from(where))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "remove", "add"]))
        if action == "remove" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "kind", "type", "sliding_window", "num_experts", "head_dim"]))] = (
                draw(VALUES)
            )
        else:
            parent[path[-1]] = draw(VALUES)
    return name, data


def check_loaded(arch: Any) -> None:
    p = stats.params(arch)
    numbers = [*p.components.values(), p.active, p.mtp, p.vision_encoder, p.vision_projector]
    numbers += [stats.kv_cache_bytes_per_token(arch), stats.kv_cache_bytes(arch, 4096), stats.state_bytes(arch)]
    for value in numbers:
        assert isinstance(value, int) and value >= 0, value
    tables.fact_rows(arch)
    stats.describe(arch)


#: Derandomized so CI sees the same examples every run; raise max_examples locally to dig deeper.
FUZZ = settings(
    max_examples=400, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@FUZZ
@given(mutated(SPECS))
def test_mutated_specs_load_or_fail_cleanly(case: tuple[str, dict[str, Any]]) -> None:
    name, data = case
    try:
        arch = architecture_from_dict(data, f"{name}.toml")
    except SpecError as error:
        assert error.file == f"{name}.toml"
        return
    check_loaded(arch)
    diagram.to_dot(arch)


@FUZZ
@given(mutated(CONFIGS))
def test_mutated_configs_import_or_fail_cleanly(case: tuple[str, dict[str, Any]]) -> None:
    name, data = case
    try:
        spec, _ = spec_from_config(data, "config.json", name)
        arch = architecture_from_dict(spec, "config.json")
    except SpecError as error:
        assert error.file == "config.json"
        return
    check_loaded(arch)


@needs_dot
@settings(FUZZ, max_examples=25)
@given(mutated(SPECS))
def test_every_spec_that_loads_draws_a_clean_diagram(case: tuple[str, dict[str, Any]]) -> None:
    name, data = case
    try:
        arch = architecture_from_dict(data, f"{name}.toml")
    except SpecError:
        return
    assert problems(layout(arch)) == []


@needs_dot
@pytest.mark.parametrize("text", [text for text in HOSTILE if text.strip() and len(text) < 100 and text >= " "])
def test_hostile_names_are_drawn_as_text(text: str) -> None:
    data = copy.deepcopy(SPECS["qwen3-8b"]) | {"name": text, "organization": text}
    svg = render_bytes(diagram.to_dot(architecture_from_dict(data, "qwen3-8b.toml")), "svg").decode()
    assert "<script" not in svg and "<b>" not in svg


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("x" * 100_000, "is 100,000 characters long"),
        ("\x00", "contains the control character U[+]0000"),
        ("\u202eevil", "contains the control character U[+]202E"),
    ],
)
def test_names_that_cannot_be_drawn_are_refused(text: str, problem: str) -> None:
    data = copy.deepcopy(SPECS["qwen3-8b"]) | {"name": text}
    with pytest.raises(SpecError, match=rf"^qwen3-8b.toml: name: {problem}"):
        architecture_from_dict(data, "qwen3-8b.toml")
