"""Reading spec files with located errors, and writes that leave unchanged files alone
(keeping mtimes, and so rebuilds, stable)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .errors import SpecError


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
