"""The models one Sphinx build can show: bundled specs plus ``llmarch_spec_paths``.

Parsing and validating every spec costs more than a no-op build of a small
project, and most builds change no spec. So what loading the specs found (the
names pages depend on, and what it had to say) is kept beside the environment as a
:class:`Catalog`, stamped with the size and mtime of every spec file and of the
package's own code; while the stamp holds, no spec is read until a page that
shows a model is. (Not inside the environment: Sphinx saves that only when it
re-read a page, and a catalog change alone may re-read none.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .files import bundled_spec_files, files_in, write_if_changed
from .warnings import logger, warn

if TYPE_CHECKING:
    from .errors import SpecError
    from .registry import Registry

PACKAGE_DIR = Path(__file__).parent
Stamp = tuple[tuple[str, int, int], ...]
Names = tuple[tuple[str, str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class Catalog:
    """What loading one version of the spec files found."""

    stamp: Stamp
    #: (file, id, aliases) of every model: what a page naming a model depends on.
    names: Names
    #: What loading said: broken files and clashing names (warnings), overrides (info).
    messages: tuple[tuple[Literal["warning", "info"], str], ...]

    @classmethod
    def read(cls, path: Path) -> Catalog | None:
        """The catalog saved by the last successful build, if any (and readable)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            stamp = tuple((str(f), int(m), int(z)) for f, m, z in data["stamp"])
            names = tuple((str(f), str(i), tuple(map(str, a))) for f, i, a in data["names"])
            messages = tuple(("info" if level == "info" else "warning", str(m)) for level, m in data["messages"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return cls(stamp, names, messages)

    def code(self) -> Stamp:
        """The part of the stamp that covers the package's own modules."""
        return tuple(entry for entry in self.stamp if entry[0].endswith(".py"))

    def write(self, path: Path) -> None:
        data = {"stamp": self.stamp, "names": self.names, "messages": self.messages}
        write_if_changed(path, json.dumps(data, indent=0))

    def report(self) -> None:
        for level, message in self.messages:
            if level == "info":
                logger.info(message)
            else:
                warn(message, "spec", once=True)


def spec_files(confdir: Path, entries: tuple[str, ...]) -> list[Path]:
    """The ``.toml`` files that ``llmarch_spec_paths`` names, in order."""
    files: list[Path] = []
    for entry in entries:
        path = confdir / entry
        if path.is_dir() or path.is_file():
            files += files_in(path)
        else:
            warn(f"llmarch_spec_paths: {entry!r} is neither a directory nor a file", "config", once=True)
    return files


def stamp(files: list[Path]) -> Stamp:
    """Path, size and mtime of every user spec, bundled spec and module of the package:
    any edit, and any upgrade of the package, gives another stamp."""
    entries = []
    for path in [*files, *bundled_spec_files(), *sorted(PACKAGE_DIR.rglob("*.py"))]:
        try:
            info = path.stat()
        except OSError:
            continue
        entries.append((str(path), info.st_mtime_ns, info.st_size))
    return tuple(entries)


def load_registry(confdir: Path, files: list[Path], file_stamp: Stamp) -> tuple[Registry, Catalog]:
    """Bundled models, then the user's; a bad file is skipped and its error kept.

    User specs may extend bundled ones or each other. A skipped file's error is
    kept under its file name, so a directive asking for that model repeats the
    real problem instead of "unknown model".
    """
    from .registry import bundled_registry, with_bundled
    from .stats import official_disagreements

    registry, problems = with_bundled()
    messages: list[tuple[Literal["warning", "info"], str]] = [("warning", problem) for problem in problems]

    def failed(path: Path, error: SpecError) -> None:
        messages.extend(("warning", str(problem)) for problem in error.every())
        registry.failed[path.stem] = error

    for arch in registry.add_files([(path, _display(path, confdir)) for path in files], failed):
        where = _display(Path(arch.source_path), confdir)
        if bundled_registry().is_bundled(arch.id):
            messages.append(("info", f"llmarch: {where} overrides the bundled spec {arch.id!r}"))
        messages += [("warning", f"{where}: {key}: {problem}") for key, problem in official_disagreements(arch)]
    messages += [("warning", message) for message in registry.conflicts]
    return registry, Catalog(file_stamp, registry.names(), tuple(messages))


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
