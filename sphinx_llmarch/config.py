"""The ``llmarch_*`` configuration values, declared once and validated once."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from .warnings import warn

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config


SHOW_CHOICES = ("diagram", "facts")


def _option(default: Any, rebuild: str, *types: type) -> Any:
    """A config field with the Sphinx ``rebuild`` kind and accepted ``types`` attached."""
    return field(default=default, metadata={"rebuild": rebuild, "types": frozenset(types)})


@dataclass(frozen=True)
class LLMArchConfig:
    """Defaults that work with no configuration at all."""

    #: Directories (or single .toml files), relative to conf.py, with extra or overriding specs.
    spec_paths: tuple[str, ...] = _option((), "env", list, tuple)
    #: The Graphviz ``dot`` executable.
    dot: str = _option("dot", "", str)
    #: Image format for HTML builders: ``svg`` (inlined, theme-aware) or ``png``.
    html_format: str = _option("svg", "html", str)
    #: What ``llm-arch`` shows when ``:show:`` is not given.
    default_show: tuple[str, ...] = _option(SHOW_CHOICES, "env", list, tuple)
    #: Context length (tokens) used for the KV-cache size in fact sheets; 0 = the model's own.
    kv_context: int = _option(0, "env", int)


def add_config_values(app: Sphinx) -> None:
    for item in fields(LLMArchConfig):
        app.add_config_value(
            f"llmarch_{item.name}", item.default, item.metadata["rebuild"], types=item.metadata["types"]
        )


def _problem(name: str, value: Any) -> str | None:
    if name == "html_format" and value not in ("svg", "png"):
        return f"{value!r} is not 'svg' or 'png'"
    if name == "default_show" and (not value or any(v not in SHOW_CHOICES for v in value)):
        return f"{value!r} must list some of {', '.join(SHOW_CHOICES)}"
    if name == "kv_context" and (not isinstance(value, int) or value < 0):
        return f"{value!r} must be a non-negative integer"
    if name in ("spec_paths", "default_show") and not all(isinstance(v, str) for v in value):
        return f"{value!r} must be a list of strings"
    return None


def read_config(config: Config) -> LLMArchConfig:
    """The validated settings; a bad value warns and falls back to its default.

    The user's config object is never modified, so Sphinx does not see a
    changed configuration (and rebuild everything) on the next run.
    """
    values = {}
    for item in fields(LLMArchConfig):
        value = getattr(config, f"llmarch_{item.name}")
        problem = _problem(item.name, value)
        if problem:
            warn(f"llmarch_{item.name}: {problem}; using the default {item.default!r}", "config", once=True)
            continue
        values[item.name] = tuple(value) if isinstance(value, list) else value
    return LLMArchConfig(**values)
