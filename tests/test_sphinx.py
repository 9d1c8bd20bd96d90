"""Sphinx builds of the test roots: html, dirhtml, latex, text, MyST, bad input, -j, rebuilds."""

from __future__ import annotations

import os
import re
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import pytest
from sphinx.testing.util import SphinxTestApp

from sphinx_llmarch.draw import render
from sphinx_llmarch.draw.style import PALETTE
from sphinx_llmarch.sphinxext.runtime import STATIC_DIR

from .conftest import needs_dot, project

pytestmark = needs_dot
MakeApp = Callable[..., SphinxTestApp]


def html(app: SphinxTestApp, page: str = "index") -> str:
    return (Path(app.outdir) / f"{page}.html").read_text(encoding="utf-8")


@pytest.mark.sphinx("html", testroot="basic")
def test_html_inlines_themeable_svg_and_fact_sheet(app: SphinxTestApp) -> None:
    app.build()
    assert app.warning.getvalue() == ""
    page = html(app)
    assert page.count('<svg class="llmarch-svg" role="img"') == 2
    assert 'aria-label="Qwen3 8B: a dense decoder with 36 layers of grouped-query attention' in page
    assert 'aria-label="Custom alt text for DeepSeek V3"' in page
    assert "Qwen3 8B, the dense reference stack" in page
    assert re.search(r"Fig\. 1</span>", page), "numref to the :name: of the figure"
    assert 'id="fig-qwen3"' in page
    assert "extra-class" in page and 'style="width: 80%"' in page and "llmarch-align-left" in page
    assert 'class="align-left' not in page, "no theme float: the diagram keeps its width"
    assert 'id="node' not in page and "<?xml" not in page, "ids and prologue stripped"
    assert "Parameters (text stack)" in page and "8.19B (8,190,735,360)" in page
    assert "1.56B (1,557,611,200)" in page, "gpt2-xl alias shows GPT-2 XL's facts"
    assert "_static/llmarch.css" in page and (Path(app.outdir) / "_static" / "llmarch.css").is_file()
    # the zoom script ships, and loads on pages with a diagram only
    assert 'src="_static/llmarch.js' in page and (Path(app.outdir) / "_static" / "llmarch.js").is_file()
    assert "llmarch.js" not in (Path(app.outdir) / "genindex.html").read_text(encoding="utf-8")
    assert "llmarch-sized" in page, "an explicit :width: scales the diagram instead of natural size"
    assert "<svg" in html(app, "second") and "Gemma 3 27B" in html(app, "second")
    # diagram nodes link to their fact-sheet rows on the same page
    assert 'xlink:href="#llmarch-index-qwen3-8b-0-attention" xlink:title="Attention in the fact sheet"' in page
    assert 'id="llmarch-index-qwen3-8b-0-attention"' in page
    assert 'xlink:href="https://huggingface.co/Qwen/Qwen3-8B"' in page


@pytest.mark.sphinx("html", testroot="basic")
def test_unchanged_rebuild_renders_nothing(app: SphinxTestApp, monkeypatch: pytest.MonkeyPatch) -> None:
    app.build()
    images = sorted((Path(app.outdir) / "_images").glob("llmarch-*.svg"))
    assert len(images) == 3
    calls: list[str] = []
    original = render.render_bytes
    monkeypatch.setattr(render, "render_bytes", lambda *a, **k: calls.append(a[1]) or original(*a, **k))
    app.build(force_all=True)
    assert calls == []
    assert sorted((Path(app.outdir) / "_images").glob("llmarch-*.svg")) == images


@pytest.mark.sphinx("html", testroot="basic", confoverrides={"llmarch_html_format": "png"})
def test_png_on_request(app: SphinxTestApp) -> None:
    app.build()
    assert re.search(r'<img src="_images/llmarch-[0-9a-f]{40}\.png" alt="Qwen3 8B: ', html(app))


@pytest.mark.sphinx("dirhtml", testroot="basic")
def test_dirhtml(app) -> None:
    app.build()
    assert app.warning.getvalue() == ""
    page = (Path(app.outdir) / "second" / "index.html").read_text()
    assert '<svg class="llmarch-svg"' in page
    anchors = set(re.findall(r'xlink:href="#([^"]+)"', page))
    assert anchors and all(f'id="{anchor}"' in page for anchor in anchors), "every in-diagram link resolves"


@pytest.mark.sphinx("latex", testroot="basic")
def test_latex_includes_pdf(app: SphinxTestApp) -> None:
    app.build()
    tex = next(Path(app.outdir).glob("*.tex")).read_text(encoding="utf-8")
    names = re.findall(r"\\sphinxincludegraphics\[[^]]*\]\{\{(llmarch-[0-9a-f]{40})\}\.pdf\}", tex)
    assert len(names) == 3
    assert all((Path(app.outdir) / f"{name}.pdf").read_bytes().startswith(b"%PDF") for name in names)
    assert "Qwen3 8B, the dense reference stack" in tex
    assert not (Path(app.outdir) / "_static" / "llmarch.css").exists()


@pytest.mark.sphinx("text", testroot="basic")
def test_text_summary(app: SphinxTestApp) -> None:
    app.build()
    text = (Path(app.outdir) / "index.txt").read_text(encoding="utf-8")
    assert "[diagram: Qwen3 8B: a dense decoder with 36 layers" in text
    assert "KV cache (bf16)" in text and "147,456 bytes per token" in text


@pytest.mark.sphinx("html", testroot="myst")
def test_myst_directive(app: SphinxTestApp) -> None:
    app.build()
    assert app.warning.getvalue() == ""
    page = html(app)
    assert '<svg class="llmarch-svg"' in page and "Fig. 1" in page and "Active per token" in page


@pytest.mark.sphinx("html", testroot="bad-input")
def test_bad_input_warns_with_location_and_the_rest_builds(app: SphinxTestApp) -> None:
    app.build()
    warnings = app.warning.getvalue()
    assert "Traceback" not in warnings
    assert re.search(r"index\.rst:4: WARNING: unknown model id 'qwen3-8bb' \(did you mean qwen3-8b", warnings)
    assert re.search(r"index\.rst:6: WARNING: cannot load spec specs/broken-toml\.toml: invalid TOML", warnings)
    assert re.search(
        r"index\.rst:8: WARNING: cannot load spec specs/missing-field\.toml: text\.hidden_size: "
        r"missing required value",
        warnings,
    )
    assert re.search(
        r"index\.rst:10: WARNING: cannot load spec specs/bad-value\.toml: attention\."
        r"num_key_value_heads: 3 does not divide num_attention_heads 4",
        warnings,
    )
    # every problem of a spec, each on its own line, at the directive and in the build's report
    assert re.search(r"index\.rst:10: WARNING: cannot load spec specs/bad-value\.toml: ffn\.kind: 'swiglo'", warnings)
    reported = r"WARNING: specs/bad-value\.toml: (attention\.num_key_value_heads|ffn\.kind):"
    assert len(re.findall(reported, warnings)) == 2
    assert "[llmarch.unknown_model]" in warnings and "[llmarch.spec]" in warnings
    for value in ("'0'", "'-5px'"):  # a width that draws nothing is refused at the directive
        assert f"{value} is not a positive length; give one such as 600px, 80% or 12em" in warnings
    assert len(re.findall(r'index\.rst:\d+: ERROR: Error in "llm-arch" directive', warnings)) == 2
    page = html(app)
    assert page.count('class="admonition error"') == 4
    assert "Parameters (text stack)" in page, "the good directive on the same page still renders"
    assert '<svg class="llmarch-svg"' in html(app, "fine")


@pytest.mark.sphinx("html", testroot="bad-input", confoverrides={"suppress_warnings": ["llmarch.unknown_model"]})
def test_warnings_can_be_suppressed(app: SphinxTestApp) -> None:
    app.build()
    assert "unknown model id" not in app.warning.getvalue()
    assert "cannot load spec" in app.warning.getvalue()


@pytest.mark.sphinx("html", testroot="basic", confoverrides={"llmarch_dot": "/nonexistent/dot"})
def test_missing_dot_warns_once_and_keeps_the_fact_sheet(app: SphinxTestApp) -> None:
    app.build()
    warnings = app.warning.getvalue()
    assert warnings.count("[llmarch.dot]") == 1
    assert "'/nonexistent/dot' was not found; install Graphviz" in warnings and "apt-get install graphviz" in warnings
    assert "Traceback" not in warnings
    page = html(app)
    assert '<p class="llmarch-summary">[diagram: Qwen3 8B: a dense decoder' in page
    assert "Parameters (text stack)" in page
    assert {"index", "second"} <= app.env.reread_always, "pages come back once Graphviz is installed"


@pytest.mark.sphinx("html", testroot="basic", confoverrides={"llmarch_html_format": "gif"})
def test_bad_config_value_falls_back(app: SphinxTestApp) -> None:
    app.build()
    assert "llmarch_html_format: 'gif' is not 'svg' or 'png'; using the default 'svg'" in app.warning.getvalue()
    assert '<svg class="llmarch-svg"' in html(app)


@pytest.mark.sphinx("html", testroot="user-spec")
def test_user_specs_and_dependencies(app: SphinxTestApp) -> None:
    app.build()
    assert app.warning.getvalue() == ""
    page = html(app)
    assert "Toy LM" in page and '<svg class="llmarch-svg"' in page
    deps = {Path(p).name for p in app.env.dependencies["index"]}
    assert {"toy-lm.toml", "local-model.toml", "llama-3-8b.toml"} <= deps
    assert "Llama 3 8B (local copy)" in page, "a user spec overrides the bundled one"
    assert app.status.getvalue().count("specs/llama-3-8b.toml overrides the bundled spec 'llama-3-8b'") == 1


@pytest.mark.sphinx("html", testroot="user-spec")
def test_editing_a_user_spec_rebuilds_its_page(app: SphinxTestApp, make_app: MakeApp) -> None:
    app.build()
    spec = Path(app.srcdir) / "specs" / "toy-lm.toml"
    later = time.time() + 10
    os.utime(spec, (later, later))
    again = make_app("html", srcdir=app.srcdir)
    again.build()
    # the page showing toy-lm, and the page showing toy-lm-chat, which extends it
    assert "0 added, 2 changed, 0 removed" in again.status.getvalue()
    assert "Toy LM Chat" in html(again, "chat") and "1,200" in html(again, "chat")


@pytest.mark.sphinx("html", testroot="parallel")
def test_parallel_build_matches_serial(app: SphinxTestApp, make_app: MakeApp, tmp_path: Path) -> None:
    app.build()
    parallel = make_app("html", srcdir=app.srcdir, builddir=tmp_path / "parallel", parallel=4)
    parallel.build()
    assert "[llmarch." not in parallel.warning.getvalue()
    # 9 model pages and the 3 diagrams of the comparison on views.rst; merged, so none pruned
    assert len(list((Path(parallel.outdir) / "_images").glob("llmarch-*.svg"))) == 12
    # the model your-model.rst loads from its config.json is known to the pages read before it
    assert "unknown model" not in app.warning.getvalue()
    views = (Path(app.outdir) / "views.html").read_text()
    link = '<a class="reference internal" href="your-model.html#llm-model-your-tiny"'
    for place in ('"llmarch-card-thumb">', '"llmarch-card-name">', "<td><p>", '<th class="head"><p>'):
        assert place + link in views  # grid card (with its thumbnail), table row, comparison column
    assert "<strong>4 / 2 / 64</strong>" in views and link in (Path(app.outdir) / "qwen3-8b.html").read_text()
    assert any(Path(dep).name == "config.json" for dep in app.env.dependencies["views"])
    for page in sorted(Path(app.outdir).glob("*.html")):
        if page.name in ("genindex.html", "search.html"):
            continue
        twin = Path(parallel.outdir) / page.name
        assert twin.read_text() == page.read_text(), page.name


@pytest.mark.sphinx("html", testroot="basic", confoverrides={"llmarch_dot": "false"}, freshenv=True)
def test_failing_dot_warns_per_diagram_with_location(app: SphinxTestApp) -> None:
    app.build()
    warnings = app.warning.getvalue()
    assert re.search(r"index\.rst:\d+: WARNING: cannot draw 'qwen3-8b': Graphviz failed: exit status 1", warnings)
    assert warnings.count("[llmarch.render]") == 3 and "Traceback" not in warnings
    assert "Parameters (text stack)" in html(app)


@pytest.mark.sphinx("epub", testroot="basic")
def test_epub_pages_are_well_formed_xhtml(app: SphinxTestApp) -> None:
    app.build()
    page = (Path(app.outdir) / "index.xhtml").read_text(encoding="utf-8")
    ElementTree.fromstring(page)  # raises on an undeclared prefix such as xlink:
    assert "<svg" in page
    # EPUB 3 requires pages with inline SVG to say so in the manifest, in the book itself too
    book = next(Path(app.outdir).glob("*.epub"))
    with zipfile.ZipFile(book) as epub:
        assert epub.namelist()[0] == "mimetype" and epub.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
        opf = epub.read("content.opf").decode()
    assert re.search(r'<item [^>]*href="index\.xhtml"[^>]*properties="svg"', opf)
    assert not re.search(r'<item [^>]*href="genindex\.xhtml"[^>]*properties="svg"', opf)


@pytest.mark.parametrize("builder", ["man", "texinfo", "singlehtml"])
def test_other_builders(builder: str, make_app: MakeApp, rootdir: Path, tmp_path: Path) -> None:
    app = make_app(builder, srcdir=rootdir / "test-basic", builddir=tmp_path)
    app.build()
    assert "[llmarch." not in app.warning.getvalue()
    output = "\n".join(
        p.read_text(encoding="utf-8") for p in Path(app.outdir).rglob("*.*") if p.suffix in {".1", ".texi", ".html"}
    )
    expected = "<svg" if builder == "singlehtml" else "[diagram: Qwen3 8B: a dense decoder"
    assert expected in output


@pytest.mark.sphinx("latex", testroot="basic", confoverrides={"llmarch_dot": "/nonexistent/dot"}, freshenv=True)
def test_latex_without_dot_prints_the_summary(app: SphinxTestApp) -> None:
    app.build()
    tex = next(Path(app.outdir).glob("*.tex")).read_text(encoding="utf-8")
    assert "{[}diagram: Qwen3 8B: a dense decoder" in tex and "sphinxincludegraphics" not in tex
    assert app.warning.getvalue().count("[llmarch.dot]") == 1


def test_css_reaches_shapes_inside_links() -> None:
    """Linked nodes wrap their shape in <a>, so node rules must not use child selectors."""
    css = (STATIC_DIR / "llmarch.css").read_text()
    assert re.search(r"\.lm-box path", css)
    assert not re.search(r"\.lm-(box|op|ffn|mixer|rule|conv|junction) >", css)


def _contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("name", sorted(PALETTE))
def test_dark_pages_swap_each_accent_for_a_readable_twin(name: str) -> None:
    """Callout numbers and titles keep their family's hue on dark pages, lighter."""
    colour = PALETTE[name]
    css = (STATIC_DIR / "llmarch.css").read_text()
    assert f'text[fill="{colour.accent}"] {{ fill: var(--llmarch-accent-{name}, {colour.accent}); }}' in css
    # the explicit dark theme and the "auto" theme under a dark OS setting
    assert css.count(f"--llmarch-accent-{name}: {colour.dark};") == 2
    # readable on furo's and pydata's dark pages, and on the dark panel fill
    assert min(_contrast(colour.dark, page) for page in ("#131416", "#14181e", "#1b1d20")) >= 4.5


@pytest.mark.sphinx("html", testroot="basic")
def test_stale_renders_are_pruned(app: SphinxTestApp) -> None:
    app.build()
    images = Path(app.outdir) / "_images"
    used = sorted(images.glob("llmarch-*.svg"))
    stale = images / f"llmarch-{'0' * 40}.svg"
    stale.write_text("<svg/>")
    unrelated = images / "other.png"
    unrelated.write_bytes(b"not ours")
    app.build()  # nothing changed: no page is rewritten, the stale render still goes
    assert not stale.exists() and unrelated.exists()
    assert sorted(images.glob("llmarch-*.svg")) == used


@pytest.mark.sphinx("html", testroot="hf-config")
def test_config_option_imports_a_hugging_face_config(app: SphinxTestApp) -> None:
    app.build()
    warnings = app.warning.getvalue()
    page = html(app)
    assert "LFM2-1.2B" not in warnings and "1.17B (1,170,340,608)" in page, "the folder names the model"
    read_as = r"index\.rst:\d+: WARNING: models/mystery/config\.json: model_type 'mystery' is not known: read as"
    assert re.search(read_as, warnings) and "keys not read: wobble_factor [llmarch.import]" in warnings
    refused = r"index\.rst:\d+: WARNING: .*models/mystery/config\.json: model_type: 'mystery' is not a model type the"
    assert re.search(refused, warnings) and page.count("refused-mystery") == 0
    assert "give a model id, a spec .toml or the :config: option" in warnings
    deps = {Path(p).name for p in app.env.dependencies["index"]}
    assert deps == {"config.json"}


@pytest.mark.sphinx("html", testroot="hf-config", freshenv=True)
def test_paths_with_spaces_and_an_import_shadowing_a_bundled_id(app: SphinxTestApp) -> None:
    app.build()
    warnings = app.warning.getvalue()
    assert "Traceback" not in warnings and "argument(s) allowed" not in warnings
    shadow = r"spaces\.rst:\d+: WARNING: path with space/config\.json gives the model id 'qwen3-8b', which qwen3"
    assert len(re.findall(shadow, warnings)) == 1
    page = html(app, "spaces")
    assert "1.17B (1,170,340,608)" in page and "Toy LM" in page
    assert 'href="#llmarch-spaces-qwen3-8b' not in page
    assert "my specs/toy-lm.toml" in {str(Path(p).relative_to(app.srcdir)) for p in app.env.dependencies["spaces"]}


@pytest.mark.sphinx("html", testroot="basic", confoverrides={"llmarch_html_format": "png"})
def test_png_names_survive_a_dot_setting_that_rebuilds_nothing(app: SphinxTestApp, make_app: MakeApp) -> None:
    app.build()
    shown = set(re.findall(r'src="_images/(llmarch-[0-9a-f]+\.png)"', html(app)))
    again = make_app("html", srcdir=app.srcdir, confoverrides={"llmarch_html_format": "png", "llmarch_dot": "dot "})
    again.build()
    images = {p.name for p in (Path(again.outdir) / "_images").glob("llmarch-*.png")}
    assert shown and shown <= images, "unchanged pages keep the images they show"


def test_a_model_shown_only_in_latex_is_not_the_html_target(make_app: MakeApp, rootdir: Path, tmp_path: Path) -> None:
    source = project(rootdir, tmp_path, "concepts", llmarch_dot="no-dot")
    shown = "\n\n.. only:: {}\n\n   .. llm-arch:: smollm3-3b\n      :show: facts\n"
    (source / "a-print.rst").write_text("Print\n=====" + shown.format("latex"))
    (source / "b-web.rst").write_text("Web\n===" + shown.format("html"))
    (source / "c-links.rst").write_text("Links\n=====\n\nSee :llm:model:`smollm3-3b`.\n" + shown.format("latex"))
    (source / "index.rst").write_text(
        (source / "index.rst").read_text().replace("   glossary\n", "   glossary\n   a-print\n   b-web\n   c-links\n")
    )
    app = make_app("html", srcdir=source)
    app.build()
    duplicates = re.findall(
        r"([\w-]+)\.rst:\d+: WARNING: 'smollm3-3b' is shown with an index entry in ([\w-]+) ", app.warning.getvalue()
    )
    assert duplicates == [("c-links", "a-print")], "one place per builder is no duplicate; two for latex are"
    assert 'href="b-web.html#llm-model-smollm3-3b"' in html(app, "c-links")
    domain = app.env.get_domain("llm")
    assert [place.only for place in domain.places("smollm3-3b")] == ["(latex)", "(html)"], "by page name"
