"""Regression tests for defects found by using the extension as a new user would:
bad bytes, bad config values, clashing names, new spec files, builders' corners."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

from sphinx_llmarch.cli import main
from sphinx_llmarch.draw import diagram, style
from sphinx_llmarch.facts import stats
from sphinx_llmarch.facts.tables import difference, fact_rows
from sphinx_llmarch.spec.loader import SpecError
from sphinx_llmarch.spec.registry import bundled_registry, load_spec

from .conftest import needs_dot, project

MakeApp = Callable[..., SphinxTestApp]
TOY = Path(__file__).parent / "roots" / "test-user-spec" / "specs" / "toy-lm.toml"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- files that are not what they claim ------------------------------------------------


def test_spec_that_is_not_utf8_is_a_located_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    latin = tmp_path / "toy-lm.toml"
    latin.write_bytes("# café\n".encode("latin-1") + TOY.read_bytes())
    with pytest.raises(SpecError, match=r"toy-lm\.toml: not UTF-8 text \(byte 0xe9 at offset 5\)"):
        load_spec(latin)
    code, _, err = run(capsys, "validate", str(latin))
    assert code == 1 and "not UTF-8 text" in err and "Traceback" not in err
    code, out, err = run(capsys, "--spec-path", str(latin), "list")  # the other models are still listed
    assert code == 0 and "qwen3-8b" in out and err.startswith("llmarch: warning: ") and "not UTF-8 text" in err


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    bom = tmp_path / "toy-lm.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + TOY.read_bytes())
    assert load_spec(bom).id == "toy-lm"


def test_a_folder_or_missing_file_is_a_clean_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read the file"):
        load_spec(tmp_path)
    with pytest.raises(SpecError, match="cannot read the file"):
        load_spec(tmp_path / "absent.toml")


def test_misspelt_and_mistyped_tables_say_so(tmp_path: Path) -> None:
    spec = tmp_path / "toy-lm.toml"
    spec.write_text(TOY.read_text().replace("[ffn]", "[fnn]"))
    with pytest.raises(SpecError, match=r"^toy-lm\.toml: fnn: unknown key \(did you mean 'ffn'\?\)"):
        load_spec(spec)
    without_text = re.sub(r"\[text\]\n(.+?\n)\n", "", TOY.read_text(), flags=re.S)
    spec.write_text('text = "oops"\n' + without_text)
    with pytest.raises(SpecError, match=r"^toy-lm\.toml: text: expected a table, got str"):
        load_spec(spec)


def test_validate_reports_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "toy-lm.toml"
    text = TOY.read_text()
    for old, new in (
        ("hidden_size = 64", 'hidden_size = "64"'),
        ("num_key_value_heads = 2", "num_key_value_heads = 3"),
        ('kind = "swiglu"', 'kind = "swiglo"'),
        ('aliases = ["toy"]', 'aliases = ["toy", 7]'),
        ("vocab_size = 1000", "vocab_size = 1000\nwibble = 1"),
    ):
        assert old in text
        text = text.replace(old, new)
    spec.write_text(text)
    code, _, err = run(capsys, "validate", str(spec))
    keys = re.findall(r"toy-lm\.toml: ([\w.\[\]]+):", err)
    assert code == 1
    assert keys == ["text.hidden_size", "attention.num_key_value_heads", "ffn.kind", "aliases[1]", "text.wibble"]


# -- the command line --------------------------------------------------------------------


@needs_dot
def test_render_svg_to_stdout(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(["render", "qwen3-8b", "-o", "-", "--format", "svg"]) == 0
    assert capsysbinary.readouterr().out.startswith(b"<?xml")


def test_spec_path_after_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "--spec-path", str(TOY.parent))
    assert code == 0 and "toy-lm" in out


# -- Sphinx builds -------------------------------------------------------------------------


@pytest.mark.sphinx("html", testroot="robustness")
def test_bad_files_and_clashing_names_warn_once_and_the_rest_builds(app: SphinxTestApp) -> None:
    app.build()
    warnings = app.warning.getvalue()
    assert "Traceback" not in warnings and "Encoding error" not in warnings
    assert warnings.count("specs/latin.toml: not UTF-8 text") == 2, "once from the folder, once at the directive"
    assert re.search(r"index\.rst:\d+: WARNING: cannot load spec specs/latin\.toml: not UTF-8", warnings)
    assert "more/clash.toml: id 'clash' is also the id of specs/clash.toml; more/clash.toml is used" in warnings
    assert "specs/clash.toml: aliases[0]: 'qwen3-8b' is the id of qwen3-8b.toml; the alias is ignored" in warnings
    assert "more/other.toml: aliases[0]: 'shared-name' was an alias of clash (more/clash.toml)" in warnings
    page = (Path(app.outdir) / "index.html").read_text()
    assert "Qwen3 8B" in page and "8.19B (8,190,735,360)" in page, "the bundled model keeps its id"


@pytest.mark.sphinx("html", testroot="robustness")
def test_caption_and_name_number_a_fact_sheet_alone(app: SphinxTestApp) -> None:
    app.build()
    page = (Path(app.outdir) / "index.html").read_text()
    assert re.search(r'<table[^>]*id="tab-qwen3"', page) and "Qwen3 8B in numbers" in page
    assert re.search(r'href="#tab-qwen3"[^>]*><span class="std std-numref">Table 1', page)


@pytest.mark.sphinx("singlehtml", testroot="robustness")
def test_singlehtml_keeps_every_anchor_unique(app: SphinxTestApp) -> None:
    app.build()
    page = (Path(app.outdir) / "index.html").read_text()
    ids = re.findall(r'\sid="(llmarch-[^"]+)"', page)
    assert ids and len(ids) == len(set(ids))
    for target in re.findall(r'xlink:href="#(llmarch-[^"]+)"', page):
        assert target in ids


@pytest.mark.sphinx("html", testroot="catalog")
def test_a_new_spec_file_is_picked_up_without_a_fresh_environment(app: SphinxTestApp, make_app: MakeApp) -> None:
    app.build()
    assert "unknown model id 'later-model'" in app.warning.getvalue()
    toy = Path(app.srcdir) / "specs" / "toy-lm.toml"
    later = toy.read_text().replace('id = "toy-lm"', 'id = "later-model"').replace('aliases = ["toy"]', "aliases = []")
    (Path(app.srcdir) / "specs" / "later-model.toml").write_text(later)
    again = make_app("html", srcdir=app.srcdir)
    again.build()
    assert "later-model" not in again.warning.getvalue()
    assert "1 changed" in again.status.getvalue()
    (Path(app.srcdir) / "specs" / "later-model.toml").unlink()


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("llmarch_spec_paths", None, "must be a list of paths"),
        ("llmarch_dot", 5, "must be the name or path of the dot program"),
        ("llmarch_dot", None, "must be the name or path of the dot program"),
        ("llmarch_kv_context", True, "must be a whole number of tokens"),
        ("llmarch_default_show", "pictures", "must list some of diagram, facts"),
        ("llmarch_dot_timeout", 0, "must be a positive number of seconds"),
        ("llmarch_fontname", 'Arial" fontcolor="red', "must name font families"),
        ("llmarch_renderer", "cairo", "is not 'graphviz' or 'svg'"),
    ],
)
def test_bad_config_values_warn_and_fall_back(
    name: str, value: object, problem: str, make_app: MakeApp, rootdir: Path, tmp_path: Path
) -> None:
    app = make_app("html", srcdir=project(rootdir, tmp_path, "basic", **{name: value}))
    app.build()
    warnings = app.warning.getvalue()
    assert f"{name}: {value!r} {problem}" in warnings and "Traceback" not in warnings


@pytest.mark.parametrize(("name", "value"), [("llmarch_spec_paths", "specs"), ("llmarch_default_show", "facts")])
def test_a_string_where_a_list_is_expected(
    name: str, value: str, make_app: MakeApp, rootdir: Path, tmp_path: Path
) -> None:
    app = make_app("html", srcdir=project(rootdir, tmp_path, "user-spec", **{name: value}))
    app.build()
    assert "[llmarch.config]" not in app.warning.getvalue()
    page = (Path(app.outdir) / "index.html").read_text()
    assert "Toy LM" in page
    if name == "llmarch_default_show":
        assert "<svg" not in page


@needs_dot
@pytest.mark.sphinx("html", testroot="basic", confoverrides={"llmarch_dot": "/nonexistent/dot"}, freshenv=True)
def test_missing_dot_is_counted_once(app: SphinxTestApp) -> None:
    app.build()
    assert app.warning.getvalue().count("[llmarch.dot]") == 1
    assert app._warncount == 1


@needs_dot
@pytest.mark.sphinx("html", testroot="basic", confoverrides={"llmarch_html_format": "png"})
def test_switching_png_to_svg_removes_the_pngs(app: SphinxTestApp, make_app: MakeApp) -> None:
    app.build()
    images = Path(app.outdir) / "_images"
    assert list(images.glob("llmarch-*.png"))
    again = make_app("html", srcdir=app.srcdir, confoverrides={"llmarch_html_format": "svg"})
    again.build()
    assert not list(images.glob("llmarch-*.png")) and list(images.glob("llmarch-*.svg"))


@needs_dot
@pytest.mark.sphinx("latex", testroot="basic")
def test_latex_honours_width_and_never_wraps(app: SphinxTestApp) -> None:
    app.build()
    tex = next(Path(app.outdir).glob("*.tex")).read_text(encoding="utf-8")
    assert "wrapfigure" not in tex
    assert r"\sphinxincludegraphics[width=0.800\linewidth" in tex, "80% from :width:"
    assert r"{\raggedright\sphinxincludegraphics" in tex, ":align: left"


# -- fact-sheet wording ------------------------------------------------------------------


def test_fact_sheet_wording() -> None:
    rows = {label: cell.astext() for label, cell in fact_rows(bundled_registry().get("qwen3-8b"), kv_context=1)}
    assert "Official non-embedding" in rows and "Official non embedding" not in rows
    assert "at 1 token" in rows["KV cache (bf16)"] and "1 tokens" not in rows["KV cache (bf16)"]
    beyond = {label: cell.astext() for label, cell in fact_rows(bundled_registry().get("qwen3-8b"), 10**9)}
    assert "beyond the model's context length of 32,768 tokens" in beyond["KV cache (bf16)"]
    gemma = {label: cell.astext() for label, cell in fact_rows(bundled_registry().get("gemma-3-27b"))}
    assert "52 layers keep at most 1,024 tokens" in gemma["KV cache (bf16)"]


def test_differences_and_sizes_read_plainly() -> None:
    assert difference(100, 100.0) == "exact" and difference(1_000_001, 1e6) == "within 0.01%"
    assert difference(99, 100.0) == "-1.00%"
    assert stats.human_bytes(1.37e8 * 2**30) == "131 PiB" and "e+" not in stats.human_bytes(1e30)


def test_non_url_sources_are_text_not_broken_links(tmp_path: Path) -> None:
    spec = tmp_path / "toy-lm.toml"
    spec.write_text(TOY.read_text().replace('config = "https://example.org/toy/config.json"', 'config = "not a url"'))
    sources = dict(fact_rows(load_spec(spec)))["Sources"]
    assert "config.json: not a url" in sources.astext()
    assert not [ref for ref in sources.findall() if ref.tagname == "reference" and ref["refuri"] == "not a url"]


# -- hostile text ----------------------------------------------------------------------------


@needs_dot
def test_hostile_text_is_escaped_in_html_svg_and_latex(make_app: MakeApp, tmp_path: Path, rootdir: Path) -> None:
    """Every text field of the spec and the directive holds markup or code of some output
    format (HTML, SVG, DOT, LaTeX, reST); each must come out as the same visible text."""
    source = project(rootdir, tmp_path, "hostile")
    html = make_app("html", srcdir=source)
    html.build()
    page = (html.outdir / "index.html").read_text()
    files = "".join(path.read_text() for path in (html.outdir / "_images").glob("*.svg"))
    for output in (page, files):
        assert "<script>alert" not in output and "<b>x</b>" not in output and "<img src=x" not in output
        assert not re.search(r"""href=["']\s*javascript:""", output)
    assert "&lt;script&gt;alert(‘caption’)&lt;/script&gt; &amp; \\ % # { } “quoted”" in page
    assert "config.json: javascript:alert(‘config’)" in page  # a non-web source stays text
    assert "Q&quot;&lt;b&gt;x&lt;/b&gt;&amp;amp; {}[]; שלום LM" in page  # the name, in the inline SVG
    assert html._warncount == 0
    latex = make_app("latex", srcdir=source)
    latex.build()
    tex = next(latex.outdir.glob("*.tex")).read_text()
    script = r"\textless{}script\textgreater{}alert(‘caption’)\textless{}/script\textgreater{}"
    assert r"\caption{" + script + r" \& \textbackslash{} \% \# \{ \} “quoted”}" in tex
    assert r"Facts of \textless{}b\textgreater{}hostile\textless{}/b\textgreater{} \& 50\% off" in tex


# -- Graphviz runs -----------------------------------------------------------------------------


def fake_dot(tmp_path: Path, body: str) -> str:
    """A dot program that logs its start and end, doing ``body`` in between."""
    log = tmp_path / "dot.log"
    script = tmp_path / "slow-dot"
    script.write_text(f'#!/bin/sh\necho "start $(date +%s.%N)" >> {log}\n{body}\n')
    script.chmod(0o755)
    return str(script)


@needs_dot
def test_a_hanging_dot_is_cut_off_per_diagram(make_app: MakeApp, rootdir: Path, tmp_path: Path) -> None:
    dot = fake_dot(tmp_path, "exec sleep 30")
    app = make_app("html", srcdir=project(rootdir, tmp_path, "basic", llmarch_dot=dot, llmarch_dot_timeout=0.3))
    app.build()
    warnings = app.warning.getvalue()
    found = re.findall(r"index\.rst:\d+: WARNING: cannot draw '([\w-]+)': Graphviz took longer than 0.3 s", warnings)
    assert sorted(found) == ["deepseek-v3", "qwen3-8b"] and "Traceback" not in warnings
    assert "Parameters (text stack)" in (app.outdir / "index.html").read_text()


@needs_dot
def test_diagrams_render_concurrently_while_pages_are_read(make_app: MakeApp, rootdir: Path, tmp_path: Path) -> None:
    """Each run logs its start and end: with renders started as pages are read, runs overlap."""
    log = tmp_path / "dot.log"
    dot = fake_dot(tmp_path, f'sleep 0.3\ndot "$@"\necho "end $(date +%s.%N)" >> {log}')
    app = make_app("html", srcdir=project(rootdir, tmp_path, "basic", llmarch_dot=dot))
    app.build()
    assert app._warncount == 0
    events = sorted((float(time), kind) for kind, time in (line.split() for line in log.read_text().splitlines()))
    assert [kind for _, kind in events].count("start") == 3
    running, most = 0, 0
    for _, kind in events:
        running += 1 if kind == "start" else -1
        most = max(most, running)
    assert most >= 2


@needs_dot
def test_two_clean_builds_are_byte_identical(make_app: MakeApp, rootdir: Path, tmp_path: Path) -> None:
    source = project(rootdir, tmp_path, "parallel")
    builds = []
    for name, parallel in (("one", 1), ("two", 2)):
        app = make_app("html", srcdir=source, builddir=tmp_path / name, parallel=parallel, freshenv=True)
        app.build()
        out = Path(app.outdir)
        builds.append({p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    assert builds[0].keys() == builds[1].keys()
    assert [path for path in builds[0] if builds[0][path] != builds[1][path]] == []
    assert any(path.name.startswith("llmarch-") for path in builds[0])


@needs_dot
def test_an_incremental_build_equals_a_clean_one(make_app: MakeApp, rootdir: Path, tmp_path: Path) -> None:
    """Pages read in earlier builds (grids, tables, comparisons, glossary, links to
    models) come out the same as from a clean build after pages are touched."""
    source = project(rootdir, tmp_path, "parallel")
    make_app("html", srcdir=source, builddir=tmp_path / "incremental").build()
    for page in ("qwen3-8b.rst", "views.rst"):
        (source / page).write_text((source / page).read_text() + "\n")
    incremental = make_app("html", srcdir=source, builddir=tmp_path / "incremental")
    incremental.build()
    clean = make_app("html", srcdir=source, builddir=tmp_path / "clean", freshenv=True)
    clean.build()
    for page in ("views.html", "qwen3-8b.html", "llama-3-8b.html", "llm-modelindex.html", "genindex.html"):
        assert (Path(incremental.outdir) / page).read_bytes() == (Path(clean.outdir) / page).read_bytes(), page


def test_a_broken_bundled_spec_warns_and_every_other_model_builds(
    make_app: MakeApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sphinx_llmarch.spec import registry

    broken = tmp_path / "specs" / "broken-model.toml"
    broken.parent.mkdir()
    broken.write_text('id = "broken-model"\nname = "Broken"\n')
    real = registry.bundled_spec_files()
    monkeypatch.setattr(registry, "bundled_spec_files", lambda: [*real, broken])
    registry.bundled_registry.cache_clear()
    try:
        source = tmp_path / "src"
        source.mkdir()
        (source / "conf.py").write_text('extensions = ["sphinx_llmarch"]\n')
        page = "T\n=\n\n.. llm-arch:: qwen3-8b\n   :show: facts\n\n.. llm-arch:: broken-model\n"
        (source / "index.rst").write_text(page)
        app = make_app("html", srcdir=source)
        app.build()
        warnings = app.warning.getvalue()
        assert "Traceback" not in warnings
        assert "bundled spec broken-model.toml: sources: missing required table" in warnings
        assert re.search(r"index\.rst:\d+: WARNING: .*broken-model\.toml: sources", warnings), "the page says why"
        assert "8.19B (8,190,735,360)" in (Path(app.outdir) / "index.html").read_text()
        assert main(["list"]) == 0
        assert "llmarch: warning: bundled spec broken-model.toml" in capsys.readouterr().err
    finally:
        registry.bundled_registry.cache_clear()


# -- a user's official figure that the spec's shape does not give ------------------------

WRONG_FIGURE = '\n[official]\ntotal_params = 3e5\ntotal_stated = "0.3M"\n'


def test_validate_warns_when_the_count_misses_the_official_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "toy-lm.toml"
    spec.write_text(TOY.read_text().replace("\n[text]", WRONG_FIGURE + "\n[text]"))
    code, out, err = run(capsys, "validate", str(spec))
    assert code == 0 and "ok (toy-lm" in out
    assert f"{spec}: warning: official.total_params: the computed count 212,032" in err and "'0.3M'" in err
    spec.write_text(TOY.read_text().replace("\n[text]", WRONG_FIGURE.replace("0.3M", "0.21M") + "\n[text]"))
    spec.write_text(spec.read_text().replace("3e5", "2.1e5"))
    code, _, err = run(capsys, "validate", str(spec))
    assert code == 0 and err == "", "within the stated rounding"


def test_build_warns_when_a_user_spec_misses_its_official_figure(
    make_app: MakeApp, rootdir: Path, tmp_path: Path
) -> None:
    source = project(rootdir, tmp_path, "user-spec", llmarch_default_show=["facts"])
    for spec in (source / "specs" / "toy-lm.toml", source / "local-model.toml"):
        spec.write_text(spec.read_text().replace("\n[text]", WRONG_FIGURE + "\n[text]"))
    app = make_app("html", srcdir=source)
    app.build()
    warnings = app.warning.getvalue()
    assert "WARNING: specs/toy-lm.toml: official.total_params: the computed count 212,032 (212K)" in warnings
    assert re.search(r"index\.rst:\d+: WARNING: local-model\.toml: official\.total_params: the computed", warnings)
    assert warnings.count("official.total_params") == 2, "the bundled and user llama-3-8b agree with theirs"


# -- names in other scripts ----------------------------------------------------------------


def test_fontname_reaches_the_dot_and_wide_characters_are_measured_wide(
    make_app: MakeApp, rootdir: Path, tmp_path: Path
) -> None:
    fonts = ["Helvetica", "Noto Sans CJK SC", "Noto Color Emoji", "sans-serif"]
    source = project(rootdir, tmp_path, "basic", llmarch_fontname=fonts, llmarch_dot="no-dot")
    app = make_app("html", srcdir=source)
    app.build()
    sources = [dot for page in app.env.get_domain("llm").diagrams.values() for dot in page.values()]
    assert sources and all('fontname="Helvetica,Noto Sans CJK SC,Noto Color Emoji,sans-serif"' in s for s in sources)
    assert "llmarch_fontname" not in app.warning.getvalue()
    assert 'fontname="Helvetica,Arial,sans-serif"' in diagram.to_dot(bundled_registry().get("qwen3-8b")), "default"
    assert style.text_width("通义千问") >= 4 * style.FONT_SIZE > style.text_width("Qwen")
    assert style.text_width("🦙") == style.FONT_SIZE
