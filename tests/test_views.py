"""Choosing models (the :filter: language, :sort:, :limit:), the gallery grid and the
models table, in html and text, and (when Chromium is installed) in a real browser."""

from __future__ import annotations

import datetime
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

from sphinx_llmarch.facts.selection import FilterError, compile_filter, record, select, sort_option
from sphinx_llmarch.spec.registry import bundled_registry
from sphinx_llmarch.sphinxext.runtime import STATIC_DIR

from .conftest import needs_dot, project

MODELS = list(bundled_registry())


def ids(expression: str, sort: str = "name", limit: int = 0) -> list[str]:
    return [arch.id for arch in select(MODELS, expression, sort, limit)]


def test_filter_language() -> None:
    assert ids('family == "qwen3" and params < 1B') == ["qwen3-0.6b"]  # strings ignore case
    assert set(ids('attention in ("mla") and family == "DeepSeek V3"')) == {
        "deepseek-v3",
        "deepseek-r1",
        "deepseek-v3.2",
    }
    hybrids = ids('decoder == "moe" and released >= 2025-12-01 and mixing == "hybrid"', "date")
    assert hybrids[0] == "nemotron-3-nano-30b-a3b" and "qwen3.5-397b" in hybrids
    assert "xlstm-7b" in ids('mixing == "attention-free"') and "gpt-2-xl" not in ids('concepts == "rope"')
    assert ids('not (decoder == "dense" or layers < 90) and params > 1T') == []
    assert ids("params >= 1T", "-params", 1) == ["deepseek-v4-pro"]  # the largest text stack
    moe = {arch.id for arch in MODELS if record(arch)["decoder"] == "moe"}
    assert set(ids('decoder != "dense"')) == moe and record(MODELS[0])["released"] > datetime.date(2000, 1, 1)


def test_numbers_with_units_and_aliases_in_filters() -> None:
    """Numbers as the tables print them, model ids' aliases and other names of fields."""
    assert ids('context == 128k and family == "gpt-oss"') == ["gpt-oss-120b", "gpt-oss-20b"]  # 131,072 tokens
    assert "deepseek-v4-flash" in ids("context >= 1M") and "gpt-oss-20b" not in ids("context >= 1M")
    assert ids("kv_cache == 48 KiB") == ["gpt-oss-20b"] and ids("params >= 2.5B") == ids("params >= 2500m")
    assert ids('id == "gpt2-xl"') == ids('model in ("gpt2-xl")') == ["gpt-2-xl"]
    assert ids("num_hidden_layers == 36 and vocab_size > 150k and Parameters < 9B") == ids(
        "layers == 36 and vocab > 150K and params < 9B"
    )


@pytest.mark.parametrize(
    ("expression", "message", "position"),
    [
        ('decoder = "moe"', "cannot read '= \"moe\"'", 8),
        ("released >= 2025", "released compares with a date", 12),
        ('famly == "qwen3"', "unknown field 'famly' (did you mean 'family'?)", 0),
        ('params > "big"', "params compares with a number", 9),
        ('(decoder == "moe"', "expected ')', found the end", 17),
        ('decoder == "moe" and', "expected a field name, found the end", 20),
        ('decoder "moe"', "expected a comparison", 8),
        ("released > 2025-13-01", "2025-13-01 is not a date", 11),
        ("params > 64 KiB", "params does not take 'KiB' (write, e.g., 2.5B)", 9),
        ("context < 2B", "context does not take 'B' (write, e.g., 128k)", 10),
        ("parms > 1B", "unknown field 'parms' (did you mean 'params'?)", 0),
    ],
)
def test_bad_filters_say_where_they_fail(expression: str, message: str, position: int) -> None:
    with pytest.raises(FilterError) as caught:
        compile_filter(expression)
    assert message in str(caught.value) and caught.value.position == position


def test_sort_option() -> None:
    assert sort_option("-params") == "-params"
    assert (sort_option("-num_hidden_layers"), sort_option("release_date"), sort_option("Context_Length")) == (
        "-layers",
        "date",
        "context",
    ), "the filter language's names for a field sort by it too"
    with pytest.raises(ValueError, match="give one of date, params"):
        sort_option("size")


@needs_dot
def test_gallery_grid_and_models_table(make_app: type[SphinxTestApp], rootdir: Path, tmp_path: Path) -> None:
    app = make_app("html", srcdir=project(rootdir, tmp_path, "views"))
    app.build()
    warnings = app.warning.getvalue()
    assert "Traceback" not in warnings
    assert re.search(r"index\.rst:\d+: WARNING: llm-arch-gallery: bad :filter: cannot read '= \"moe\"'", warnings)
    assert '    decoder = "moe"\n            ^' in warnings, "the expression and a caret under the failure"
    page = (Path(app.outdir) / "index.html").read_text(encoding="utf-8")
    grid = page.split('class="llmarch-grid')[1].split("</table>")[0]
    names = re.findall(r'llmarch-card-name">(?:<a [^>]*>)?<span[^>]*>([^<]+)<', grid)
    assert names[:2] == ["Qwen3 235B-A22B", "gpt-oss-120b"] and "Qwen3 0.6B" not in grid  # -params, MoE only
    # the card of a model shown elsewhere links to it, with that page's render as its thumbnail
    assert re.search(
        r'href="models\.html#llm-model-qwen3-30b-a3b"[^>]*><img class="llmarch-thumb" src="_images/llmarch-', grid
    )
    assert "llmarch-thumb-missing" in grid, "gpt-oss-20b is shown without a diagram: no thumbnail"
    assert "llmarch-decoder-moe" in grid and "_static/llmarch.js" in page
    table = page.split('class="llmarch-models llmarch-sortable')[1].split("</table>")[0]
    assert re.findall(r"<tr[^>]*>\s*<td><p>(?:<a [^>]*>)?<span[^>]*>([^<]+)<", table) == ["DeepSeek R1", "DeepSeek V3"]
    assert "the :filter: expression could not be read" in page
    # a filter that matches nothing says so on the page and in a located warning
    assert re.search(r"index\.rst:\d+: WARNING: llm-arch-table: no model matches :filter: params > 100T", warnings)
    assert '<p class="llmarch-no-models">llm-arch-table: no model matches params &gt; 100T</p>' in page


def test_views_in_the_text_builder(make_app: type[SphinxTestApp], rootdir: Path, tmp_path: Path) -> None:
    app = make_app("text", srcdir=project(rootdir, tmp_path, "views"), confoverrides={"llmarch_dot": "no-dot"})
    app.build()
    text = (Path(app.outdir) / "index.txt").read_text(encoding="utf-8")
    assert "Qwen3 235B-A22B" in text and "235B, 22.2B active" in text and "DeepSeek R1" in text


NODE = shutil.which("node")
SCRIPT = STATIC_DIR / "llmarch.js"


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_table_sorter_reads_dates_bytes_and_counts_by_value() -> None:
    """The cells' texts as the sortable table's script orders them, run under node."""
    cells = [
        *("2024-12-31", "2025-02-01", "2025-10-15"),
        *("512 B", "1 KiB", "144 KiB", "1.5 MiB + 32 KiB state", "2 GiB"),
        *("950M", "8.19B", "1.2T", "128k", "1,024", "all"),
    ]
    script = f"const {{sortValue}} = require({json.dumps(str(SCRIPT))});"
    script += "console.log(JSON.stringify(process.argv.slice(1).map(sortValue)))"
    result = subprocess.run([NODE, "-e", script, *cells], capture_output=True, text=True, timeout=60, check=True)
    values = dict(zip(cells, json.loads(result.stdout), strict=True))
    assert values["2024-12-31"] < values["2025-02-01"] < values["2025-10-15"], "dates, not their years"
    assert values["512 B"] == 512 and values["1 KiB"] == 1024 and values["2 GiB"] == 2 * 2**30
    assert values["144 KiB"] < values["1.5 MiB + 32 KiB state"] == 1.5 * 2**20 < values["2 GiB"]
    assert (values["950M"], values["8.19B"], values["1.2T"]) == pytest.approx((950e6, 8.19e9, 1.2e12))
    assert values["128k"] == 131072 and values["1,024"] == 1024 and values["all"] == "all"


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
PROBE = """<script>
window.addEventListener('load', () => setTimeout(() => {
  const out = [];
  const search = document.querySelector('.llmarch-grid-controls input');
  const count = () => document.querySelectorAll('.llmarch-card:not([hidden])').length;
  out.push('cards=' + count());
  search.value = 'gpt'; search.dispatchEvent(new Event('input'));
  out.push('search=' + count());
  search.value = 'openai sinks'; search.dispatchEvent(new Event('input'));
  out.push('hidden-words=' + count());
  out.push('address=' + (location.search === '?q=openai+sinks'));
  search.value = 'zzzz'; search.dispatchEvent(new Event('input'));
  out.push('none-says=' + document.querySelector('.llmarch-grid-count').textContent.startsWith('No model matches'));
  search.value = ''; search.dispatchEvent(new Event('input'));
  const chip = [...document.querySelectorAll('.llmarch-chip')].find(b => b.textContent === 'Hybrid');
  out.push('hybrid-chip=' + (chip ? 'yes' : 'no'));
  search.value = ''; search.dispatchEvent(new Event('input'));
  const sliding = [...document.querySelectorAll('.llmarch-chip')].find(b => b.textContent === 'Sliding window');
  sliding.click();
  out.push('sliding-chip=' + count() + '/' + (location.search === '?chips=llmarch-attention-sliding'));
  sliding.click();
  const th = document.querySelectorAll('table.llmarch-sortable thead th')[2];
  th.click(); th.click();
  out.push('sorted=' + th.getAttribute('aria-sort'));
  document.querySelector('.llmarch-diagram').click();
  const overlay = document.querySelector('.llmarch-overlay');
  out.push('overlay=' + (overlay ? overlay.querySelectorAll('svg').length : 0));
  document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape'}));
  out.push('closed=' + !document.querySelector('.llmarch-overlay'));
  document.body.setAttribute('data-probe', out.join(' '));
}, 300));
</script>"""


@needs_dot
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_grid_table_and_zoom_in_a_browser(make_app: type[SphinxTestApp], rootdir: Path, tmp_path: Path) -> None:
    """Search and chips narrow the grid, headers sort the table, a click opens the zoom
    overlay and Escape closes it: the script runs, offline, in headless Chromium."""
    source = project(rootdir, tmp_path, "views")
    (source / "index.rst").write_text(
        (source / "index.rst").read_text().split('.. llm-arch-gallery::\n   :filter: decoder = "moe"')[0]
    )
    (source / "models.rst").write_text((source / "models.rst").read_text() + "\n.. llm-arch:: qwen3-next-80b-a3b\n")
    app = make_app("html", srcdir=source)
    app.build()
    models = Path(app.outdir) / "models.html"
    index = Path(app.outdir) / "index.html"
    probe = Path(app.outdir) / "probe.html"
    page = index.read_text(encoding="utf-8")
    # the grid page has no diagram of its own: borrow one from the models page for the zoom check
    diagram = re.search(r'<div class="llmarch-diagram.*?</svg>\s*</div>', models.read_text(encoding="utf-8"), re.S)
    assert diagram is not None
    probe.write_text(page.replace("</body>", diagram.group(0) + PROBE + "</body>"), encoding="utf-8")

    def run(url: str) -> dict[str, str]:
        command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}"]
        command += ["--virtual-time-budget=5000", "--dump-dom", url]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        found = re.search(r'data-probe="([^"]*)"', result.stdout)
        assert found, result.stderr[-500:]
        return dict(item.split("=") for item in found.group(1).split())

    facts = run(probe.as_uri())
    assert int(facts["cards"]) >= 4 and int(facts["search"]) == 2
    assert int(facts["hidden-words"]) == 2, "the organisation and the concepts are searched too"
    assert facts["address"] == "true" and facts["none-says"] == "true"
    assert facts["sliding-chip"] == "2/true", "gpt-oss 20b and 120b use sliding windows; the chip is in the address"
    assert facts["sorted"] == "descending" and facts["overlay"] == "1" and facts["closed"] == "true"
    assert run(probe.as_uri() + "?q=gpt")["cards"] == "2", "a search in the address is restored"
