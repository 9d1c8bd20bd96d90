"""Vision towers: a ViT-style encoder and the projector steps that reach the decoder.

Counted apart from the text stack, as model cards do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ..kinds.attention import Attention
from ..kinds.base import linear
from ..kinds.mlp import KINDS, mlp_params
from ..spec.table import REQUIRED
from .architecture import AudioTower, Norm, ProjectorStep, VisionEncoder, VisionTower

if TYPE_CHECKING:
    from ..spec.table import SpecTable

STEPS = ("linear", "norm", "pool", "pixel_shuffle", "conv", "activation")


def read_step(table: SpecTable) -> ProjectorStep:
    """One ``[[vision.projector]]`` or ``[[audio.projector]]`` step."""
    step = table.choice("step", STEPS, REQUIRED)
    if step in ("linear", "conv"):
        result = ProjectorStep(
            step,
            in_features=table.int("in", REQUIRED),
            out_features=table.int("out", REQUIRED),
            bias=table.bool("bias"),
            factor=table.int("kernel", REQUIRED) if step == "conv" else 1,
            stride=table.int("stride", 1) if step == "conv" else 1,
        )
    elif step == "norm":
        kind = table.choice("kind", ("rmsnorm", "layernorm"), REQUIRED)
        width, scale = table.int("width", REQUIRED), table.bool("scale", True)
        result = ProjectorStep(step, in_features=width, bias=kind == "layernorm", name=kind, scale=scale)
    elif step in ("pool", "pixel_shuffle"):
        result = ProjectorStep(step, factor=table.int("factor", REQUIRED))
    else:
        result = ProjectorStep(step, name=table.str("name", REQUIRED))
    table.check_unknown()
    return result


def _legacy_projector(table: SpecTable) -> list[ProjectorStep]:
    """``projector_norm`` (an RMSNorm width) and ``projector_layers`` ([in, out, bias] triples)."""
    steps = []
    width = table.int("projector_norm", 0, minimum=0)
    if width:
        steps.append(ProjectorStep("norm", in_features=width, name="rmsnorm"))
    for index, item in enumerate(table.list("projector_layers", [])):
        ok = isinstance(item, list) and len(item) == 3 and all(type(v) is int and v > 0 for v in item[:2])
        if not ok or not isinstance(item[2], bool):
            raise table.fail(f"projector_layers[{index}]", f"expected [in, out, bias], got {item!r}")
        steps.append(ProjectorStep("linear", in_features=item[0], out_features=item[1], bias=item[2]))
    return steps


Tower = TypeVar("Tower", VisionTower, AudioTower)


def optional_tower(
    root: SpecTable, key: str, read: Callable[[SpecTable], Tower], check: Callable[[Tower, SpecTable], None]
) -> Tower | None:
    """The spec's ``[vision]`` or ``[audio]`` table, if it has one: its keys read one by one
    (which ``llmarch schema`` records), then checked together."""
    table = root.table(key)
    if table is None:
        return None
    tower = read(table)
    check(tower, table)
    return tower


def read_vision(root: SpecTable) -> VisionTower | None:
    return optional_tower(root, "vision", read_tower, _check)


def _check(tower: VisionTower, table: SpecTable) -> None:
    """Keys that are each valid but do not fit together."""
    encoder = tower.encoder
    if not encoder.head_dim and encoder.hidden_size % encoder.num_heads:
        raise table.fail("num_attention_heads", f"{encoder.num_heads} does not divide hidden_size")
    if encoder.num_kv_heads and encoder.num_heads % encoder.num_kv_heads:
        raise table.fail("num_key_value_heads", f"{encoder.num_kv_heads} does not divide num_attention_heads")
    if encoder.sink_layers > encoder.num_layers:
        raise table.fail("sink_layers", f"{encoder.sink_layers} is more than num_hidden_layers")
    learned = encoder.position in ("learned", "both")
    if learned and encoder.image_size is None and not encoder.position_embeddings:
        raise table.fail("position_embeddings", "a learned position table needs its size, or image_size to derive it")
    if not learned and encoder.position_embeddings:
        raise table.fail("position_embeddings", "position = 'rope' has no learned table to size")
    if tower.token_budget and encoder.image_size is not None:
        raise table.fail(
            "tokens_per_image", "a budget for a dynamic-resolution encoder, but image_size fixes the count"
        )


def read_tower(table: SpecTable) -> VisionTower:
    """The ``[vision]`` keys one by one; ``read_vision`` checks how they fit together
    (apart, so that ``llmarch schema`` can record the keys by running this)."""
    norm_kind = table.choice("norm", ("rmsnorm", "layernorm"), REQUIRED)
    encoder = VisionEncoder(
        name=table.str("name", ""),
        hidden_size=table.int("hidden_size", REQUIRED),
        intermediate_size=table.int("intermediate_size", REQUIRED),
        num_layers=table.int("num_hidden_layers", REQUIRED),
        num_heads=table.int("num_attention_heads", REQUIRED),
        patch_size=table.int("patch_size", REQUIRED),
        image_size=table.int("image_size"),
        num_channels=table.int("num_channels", 3),
        ffn=table.choice("ffn", KINDS, REQUIRED),
        norm=Norm(norm_kind, bias=table.bool("norm_bias", norm_kind == "layernorm")),
        bias=table.bool("bias"),
        patch_bias=table.bool("patch_bias"),
        position=table.choice("position", ("learned", "rope", "both"), REQUIRED),
        class_token=table.bool("class_token"),
        layer_scale=table.bool("layer_scale"),
        pre_norm=table.bool("pre_norm"),
        post_norm=table.bool("post_norm"),
        temporal_patch_size=table.int("temporal_patch_size", 1),
        position_embeddings=table.int("position_embeddings") or 0,
        qk_norm=table.choice("qk_norm", ("none", "per-head"), "none"),
        placement=table.choice("placement", ("pre", "sandwich"), "pre"),
        num_kv_heads=table.int("num_key_value_heads") or 0,
        head_dim=table.int("head_dim") or 0,
        sink_layers=table.int("sink_layers", 0, minimum=0),
    )
    steps = [read_step(step) for step in table.tables("projector")] if table.has("projector") else []
    steps += _legacy_projector(table)
    budget = table.int("tokens_per_image", 0, minimum=0)
    table.check_unknown()
    return VisionTower(encoder, tuple(steps), budget)


def step_params(step: ProjectorStep) -> int:
    if step.step == "linear":
        return linear(step.in_features, step.out_features, step.bias)
    if step.step == "conv":
        return step.in_features * step.out_features * step.factor**2 + (step.out_features if step.bias else 0)
    if step.step == "norm":
        return step.in_features * (int(step.scale) + int(step.bias))
    return 0


def position_rows(encoder: VisionEncoder) -> int:
    """Rows of the learned position table: as given, else one per patch of the fixed-size
    image (and one for the class token)."""
    if encoder.position == "rope":
        return 0
    if encoder.position_embeddings:
        return encoder.position_embeddings
    assert encoder.image_size is not None, "read_vision asks for one of the two"
    return (encoder.image_size // encoder.patch_size) ** 2 + int(encoder.class_token)


def encoder_params(encoder: VisionEncoder) -> int:
    d = encoder.hidden_size
    pixels = encoder.num_channels * encoder.temporal_patch_size * encoder.patch_size**2
    patch_embed = linear(pixels, d, encoder.patch_bias)
    position = position_rows(encoder) * d
    heads, head_dim = encoder.num_heads, encoder.head_dim or d // encoder.num_heads
    attention = Attention(
        heads,
        encoder.num_kv_heads or heads,
        head_dim,
        head_dim,
        qk_norm=encoder.qk_norm,
        qkv_bias=encoder.bias,
        o_bias=encoder.bias,
    )
    layer = sum(attention.params(d).values()) + mlp_params(encoder.ffn, d, encoder.intermediate_size, encoder.bias)
    norms_per_layer = 4 if encoder.placement == "sandwich" else 2
    layer += norms_per_layer * encoder.norm.params(d) + (2 * d if encoder.layer_scale else 0)
    norms = encoder.norm.params(d) * (int(encoder.pre_norm) + int(encoder.post_norm))
    sinks = encoder.sink_layers * heads
    return patch_embed + position + (d if encoder.class_token else 0) + encoder.num_layers * layer + sinks + norms


def projector_params(tower: VisionTower | AudioTower) -> int:
    return sum(step_params(step) for step in tower.projector)


def vision_params(tower: VisionTower) -> tuple[int, int]:
    """(encoder, projector) parameters."""
    return encoder_params(tower.encoder), projector_params(tower)


def describe_projector(tower: VisionTower | AudioTower) -> str:
    """``4×4 pool → RMSNorm → linear 1,152 → 5,376``."""
    parts = []
    for step in tower.projector:
        if step.step in ("linear", "conv"):
            kernel = f" {step.factor}×{step.factor}/{step.stride}" if step.step == "conv" else ""
            parts.append(f"{step.step}{kernel} {step.in_features:,} → {step.out_features:,}")
        elif step.step == "norm":
            parts.append(("RMSNorm" if step.name == "rmsnorm" else "LayerNorm") + ("" if step.scale else " (no scale)"))
        elif step.step in ("pool", "pixel_shuffle"):
            word = "pool" if step.step == "pool" else "pixel shuffle"
            parts.append(f"{step.factor}×{step.factor} {word}")
        else:
            parts.append(step.name)
    return " → ".join(parts)


def projector_summary(tower: VisionTower | AudioTower) -> str:
    """A few words for the diagram's box: ``4×4 pool, 1 linear``."""
    parts = [
        f"{s.factor}×{s.factor} {'pool' if s.step == 'pool' else 'shuffle'}"
        for s in tower.projector
        if s.step in ("pool", "pixel_shuffle")
    ]
    for kind in ("conv", "linear"):
        count = sum(step.step == kind for step in tower.projector)
        if count:
            parts.append(f"{count} {kind}")
    return ", ".join(parts) or "none"


def pixels_per_token(tower: VisionTower) -> int:
    """The side of the square of pixels one image token stands for: the patch, times every
    pool, shuffle and convolution stride after it."""
    side = tower.encoder.patch_size
    for step in tower.projector:
        side *= step.factor if step.step in ("pool", "pixel_shuffle") else step.stride
    return side


def tokens_per_image(tower: VisionTower) -> int | None:
    """Image tokens the decoder sees for one full-size image; None when the encoder takes
    images at their own size, so that the count depends on the image."""
    if tower.encoder.image_size is None:
        return None
    side = tower.encoder.image_size // tower.encoder.patch_size
    for step in tower.projector:
        if step.step in ("pool", "pixel_shuffle"):
            side //= step.factor
        elif step.step == "conv":
            side = (side - step.factor + 2 * (step.factor // 2)) // step.stride + 1
    return side * side


def vision_json(tower: VisionTower) -> dict[str, Any]:
    encoder, projector = vision_params(tower)
    return {
        "name": tower.encoder.name,
        "encoder_params": encoder,
        "projector_params": projector,
        "num_layers": tower.encoder.num_layers,
        "hidden_size": tower.encoder.hidden_size,
        "projector": describe_projector(tower),
        "tokens_per_image": tokens_per_image(tower),
        "pixels_per_token": pixels_per_token(tower),
        "token_budget": tower.token_budget,
    }
