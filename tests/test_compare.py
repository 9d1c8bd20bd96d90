"""Comparisons (``llm-arch-compare``, ``:compare:``) and the ``llm`` domain: roles,
canonical places, the model index, objects.inv and intersphinx."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp
from sphinx.util.inventory import InventoryFile

from sphinx_llmarch.draw import diagram
from sphinx_llmarch.draw.style import DIFFERS
from sphinx_llmarch.facts.compare import ROWS, compare, rows_option, summary
from sphinx_llmarch.spec.registry import bundled_registry

from .conftest import needs_dot, project

REGISTRY = bundled_registry()


def test_cells_are_computed_and_differences_found() -> None:
    comparison = compare([REGISTRY.get("qwen3-30b-a3b"), REGISTRY.get("gpt-oss-20b")])
    assert comparison.cells["layers"] == ("48", "24")
    assert comparison.cells["hidden_size"] == ("2,048", "2,880")
    assert comparison.cells["heads"] == ("32 / 4 / 128", "64 / 8 / 64")
    assert comparison.cells["experts"] == ("128 / 8 / 0 (each 768 wide)", "32 / 4 / 0 (each 2,880 wide)")
    assert comparison.cells["kv_cache"] == ("96 KiB per token", "48 KiB per token")
    assert comparison.context == 32_768  # the shorter of the two context lengths
    assert comparison.differs("layers") and not comparison.differs("license")
    assert {"Attention", "Mixture of experts", "Layers"} <= comparison.marked_slots(1)
    assert "Normalization" not in comparison.marked_slots(1)  # both pre-norm RMSNorm


def test_dense_models_leave_out_the_moe_rows_unless_asked() -> None:
    dense = [REGISTRY.get("qwen3-8b"), REGISTRY.get("olmo-2-7b")]
    assert "experts" not in compare(dense).keys
    assert compare(dense, ["experts"]).cells["experts"] == ("—", "—")
    olmo = compare(dense, ["norm", "qk_norm"])
    assert olmo.cells["qk_norm"] == ("per head", "across heads")
    assert olmo.cells["norm"][1].startswith("RMSNorm, post-norm")


def test_summary_says_the_main_differences_in_words() -> None:
    comparison = compare([REGISTRY.get("qwen3-30b-a3b"), REGISTRY.get("gpt-oss-20b")])
    (paragraph,) = summary(comparison)
    assert paragraph.astext() == (
        "Qwen3 30B-A3B is twice as deep (48 vs 24 blocks) and narrower (2,048 vs 2,880) than gpt-oss-20b; "
        "it holds 30.5B parameters against 20.9B (3.35B vs 4.19B active per token); it mixes tokens with "
        "grouped-query attention (the other: grouped-query attention, sliding 128 on 12 of 24 layers); "
        "it picks 8 of 128 experts per token, the other 4 of 32; it caches 96 KiB per token against 48 KiB."
    )
    dense = summary(compare([REGISTRY.get("qwen3-8b"), REGISTRY.get("olmo-2-7b")]))[0].astext()
    assert "multi-head attention" in dense and "post-norm" in dense


def test_windows_compressed_attention_and_long_contexts_are_in_the_cells() -> None:
    models = [REGISTRY.get(name) for name in ("gpt-oss-20b", "llama-4-maverick", "deepseek-v4-flash", "qwen3-8b")]
    comparison = compare(models, context=2_000_000)
    assert comparison.cells["attention"] == (
        "Grouped-query attention, sliding 128 on 12 of 24 layers",
        "Grouped-query attention, chunked 8,192 on 36 of 48 layers",
        "Compressed latent attention, sliding 128 on all 43 layers, pooled ×4 on 21 of 43 layers, "
        "pooled ×128 on 20 of 43 layers",
        "Grouped-query attention",
    )
    assert comparison.cells["heads"][2] == "64 / 1 latent / 512"
    assert comparison.cells["positions"][2] == (
        "RoPE, base 10,000 on window-only layers; RoPE, base 160,000; yarn x16 (factor 16, original 65536, "
        "beta_fast 32, beta_slow 1) on compressed layers"
    )
    at_context = comparison.cells["kv_cache_at_context"]
    assert at_context[3] == "275 GiB, beyond the model's context length of 32,768 tokens"  # as fact sheets say
    assert "beyond" not in compare(models[2:3] * 2, ["kv_cache_at_context"]).cells["kv_cache_at_context"][0]


def test_rows_option_names_the_rows_it_knows() -> None:
    assert rows_option("layers, kv_cache") == ("layers", "kv_cache")
    with pytest.raises(ValueError, match="'depth' is not one of: params"):
        rows_option("layers depth")
    assert set(ROWS) >= {"params", "active", "layers", "hidden_size", "attention", "norm", "kv_cache", "license"}


def test_differing_boxes_are_outlined_on_the_diagram() -> None:
    arch = REGISTRY.get("olmo-2-7b")
    marked = diagram.build_canvas(arch, marked={"Normalization"})
    plain = diagram.build_canvas(arch)
    outlined = {name for name, node in marked.nodes.items() if node.attrs.get("color") == DIFFERS}
    norms = {name for name in plain.nodes if name.endswith(("prenorm", "postnorm")) or name == "final_norm"}
    assert outlined == norms  # the QK-Norm side box belongs to the attention row
    assert all("lm-differs" in marked.nodes[name].attrs["class"] for name in outlined)


class _Anchors(HTMLParser):
    """Every id and every same-site href of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"] or "")
        href = values.get("href") or values.get("xlink:href") or ""
        if href and not href.startswith(("http:", "https:", "mailto:", "javascript:")):
            self.hrefs.append(href)


def broken_links(outdir: Path) -> list[str]:
    """The extension's links (to ``llm-model-*`` and ``llmarch-*`` anchors) in the written
    html whose page or anchor does not exist."""
    pages: dict[Path, _Anchors] = {}
    for path in outdir.rglob("*.html"):
        parser = _Anchors()
        parser.feed(path.read_text(encoding="utf-8"))
        pages[path.resolve()] = parser
    broken = []
    for path, parser in pages.items():
        for href in parser.hrefs:
            target, _, anchor = href.partition("#")
            if not anchor.startswith("llm"):
                continue
            page = (path.parent / target).resolve() if target else path
            if page.is_dir():
                page = page / "index.html"
            if page not in pages or (anchor and anchor not in pages[page].ids):
                broken.append(f"{path.name}: {href}")
    return broken


@needs_dot
@pytest.mark.parametrize("builder", ["html", "dirhtml", "singlehtml"])
def test_comparison_pages_link_right_under_every_html_builder(
    make_app: type[SphinxTestApp], rootdir: Path, tmp_path: Path, builder: str
) -> None:
    app = make_app(builder, srcdir=project(rootdir, tmp_path, "compare"))
    app.build()
    warnings = app.warning.getvalue()
    assert "Traceback" not in warnings
    assert re.search(r"models\.rst:\d+: WARNING: 'gpt-oss-20b' is shown with an index entry in models", warnings)
    assert re.search(r"index\.rst:\d+: WARNING: llm:model reference target not found: no-such-model", warnings)
    assert len(re.findall("WARNING", warnings)) == 2
    assert broken_links(Path(app.outdir)) == []


@needs_dot
def test_comparison_html(make_app: type[SphinxTestApp], rootdir: Path, tmp_path: Path) -> None:
    app = make_app("html", srcdir=project(rootdir, tmp_path, "compare"))
    app.build()
    out = Path(app.outdir)
    index = (out / "index.html").read_text(encoding="utf-8")
    # header cells and roles link to the models' canonical places, with display names
    assert re.search(
        r'<a class="reference internal" href="models\.html#llm-model-qwen3-30b-a3b"[^>]*>'
        r'<span class="xref llm llm-model">Qwen3 30B-A3B</span>',
        index,
    )
    assert ">the small MoE<" in index
    assert '<td class="llmarch-differs"><p><strong>48</strong></p></td>' in index
    assert "twice as deep (48 vs 24 blocks)" in index
    assert index.count('<svg class="llmarch-svg"') == 2 and "lm&#45;differs" in index
    assert "Depth against width" in index and 'id="depth-width"' in index
    # only differences: every kept row differs, and the summary was asked away
    third = index.split("Multi-head attention")[0].rsplit("<table", 1)[1]
    assert "Layers" in third and "License" not in third
    models = (out / "models.html").read_text(encoding="utf-8")
    assert 'id="llm-model-qwen3-30b-a3b"' in models and "Qwen3 8B" in models  # :compare: table
    index_page = (out / "llm-modelindex.html").read_text(encoding="utf-8")
    assert "Qwen3 30B-A3B" in index_page and "Alibaba Cloud (Qwen team)" in index_page
    assert "Qwen3 30B-A3B (LLM architecture)" in (out / "genindex.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("builder", ["latex", "text", "man"])
def test_comparison_in_latex_text_and_man(
    make_app: type[SphinxTestApp], rootdir: Path, tmp_path: Path, builder: str
) -> None:
    app = make_app(builder, srcdir=project(rootdir, tmp_path, "compare"), confoverrides={"llmarch_dot": "no-dot"})
    app.build()
    outputs = [path for path in Path(app.outdir).iterdir() if path.suffix in (".tex", ".txt", ".1")]
    output = "".join(path.read_text(encoding="utf-8") for path in outputs)
    assert "Traceback" not in app.warning.getvalue()
    assert "twice as deep (48 vs 24 blocks)" in output
    assert "Heads / KV" in output and "Qwen3 30B" in output
    # a comparison in a list-table cell: text and man cannot nest tables, so it is a list there
    if builder != "latex":
        assert re.search(r"Layers\S*: \S*36\S*[\s|]+\S*32", output)


def test_objects_inventory_and_intersphinx(make_app: type[SphinxTestApp], rootdir: Path, tmp_path: Path) -> None:
    gallery = make_app(
        "html", srcdir=project(rootdir, tmp_path / "a", "compare"), confoverrides={"llmarch_default_show": "facts"}
    )
    gallery.build()
    inventory_path = Path(gallery.outdir) / "objects.inv"
    with inventory_path.open("rb") as stream:
        inventory = InventoryFile.load(stream, "https://gallery.example/", lambda base, uri: base + uri)
    entries = inventory.data if hasattr(inventory, "data") else inventory  # Sphinx 8.2+ / older
    assert "qwen3-30b-a3b" in entries["llm:model"]
    # a second project links into the first through intersphinx
    other = tmp_path / "b"
    other.mkdir()
    (other / "conf.py").write_text(
        "extensions = ['sphinx.ext.intersphinx', 'sphinx_llmarch']\n"
        f"intersphinx_mapping = {{'gallery': ('https://gallery.example/', {str(inventory_path)!r})}}\n"
    )
    (other / "index.rst").write_text("Other\n=====\n\nRead :llm:model:`qwen3-30b-a3b`.\n")
    app = make_app("html", srcdir=other)
    app.build()
    page = (Path(app.outdir) / "index.html").read_text(encoding="utf-8")
    assert 'href="https://gallery.example/models.html#llm-model-qwen3-30b-a3b"' in page


def test_fact_sheets_name_related_models() -> None:
    from sphinx_llmarch.facts.tables import related_models, template

    assert template(REGISTRY.get("deepseek-v3")) == "MLA + MoE with a shared expert"
    assert template(REGISTRY.get("qwen3-next-80b-a3b")) == "Gated DeltaNet + GQA + MoE with a shared expert"
    text = related_models(REGISTRY.get("vicuna-7b"), REGISTRY).astext()  # type: ignore[union-attr]
    assert text.startswith("based on: Llama 2 7B; same family: Vicuna 13B; same recipe (MHA + dense FFN): ")
    base = related_models(REGISTRY.get("deepseek-v3"), REGISTRY).astext()  # type: ignore[union-attr]
    assert "built on it: DeepSeek R1, DeepSeek V3.2" in base and "GLM-5" in base
