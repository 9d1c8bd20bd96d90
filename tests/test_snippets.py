"""Doctree snapshots of the documented snippets, in reST and MyST: a change in what a
directive or role produces shows up as a diff here (``LLMARCH_UPDATE_SNAPSHOTS=1``
rewrites the snapshots after a deliberate change)."""

from __future__ import annotations

import inspect
import os
import re
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

from sphinx_llmarch.sphinxext.nodes import llmarch_diagram

from .conftest import needs_dot, project
from .test_compare import broken_links

SNAPSHOTS = Path(__file__).parent / "snapshots"


def snapshot_text(app: SphinxTestApp, page: str) -> str:
    """The resolved doctree without the diagrams' DOT source and render key (the
    diagram tests cover those) or the test's temporary paths."""
    resolve = app.env.get_and_resolve_doctree
    tags = {"tags": app.tags} if "tags" in inspect.signature(resolve).parameters else {}  # Sphinx 9+
    doctree = resolve(page, app.builder, **tags)
    for node in doctree.findall(llmarch_diagram):
        del node["key"]
    text = re.sub(r' translation_progress="[^"]*"', "", doctree.pformat())  # docutils-version bookkeeping
    text = text.replace('="True"', '="1"').replace('="False"', '="0"')  # docutils 0.21 writes True and False
    return re.sub(r"/\S*/src/", "SRC/", text)


@pytest.mark.parametrize("page", ["index", "myst"])
def test_snippet_doctrees_match_their_snapshots(
    make_app: type[SphinxTestApp], rootdir: Path, tmp_path: Path, page: str
) -> None:
    app = make_app("html", srcdir=project(rootdir, tmp_path, "snippets"), confoverrides={"llmarch_dot": "no-dot"})
    app.build()
    assert "Traceback" not in app.warning.getvalue()
    got = snapshot_text(app, page)
    snapshot = SNAPSHOTS / f"{page}.pseudoxml"
    if os.environ.get("LLMARCH_UPDATE_SNAPSHOTS") or not snapshot.exists():
        snapshot.write_text(got, encoding="utf-8")
    assert got == snapshot.read_text(encoding="utf-8")


@needs_dot
@pytest.mark.parametrize("builder", ["html", "dirhtml", "singlehtml", "latex", "text", "epub"])
def test_every_directive_and_role_builds_under_every_builder(
    make_app: type[SphinxTestApp], rootdir: Path, tmp_path: Path, builder: str
) -> None:
    """The snippets use every directive and role, in reST and MyST: no builder warns or
    fails, and in html every link the extension wrote reaches an existing anchor."""
    app = make_app(builder, srcdir=project(rootdir, tmp_path, "snippets"))
    app.build()
    assert app.warning.getvalue() == ""
    if builder in ("html", "dirhtml", "singlehtml"):
        assert broken_links(Path(app.outdir)) == []
    output = "".join(
        p.read_text(encoding="utf-8")
        for p in Path(app.outdir).rglob("*")
        if p.suffix in (".tex", ".txt", ".html", ".xhtml")
    )
    assert "twice as deep (48 vs 24 blocks)" in output and "RMSNorm" in output
