"""The trust boundary: text from specs and config.json files is text in every output.

Every text field of a spec and of a config.json holds markup of some output format
(html, SVG, DOT, LaTeX, reST), and links hold ``javascript:`` and quote-breaking
addresses; each builder's output must show them as text and link none of them.
"""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from docutils.core import publish_doctree
from hypothesis import given, settings
from hypothesis import strategies as st
from sphinx.testing.util import SphinxTestApp

from sphinx_llmarch.escape import html_text, rst_text, rst_title, web_url
from sphinx_llmarch.spec import writer

from .conftest import needs_dot

MakeApp = Callable[..., SphinxTestApp]

#: Short enough for a name (80 characters), and markup in html, reST, LaTeX and DOT.
SHORT = '"><img src=x onerror=alert(1)>`x <javascript:alert(2)>`_ *e* \\N \\input{x} {b}'
#: For the long fields: a reST directive and an html script as well.
LONG = "\n.. raw:: html\n\n   <script>alert(3)</script>\n\n" + SHORT + " |s| [1]_ :ref:`y` % $ ~ ^"
HOSTILE_SPEC = {
    "id": "hostile",
    "extends": "qwen3-8b",
    "name": SHORT,
    "family": SHORT,
    "organization": SHORT,
    "summary": LONG,
    "key_detail": LONG,
    "license": LONG,
    "sources": {
        "config": "javascript:alert(4)",
        "model_card": 'https://example.org/"><script>alert(5)</script>',
        "paper": "JaVaScRiPt:alert(6)",
        "code": " javascript:alert(7)",
    },
    "official": {
        "total_params": 8.2e9,
        "total_stated": SHORT,
        "total_source": "javascript:alert(8)",
        "note": LONG,
    },
}
HOSTILE_CONFIG = {
    "_name_or_path": "org/" + SHORT.replace("/", " "),
    "model_type": "<img src=x onerror=alert(9)>",
    "vocab_size": 1000,
    "hidden_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 128,
}


class _Markup(HTMLParser):
    """What a browser would make of a page: its elements, their attributes, script text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in ("href", "xlink:href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag == "img" and dict(attrs).get("src") == "x":
            self.found.append("<img src=x>")

    def handle_data(self, data: str) -> None:
        if self._in_script and "alert(" in data:
            self.found.append(f"<script>{data[:40]}")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def hostile_markup(page: str) -> list[str]:
    """The elements, event handlers and javascript: links the payloads would make if unescaped."""
    parser = _Markup()
    parser.feed(page)
    return parser.found


@pytest.fixture
def hostile_project(rootdir: Path, tmp_path: Path) -> Path:
    source = tmp_path / "src"
    shutil.copytree(rootdir / "test-trust", source)
    (source / "checkpoints" / "evil").mkdir(parents=True)  # git keeps no empty folders
    (source / "specs").mkdir()
    (source / "specs" / "hostile.toml").write_text(writer.dumps(HOSTILE_SPEC), encoding="utf-8")
    (source / "checkpoints" / "evil" / "config.json").write_text(json.dumps(HOSTILE_CONFIG), encoding="utf-8")
    return source


def _outputs(outdir: Path, *patterns: str) -> dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for pattern in patterns for path in outdir.rglob(pattern)}


def _only_the_read_as_warning(app: SphinxTestApp) -> None:
    warnings = [line for line in app.warning.getvalue().splitlines() if "WARNING" in line]
    assert len(warnings) == 1 and "is not known: read as 'llama', as asked" in warnings[0], warnings


@needs_dot
@pytest.mark.parametrize(("builder", "renderer"), [("html", "graphviz"), ("epub", "graphviz"), ("epub", "svg")])
def test_hostile_text_is_text_in_html_svg_and_xhtml(
    builder: str, renderer: str, make_app: MakeApp, hostile_project: Path
) -> None:
    app = make_app(builder, srcdir=hostile_project, confoverrides={"llmarch_renderer": renderer})
    app.build()
    _only_the_read_as_warning(app)
    pages = _outputs(Path(app.outdir), "*.html", "*.xhtml", "*.svg")
    assert len(pages) > 5
    for path, text in pages.items():
        assert hostile_markup(text) == [], path.name
        if path.suffix == ".xhtml":
            ElementTree.fromstring(text.encode("utf-8"))  # well-formed, or the EPUB will not open
    page = pages[Path(app.outdir) / "models" / f"hostile.{'html' if builder == 'html' else 'xhtml'}"]
    title = "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;`x &lt;javascript:alert(2)&gt;`_ *e* \\N \\input{x} {b}"
    assert f"<h1>{title}" in page
    assert ".. raw:: html &lt;script&gt;alert(3)&lt;/script&gt;" in page, "the summary is a paragraph of text"
    drawn = re.findall(r"<text[^>]*>([^<]*)</text>", page)
    assert sum(text.endswith("*e* \\N \\input{x} {b}") for text in drawn) == 2, "title and subtitle, as written"
    assert 'href="https://example.org/%22%3E%3Cscript%3Ealert(5)%3C/script%3E"' in page
    if builder == "html":
        index_page = pages[Path(app.outdir) / "llm-modelindex.html"]
        assert 'id="cap-&lt;img src=x onerror=alert(9)&gt;"' in index_page


@needs_dot
def test_hostile_text_is_text_in_latex(make_app: MakeApp, hostile_project: Path) -> None:
    app = make_app("latex", srcdir=hostile_project)
    app.build()
    _only_the_read_as_warning(app)
    tex = "".join(_outputs(Path(app.outdir), "*.tex").values())
    assert "\\input{x}" not in tex and "\\textbackslash{}input\\{x\\}" in tex
    links = "".join(re.findall(r"\\sphinxhref\{[^}]*\}", tex))
    assert links and "javascript" not in links.lower()


@pytest.mark.parametrize("builder", ["text", "man"])
def test_hostile_text_is_text_in_text_and_man(builder: str, make_app: MakeApp, hostile_project: Path) -> None:
    app = make_app(builder, srcdir=hostile_project)
    app.build()
    _only_the_read_as_warning(app)
    written = "".join(_outputs(Path(app.outdir), "*.txt", "*.1").values())
    assert "onerror=alert(1)" in written and ".. raw:: html" in written, "shown as the text it is"


# -- the escaping functions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("https://example.org/a?b=1&c=2#d", "https://example.org/a?b=1&c=2#d"),
        ("http://example.org/a b", "http://example.org/a%20b"),
        ('https://example.org/"><script>', "https://example.org/%22%3E%3Cscript%3E"),
        ("https://example.org/it's\\", "https://example.org/it%27s%5C"),
        ("HTTPS://Example.org/ä", "HTTPS://Example.org/%C3%A4"),
        ("javascript:alert(1)", None),
        ("JavaScript://example.org/%0aalert(1)", None),
        ("data:text/html,<script>", None),
        ("//example.org/x", None),
        ("https://", None),
        ("https://[x", None),
        ("models/config.json", None),
    ],
)
def test_only_web_addresses_become_links_and_cannot_break_out(text: str, link: str | None) -> None:
    assert web_url(text) == link


def test_the_markup_check_finds_what_it_looks_for() -> None:
    page = '<p>&lt;img src=x&gt;</p><svg aria-label="&lt;script&gt;"><a xlink:href="JavaScript:x"/></svg>'
    page += "<img src=x onerror=alert(1)><script>alert(2)</script>"
    found = ["<a xlink:href='JavaScript:x'>", "<img onerror=...>", "<img src=x>", "<script>alert(2)"]
    assert hostile_markup(page) == found


def test_html_text_escapes_quotes_and_drops_what_xml_cannot_hold() -> None:
    assert html_text("a\b<b>\"'&\x0c\ud800z") == "a&lt;b&gt;&quot;&#x27;&amp;z"


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=60))
def test_generated_rest_reads_back_as_exactly_the_text(text: str) -> None:
    """Whatever a spec's name or summary holds, the gallery page shows it as it is."""
    folded = " ".join(text.split())
    doctree = publish_doctree(rst_text(text) or "x", settings_overrides={"report_level": 5})
    assert [node.tagname for node in doctree.children] in (["paragraph"], [])
    assert doctree.astext() == (folded or "x")
    titled = publish_doctree(rst_title(text, "=") + "\nbody\n", settings_overrides={"report_level": 5})
    assert titled["title"] == (folded or "(untitled)")
