"""The two errors a spec or a model name can raise, importable without the loader."""

from __future__ import annotations

from typing import Any


class SpecError(ValueError):
    """A spec that cannot be turned into an architecture.

    ``fallback`` is a value the key would accept (a choice's first option), so
    ``llmarch validate`` can step over the problem and report the next one.
    ``others`` are the spec's further problems, which a build reports too.
    """

    def __init__(self, file: str, key: str, problem: str, fallback: Any = None) -> None:
        self.file, self.key, self.problem, self.fallback = file, key, problem, fallback
        self.others: tuple[SpecError, ...] = ()
        where = f"{file}: {key}: " if key else f"{file}: "
        super().__init__(where + problem)

    def every(self) -> tuple[SpecError, ...]:
        """This problem and the others, each one line to report."""
        return (self, *self.others)


class UnknownModelError(LookupError):
    """A model id that no loaded spec declares."""

    def __init__(self, model_id: str, suggestions: list[str]) -> None:
        self.model_id, self.suggestions = model_id, suggestions
        hint = f" (did you mean {', '.join(suggestions)}?)" if suggestions else ""
        super().__init__(f"unknown model id {model_id!r}{hint}")
