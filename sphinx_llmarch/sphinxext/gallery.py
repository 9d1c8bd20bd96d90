"""Write one page per model plus an overview, for a gallery site like ``docs/``.

The pages go into the user's source tree, so two rules hold: every page starts with
:data:`GENERATED`, and a file without that line is never replaced or deleted; and
no text of a spec is written as reST markup (names, summaries and organisations are
escaped by :func:`~.escape.rst_text`, so a hostile spec cannot add a directive or a link).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..escape import rst_text, rst_title
from ..facts import stats
from ..model.architecture import Architecture
from ..spec.files import write_if_changed

#: The first line of every page the gallery writes: only such pages are ever replaced or deleted.
GENERATED = ".. Written by sphinx-llmarch from the model's spec (llmarch_gallery); edits are overwritten."


def model_page(arch: Architecture) -> str:
    lines = [GENERATED, "", f".. _model-{arch.id}:", "", rst_title(arch.name, "=")]
    if arch.summary:
        lines += [rst_text(arch.summary), ""]
    if arch.key_detail:
        lines += [f"**What sets it apart:** {rst_text(arch.key_detail)}", ""]
    caption = rst_text(f"{arch.name} architecture")
    lines += [f".. llm-arch:: {arch.id}", f"   :name: fig-{arch.id}", f"   :caption: {caption}", ""]
    return "\n".join(lines)


def attention_cell(arch: Architecture) -> str:
    """``GQA 32/8`` (query/KV heads); MLA shares one latent, so just its heads;
    hybrids name their other mixers too: ``Gated DeltaNet + GQA 16/2``."""
    cells = [op.mixer_name() for kind, _ in arch.kind_counts() for op in kind.ops if op.role == "token"]
    return " + ".join(dict.fromkeys(cells))


def cache_cell(arch: Architecture) -> str:
    """Bytes per token, and the constant state of linear and recurrent layers beside it."""
    per_token, state = stats.kv_cache_bytes_per_token(arch), stats.state_bytes(arch)
    text = stats.human_bytes(per_token) if per_token else "none"
    return text + (f" + {stats.human_bytes(state)} state" if state else "")


def by_family(models: Iterable[Architecture]) -> list[tuple[str, list[Architecture]]]:
    """Families in the order of their first release, each family's models oldest first
    (smallest first among those released the same day)."""
    families: dict[str, list[Architecture]] = {}
    for arch in models:
        families.setdefault(arch.family, []).append(arch)

    def released(arch: Architecture) -> str:
        return arch.released.isoformat() if arch.released else "9999"

    for members in families.values():  # same day: smallest first
        members.sort(key=lambda arch: (released(arch), stats.params(arch).total))
    return sorted(families.items(), key=lambda item: (released(item[1][0]), item[0]))


def index_page(models: Iterable[Architecture]) -> str:
    """The overview: a table per family, listing exactly ``models`` (by id, so a model of
    the same family that is not in the gallery stays out)."""
    families = by_family(models)
    index = [
        GENERATED,
        "",
        rst_title("Model gallery", "="),
        "Models by family, families in the order of their first release, each model's",
        "row oldest first. Every number is computed from the model's spec; the KV cache",
        "is bf16 with every layer counted in full, and linear or recurrent layers add a",
        "constant state instead.",
        "",
    ]
    for family, members in families:
        organizations = ", ".join(dict.fromkeys(arch.organization for arch in members if arch.organization))
        ids = ", ".join(f'"{arch.id}"' for arch in members)  # ids are slugs: nothing to escape
        index += [rst_title(family, "-"), *([rst_text(organizations), ""] if organizations else [])]
        index += [".. llm-arch-table::", f"   :filter: id in ({ids})", ""]
    index += [
        ".. toctree::",
        "   :maxdepth: 1",
        "   :hidden:",
        "",
        *[f"   {arch.id}" for _, members in families for arch in members],
        "",
    ]
    return "\n".join(index)


def is_generated(path: Path) -> bool:
    """Whether ``path`` is a page this module wrote (its first line is :data:`GENERATED`)."""
    try:
        with path.open(encoding="utf-8", errors="replace") as file:
            return file.readline().rstrip("\r\n") == GENERATED
    except OSError:
        return False


def write_gallery(directory: Path, models: Iterable[Architecture]) -> list[Path]:
    """Write ``<id>.rst`` for each model and ``index.rst``; delete pages this function
    wrote for models that are gone. Unchanged pages keep their mtime, so Sphinx re-reads
    only what changed. Returns the files that were left alone because they exist and
    were not written here (hand-written pages are never replaced)."""
    models = list(models)
    pages = {f"{arch.id}.rst": model_page(arch) for arch in models}
    pages["index.rst"] = index_page(models)
    kept = []
    for name, text in pages.items():
        path = directory / name
        if path.exists() and not is_generated(path):
            kept.append(path)
        else:
            write_if_changed(path, text)
    for page in directory.glob("*.rst"):
        if page.name not in pages and is_generated(page):
            page.unlink()
    return kept
