"""The ``llmarch_*`` configuration values, declared once and validated once."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..draw.style import FONT
from .warnings import warn

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config


SHOW_CHOICES = ("diagram", "facts")
RENDERERS = ("graphviz", "svg")
#: A font family name as fontconfig spells it ("Noto Sans CJK SC"): nothing that could
#: end the DOT attribute or name another fontconfig property.
_FONT_NAME = re.compile(r"[\w .+-]+")


def _option(default: Any, rebuild: str, *types: type) -> Any:
    """A config field with the Sphinx ``rebuild`` kind and accepted ``types`` attached."""
    return field(default=default, metadata={"rebuild": rebuild, "types": frozenset(types)})


@dataclass(frozen=True)
class LLMArchConfig:
    """Defaults that work with no configuration at all."""

    #: Directories (or single .toml files), relative to conf.py, with extra or overriding specs.
    spec_paths: tuple[str, ...] = _option((), "env", list, tuple, str)
    #: The Graphviz ``dot`` executable.
    dot: str = _option("dot", "", str)
    #: Seconds one Graphviz run may take before that diagram is reported as failed.
    dot_timeout: float = _option(60, "", int, float)
    #: Image format for HTML builders: ``svg`` (inlined, theme-aware) or ``png``.
    html_format: str = _option("svg", "html", str)
    #: What draws SVG diagrams for html and epub: ``graphviz`` (``dot``) or ``svg`` (the
    #: extension's own writer, no Graphviz needed). PNG and LaTeX always use Graphviz.
    renderer: str = _option("graphviz", "html", str)
    #: What ``llm-arch`` shows when ``:show:`` is not given.
    default_show: tuple[str, ...] = _option(SHOW_CHOICES, "env", list, tuple, str)
    #: Context length (tokens) used for the KV-cache size in fact sheets; 0 = the model's own.
    kv_context: int = _option(0, "env", int)
    #: A folder (relative to the source directory) to fill with one page per model and an overview.
    gallery: str = _option("", "env", str)
    #: The models of that gallery (ids or aliases); empty: every model the build knows.
    gallery_models: tuple[str, ...] = _option((), "env", list, tuple, str)
    #: Files of every model's facts written beside the html pages (``models.json``, ``models.csv``).
    export: tuple[str, ...] = _option((), "html", list, tuple, str)
    #: The font families Graphviz tries, in order, for PNG and PDF diagrams (a list, or
    #: one comma-separated string): add a CJK or emoji font for names in those scripts.
    fontname: str = _option(FONT, "env", list, tuple, str)


def add_config_values(app: Sphinx) -> None:
    for item in fields(LLMArchConfig):
        app.add_config_value(
            f"llmarch_{item.name}", item.default, item.metadata["rebuild"], types=item.metadata["types"]
        )


def _normalize(name: str, value: Any) -> Any:
    """The value in the form the extension uses; raise ValueError saying what is wrong."""
    if name in ("spec_paths", "gallery_models"):
        if isinstance(value, str):  # one entry, not its characters
            return (value,)
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ValueError("must be a list of " + ("paths (strings)" if name == "spec_paths" else "model ids"))
        return tuple(value)
    if name == "gallery":
        # A proper subfolder: "." would put the gallery's index.rst over the project's own.
        if value == "":
            return value
        parts = Path(value).parts if isinstance(value, str) else ()
        if not parts or Path(value).is_absolute() or ".." in parts:
            raise ValueError("must be a folder inside the source directory (not the directory itself), e.g. 'models'")
        return "/".join(parts)
    if name == "dot":
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be the name or path of the dot program")
        return value
    if name == "dot_timeout":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
            raise ValueError("must be a positive number of seconds")
        return value
    if name == "html_format":
        if value not in ("svg", "png"):
            raise ValueError("is not 'svg' or 'png'")
        return value
    if name == "renderer":
        if value not in RENDERERS:
            raise ValueError("is not 'graphviz' or 'svg'")
        return value
    if name == "default_show":
        items = value.replace(",", " ").split() if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) or not items or any(v not in SHOW_CHOICES for v in items):
            raise ValueError(f"must list some of {', '.join(SHOW_CHOICES)}")
        return tuple(items)
    if name == "fontname":
        names = value.split(",") if isinstance(value, str) else value
        if not isinstance(names, (list, tuple)) or not all(isinstance(v, str) for v in names):
            raise ValueError("must be a list of font family names")
        names = [v.strip() for v in names if v.strip()]
        if not names or not all(_FONT_NAME.fullmatch(v) for v in names):
            raise ValueError("must name font families (letters, digits, spaces, '.', '-', '_', '+')")
        return ",".join(names)
    if name == "export":
        names = (value,) if isinstance(value, str) else value
        for file in names:
            if not isinstance(file, str) or Path(file).name != file or Path(file).suffix not in (".json", ".csv"):
                raise ValueError("must name files such as 'models.json' or 'models.csv' (no folders)")
        return tuple(names)
    if name == "kv_context":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError("must be a whole number of tokens (0: each model's own context)")
        return value
    return value


def read_config(config: Config) -> LLMArchConfig:
    """The validated settings; a bad value warns and falls back to its default.

    The user's config object is never modified, so Sphinx does not see a
    changed configuration (and rebuild everything) on the next run.
    """
    values = {}
    for item in fields(LLMArchConfig):
        value = getattr(config, f"llmarch_{item.name}")
        try:
            values[item.name] = _normalize(item.name, value)
        except (ValueError, TypeError) as problem:
            warn(f"llmarch_{item.name}: {value!r} {problem}; using the default {item.default!r}", "config", once=True)
    return LLMArchConfig(**values)
