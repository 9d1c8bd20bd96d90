"""Registration with Sphinx: nodes, directive, configuration, assets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..facts.links import llmarch_links
from . import images
from .config import add_config_values
from .directives import LLMArchCompareDirective, LLMArchDirective
from .domain import (
    LLMDomain,
    escape_index_headings,
    expand_links,
    optional_reference,
)
from .epub import fix_epub_manifest
from .glossary import LLMConceptsDirective
from .memory import LLMArchMemoryDirective
from .nodes import VISITORS, add_page_script, llmarch_diagram
from .packed import FlattenNestedTables, UnpackNodes, llmarch_packed, pack_doctree
from .references import moved_targets, note_references, remember_targets
from .runtime import finish, on_builder_inited
from .views import THUMBNAIL_VISITORS, LLMArchGalleryDirective, LLMArchTableDirective, llmarch_thumbnail

if TYPE_CHECKING:
    from sphinx.application import Sphinx

#: Bump when the shape of anything stored in the environment changes.
ENV_VERSION = 10


def setup_extension(app: Sphinx) -> dict[str, Any]:
    from ..version import __version__

    add_config_values(app)
    app.add_node(llmarch_diagram, **VISITORS)
    app.add_directive("llm-arch", LLMArchDirective)
    app.add_directive("llm-arch-compare", LLMArchCompareDirective)
    app.add_directive("llm-concepts", LLMConceptsDirective)
    app.add_directive("llm-arch-gallery", LLMArchGalleryDirective)
    app.add_directive("llm-arch-table", LLMArchTableDirective)
    app.add_directive("llm-arch-memory", LLMArchMemoryDirective)
    app.add_node(llmarch_thumbnail, **THUMBNAIL_VISITORS)
    app.add_domain(LLMDomain)
    app.add_node(llmarch_links)
    app.add_node(llmarch_packed)
    app.connect("doctree-read", note_references, priority=400)  # before packing hides the links
    app.connect("doctree-read", pack_doctree)
    app.add_post_transform(UnpackNodes)
    app.add_post_transform(FlattenNestedTables)
    app.connect("doctree-resolved", expand_links)
    app.connect("warn-missing-reference", optional_reference)
    app.connect("builder-inited", on_builder_inited)
    app.connect("builder-inited", images.write_every_model_files)
    app.connect("html-page-context", add_page_script)
    app.connect("html-page-context", escape_index_headings)
    app.connect("env-get-outdated", remember_targets)
    app.connect("env-get-outdated", images.outdated_by_catalog)
    app.connect("env-get-outdated", images.outdated_by_renderer)
    app.connect("env-updated", images.start_missing_renders)
    app.connect("env-updated", moved_targets)
    app.connect("build-finished", images.prune_stale)
    app.connect("build-finished", finish)
    app.connect("build-finished", fix_epub_manifest)
    return {
        "version": __version__,
        "env_version": ENV_VERSION,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
