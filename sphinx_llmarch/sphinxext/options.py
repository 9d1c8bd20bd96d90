"""Directive option parsers shared by the directives (kept light: no heavy imports)."""

from __future__ import annotations

import re


def width_option(argument: str | None) -> str:
    """``:width: 600px``, ``80%`` or ``12em``: a positive length. docutils takes ``0`` and
    ``0px``, which would draw nothing; refused here, with what to write instead."""
    from docutils.parsers.rst import directives

    text = (argument or "").strip()
    try:
        value = directives.length_or_percentage_or_unitless(text)
    except ValueError:
        value = ""
    number = re.match(r"[0-9.]+", value or "")
    if number is None or float(number.group()) <= 0:
        raise ValueError(f"{text!r} is not a positive length; give one such as 600px, 80% or 12em")
    return value
