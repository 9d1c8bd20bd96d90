"""Typed, located reads from one table of a parsed spec.

Every problem becomes ``file: key.path: problem``. When a spec ``extends``
another, each key remembers the file that set it, so the message names the
file an author has to open.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import SpecError

#: Bounds that keep every computation finite: a size beyond 2**32 or a figure beyond
#: a quadrillion is a typo, and would overflow the float arithmetic of the stats.
LARGEST_SIZE = 2**32
LARGEST_NUMBER = 1e15
#: The longest name, family, organization or layer-kind label: each is drawn on one line.
SHORT_TEXT = 80


#: Control characters but tab and newline (DOT and XML refuse them), C1 controls,
#: bidirectional overrides and isolates, which reorder the text drawn after them (Trojan
#: Source), and what no UTF-8 or XML file can hold (lone surrogates from a JSON escape).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def suggest(word: str, choices: Iterable[str]) -> list[str]:
    """Close matches, for "did you mean" hints."""
    return difflib.get_close_matches(word, sorted(choices), n=3, cutoff=0.6)


#: Marks a value as required in the typed getters.
REQUIRED: Any = object()


@dataclass
class SpecTable:
    """A table that knows its key path, which keys were read, and who set each key."""

    file: str
    path: str
    data: Mapping[str, Any]
    #: Key path -> file that set it (only for specs that extend another).
    origins: Mapping[str, str] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def fail(self, name: str, problem: str, fallback: Any = None) -> SpecError:
        full = self.key(name)
        return SpecError(self.origin(full), full, problem, fallback)

    def origin(self, key: str) -> str:
        """The file that set ``key``, or the nearest table holding it (a base may set a whole table)."""
        parts = key.split("[", 1)[0].split(".")
        for end in range(len(parts), 0, -1):
            prefix = ".".join(parts[:end])
            if prefix in self.origins:
                return self.origins[prefix]
        return self.file

    def has(self, name: str) -> bool:
        return name in self.data

    def get(self, name: str, kinds: tuple[type, ...], what: str, default: Any = None) -> Any:
        """The value of ``name`` if it has one of ``kinds`` (bool is never an int here)."""
        self.used.add(name)
        if name not in self.data:
            if default is REQUIRED:
                typo = suggest(name, [key for key in self.data if key not in self.used])
                if typo:  # report the misspelling, which is the real problem
                    raise self.fail(typo[0], f"unknown key (did you mean {name!r}?)")
                raise self.fail(name, "missing required value")
            return default
        value = self.data[name]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise self.fail(name, f"expected {what}, got {type(value).__name__} {value!r}")
        return value

    def str(self, name: str, default: Any = None, *, longest: int | None = None) -> Any:
        """A string; ``longest`` bounds what is drawn in a diagram title or box."""
        value = self.get(name, (str,), "a string", default)
        control = _CONTROL.search(value) if isinstance(value, str) else None
        if control:
            raise self.fail(name, f"contains the control character U+{ord(control[0]):04X}")
        if longest is not None and isinstance(value, str) and len(value) > longest:
            raise self.fail(name, f"is {len(value):,} characters long; at most {longest} fit in a diagram")
        return value

    def bool(self, name: str, default: bool = False) -> bool:
        return self.get(name, (bool,), "true or false", default)

    def int(self, name: str, default: Any = None, *, minimum: int = 1) -> Any:
        """A count or size: no model has one near :data:`LARGEST_SIZE`."""
        value = self.get(name, (int,), "an integer", default)
        if isinstance(value, int) and value < minimum:
            raise self.fail(name, f"{value} is below the minimum {minimum}")
        if isinstance(value, int) and value > LARGEST_SIZE:
            raise self.fail(name, f"{value:,} is larger than any model's ({LARGEST_SIZE:,} at most)")
        return value

    def number(self, name: str, default: Any = None) -> Any:
        """A positive, finite number: parameter figures, RoPE bases, epsilons."""
        value = self.get(name, (int, float), "a number", default)
        if isinstance(value, (int, float)) and not 0 < value <= LARGEST_NUMBER:
            raise self.fail(name, f"{value!r} is not a positive number up to {LARGEST_NUMBER:.0e}")
        return value

    def fraction(self, name: str, default: float = 1.0) -> float:
        value = self.get(name, (int, float), "a number", default)
        if not 0 < value <= 1:
            raise self.fail(name, f"{value} is not a fraction in (0, 1]")
        return float(value)

    def choice(self, name: str, choices: Iterable[str], default: Any = None) -> Any:
        choices = tuple(choices)
        value = self.str(name, default)
        if value is not None and value not in choices:
            hint = suggest(value, choices)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise self.fail(name, f"{value!r} is not one of {', '.join(choices)}{extra}", choices[0])
        return value

    def list(self, name: str, default: Any = None) -> Any:
        return self.get(name, (list,), "a list", default)

    def names(self, name: str, choices: Iterable[str], default: tuple[str, ...] = ()) -> tuple[str, ...]:
        """A non-empty list whose every item is one of ``choices``."""
        choices = tuple(choices)
        value = self.list(name)
        if value is None:
            return default
        if not value:
            raise self.fail(name, "the list is empty")
        for index, item in enumerate(value):
            if item not in choices:
                hint = suggest(str(item), choices)
                extra = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise self.fail(f"{name}[{index}]", f"{item!r} is not one of {', '.join(choices)}{extra}", choices[0])
        return tuple(value)

    def table(self, name: str, required: bool = False) -> SpecTable | None:
        self.used.add(name)
        if name not in self.data:
            if required:
                typo = suggest(name, [key for key in self.data if key not in self.used])
                if typo:  # a misspelt table name is the real problem
                    raise self.fail(typo[0], f"unknown key (did you mean {name!r}?)")
                raise self.fail(name, "missing required table")
            return None
        value = self.data[name]
        if not isinstance(value, Mapping):
            raise self.fail(name, f"expected a table, got {type(value).__name__}")
        return SpecTable(self.file, self.key(name), value, self.origins)

    def tables(self, name: str) -> list[SpecTable]:
        """An array of tables (``[[name]]``)."""
        items = self.list(name, [])
        out = []
        for index, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise self.fail(f"{name}[{index}]", f"expected a table, got {type(item).__name__}")
            out.append(SpecTable(self.file, f"{self.key(name)}[{index}]", item, self.origins))
        return out

    def child(self, name: str, data: Mapping[str, Any]) -> SpecTable:
        """A table for ``data`` found under ``name`` (an inline table in a list, say)."""
        return SpecTable(self.file, self.key(name), data, self.origins)

    @contextlib.contextmanager
    def section(self, name: str) -> Iterator[SpecTable]:
        """A required sub-table whose unknown keys are rejected once it has been read."""
        table = self.table(name, required=True)
        assert table is not None
        yield table
        table.check_unknown()

    def check_unknown(self) -> None:
        """Reject typos: a misspelt key would otherwise be silently ignored."""
        for name in self.data:
            if name not in self.used:
                hint = suggest(name, self.used)
                extra = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise self.fail(name, f"unknown key{extra}")
