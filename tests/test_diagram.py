"""Every bundled diagram is clean: no overlaps, no edge through a box, a straight column."""

from __future__ import annotations

import dataclasses

import pytest

from sphinx_llmarch.draw import diagram
from sphinx_llmarch.draw.style import family_colour
from sphinx_llmarch.spec.registry import bundled_registry

from .conftest import needs_dot
from .layout_check import layout, problems

MODELS = [arch.id for arch in bundled_registry()]


@needs_dot
@pytest.mark.parametrize("model_id", MODELS)
def test_bundled_diagram_is_clean(model_id: str) -> None:
    assert problems(layout(bundled_registry().get(model_id))) == []


@needs_dot
def test_huge_values_draw_a_bounded_diagram() -> None:
    arch = bundled_registry().get("deepseek-v3")
    kinds = {}
    for key, kind in arch.kinds.items():
        subs = tuple(
            dataclasses.replace(sub, op=dataclasses.replace(sub.op, num_experts=1_000_000, experts_per_token=1_000))
            if sub.op.type == "moe"
            else sub
            for sub in kind.sublayers
        )
        kinds[key] = dataclasses.replace(kind, sublayers=subs)
    huge = dataclasses.replace(
        arch,
        kinds=kinds,
        schedule=dataclasses.replace(arch.schedule, num_layers=1_000_000),
        embeddings=dataclasses.replace(arch.embeddings, vocab_size=10_000_000),
    )
    result = layout(huge)
    assert problems(result) == []
    assert len(result.boxes) < 100
    width, height = result.bb[2] - result.bb[0], result.bb[3] - result.bb[1]
    assert width < 2500 and height < 1500


def test_dot_source_is_deterministic_and_built_with_graphviz_package() -> None:
    arch = bundled_registry().get("gemma-3-27b")
    first = diagram.to_dot(arch)
    assert first == diagram.to_dot(arch)
    assert first.startswith("// render with: neato -n2")
    assert 'pos="' in first and "cluster_block" in first


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        ("olmo-2-7b", ["Post-attention RMSNorm", "Post-FFN RMSNorm", "QK-Norm over all heads"]),
        (
            "gemma-3-27b",
            ["Pre-attention RMSNorm", "Post-attention RMSNorm", "Sliding window of 1,024", "QK-Norm per head", "GeGLU"],
        ),
        ("qwen3-8b", ["Pre-attention RMSNorm", "QK-Norm per head", "Grouped-query", "12,288"]),
        ("gpt-2-xl", ["Positional embedding layer", "LayerNorm", "Multi-head", "GELU"]),
        (
            "deepseek-v3",
            [
                "latent attention",
                "KV latent",
                "512",
                "18,432",
                "Shared expert",
                "Expert 256",
                "MoE layer",
            ],
        ),
        ("gpt-oss-20b", ["Learned attention sinks", "Sliding window of 128", "Expert 32"]),
        ("smollm3-3b", ["NoPE", "tied to the embedding"]),
        (
            "zaya1-8b",
            ["Compressed convolutional", "previous token", "Router MLP", "Skip", "scale and bias on both inputs"],
        ),
    ],
)
def test_diagram_states_what_differs(model_id: str, expected: list[str]) -> None:
    source = diagram.to_dot(bundled_registry().get(model_id))
    for text in expected:
        assert text in source, text


def test_norm_placement_is_visibly_different() -> None:
    def norm_boxes(model_id: str) -> list[str]:
        canvas = diagram.build_canvas(bundled_registry().get(model_id))
        return [name for name in canvas.nodes if name.endswith((".prenorm", ".postnorm"))]

    assert norm_boxes("qwen3-8b") == ["layer.attention.prenorm", "layer.mlp.prenorm"]
    assert norm_boxes("olmo-2-7b") == ["layer.attention.postnorm", "layer.mlp.postnorm"]
    sandwich = ["attention.prenorm", "attention.postnorm", "mlp.prenorm", "mlp.postnorm"]
    assert norm_boxes("gemma-3-27b") == [f"sliding-window.{slot}" for slot in sandwich]


def test_each_bundled_family_has_its_own_colour() -> None:
    """One colour per family; with more families than colours, a colour is shared by
    the families of at most two organizations (an organization's families share one)."""
    colours: dict[str, set[str]] = {}
    organizations: dict[str, set[str]] = {}
    for arch in bundled_registry():
        colour = family_colour(arch.family, arch.colour).block
        colours.setdefault(arch.family, set()).add(colour)
        organizations.setdefault(colour, set()).add(arch.organization)
    assert all(len(c) == 1 for c in colours.values()), "one colour per family"
    assert max(len(orgs) for orgs in organizations.values()) <= 2, organizations


def canvas(model_id: str) -> diagram.Canvas:
    return diagram.build_canvas(bundled_registry().get(model_id))


@pytest.mark.parametrize(
    ("model_id", "blocks", "counts"),
    [
        ("qwen3-next-80b-a3b", ["block.linear", "block.full"], ["{36 ×}", "{12 ×}"]),
        ("nemotron-3-nano-30b-a3b", ["block.mamba", "block.moe", "block.attention"], ["{23 ×}", "{23 ×}", "{6 ×}"]),
        ("deepseek-v3", ["block.dense", "block.moe"], ["{3 ×}", "{58 ×}"]),
        ("gemma-3-27b", ["block.sliding-window"], ["{62 ×}"]),  # sliding and global layers share a structure
        ("llama-4-maverick", ["block.dense", "block.moe"], ["{24 ×}", "{24 ×}"]),
        # window-only, ratio-4 and ratio-128 layers, hash-routed or not: one structure
        ("deepseek-v4-flash", ["block.window-hash"], ["{43 ×}"]),
        ("zaya1-8b", ["block.first"], ["{40 ×}"]),  # the first layer differs only in its router's state
    ],
)
def test_one_block_per_layer_structure_each_with_its_count(model_id: str, blocks: list[str], counts: list[str]) -> None:
    drawn = canvas(model_id)
    stacked = sorted((c for c in drawn.clusters if c.name.startswith("block.")), key=lambda c: c.y0)
    assert [c.name for c in stacked] == blocks, "bottom to top, in order of first appearance"
    repeats = [drawn.nodes[f"{name.removeprefix('block.')}.repeat"].attrs["label"] for name in blocks]
    for label, count in zip(repeats, counts, strict=True):
        assert count.strip("{}") in label


@pytest.mark.parametrize(
    ("model_id", "panels"),
    [
        ("qwen3-next-80b-a3b", {"panel.gated-attention", "panel.gated-deltanet", "panel.moe-512-10-1"}),
        ("nemotron-3-nano-30b-a3b", {"panel.mamba2", "panel.moe-128-6-1", "panel.ffn-relu2"}),
        ("kimi-linear-48b-a3b", {"panel.kda", "panel.mla", "panel.moe-256-8-1"}),
        ("qwen3-8b", {"panel.ffn-swiglu"}),
        ("deepseek-v4-pro", {"panel.compressed-attention", "panel.moe-384-6-1", "panel.ffn-swiglu"}),
        ("zaya1-8b", {"panel.cca", "panel.moe-16-1-0", "panel.ffn-swiglu"}),
    ],
)
def test_each_mixer_kind_with_a_panel_gets_one(model_id: str, panels: set[str]) -> None:
    assert {c.name for c in canvas(model_id).clusters if c.name.startswith("panel.")} == panels


def test_parallel_block_draws_both_ops_from_one_norm() -> None:
    drawn = canvas("command-a")
    attention, mlp = drawn.nodes["sliding.attention"], drawn.nodes["sliding.mlp"]
    assert "Input LayerNorm" in drawn.nodes["sliding.attention.prenorm"].attrs["label"]
    assert mlp.x > attention.right and mlp.bottom > attention.bottom, "beside the column, a row up"
    assert ("sliding.mlp", "sliding.attention.add") in [(tail, head) for tail, head, _ in drawn.edges]


def test_parallel_branches_with_their_own_norms_sit_side_by_side() -> None:
    drawn = canvas("gemma-4-26b-a4b")
    nodes = drawn.nodes
    for slot in ("prenorm", "", "postnorm"):
        mlp, moe = nodes[f"sliding.mlp.{slot}".rstrip(".")], nodes[f"sliding.moe.{slot}".rstrip(".")]
        assert moe.left > mlp.right and moe.y == mlp.y, f"{slot or 'op'}: level with the MLP's, right of it"
    assert "Pre-MoE RMSNorm" in nodes["sliding.moe.prenorm"].attrs["label"]
    assert "Post-FFN RMSNorm" in nodes["sliding.mlp.sumnorm"].attrs["label"]
    edges = [(tail, head) for tail, head, _ in drawn.edges]
    assert ("sliding.mlp.postnorm", "sliding.mlp.sum") in edges and ("sliding.moe.out", "sliding.mlp.sum") in edges
    assert ("sliding.mlp.sumnorm", "sliding.mlp.add") in edges
    assert nodes["sliding.mlp.callout"].right < nodes["sliding.mlp"].left, "left of the MLP, clear of the branch"
    info = nodes["panel.moe-128-8-0.info"].attrs["label"]
    assert "router reads the residual" in info and "per-expert scale" in info


def test_image_path_and_mtp_modules_are_drawn() -> None:
    step = canvas("step3-vl-10b")
    assert {"image", "vision", "projector", "image_merge"} <= set(step.nodes)
    assert "2 conv, 1 linear" in step.nodes["projector"].attrs["label"]
    assert "MTP module" in canvas("deepseek-v3").nodes["mtp"].attrs["label"]


@pytest.mark.parametrize(("model_id", "layers"), [("deepseek-v4-flash", 43), ("deepseek-v4-pro", 61)])
def test_deepseek_v4_draws_its_streams_compression_and_hash_routing(model_id: str, layers: int) -> None:
    """A hyper-connection mix before each sublayer and before the final norm, with a callout
    naming the streams and a heavy residual line; the compression of each layer kind, the
    indexer and the hash-routed layers beside their boxes; the MTP block's own kind."""
    drawn = canvas(model_id)
    nodes, label = drawn.nodes, lambda name: drawn.nodes[name].attrs["label"]
    block = "window-hash" if model_id.endswith("flash") else "c128-hash"
    attention, moe = f"{block}.compressed_attention", f"{block}.moe"
    for box in (f"{attention}.hc", f"{moe}.hc", "hc_head"):
        assert "Hyper-connection: 4 streams → 1" in label(box)
    assert nodes[f"{attention}.hc"].top < nodes[f"{attention}.prenorm"].bottom
    assert nodes["hc_head"].top < nodes["final_norm"].bottom and nodes["hc_head"].bottom > nodes["mtp_split"].y
    assert "residual streams (hyper-connections)" in label("hc") and nodes["hc"].left > nodes[f"{attention}.hc"].right
    heavy = [attrs for tail, head, attrs in drawn.edges if tail.endswith(".split") and head.endswith(".split.r")]
    assert heavy and all(attrs.get("penwidth") == "3.2" for attrs in heavy)
    ratio4 = 21 if layers == 43 else 30
    assert f"KV pooled ×4 in {ratio4} layers + indexer" in label(f"{attention}.compress")
    assert "Sliding window of 128 tokens" in label(f"{attention}.window")
    assert f"3 of {layers} layers" in label(f"{moe}.hash")
    assert "one window-only block" in label("mtp")
    assert "output: " in label("panel.compressed-attention.info")


def test_slot_keys_are_stable_across_models() -> None:
    """Boxes are named by block and op kind, so the same slot can be compared between models."""
    for model_id in ("qwen3-8b", "llama-3-8b", "olmo-2-7b"):
        assert {"layer.attention", "layer.mlp", "embedding", "head", "final_norm"} <= set(canvas(model_id).nodes)


def test_layer_strip_colours_each_kind_and_counts_it() -> None:
    label = canvas("nemotron-3-nano-30b-a3b").nodes["layer_strip"].attrs["label"]
    assert "all 52 layers" in label and "Mamba-2 ×23" in label and "attention ×6" in label
    assert label.count('width="12" height="14"') >= 52


def test_a_long_layer_pattern_wraps() -> None:
    nodes = canvas("gemma-4-e2b").nodes
    caption, strip = nodes["layer_mix"], nodes["layer_strip"]
    assert caption.attrs["label"].count("<br") >= 2, "one line per few kinds, not one long line"
    assert max(caption.w, strip.w) <= 420
    assert strip.attrs["label"].count('<table align="left" fixedsize') >= 3, "the legend wraps too"


def test_the_layer_pattern_states_the_total_before_its_parts() -> None:
    """DeepSeek V3's strip once read "3 dense + 58 MoE", leaving the 61 layers to be added up."""
    assert "<b>61 layers: 3 dense + 58 MoE</b>" in canvas("deepseek-v3").nodes["layer_mix"].attrs["label"]
    for arch in bundled_registry():
        if len(arch.kinds) > 1:
            assert f"<b>{arch.num_layers:,} layers: " in canvas(arch.id).nodes["layer_mix"].attrs["label"]


@pytest.mark.parametrize(
    ("model_id", "slot", "words"),
    [
        ("llama-3.1-8b", "layer.attention.rope", "llama3-style ×8 scaling"),
        ("deepseek-v3", "dense.mla.rope", "YaRN ×40 scaling"),
        ("qwen3-8b", "layer.attention.rope", "RoPE, base 1M"),  # no scaling in the config: none named
        ("gemma-3-27b", "sliding-window.attention.rope", "linear ×8 scaling on global layers"),  # not sliding
    ],
)
def test_the_rope_box_names_the_scaling_method(model_id: str, slot: str, words: str) -> None:
    label = canvas(model_id).nodes[slot].attrs["label"]
    assert words in label and (model_id != "qwen3-8b" or "scaling" not in label)


def test_every_box_links_a_row_the_fact_sheet_has() -> None:
    """Boxes, callouts and panels name the fact-sheet row that explains them; a name the
    fact sheet does not write would be a link to nothing, silently."""
    from sphinx_llmarch.draw.diagram import _Frame
    from sphinx_llmarch.facts.labels import ROW_TITLE
    from sphinx_llmarch.facts.tables import fact_rows

    for arch in bundled_registry():
        frame = _Frame(arch)
        frame.build()
        named = set(frame.rows.values()) | {item.row for item in [*frame.left, *frame.right]}
        written = {label for label, _ in fact_rows(arch)} | {ROW_TITLE}
        assert named <= written, (arch.id, sorted(named - written))
