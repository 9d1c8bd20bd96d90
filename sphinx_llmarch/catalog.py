"""The models one Sphinx build can show: bundled specs plus ``llmarch_spec_paths``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .loader import Registry, SpecError, bundled_registry, bundled_spec_files, load_spec
from .warnings import logger, warn

if TYPE_CHECKING:
    from sphinx.application import Sphinx

    from .config import LLMArchConfig


def _spec_files(confdir: Path, entries: tuple[str, ...]) -> list[Path]:
    files: list[Path] = []
    for entry in entries:
        path = confdir / entry
        if path.is_dir():
            files += sorted(path.glob("*.toml"))
        elif path.is_file():
            files.append(path)
        else:
            warn(f"llmarch_spec_paths: {entry!r} is neither a directory nor a file", "config", once=True)
    return files


def build_registry(app: Sphinx, config: LLMArchConfig) -> Registry:
    """Bundled models, then the user's; bad files warn once and are skipped.

    A skipped file's error is kept under its file name, so a directive asking
    for that model repeats the real problem instead of "unknown model".
    """
    registry = Registry(bundled_registry())
    bundled = {path.stem for path in bundled_spec_files()}
    confdir = Path(app.confdir)
    for path in _spec_files(confdir, config.spec_paths):
        try:
            arch = load_spec(path, display=_display(path, confdir))
        except SpecError as error:
            warn(str(error), "spec")
            registry.failed[path.stem] = error
            continue
        if registry.add(arch) is not None and arch.id in bundled:
            logger.info("llmarch: %s overrides the bundled spec %r", _display(path, confdir), arch.id)
    return registry


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
