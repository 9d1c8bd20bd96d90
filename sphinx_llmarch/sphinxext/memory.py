"""``.. llm-arch-memory:: ID``: what a model needs in memory at several context lengths."""

from __future__ import annotations

from typing import ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective
from sphinx.util.typing import OptionSpec

from ..errors import SpecError, UnknownModelError
from ..facts.cost import PRECISIONS
from ..facts.memory import DEFAULT_PRECISIONS, memory_table
from ..facts.words import word_list
from .directives import load_error
from .images import note_use
from .runtime import state


def contexts_option(argument: str | None) -> tuple[int, ...]:
    """Token counts, separated by commas or spaces; ``k`` and ``M`` as model cards write them."""
    values = []
    for word in word_list(argument, what="context lengths (4096, 32k, 1M)"):
        scale = {"k": 2**10, "m": 2**20}.get(word[-1].lower(), 1)
        digits = word[:-1] if scale > 1 else word
        if not digits.isdigit() or int(digits) == 0:
            raise ValueError(f"{word!r} is not a context length (write 4096, 32k or 1M)")
        values.append(int(digits) * scale)
    return tuple(values)


class LLMArchMemoryDirective(SphinxDirective):
    """A table of contexts × weight precisions for one model."""

    required_arguments = 1
    option_spec: ClassVar[OptionSpec] = {
        "contexts": contexts_option,
        "precisions": lambda argument: word_list(argument, PRECISIONS),
        "batch": directives.positive_int,
        "class": directives.class_option,
    }

    def run(self) -> list[nodes.Node]:
        note_use(self.env)
        try:
            arch = state(self.env).registry.model(self.arguments[0])
        except (SpecError, UnknownModelError) as error:
            return [load_error(self, error)]
        for file in arch.files:
            self.env.note_dependency(file)
        precisions = self.options.get("precisions", DEFAULT_PRECISIONS)
        table = memory_table(arch, self.options.get("contexts", ()), precisions, self.options.get("batch", 1))
        table["classes"] += self.options.get("class", [])
        return [table]
