"""EPUB 3: pages that inline an SVG must say so in the package manifest.

Sphinx writes ``content.opf`` and zips the book before ``build-finished``, with no
hook in between, so the manifest entries of pages with diagrams get
``properties="svg"`` afterwards and the book is zipped again, mimetype first.
"""

from __future__ import annotations

import html
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from .images import pages_with_diagrams
from .runtime import state

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def mark_svg_pages(opf: str, pages: set[str]) -> str:
    """Add ``properties="svg"`` to the manifest items of ``pages`` (hrefs)."""

    def mark(match: re.Match[str]) -> str:
        item = match.group(0)
        href = re.search(r'href="([^"]*)"', item)
        if not href or html.unescape(href.group(1)) not in pages or "properties=" in item:
            return item
        return re.sub(r"\s*/>$", ' properties="svg" />', item)

    return re.sub(r"<item [^>]*/>", mark, opf)


def fix_epub_manifest(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.name != "epub" or state(app.env).config.html_format != "svg":
        return
    pages = {f"{doc}{app.builder.out_suffix}" for doc in pages_with_diagrams(app.env)}
    if not pages:
        return
    opf_path = Path(app.outdir, "content.opf")
    opf = opf_path.read_text(encoding="utf-8")
    marked = mark_svg_pages(opf, pages)
    if marked == opf:
        return
    opf_path.write_text(marked, encoding="utf-8")
    book = Path(app.outdir, f"{app.config.epub_basename}.epub")
    with zipfile.ZipFile(book) as old:
        entries = [(info, old.read(info.filename)) for info in old.infolist()]
    with zipfile.ZipFile(book, "w") as new:
        for info, data in entries:
            new.writestr(info, marked.encode("utf-8") if info.filename == "content.opf" else data)
