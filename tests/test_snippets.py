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

from sphinx_llmarch.nodes import llmarch_diagram

from .conftest import project

SNAPSHOTS = Path(__file__).parent / "snapshots"


def snapshot_text(app: SphinxTestApp, page: str) -> str:
    """The resolved doctree without the diagrams' DOT source and render key (the
    diagram tests cover those) or the test's temporary paths."""
    resolve = app.env.get_and_resolve_doctree
    tags = {"tags": app.tags} if "tags" in inspect.signature(resolve).parameters else {}  # Sphinx 9+
    doctree = resolve(page, app.builder, **tags)
    for node in doctree.findall(llmarch_diagram):
        del node["dot"], node["key"]
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
