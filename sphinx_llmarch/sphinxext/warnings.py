"""One way to warn: ``type="llmarch"`` plus a subtype users can suppress."""

from __future__ import annotations

from typing import Any, Literal

import sphinx
from sphinx.util import logging

logger = logging.getLogger("sphinx_llmarch")

#: ``suppress_warnings = ["llmarch.<subtype>"]`` silences one kind.
Subtype = Literal["config", "dot", "duplicate", "gallery", "import", "render", "spec", "unknown_model"]


def warn(message: str, subtype: Subtype, location: Any = None, *, once: bool = False) -> None:
    if sphinx.version_info < (8,):  # Sphinx 8 shows "[type.subtype]" itself
        message += f" [llmarch.{subtype}]"
    logger.warning(message, type="llmarch", subtype=subtype, location=location, once=once)
