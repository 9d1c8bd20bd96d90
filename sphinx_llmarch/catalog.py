"""The models one Sphinx build can show: bundled specs plus ``llmarch_spec_paths``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .registry import Registry, bundled_registry
from .spec_table import SpecError
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

    User specs may extend bundled ones or each other. A skipped file's error is
    kept under its file name, so a directive asking for that model repeats the
    real problem instead of "unknown model".
    """
    bundled = bundled_registry()
    registry = Registry(bundled, bundled.raw)
    confdir = Path(app.confdir)

    def failed(path: Path, error: SpecError) -> None:
        warn(str(error), "spec")
        registry.failed[path.stem] = error

    files = [(path, _display(path, confdir)) for path in _spec_files(confdir, config.spec_paths)]
    for arch in registry.add_files(files, failed):
        if arch.id in {model.id for model in bundled}:
            logger.info("llmarch: %s overrides the bundled spec %r", _display(Path(arch.source_path), confdir), arch.id)
    for message in registry.conflicts:
        warn(message, "spec", once=True)
    return registry


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
