"""Per-build state derived from the configuration (never stored in config or env)."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .catalog import build_registry
from .config import LLMArchConfig, read_config

if TYPE_CHECKING:
    from sphinx.application import Sphinx

    from .loader import Registry

STATIC_DIR = Path(__file__).parent / "static"


@dataclass(frozen=True)
class BuildState:
    config: LLMArchConfig
    registry: Registry


_STATES: weakref.WeakKeyDictionary[Sphinx, BuildState] = weakref.WeakKeyDictionary()


def on_builder_inited(app: Sphinx) -> None:
    config = read_config(app.config)
    _STATES[app] = BuildState(config, build_registry(app, config))
    if app.builder.format == "html":
        app.add_css_file("llmarch.css")


def copy_static(app: Sphinx, exception: Exception | None) -> None:
    """Ship the stylesheet with html output only (never into latex or text builds)."""
    if exception is None and app.builder.format == "html":
        from sphinx.util.fileutil import copy_asset_file

        copy_asset_file(STATIC_DIR / "llmarch.css", Path(app.outdir, "_static"))


def state(app: Sphinx) -> BuildState:
    if app not in _STATES:  # a worker or a test that skipped builder-inited
        on_builder_inited(app)
    return _STATES[app]
