"""Which pages show models and which cached renders they use.

Pages that show a model are re-read when the catalog of specs changes; renders
no page uses any more are deleted.

Sphinx's own graphviz extension leaves old images in ``_images`` forever. Here
each document records its diagrams (render key and DOT or SVG source) in the
environment (purged and merged per document, so ``-j N`` and incremental builds
agree); renders start as pages are read, and after a successful build every
``llmarch-*`` render no document uses is removed.
"""

from __future__ import annotations

import json
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..draw.render import cached_name, render_key
from ..spec.files import write_if_changed
from .runtime import state

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment


def _diagrams(env: BuildEnvironment) -> dict[str, dict[str, str]]:
    """docname -> {render key: DOT or SVG source} of the diagrams the page shows."""
    return env.get_domain("llm").diagrams  # type: ignore[attr-defined,no-any-return]


def note_use(env: BuildEnvironment) -> None:
    """Record that the page being read shows a model (with or without a diagram)."""
    _diagrams(env).setdefault(env.docname, {})


#: Aspect -> (module, function): what the pages of that aspect show of one model, as
#: JSON. Pages that show every model (a grid, a table, the glossary) are built from one
#: file per aspect, and depend on it instead of on every spec file: a spec edit re-reads
#: them only when what they show of that model changed, and reading them needs neither
#: the specs nor the model code (see :func:`write_every_model_files`).
ASPECTS = {"models": ("views", "shown_in_views"), "concepts": ("glossary", "shown_in_glossary")}


def every_model_file(env: BuildEnvironment, aspect: str) -> Path:
    return Path(env.doctreedir, f"llmarch-every-{aspect}.json")


def note_every_model(env: BuildEnvironment, aspect: str) -> dict[str, Any]:
    """What the page being read shows of every model (model id -> ``aspect``'s summary);
    the page is re-read when that changes."""
    note_use(env)
    file = every_model_file(env, aspect)
    env.note_dependency(str(file))
    build = state(env)
    if aspect not in build.every_model:
        build.every_model[aspect] = json.loads(file.read_text(encoding="utf-8"))
    return build.every_model[aspect]


def write_every_model_files(app: Sphinx) -> None:
    """Rewrite each aspect's file if what it holds changed: at builder-inited, before
    Sphinx compares dependencies, and only when a spec or the package changed."""
    build = state(app.env)
    files = {aspect: every_model_file(app.env, aspect) for aspect in ASPECTS}
    if build.catalog is build.previous and all(file.is_file() for file in files.values()):
        return
    for aspect, (module, function) in ASPECTS.items():
        shown = getattr(import_module(f".{module}", __package__), function)
        summary = {arch.id: shown(arch) for arch in build.registry}
        write_if_changed(files[aspect], json.dumps(summary, sort_keys=True))


def pages_with_diagrams(env: BuildEnvironment) -> list[str]:
    return sorted(doc for doc, keys in _diagrams(env).items() if keys)


def note_diagram(env: BuildEnvironment, dot_source: str) -> str:
    """Record a diagram of the page being read (DOT, or SVG from the writer), start
    rendering it, return its render key."""
    build = state(env)
    key = render_key(dot_source, build.renders.dot)
    _diagrams(env).setdefault(env.docname, {})[key] = dot_source
    if build.image_format:
        build.renders.start(dot_source, key, build.image_format, build.image_dir)
    return key


def outdated_by_renderer(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """Re-read every page with a diagram when this builder wants the other kind of source
    than the pages were read with: DOT for Graphviz or SVG from the writer (the setting
    changed, or a latex build shares the environment of an html one)."""
    drawn = "svg" if state(env).writes_svg else "dot"
    data = env.get_domain("llm").data
    before, data["drawn_as"] = data.get("drawn_as", "dot"), drawn
    return [] if before == drawn else [doc for doc in pages_with_diagrams(env) if doc not in removed]


def diagram_source(env: BuildEnvironment, docname: str, key: str) -> str:
    """The source (DOT, or SVG from the writer) of a diagram a page recorded."""
    return _diagrams(env)[docname][key]


def start_missing_renders(app: Sphinx, env: BuildEnvironment) -> None:
    """After reading: start every render not on disk yet (parallel readers could not),
    and with parallel writers finish them, since forked writers see only files."""
    build = state(env)
    if not build.image_format:
        return
    for diagrams in _diagrams(env).values():
        for key, dot_source in diagrams.items():
            build.renders.start(dot_source, key, build.image_format, build.image_dir)
    if app.parallel > 1:
        build.renders.drain()


def prune_stale(app: Sphinx, exception: Exception | None) -> None:
    build = state(app.env)
    if exception is not None or not build.image_format:
        return
    keep = {cached_name(key, build.image_format) for keys in _diagrams(app.env).values() for key in keys}
    for path in build.image_dir.glob("llmarch-*.*"):
        if path.name not in keep and not path.name.endswith(".tmp"):
            path.unlink()


def outdated_by_catalog(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """Re-read every page that shows a model when the set of spec files, ids or aliases
    changed (a new file in a spec folder): Sphinx sees no dependency for a file that
    did not exist when the page was read. Likewise when the package's code changed (an
    upgrade), since its pages were drawn by the old code. Editing one spec's body
    rebuilds only its pages."""
    build = state(env)
    previous, current = build.previous, build.catalog
    if previous is None or (previous.names == current.names and previous.code() == current.code()):
        return []
    return sorted(doc for doc in _diagrams(env) if doc not in removed)
