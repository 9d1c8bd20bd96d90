"""Answers computed once per loaded model.

Kept apart from :mod:`.model` so that code which only files answers away (the filter
language of grids and tables) does not import the model classes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

T = TypeVar("T")


def per_model(function: Callable[[Any], T]) -> Callable[[Any], T]:
    """Compute once per :class:`Architecture` (a spec is immutable once loaded). Pages
    ask the same questions of every model over and over (tables, grids, related
    models), and the answers are kept in the instance, so they go when it goes.
    Callers must not change what they get back."""
    name = f"_per_model_{function.__module__}.{function.__qualname__}"

    @wraps(function)
    def cached(arch: Any) -> T:
        memo = arch.__dict__
        if name not in memo:
            memo[name] = function(arch)
        return memo[name]  # type: ignore[no-any-return]

    return cached
