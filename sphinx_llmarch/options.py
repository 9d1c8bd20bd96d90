"""Directive option parsers shared by the directives (kept light: no heavy imports)."""

from __future__ import annotations

from collections.abc import Iterable


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
