"""The models one Sphinx build can show: bundled specs, ``llmarch_spec_paths``, and the
models pages load themselves (``llm-arch`` with ``:config:`` or a spec path).

Pages are read in any order, and in parallel, so a comparison or a table cannot wait
for the page that loads a model: before reading, the sources are scanned for those
directives (:func:`sphinx_llmarch.sphinxext.runtime.page_models`, as autosummary scans for its own), and the models
they load join the registry like a user spec.

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
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from .files import bundled_spec_files, files_in, write_if_changed

if TYPE_CHECKING:
    from ..errors import SpecError
    from .registry import Registry

PACKAGE_DIR = Path(__file__).parents[1]
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


def spec_files(confdir: Path, entries: tuple[str, ...]) -> tuple[list[Path], list[str]]:
    """The ``.toml`` files that ``llmarch_spec_paths`` names, in order, and the entries
    that name nothing."""
    files: list[Path] = []
    missing = []
    for entry in entries:
        path = confdir / entry
        if path.is_dir() or path.is_file():
            files += files_in(path)
        else:
            missing.append(entry)
    return files, missing


class PageModel(NamedTuple):
    """A model a page loads itself: ``llm-arch`` with ``:config:`` or a spec path."""

    #: "config" (a Hugging Face config.json) or "spec" (a TOML spec).
    kind: str
    #: The file, absolute, and as the page's directive names it in messages.
    path: str
    display: str
    #: The directive's argument, the id of a config's model ("" for the default).
    model_id: str
    #: The known model type a config of an unknown type is read as (``:read-as:``), or "".
    read_as: str = ""


#: The opening line of an ``llm-arch`` directive: reST, or a MyST fence (``` ~~~ :::).
_OPENER = re.compile(
    r"^(?P<indent>[ \t]*)(?:\.\.[ \t]+llm-arch::|(?P<fence>`{3,}|~{3,}|:{3,})[ \t]*\{llm-arch\})(?P<arg>.*)$",
    re.MULTILINE,
)
#: Its ``:config:`` option (``config:`` in a MyST front block).
_CONFIG = re.compile(r"^[ \t]*:?config:[ \t]*(\S(?:.*\S)?)[ \t]*$", re.MULTILINE)
_READ_AS = re.compile(r"^[ \t]*:?read-as:[ \t]*(\S+)[ \t]*$", re.MULTILINE)


def directives_loading_models(text: str) -> list[tuple[str, str, str, str]]:
    """(kind, file, argument, read-as type or "") of each ``llm-arch`` directive in a page's
    source that loads its model from a file, read the way the directive reads its options."""
    found = []
    for opener in _OPENER.finditer(text):
        lines = text[opener.end() :].split("\n")[1:]
        fence, indent = opener.group("fence"), len(opener.group("indent"))
        block = []
        for line in lines:
            if fence and line.strip().startswith(fence):
                break
            if not fence and (not line.strip() or len(line) - len(line.lstrip()) <= indent):
                break  # a reST directive's options end at its first blank or unindented line
            block.append(line)
        argument = opener.group("arg").strip()
        options = "\n".join(block)
        config, read_as = _CONFIG.search(options), _READ_AS.search(options)
        if config:
            found.append(("config", config.group(1), argument, read_as.group(1) if read_as else ""))
        elif argument.endswith(".toml"):
            found.append(("spec", argument, "", ""))
    return found


def stamp(files: list[Path], pages: Sequence[PageModel] = ()) -> Stamp:
    """Path, size and mtime of every user spec, bundled spec, file a page loads a model
    from (with how it loads it) and module of the package: any edit, and any upgrade of
    the package, gives another stamp."""
    entries = []
    named = [(path, str(path)) for path in [*files, *bundled_spec_files(), *sorted(PACKAGE_DIR.rglob("*.py"))]]
    named += [
        (Path(page.path), " ".join([page.path, page.kind, page.model_id, page.read_as]).rstrip()) for page in pages
    ]
    for path, name in named:
        try:
            info = path.stat()
        except OSError:
            continue
        entries.append((name, info.st_mtime_ns, info.st_size))
    return tuple(entries)


def load_registry(
    confdir: Path, files: list[Path], file_stamp: Stamp, pages: Sequence[PageModel] = ()
) -> tuple[Registry, Catalog]:
    """Bundled models, then the user's, then those pages load; a bad file is skipped and
    its error kept.

    User specs may extend bundled ones or each other. A skipped file's error is
    kept under its file name, so a directive asking for that model repeats the
    real problem instead of "unknown model".
    """
    from ..facts.stats import official_disagreements
    from .registry import bundled_registry, with_bundled

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
    add_page_models(registry, pages)
    messages += [("warning", message) for message in registry.conflicts]
    return registry, Catalog(file_stamp, registry.names(), tuple(messages))


def add_page_models(registry: Registry, pages: Sequence[PageModel]) -> None:
    """Add the models pages load, unless their id is taken: a model never replaces one
    the registry has (the page still shows its own, and its directive warns). A file
    that fails to load is left out quietly: that directive says why."""
    from ..errors import SpecError, UnknownModelError
    from .loader import load_config
    from .registry import load_spec

    for page in pages:
        try:
            if page.kind == "config":
                arch, _ = load_config(page.path, page.display, page.model_id or None, page.read_as or None)
            else:
                arch = load_spec(page.path, display=page.display, lookup=registry.raw_spec)
        except (SpecError, UnknownModelError):
            continue
        if arch.id not in registry:
            registry.add(arch, page.display)
            registry.from_pages.add(arch.id)


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
