"""DOT -> SVG, PDF or PNG with Graphviz, cached by content hash.

The cache key covers the DOT source, the command line and the package version,
so a template change re-renders and nothing else does. Pages store the key when
they are read, so settings that rebuild nothing (the ``dot`` path) never orphan
an image a written page still shows.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

#: Neato in "no-op" mode keeps the positions the layout pinned; edges are straight lines.
RENDER_ARGS = ("-Kneato", "-n2")
FORMATS = ("svg", "pdf", "png", "json")  # json: the laid-out graph, for tools and tests
INSTALL_HINT = (
    "install Graphviz (Debian/Ubuntu: 'sudo apt-get install graphviz', macOS: 'brew install graphviz', "
    "conda: 'conda install graphviz') or point {setting} at the dot executable"
)


class RenderError(RuntimeError):
    """Graphviz could not produce the image; the message says why."""


class DotMissingError(RenderError):
    """The ``dot`` program is not installed or not runnable."""


def render_key(dot_source: str, dot: str = "dot") -> str:
    """The content hash a render is cached under: the DOT source, the command line
    and the package version (so a template change re-renders, and nothing else does)."""
    from ..version import __version__

    payload = "\0".join((__version__, dot, *RENDER_ARGS, dot_source))
    return hashlib.sha1(payload.encode("utf-8")).hexdigest()


def cached_name(key: str, fmt: str, prefix: str = "llmarch") -> str:
    return f"{prefix}-{key}.{fmt}"


def render_bytes(
    dot_source: str, fmt: str, dot: str = "dot", timeout: float = 60, setting: str = "llmarch_dot"
) -> bytes:
    """Run Graphviz once; raise :class:`RenderError` with its message on failure.

    ``setting`` names where the user sets the program (the conf.py value, or the
    command line's ``--dot``), for the hint when it is missing.
    """
    hint = INSTALL_HINT.format(setting=setting)
    if fmt not in FORMATS:
        raise RenderError(f"unsupported output format {fmt!r} (use one of {', '.join(FORMATS)})")
    if shutil.which(dot) is None:
        raise DotMissingError(f"the Graphviz program {dot!r} was not found; {hint}")
    try:
        result = subprocess.run(
            [dot, *RENDER_ARGS, f"-T{fmt}"],
            input=dot_source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except OSError as exc:
        raise DotMissingError(f"the Graphviz program {dot!r} cannot be run ({exc}); {hint}") from None
    except subprocess.TimeoutExpired:
        raise RenderError(f"Graphviz took longer than {timeout:g} s") from None
    if result.returncode != 0 or not result.stdout:
        message = result.stderr.decode("utf-8", "replace").strip() or f"exit status {result.returncode}"
        raise RenderError(f"Graphviz failed: {message}")
    return result.stdout


#: The ``dot`` of a :class:`RenderPool` whose sources are finished SVG (:mod:`.svg`), not DOT.
WRITTEN = ""


def render_cached(source: str, key: str, fmt: str, directory: Path, dot: str = "dot", timeout: float = 60) -> Path:
    """Return ``directory/llmarch-<key>.<fmt>``, rendering only when it is missing
    (a source drawn by the SVG writer, ``dot`` :data:`WRITTEN`, is saved as it is).

    The file is written to a temporary name and renamed, so parallel builds that
    render the same diagram never see a half-written image.
    """
    target = directory / cached_name(key, fmt)
    if target.is_file():
        return target
    data = source.encode("utf-8") if dot == WRITTEN else render_bytes(source, fmt, dot, timeout)
    directory.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, target)
    return target


class RenderPool:
    """Graphviz runs started as soon as a diagram is known and collected when its page
    is written, so ``dot`` works on the other cores while Sphinx reads and writes.

    Only the process that made the pool starts runs: a forked parallel worker has
    none of its threads, and renders synchronously what it did not find on disk.
    With ``dot`` :data:`WRITTEN` the sources are SVG already, saved at once.
    """

    def __init__(self, dot: str, timeout: float, workers: int | None = None) -> None:
        self.dot, self.timeout, self.workers = dot, timeout, workers or max(2, os.cpu_count() or 1)
        self._owner = os.getpid()
        self._executor: ThreadPoolExecutor | None = None
        self._runs: dict[Path, Future[Path]] = {}

    def start(self, dot_source: str, key: str, fmt: str, directory: Path) -> None:
        """Begin rendering in the background unless the image exists or is on its way."""
        target = directory / cached_name(key, fmt)
        if os.getpid() != self._owner or target in self._runs or target.is_file():
            return
        if self.dot == WRITTEN:
            render_cached(dot_source, key, fmt, directory, WRITTEN)
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="llmarch-dot")
        self._runs[target] = self._executor.submit(
            render_cached, dot_source, key, fmt, directory, self.dot, self.timeout
        )

    def result(self, dot_source: str, key: str, fmt: str, directory: Path) -> Path:
        """The image, waiting for its run (or rendering it now); raises :class:`RenderError`."""
        run = self._runs.get(directory / cached_name(key, fmt)) if os.getpid() == self._owner else None
        if run is not None:
            return run.result()
        return render_cached(dot_source, key, fmt, directory, self.dot, self.timeout)

    def drain(self, cancel: bool = False) -> None:
        """Stop the threads, finishing every started run (``cancel``: only those already
        running). Done before parallel writers are forked: they look for the files, and
        forking a process that has threads can deadlock the child."""
        if self._executor is not None and os.getpid() == self._owner:
            self._executor.shutdown(wait=True, cancel_futures=cancel)
            self._executor = None

    def close(self) -> None:
        self.drain(cancel=True)
        self._runs.clear()


_XML_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)
_COMMENT = re.compile(r"<!--.*?-->\s*", re.S)
_TITLE = re.compile(r"<title>[^<]*</title>\s*")
_ID = re.compile(r'\sid="[^"]*"')
_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')


def inline_svg(svg: str, alt: str, css_class: str = "llmarch-svg") -> str:
    """Make Graphviz's SVG embeddable in a page.

    Drops the XML prologue, comments, node titles and ids (several diagrams on
    one page must not clash), sets an accessible name, and replaces the fixed
    size so the drawing scales down to the content width (its ``viewBox`` stays).
    """
    from ..escape import html_text

    svg = _XML_PROLOGUE.sub("", svg, count=1)
    svg = _COMMENT.sub("", svg)
    svg = _TITLE.sub("", svg)
    svg = _ID.sub("", svg)
    match = _SIZE.search(svg)
    # --llmarch-width keeps the natural size for layouts that show it (comparisons)
    style = (
        f' style="max-width: {float(match.group(1)):g}px; --llmarch-width: {float(match.group(1)):g}px"'
        if match
        else ""
    )
    # Each coloured span of a label is its own <text>; keep the spaces at their edges.
    head = f'<svg class="{css_class}" role="img" aria-label="{html_text(alt)}" xml:space="preserve"{style}'
    svg = _SIZE.sub(lambda _: head, svg, count=1)  # a function: the alt text may hold backslashes
    return svg.replace(">", f"><title>{html_text(alt)}</title>", 1).strip()
