"""The benchmark's baseline project must stay valid reST as specs gain new words."""

from __future__ import annotations

import importlib.util
import re
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest
from docutils import nodes
from docutils.core import publish_doctree

from sphinx_llmarch.spec.registry import bundled_registry

#: Problems kept in the tree (from "warning" up) rather than printed or raised.
QUIET = {"report_level": 2, "halt_level": 5, "warning_stream": False}


@cache
def _benchmark() -> ModuleType:
    """The benchmark script as a module (registered first: its dataclasses look it up)."""
    path = Path(__file__).parent.parent / "benchmarks" / "benchmark.py"
    spec = importlib.util.spec_from_file_location("llmarch_benchmark", path)
    assert spec and spec.loader
    module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("text", ["a note on the vt_* keys", "a|b `c` d*e \\ f_"])
def test_plain_text_reads_literally(text: str) -> None:
    tree = publish_doctree(_benchmark()._plain(text), settings_overrides=QUIET)
    assert tree.astext() == text


def test_every_fact_sheet_is_valid_rest_in_the_baseline() -> None:
    """A fact sheet that names ``vt_*`` keys once made the baseline build fail."""
    benchmark = _benchmark()
    source = "".join(benchmark._baseline_block(arch, {"show": "facts"}) for arch in bundled_registry())
    tree = publish_doctree(source, settings_overrides=QUIET)
    # a dangling reference leaves a <problematic> node where the text was
    problems = [node.astext() for node in tree.findall(nodes.problematic)]
    problems += [m.astext() for m in tree.findall(nodes.system_message) if m["level"] >= 2]
    assert problems == []


def test_every_directive_of_the_site_has_a_baseline_twin() -> None:
    """The baseline writes each of the extension's directives by hand; one it does not
    know (a new directive on a docs page) would stop the benchmark's baseline build."""
    benchmark = _benchmark()
    models = {arch.id: arch for arch in bundled_registry()}
    docs = Path(__file__).parent.parent / "docs"
    for page in docs.glob("*.rst"):
        baseline = benchmark._to_baseline(page.read_text(encoding="utf-8"), models)
        assert not re.search(r"^\.\. llm-", baseline, re.M), page.name  # examples in code blocks are indented
