"""Per-build state derived from the configuration (never stored in config or env)."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .catalog import build_registry
from .config import LLMArchConfig, read_config
from .files import write_if_changed
from .render import RenderPool

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

    from .registry import Registry

STATIC_DIR = Path(__file__).parent / "static"


@dataclass(frozen=True)
class BuildState:
    config: LLMArchConfig
    registry: Registry
    renders: RenderPool
    #: Where and in which format this builder's images go (None: a builder without images).
    image_dir: Path
    image_format: str | None
    #: Problems of the whole build already reported (a missing dot), said once, counted once.
    reported: set[str] = field(default_factory=set)


# Keyed by the build environment, which directives (self.env) and translators
# (self.builder.env) can reach without the deprecated ``.app`` attributes.
# Parallel workers are forked, so they inherit the entry.
_STATES: weakref.WeakKeyDictionary[BuildEnvironment, BuildState] = weakref.WeakKeyDictionary()


def on_builder_inited(app: Sphinx) -> None:
    config = read_config(app.config)
    renders = RenderPool(config.dot, config.dot_timeout)
    image_dir = Path(app.outdir, app.builder.imagedir)
    fmt = {"html": config.html_format, "latex": "pdf"}.get(app.builder.format)
    _STATES[app.env] = BuildState(config, build_registry(app, config), renders, image_dir, fmt)
    if app.builder.format == "html":
        app.add_css_file("llmarch.css")


def copy_static(app: Sphinx, exception: Exception | None) -> None:
    """Ship the stylesheet with html output only (never into latex or text builds)."""
    if exception is None and app.builder.format == "html":
        css = (STATIC_DIR / "llmarch.css").read_bytes()
        write_if_changed(Path(app.outdir, "_static", "llmarch.css"), css)


def state(env: BuildEnvironment) -> BuildState:
    return _STATES[env]


def close_renders(app: Sphinx, exception: Exception | None) -> None:
    state(app.env).renders.close()
