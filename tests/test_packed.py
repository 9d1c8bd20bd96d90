"""Tables and grids are stored packed (one node each) and written exactly as before."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from docutils import nodes
from sphinx.testing.util import SphinxTestApp

from sphinx_llmarch.facts.compare import compare, comparison_table
from sphinx_llmarch.facts.links import llmarch_links
from sphinx_llmarch.facts.tables import fact_rows, fact_sheet
from sphinx_llmarch.spec.registry import bundled_registry
from sphinx_llmarch.sphinxext.packed import _node, llmarch_packed, pack

from .conftest import project

MakeApp = Callable[..., SphinxTestApp]

REGISTRY = bundled_registry()


def _round_trip(node: nodes.Element) -> None:
    packed = pack(node)
    assert isinstance(packed, llmarch_packed) and not packed.children
    assert _node(packed["tree"]).pformat() == node.pformat()


def test_a_fact_sheet_with_links_and_references_round_trips() -> None:
    arch = REGISTRY.get("deepseek-v3")
    _round_trip(fact_sheet(fact_rows(arch, models=REGISTRY), "prefix"))


def test_a_comparison_with_links_to_its_models_round_trips() -> None:
    table = comparison_table(compare([REGISTRY.get("qwen3-8b"), REGISTRY.get("llama-3-8b")]))
    assert len(list(table.findall(llmarch_links))) == 2, "each model's column header links its page"
    _round_trip(table)


def test_a_table_holding_something_sphinx_collects_stays_a_table() -> None:
    table = fact_sheet([("Picture", nodes.paragraph("", "", nodes.image(uri="x.png")))])
    assert pack(table) is table


def _stored_elements(app: SphinxTestApp, docname: str) -> list[nodes.Element]:
    return list(app.env.get_doctree(docname).findall(nodes.Element))


def test_stored_doctrees_hold_packed_tables_and_pages_the_real_ones(
    make_app: MakeApp, rootdir: Path, tmp_path: Path
) -> None:
    app = make_app("html", srcdir=project(rootdir, tmp_path, "robustness"))  # a copy: other tests count warnings
    app.build()
    stored = _stored_elements(app, "index")
    tables = [node for node in stored if isinstance(node, nodes.table)]
    assert [table["ids"] for table in tables] == [["tab-qwen3"]], "only the numbered fact sheet stays a table"
    assert sum(isinstance(node, llmarch_packed) for node in stored) == 2
    numbered = len(list(tables[0].findall(nodes.Element)))
    assert numbered > 100 and len(stored) - numbered < 40, "a packed fact sheet costs one element, not ~150"
    page = (Path(app.outdir) / "index.html").read_text()
    assert page.count('class="llmarch-facts') == 3
    assert re.search(r'<td id="llmarch-index-clash-\d+-model"><p><strong>Model</strong>', page)


def test_other_builders_get_the_unpacked_tables(make_app: MakeApp, rootdir: Path, tmp_path: Path) -> None:
    app = make_app("text", srcdir=project(rootdir, tmp_path, "compare"))
    app.build()
    text = (Path(app.outdir) / "index.txt").read_text()
    assert "Qwen3 30B-A3B" in text and "+----" in text and "llmarch_packed" not in text
