"""The models a build or a command can name: by id and alias, with the raw specs
``extends`` can reach, and a clear word whenever two specs claim one name."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from ..errors import SpecError, UnknownModelError
from ..model.architecture import Architecture
from .files import bundled_spec_files
from .loader import Lookup, RawSpec, file_name_problem, read_raw
from .problems import build
from .table import suggest


class Registry:
    """Models by id and alias, and the raw specs that ``extends`` can name."""

    def __init__(self, models: Iterable[Architecture] = (), raw: Mapping[str, RawSpec] | None = None) -> None:
        self._models: dict[str, Architecture] = {}
        self._aliases: dict[str, str] = {}
        #: Where each id came from, for messages; bundled models are marked.
        self._files: dict[str, str] = {}
        self._bundled: set[str] = set()
        self.raw: dict[str, RawSpec] = dict(raw or {})
        #: Spec files that failed to load, by file stem, with their error.
        self.failed: dict[str, SpecError] = {}
        #: Two specs claiming one id or alias: one message each, naming both files.
        self.conflicts: list[str] = []
        #: Models that a page loads itself (``:config:``, a spec path): that page is their place.
        self.from_pages: set[str] = set()
        for arch in models:
            self.add(arch, bundled=True)

    def raw_spec(self, model_id: str) -> RawSpec | None:
        return self.raw.get(self._aliases.get(model_id, model_id))

    def model(self, model_id: str) -> Architecture:
        """:meth:`get`; but for a spec that failed to load, its error rather than "unknown id"."""
        try:
            return self.get(model_id)
        except UnknownModelError:
            if model_id in self.failed:
                raise self.failed[model_id] from None
            raise

    def file_of(self, model_id: str) -> str:
        return self._files.get(model_id, model_id)

    def add(self, arch: Architecture, display: str = "", bundled: bool = False) -> Architecture | None:
        """Add or replace a model; return the one it replaced, if any.

        Ids beat aliases. A user spec may replace a bundled model quietly (the
        build log says so); any other clash is noted in :attr:`conflicts`.
        """
        display = display or Path(arch.source_path).name or arch.id
        replaced = self._models.get(arch.id)
        if replaced is not None and arch.id not in self._bundled:
            self.conflicts.append(
                f"{display}: id {arch.id!r} is also the id of {self._files[arch.id]}; {display} is used"
            )
        if arch.id in self._aliases and self._aliases[arch.id] != arch.id:
            other = self._aliases.pop(arch.id)
            self.conflicts.append(
                f"{display}: id {arch.id!r} was an alias of {other} ({self._files[other]}); the id wins"
            )
        self._models[arch.id] = arch
        self._files[arch.id] = display
        if bundled:
            self._bundled.add(arch.id)
        else:
            self._bundled.discard(arch.id)
        for index, alias in enumerate(arch.aliases):
            where = f"{display}: aliases[{index}]: {alias!r}"
            if alias in self._models and alias != arch.id:
                self.conflicts.append(f"{where} is the id of {self._files[alias]}; the alias is ignored")
                continue
            previous = self._aliases.get(alias)
            if previous not in (None, arch.id):
                self.conflicts.append(
                    f"{where} was an alias of {previous} ({self._files[previous]}); it now names {arch.id}"
                )
            self._aliases[alias] = arch.id
        return replaced

    def add_files(
        self,
        files: Iterable[tuple[Path, str]],
        on_error: Callable[[Path, SpecError], None] | None = None,
        *,
        sourced: bool = False,
    ) -> list[Architecture]:
        """Parse every file first, so a spec may extend one read after it; then build each.

        Returns the models added, in file order; a failing file is passed to ``on_error``
        (without one, its error is raised). ``sourced``: each must link its sources.
        """
        on_error = on_error or _raise
        pending = []
        for path, display in files:
            try:
                raw = read_raw(path, display)
            except SpecError as error:
                on_error(path, error)
                continue
            model_id = raw.data.get("id")
            if isinstance(model_id, str):
                self.raw[model_id] = raw
            pending.append((path, raw))
        added = []
        for path, raw in pending:
            try:
                arch = build(raw, self.raw_spec, sourced=sourced)
                misnamed = file_name_problem(arch.id, path, raw.display)
                if misnamed:
                    raise misnamed
            except SpecError as error:
                on_error(path, error)
                continue
            self.add(arch, raw.display)
            added.append(arch)
        return added

    def __iter__(self) -> Iterator[Architecture]:
        return iter(sorted(self._models.values(), key=lambda a: (a.released or datetime.date.min, a.id)))

    def __len__(self) -> int:
        return len(self._models)

    def __contains__(self, model_id: object) -> bool:
        """Whether ``model_id`` is a model's id (aliases do not count)."""
        return model_id in self._models

    def is_bundled(self, model_id: str) -> bool:
        return model_id in self._bundled

    def names(self) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
        """(file, id, aliases) of every model, sorted: what pages naming a model depend on."""
        return tuple(sorted((self._files[a.id], a.id, a.aliases) for a in self._models.values()))

    def get(self, model_id: str) -> Architecture:
        key = model_id.strip().lower()
        key = self._aliases.get(key, key)
        if key in self._models:
            return self._models[key]
        raise UnknownModelError(model_id, suggest(key, [*self._models, *self._aliases]))


def _raise(path: Path, error: SpecError) -> None:
    raise error


@functools.cache
def bundled_registry() -> Registry:
    """The specs shipped with the package (parsed once per process). A broken one, a
    bug in the package, is left out and kept in :attr:`Registry.failed` (a clash in
    :attr:`Registry.conflicts`), so that a build warns and shows every other model."""
    registry = Registry()

    def failed(path: Path, error: SpecError) -> None:
        registry.failed[path.stem] = error

    for arch in registry.add_files(((path, path.name) for path in bundled_spec_files()), failed, sourced=True):
        registry._bundled.add(arch.id)
    return registry


def with_bundled() -> tuple[Registry, list[str]]:
    """A registry of the bundled models for user specs to join, and what is wrong
    with the package's own specs (nothing, unless it is broken)."""
    bundled = bundled_registry()
    registry = Registry(bundled, bundled.raw)
    registry.failed.update(bundled.failed)
    problems = [f"bundled spec {error}" for error in bundled.failed.values()]
    return registry, problems + [f"bundled specs: {conflict}" for conflict in bundled.conflicts]


def load_spec(path: str | Path, display: str | None = None, lookup: Lookup | None = None) -> Architecture:
    """Load one TOML spec file; ``display`` is the name used in messages; ``lookup``
    finds the specs it may extend (default: the bundled ones)."""
    raw = read_raw(path, display)
    arch = build(raw, lookup or bundled_registry().raw_spec)
    misnamed = file_name_problem(arch.id, path, raw.display)
    if misnamed:
        raise misnamed
    return arch
