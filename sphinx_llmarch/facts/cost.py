"""What a model costs to run: its weights at a precision, its cache and state at a context
and batch, and the FLOPs of one token — computed from the architecture, as the counts are.

The rules (``docs/computations.rst`` says them with an example):

- weights: the text stack's parameters (as the fact sheet counts them: MTP modules and
  vision or audio towers apart) times the bytes of the precision;
- cache: every layer's cache at ``context`` tokens, windows and compression applied
  (:func:`.stats.kv_cache_bytes`), times the batch; linear, state-space and convolution
  layers keep a constant state per sequence instead;
- FLOPs per token: two per parameter a token passes through (the active parameters, the
  input embedding's lookup left out, the output head in), plus each attending layer's
  scores and weighted values over the tokens it reads at that position.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..model.architecture import Architecture
from . import stats

#: Bytes per value of each precision a checkpoint or a cache may use.
PRECISIONS: dict[str, float] = {"fp32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 1, "int4": 0.5}


@dataclass(frozen=True)
class Cost:
    """One model at one precision, context and batch; every size in bytes."""

    model: str
    dtype: str
    cache_dtype: str
    context: int
    batch: int
    weights_bytes: int
    kv_bytes: int
    state_bytes: int
    total_bytes: int
    flops_per_token: int

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def weights_bytes(arch: Architecture, dtype: str = "bf16") -> int:
    return round(stats.params(arch).total * PRECISIONS[dtype])


def touched_params(arch: Architecture) -> int:
    """Parameters one token passes through: the active ones, less the embedding tables it
    only looks a row up in (a tied output head is a matrix product, so it stays in)."""
    p = stats.params(arch)
    lookups = p["position_embedding"] + p["per_layer_embedding"]
    if not arch.embeddings.tied:
        lookups += p["embedding"]
    return p.active - lookups


def attention_flops(arch: Architecture, context: int) -> int:
    return sum(count * op.attention_flops(context) for kind, count in arch.kind_counts() for op in kind.ops)


def flops_per_token(arch: Architecture, context: int) -> int:
    """The forward FLOPs of the token at position ``context`` (decoding)."""
    return 2 * touched_params(arch) + attention_flops(arch, context)


def cost(
    arch: Architecture, context: int | None = None, batch: int = 1, dtype: str = "bf16", cache_dtype: str = "bf16"
) -> Cost:
    """The cost at ``context`` tokens (default: the model's context length) for ``batch``
    sequences, weights in ``dtype`` and the cache in ``cache_dtype``."""
    context = context or arch.context_length
    cache_bytes = PRECISIONS[cache_dtype]
    kv = round(stats.kv_cache_bytes(arch, context, 1) * cache_bytes) * batch
    state = round(stats.state_bytes(arch, 1) * cache_bytes) * batch
    weights = weights_bytes(arch, dtype)
    total = weights + kv + state
    return Cost(arch.id, dtype, cache_dtype, context, batch, weights, kv, state, total, flops_per_token(arch, context))
