"""Reading spec files with located errors, and writes that leave unchanged files alone
(keeping mtimes, and so rebuilds, stable)."""

from __future__ import annotations

import pickle
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import SpecError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: Parsed TOML files by resolved path, with the (mtime, size) they were parsed at.
#: Parsing is most of the cost of loading the bundled specs, so a Sphinx build keeps
#: this beside its environment (:func:`load_parsed`, :func:`save_parsed`) and the next
#: build parses only the files that changed.
PARSED: dict[str, tuple[int, int, dict[str, Any]]] = {}


def read_text(path: str | Path, display: str) -> str:
    """A spec or config file's text: UTF-8, with or without a byte-order mark.

    Anything else (a folder, a missing file, Latin-1 bytes) is a :class:`SpecError`
    naming the file, never a traceback.
    """
    try:
        return Path(path).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise SpecError(display, "", f"cannot read the file ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        byte = exc.object[exc.start]
        raise SpecError(display, "", f"not UTF-8 text (byte 0x{byte:02x} at offset {exc.start})") from None


def read_toml(path: str | Path, display: str) -> dict[str, Any]:
    """A TOML file's data, parsed once per version of the file; errors name ``display``.
    Callers must not change what they get back."""
    resolved = str(Path(path).resolve())
    try:
        info = Path(resolved).stat()
    except OSError:
        info = None  # read_text says what is wrong
    cached = PARSED.get(resolved)
    if info is not None and cached is not None and cached[:2] == (info.st_mtime_ns, info.st_size):
        return cached[2]
    try:
        data = tomllib.loads(read_text(path, display))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(display, "", f"invalid TOML: {exc}") from None
    if info is not None:
        PARSED[resolved] = (info.st_mtime_ns, info.st_size, data)
    return data


def load_parsed(path: Path) -> None:
    """Add the parsed files a previous build kept in ``path`` (if it is readable) to
    :data:`PARSED`; entries are checked against each file when it is read."""
    try:
        kept = pickle.loads(path.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return
    if isinstance(kept, dict):
        for resolved, entry in kept.items():
            PARSED.setdefault(resolved, entry)
        _SAVED[path] = {key: entry[:2] for key, entry in kept.items()}


def save_parsed(path: Path, files: list[Path]) -> None:
    """Keep the parsed versions of ``files`` (the rest are gone or not ours) in ``path``,
    unless it already holds exactly those versions."""
    wanted = {str(file.resolve()) for file in files}
    kept = {key: PARSED[key] for key in sorted(wanted & PARSED.keys())}
    versions = {key: entry[:2] for key, entry in kept.items()}
    if _SAVED.get(path) != versions:
        write_if_changed(path, pickle.dumps(kept))
        _SAVED[path] = versions


#: The versions each kept file holds, as this process last loaded or saved it.
_SAVED: dict[Path, dict[str, tuple[int, int]]] = {}


def write_if_changed(path: Path, data: str | bytes) -> None:
    """Write ``data`` unless the file already holds it."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if path.is_file() and path.read_bytes() == raw:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)


def files_in(path: Path, patterns: tuple[str, ...] = ("*.toml",)) -> list[Path]:
    """A folder's files matching ``patterns``, sorted; any other path stands for itself."""
    if not path.is_dir():
        return [path]
    return sorted(file for pattern in patterns for file in path.glob(pattern))


def bundled_spec_files() -> list[Path]:
    """The spec files shipped in the package, sorted."""
    return files_in(Path(str(resources.files("sphinx_llmarch") / "specs")))
