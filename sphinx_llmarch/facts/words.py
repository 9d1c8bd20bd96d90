"""How numbers and lists are written: shared by the fact sheet, comparisons, the diagram's
callouts and the directives' options."""

from __future__ import annotations

from collections.abc import Iterable


def compact(value: int) -> str:
    """Context lengths the way model cards say them: 131072 -> 128k, 1048576 -> 1M."""
    if value >= 2**20 and value % 2**20 == 0:
        return f"{value // 2**20:,}M"
    if value >= 1024 and value % 1024 == 0:
        return f"{value // 1024:,}k"
    return f"{value:,}"


def word_list(argument: str | None, choices: Iterable[str] | None = None, what: str = "") -> tuple[str, ...]:
    """Words separated by commas or spaces, each one of ``choices`` when given."""
    words = tuple(part for part in (argument or "").replace(",", " ").split() if part)
    known = list(choices) if choices is not None else None
    if not words:
        raise ValueError(f"give one or more of: {', '.join(known)}" if known else f"give one or more {what}")
    for word in words:
        if known is not None and word not in known:
            raise ValueError(f"{word!r} is not one of: {', '.join(known)}")
    return words
