"""Per-build state derived from the configuration (never stored in config or env)."""

from __future__ import annotations

import json
import weakref
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..draw.render import WRITTEN, RenderPool
from ..errors import UnknownModelError
from ..kinds import PLUGIN_PROBLEMS
from ..spec.catalog import Catalog, PageModel, Stamp, directives_loading_models, load_registry, spec_files, stamp
from ..spec.files import bundled_spec_files, load_parsed, save_parsed, write_if_changed
from .config import LLMArchConfig, read_config
from .warnings import logger, warn

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

    from ..spec.registry import Registry

STATIC_DIR = Path(__file__).parent / "static"
#: Where, in the doctree directory, the :class:`Catalog` of the last build is kept.
CATALOG_FILE = "llmarch-catalog.json"
#: Where the parsed spec files are kept (see :data:`.files.PARSED`).
PARSED_FILE = "llmarch-parsed.pickle"
#: Where the gallery settings the gallery pages were last written for are kept.
GALLERY_FILE = "llmarch-gallery.json"


def page_models(app: Sphinx) -> list[PageModel]:
    """Every model the project's pages load from a file, page by page: the sources are
    found as Sphinx finds them, and read before any page is."""
    from sphinx.project import EXCLUDE_PATHS
    from sphinx.util.matching import get_matching_files

    config = app.config
    exclude = [*config.exclude_patterns, *config.templates_path, *app.builder.get_asset_paths(), *EXCLUDE_PATHS]
    models = []
    for filename in sorted(get_matching_files(app.srcdir, config.include_patterns, exclude)):
        docname = app.project.path2doc(filename)
        if docname is None:
            continue
        try:
            text = Path(app.srcdir, filename).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue  # Sphinx says what is wrong with the page when it reads it
        if "llm-arch" not in text:
            continue
        for kind, file, argument, read_as in directives_loading_models(text):
            display, absolute = app.env.relfn2path(file, docname)
            models.append(PageModel(kind, absolute, display, argument, read_as))
    return models


class BuildState:
    """The settings, models and Graphviz runs of one build."""

    def __init__(self, app: Sphinx, config: LLMArchConfig) -> None:
        self.config = config
        #: Where and in which format this builder's images go (None: a builder without images).
        self.image_dir = Path(app.outdir, app.builder.imagedir)
        self.image_format: str | None = {"html": config.html_format, "latex": "pdf"}.get(app.builder.format)
        #: Whether diagrams are SVG from the extension's own writer (html and epub with
        #: ``llmarch_renderer = "svg"``), not DOT for Graphviz.
        self.writes_svg = config.renderer == "svg" and self.image_format == "svg"
        self.renders = RenderPool(WRITTEN if self.writes_svg else config.dot, config.dot_timeout)
        #: Problems of the whole build already reported (a missing dot), said once, counted once.
        self.reported: set[str] = set()
        #: The summaries of every model that grids, tables and the glossary are built from.
        self.every_model: dict[str, dict[str, Any]] = {}
        #: Where models and concepts were shown before this build read any page (see
        #: :func:`.references.moved_targets`); None until Sphinx looks for changed pages.
        self.targets_before: dict[str, dict[str, Any]] | None = None
        self._confdir = Path(app.confdir)
        self.spec_files, missing = spec_files(self._confdir, config.spec_paths)
        for entry in missing:
            warn(f"llmarch_spec_paths: {entry!r} is neither a directory nor a file", "config", once=True)
        #: The models pages load from a config.json or a spec path, known before any page is read.
        self.page_models = page_models(app)
        file_stamp = stamp(self.spec_files, self.page_models)
        #: The catalog of the last successful build (None: the first), and this build's.
        self.catalog_file = Path(app.doctreedir, CATALOG_FILE)
        self.parsed_file = Path(app.doctreedir, PARSED_FILE)
        self.previous = Catalog.read(self.catalog_file)
        if self.previous is not None and self.previous.stamp == file_stamp:
            self.catalog = self.previous  # no spec file changed: read none until a page needs one
        else:
            self.registry, self.catalog = self._load(file_stamp)

    @cached_property
    def registry(self) -> Registry:
        """Every model this build can show (loaded on first use when the catalog was kept)."""
        return self._load(self.catalog.stamp)[0]

    @property
    def loaded_specs(self) -> bool:
        """Whether this build loaded the specs (a no-op build does not)."""
        return "registry" in vars(self)

    def _load(self, file_stamp: Stamp) -> tuple[Registry, Catalog]:
        """Load every spec, parsing only the files the last build did not keep parsed."""
        load_parsed(self.parsed_file)
        return load_registry(self._confdir, self.spec_files, file_stamp, self.page_models)


# Keyed by the build environment, which directives (self.env) and translators
# (self.builder.env) can reach without the deprecated ``.app`` attributes.
# Parallel workers are forked, so they inherit the entry.
_STATES: weakref.WeakKeyDictionary[BuildEnvironment, BuildState] = weakref.WeakKeyDictionary()


def on_builder_inited(app: Sphinx) -> None:
    build = _STATES[app.env] = BuildState(app, read_config(app.config))
    for problem in PLUGIN_PROBLEMS:
        warn(problem, "config", once=True)
    for level, message in build.catalog.messages:
        if level == "info":
            logger.info(message)
        else:
            warn(message, "spec", once=True)
    if build.config.gallery:
        write_gallery_pages(Path(app.srcdir), build)
    if app.builder.format == "html":
        # Sphinx copies static files before it writes pages, so each page links them
        # with a checksum (?v=...) from the first build on, as it does the theme's own.
        app.config.html_static_path.append(str(STATIC_DIR))
        app.add_css_file("llmarch.css")


def write_gallery_pages(srcdir: Path, build: BuildState) -> None:
    """The ``llmarch_gallery`` pages, before Sphinx looks for changed sources; skipped
    while the catalog holds (no spec and no module of the package changed) and the
    gallery settings are those the pages were last written for."""
    from .gallery import write_gallery

    directory = srcdir / build.config.gallery
    folder, sources = directory.resolve(), srcdir.resolve()
    if folder == sources or not folder.is_relative_to(sources):  # a link may lead anywhere
        warn(f"llmarch_gallery: {build.config.gallery!r} is not a folder inside the source directory", "config")
        return
    settings_file = Path(build.catalog_file.parent, GALLERY_FILE)
    settings = json.dumps([build.config.gallery, list(build.config.gallery_models)])
    if build.catalog is build.previous and (directory / "index.rst").is_file() and _read(settings_file) == settings:
        return
    # a model a page loads already has that page; a gallery page would show it twice
    models = [arch for arch in build.registry if arch.id not in build.registry.from_pages]
    if build.config.gallery_models:
        chosen = set()
        for name in build.config.gallery_models:
            try:
                chosen.add(build.registry.get(name).id)
            except UnknownModelError as error:
                warn(f"llmarch_gallery_models: {error}", "config", once=True)
        models = [arch for arch in models if arch.id in chosen]
    kept = write_gallery(directory, models)
    for path in kept:
        where = path.relative_to(srcdir).as_posix()
        warn(
            f"llmarch_gallery: {where} was not written by sphinx-llmarch, so it is left as it is; "
            "move it, or choose another llmarch_gallery folder",
            "gallery",
        )
    write_if_changed(settings_file, "" if kept else settings)  # with a page kept, check again next build


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def state(env: BuildEnvironment) -> BuildState:
    return _STATES[env]


def write_exports(outdir: Path, build: BuildState) -> None:
    """``llmarch_export``: every model's facts beside the pages, written again only when a
    spec (or the package) changed or a file is missing."""
    from ..facts.summary import export_text

    files = [outdir / name for name in build.config.export]
    if not files or (build.catalog is build.previous and all(file.is_file() for file in files)):
        return
    archs = list(build.registry)
    for file in files:
        write_if_changed(file, export_text(archs, file.suffix))


def finish(app: Sphinx, exception: Exception | None) -> None:
    """Stop the Graphviz runs; after a successful build, keep the catalog for the next."""
    build = state(app.env)
    build.renders.close()
    if exception is None:
        if app.builder.format == "html":
            write_exports(Path(app.outdir), build)
        if build.catalog is not build.previous:
            build.catalog.write(build.catalog_file)
        if build.loaded_specs:
            save_parsed(build.parsed_file, [*build.spec_files, *bundled_spec_files()])
