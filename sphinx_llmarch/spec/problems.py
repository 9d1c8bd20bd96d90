"""Every problem of a spec, not just the first: what ``llmarch validate`` reports.

The loader stops at the first problem; when there is one, :func:`build` asks
here for the rest, so a build warns about each. To list them all, the spec
is read again with each reported value taken out (or, for a value of the wrong
type, replaced by a neutral one of the right type), until it reads cleanly or a
problem cannot be stepped over (a missing required value).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ..errors import SpecError
from ..model.architecture import Architecture
from .loader import Lookup, RawSpec, architecture_from_dict, file_name_problem, resolve

_TOKENS = re.compile(r"\[(\d+)\]|([^.\[\]]+)")
#: Stands in for an integer of the wrong type: divisible by any head count a model has.
NEUTRAL_INT = 2**10 * 3**3 * 5**2 * 7
_NEUTRAL = {"expected an integer": NEUTRAL_INT, "expected a number": 1.0, "expected true or false": False}


def _step_over(data: Any, error: SpecError) -> bool:
    """Take the value at the error's key path out of ``data`` (``ops.attention.head_dim``,
    ``aliases[1]``), or put a neutral value of the expected type in its place."""
    parts = [int(index) if index else name for index, name in _TOKENS.findall(error.key)]
    if not parts:
        return False
    for part in parts[:-1]:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return False
    try:
        data[parts[-1]]
    except (KeyError, IndexError, TypeError):
        return False
    neutral = [error.fallback] if error.fallback is not None else []
    neutral += [value for start, value in _NEUTRAL.items() if error.problem.startswith(start)]
    if not neutral and ("below the minimum" in error.problem or "must be positive" in error.problem):
        neutral = [NEUTRAL_INT if isinstance(data[parts[-1]], int) else 1.0]
    if neutral:
        data[parts[-1]] = neutral[0]
    else:
        del data[parts[-1]]
    return True


def spec_problems(raw: RawSpec, lookup: Lookup, limit: int = 50, *, sourced: bool = False) -> list[SpecError]:
    """Each problem of the spec once, in the order the loader meets them (``sourced``: as
    for a bundled spec, which must link its sources)."""
    try:
        merged, origins, chain = resolve(raw, lookup)
    except SpecError as error:
        return [error]
    data = copy.deepcopy(merged)
    found: list[SpecError] = []
    while len(found) < limit:
        try:
            files = tuple(spec.path for spec in chain)
            arch = architecture_from_dict(data, raw.display, origins, files, sourced=sourced)
        except SpecError as error:
            if any(error.key == seen.key for seen in found):
                break  # stepping over it only moved the problem
            found.append(error)
            if not error.key or error.problem.startswith("missing") or not _step_over(data, error):
                break
            continue
        misnamed = file_name_problem(arch.id, raw.path, raw.display)
        found += [misnamed] if misnamed else []
        break
    return found


def build(raw: RawSpec, lookup: Lookup, *, sourced: bool = False) -> Architecture:
    """Resolve and validate one raw spec; an error carries every problem of the spec
    (:attr:`SpecError.others`), so that a build reports them all, as ``llmarch validate`` does."""
    data, origins, chain = resolve(raw, lookup)
    try:
        return architecture_from_dict(data, raw.display, origins, tuple(spec.path for spec in chain), sourced=sourced)
    except SpecError as error:
        problems = spec_problems(raw, lookup, sourced=sourced)
        if not problems or str(problems[0]) != str(error):
            raise
        problems[0].others = tuple(problems[1:])
        raise problems[0] from None
