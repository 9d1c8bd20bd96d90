"""Write one page per model plus an overview, for a gallery site like ``docs/``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from . import stats
from .files import write_if_changed
from .model import Architecture


def _title(text: str, underline: str = "=") -> str:
    return f"{text}\n{underline * len(text)}\n"


#: The first line of every page the gallery writes: only such pages are ever deleted.
GENERATED = ".. Written by sphinx-llmarch from the model's spec (llmarch_gallery); edits are overwritten."


def model_page(arch: Architecture) -> str:
    lines = [GENERATED, "", f".. _model-{arch.id}:", "", _title(arch.name), arch.summary, ""]
    if arch.key_detail:
        lines += [f"**What sets it apart:** {arch.key_detail}", ""]
    lines += [f".. llm-arch:: {arch.id}", f"   :name: fig-{arch.id}", f"   :caption: {arch.name} architecture", ""]
    return "\n".join(lines)


def attention_cell(arch: Architecture) -> str:
    """``GQA 32/8`` (query/KV heads); MLA shares one latent, so just its heads;
    hybrids name their other mixers too: ``Gated DeltaNet + GQA 16/2``."""
    cells = []
    for kind, _ in arch.kind_counts():
        for op in kind.ops:
            if op.role != "token":
                continue
            heads = getattr(op, "num_heads", 0)
            if op.type == "attention":
                cells.append(f"{op.kind.upper()} {heads}/{op.num_kv_heads}")  # type: ignore[attr-defined]
            elif op.type == "mla":
                cells.append(f"MLA {heads}")
            else:
                cells.append(op.short)
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


def write_gallery(directory: Path, models: Iterable[Architecture]) -> None:
    """Write ``<id>.rst`` for each model and ``index.rst``; delete pages this function
    wrote for models that are gone. Unchanged pages keep their mtime, so Sphinx re-reads
    only what changed."""
    models = list(models)
    for arch in models:
        write_if_changed(directory / f"{arch.id}.rst", model_page(arch))
    families = by_family(models)
    index = [
        GENERATED,
        "",
        _title("Model gallery"),
        "Models by family, families in the order of their first release, each model's",
        "row oldest first. Every number is computed from the model's spec; the KV cache",
        "is bf16 with every layer counted in full, and linear or recurrent layers add a",
        "constant state instead.",
        "",
    ]
    for family, members in families:
        organizations = ", ".join(dict.fromkeys(arch.organization for arch in members if arch.organization))
        quoted = family.replace("\\", "").replace('"', "")
        index += [_title(family, "-"), *([organizations, ""] if organizations else [])]
        index += [".. llm-arch-table::", f'   :filter: family == "{quoted}"', ""]
    index += [
        ".. toctree::",
        "   :maxdepth: 1",
        "   :hidden:",
        "",
        *[f"   {arch.id}" for _, members in families for arch in members],
        "",
    ]
    write_if_changed(directory / "index.rst", "\n".join(index))
    keep = {"index.rst", *(f"{arch.id}.rst" for arch in models)}
    for page in directory.glob("*.rst"):
        if page.name not in keep and page.read_text(encoding="utf-8", errors="replace").startswith(GENERATED):
            page.unlink()
