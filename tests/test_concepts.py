"""The bundled glossary, which concepts each model uses, ``llm-concepts`` and ``:llm:concept:``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp
from sphinx.util.inventory import InventoryFile

from sphinx_llmarch.facts.concepts import concepts_of, find, glossary
from sphinx_llmarch.spec.registry import bundled_registry

from .conftest import needs_dot, project
from .test_compare import broken_links

REGISTRY = bundled_registry()


def test_glossary_is_complete_and_sourced() -> None:
    concepts = glossary()
    assert len(concepts) >= 40
    for concept in concepts.values():
        assert concept.reference.startswith("https://"), concept.id
        assert 2 <= concept.summary.count(". ") + 1 <= 8, concept.id
        assert set(concept.related) <= set(concepts), concept.id
    used = {key for arch in REGISTRY for key in concepts_of(arch)}
    assert used <= set(concepts)
    assert {"gqa", "mla", "moe", "rmsnorm", "swiglu", "rope", "mtp"} <= used


def test_concepts_are_found_by_id_alias_or_title() -> None:
    gqa = find("gqa")
    assert gqa is not None and find("Grouped-query attention") is gqa and find(gqa.title.upper()) is gqa
    assert find("no-such-idea") is None


@pytest.mark.parametrize(
    ("model_id", "present", "absent"),
    [
        ("gpt-2-xl", {"mha", "learned-positions", "layernorm", "gelu", "tied-embeddings"}, {"rope", "gqa"}),
        ("deepseek-v3", {"mla", "moe", "shared-expert", "dense-prefix", "mtp", "yarn"}, {"gqa", "qk-norm"}),
        ("qwen3-next-80b-a3b", {"gated-deltanet", "linear-attention", "gated-attention", "partial-rope"}, {"mla"}),
        ("llama-4-maverick", {"chunked-attention", "nope", "vision-encoder", "projector"}, {"dense-prefix"}),
        ("nemotron-3-nano-30b-a3b", {"mamba2", "squared-relu", "moe"}, {"dense-prefix", "rope"}),
        ("command-a", {"parallel-block", "sliding-window-attention"}, {"moe"}),
        ("glm-5", {"sparse-attention-dsa", "mla"}, set()),
        (
            "deepseek-v4-flash",
            {"mqa", "sliding-window-attention", "attention-sinks", "sparse-attention-dsa", "hyper-connections", "yarn"},
            {"mla", "dense-prefix", "gqa"},
        ),
        ("zaya1-8b", {"cca", "gqa", "partial-rope", "qk-norm", "moe", "mixture-of-depths"}, {"shared-expert", "mha"}),
    ],
)
def test_concepts_of_a_model_are_read_off_its_spec(model_id: str, present: set[str], absent: set[str]) -> None:
    found = set(concepts_of(REGISTRY.get(model_id)))
    assert present <= found and not absent & found


def test_glossary_page_roles_and_inventory(make_app: type[SphinxTestApp], rootdir: Path, tmp_path: Path) -> None:
    app = make_app("html", srcdir=project(rootdir, tmp_path, "concepts"), confoverrides={"llmarch_dot": "no-dot"})
    app.build()
    warnings = app.warning.getvalue()
    assert "Traceback" not in warnings
    assert re.search(r"glossary\.rst:\d+: WARNING: llm-concepts: unknown concept 'not-a-concept'", warnings)
    assert re.search(r"index\.rst:\d+: WARNING: llm:concept reference target not found: no-such-idea", warnings)
    out = Path(app.outdir)
    page = (out / "glossary.html").read_text(encoding="utf-8")
    assert 'id="llm-concept-gqa"' in page and 'id="llm-concept-rmsnorm"' in page
    assert 'id="llm-concept-rope"' not in page, ":sections: keeps the chosen sections only"
    assert 'id="llm-concept-swiglu"' in page and "arxiv.org/abs/2002.05202" in page
    assert re.search(r"Used by \d+ of the models: .*Qwen3 8B", page)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.count('href="glossary.html#llm-concept-gqa"') >= 3, "two roles and the fact sheet's Concepts row"
    assert ">the latent kind<" in index
    assert broken_links(out) == []
    with (out / "objects.inv").open("rb") as stream:
        inventory = InventoryFile.load(stream, "https://x/", lambda base, uri: base + uri)
    entries = inventory.data if hasattr(inventory, "data") else inventory
    assert "gqa" in entries["llm:concept"] and "qwen3-8b" in entries["llm:model"]


@needs_dot
@pytest.mark.parametrize(("builder", "renderer"), [("html", "graphviz"), ("singlehtml", "graphviz"), ("html", "svg")])
def test_diagram_panel_titles_link_to_the_glossary(
    make_app: type[SphinxTestApp], rootdir: Path, tmp_path: Path, builder: str, renderer: str
) -> None:
    app = make_app(builder, srcdir=project(rootdir, tmp_path, "concepts", llmarch_renderer=renderer))
    app.build()
    page = (Path(app.outdir) / "index.html").read_text(encoding="utf-8")
    target = "#llm-concept-swiglu" if builder == "singlehtml" else "glossary.html#llm-concept-swiglu"
    assert f'<a xlink:href="{target}" xlink:title="In the glossary"' in page, "the expert FFN panel's title"
    assert "llm-concept-moe" not in page.split("<svg")[1], "MoE is not in the glossary shown: no link"
    assert broken_links(Path(app.outdir)) == []


def test_the_whole_glossary_is_the_target_and_no_index_draws_one_without_anchors(
    make_app: type[SphinxTestApp], rootdir: Path, tmp_path: Path
) -> None:
    source = project(rootdir, tmp_path, "concepts", llmarch_dot="no-dot")
    (source / "whole.rst").write_text("Whole\n=====\n\n.. llm-concepts::\n")
    (source / "again.rst").write_text("Again\n=====\n\n.. llm-concepts::\n\n.. llm-concepts::\n   :no-index:\n")
    index = source / "index.rst"
    index.write_text(index.read_text().replace("   glossary\n", "   glossary\n   whole\n   again\n"))
    app = make_app("html", srcdir=source)
    app.build()
    warnings = app.warning.getvalue()
    twice = r"(\w+)\.rst:(\d+): WARNING: the whole llm-concepts glossary is shown .* in (\w+) \(line (\d+)\)"
    found = re.findall(twice, warnings)
    assert found == [("whole", "4", "again", "4")] or found == [("again", "4", "whole", "4")], "both places named, once"
    out = Path(app.outdir)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="again.html#llm-concept-gqa"' in index, "the first whole glossary by page name, not the part"
    again = (out / "again.html").read_text(encoding="utf-8")
    ids = re.findall(r'\sid="([^"]+)"', again)
    assert len(ids) == len(set(ids)) and again.count("Grouped-query attention") >= 2, "drawn twice, anchored once"
    assert 'id="llm-concept-gqa"' in (out / "glossary.html").read_text(encoding="utf-8"), "a part keeps its anchors"
    assert broken_links(out) == []
    single = make_app("singlehtml", srcdir=source)
    single.build()
    ids = re.findall(r'\sid="([^"]+)"', (Path(single.outdir) / "index.html").read_text(encoding="utf-8"))
    assert len(ids) == len(set(ids)), "three glossaries in one page, no id twice"
