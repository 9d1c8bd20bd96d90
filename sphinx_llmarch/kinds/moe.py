"""Mixture of experts: a router, routed expert MLPs, optional shared experts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

from ..draw.canvas import Grid, rich_size
from ..draw.style import INK
from ..hf.config import NO_OPTIONS, HFOptions
from ..spec.table import REQUIRED
from .base import Op, PanelContext, Slot, Variants, linear, register
from .mlp import FFN_CONCEPTS, KINDS, MLP, kind_from_hf, mlp_params

if TYPE_CHECKING:
    from ..draw.canvas import Canvas, Node
    from ..hf.config import HFConfig
    from ..spec.table import SpecTable


@register
@dataclass(frozen=True)
class MoE(Op):
    type: ClassVar[str] = "moe"
    role: ClassVar[str] = "channel"
    component: ClassVar[str] = "routed_experts"
    fact_label: ClassVar[str] = "Mixture of experts"

    num_experts: int
    experts_per_token: int
    #: The FFN kind of every expert (``swiglu``, ``relu2``, ...).
    kind: str
    expert_intermediate_size: int
    num_shared_experts: int = 0
    shared_intermediate_size: int | None = None
    #: A sigmoid gate (``d × 1``) scales the shared expert's output (Qwen3-Next).
    shared_expert_gate: bool = False
    router_bias: bool = False
    expert_bias: bool = False
    #: DeepSeek's per-expert bias used only to choose experts (aux-loss-free balancing).
    score_correction_bias: bool = False
    #: Latent MoE (Nemotron 3 Super): the routed experts work at this width, between a
    #: projection down from the residual stream and one back up, both always active.
    latent_size: int | None = None
    #: Gemma 4: the router normalises the residual stream itself (an RMSNorm without
    #: weight) and multiplies it by a learned ``d``-wide scale before projecting.
    router_input_scale: bool = False
    #: Gemma 4: a learned factor per expert on the chosen experts' routing weights.
    per_expert_scale: bool = False
    #: DeepSeek V4's first layers: a fixed table from token id to experts picks them (an
    #: integer buffer, not a parameter), so there is no bias to balance the choice.
    hash_routing: bool = False
    #: ZAYA1: the router is a small MLP at this width (a projection down from the residual
    #: stream with a bias, an RMSNorm, two hidden layers with biases, a projection to the choices).
    router_hidden_size: int | None = None
    #: ZAYA1's mixture of depths: one more router choice that sends the token past the experts.
    skip_expert: bool = False
    #: ZAYA1 after its first layer: the MLP router adds the previous layer's router state,
    #: scaled by a learned vector of its width.
    router_carry: bool = False

    @classmethod
    def read(cls, table: SpecTable, hidden_size: int) -> MoE:
        experts = table.int("num_experts", REQUIRED)
        active = table.int("experts_per_token", REQUIRED)
        if active > experts:
            raise table.fail("experts_per_token", f"{active} is more than num_experts {experts}")
        shared = table.int("num_shared_experts", 0, minimum=0)
        hashed = table.bool("hash_routing")
        if hashed and table.bool("score_correction_bias"):
            raise table.fail("score_correction_bias", "a hash-routed layer's table picks its experts: no such bias")
        router_width = table.int("router_hidden_size")
        skip, carry = table.bool("skip_expert"), table.bool("router_carry")
        if hashed and (router_width or skip):
            key = "router_hidden_size" if router_width else "skip_expert"
            raise table.fail(key, "a hash-routed layer has no learned router")
        if carry and not router_width:
            raise table.fail("router_carry", "only an MLP router (router_hidden_size) has a state to carry")
        return cls(
            num_experts=experts,
            experts_per_token=active,
            kind=table.choice("kind", KINDS, REQUIRED),
            expert_intermediate_size=table.int("moe_intermediate_size", REQUIRED),
            num_shared_experts=shared,
            shared_intermediate_size=table.int("shared_expert_intermediate_size"),
            shared_expert_gate=table.bool("shared_expert_gate"),
            router_bias=table.bool("router_bias"),
            expert_bias=table.bool("expert_bias"),
            score_correction_bias=table.bool("score_correction_bias"),
            latent_size=table.int("moe_latent_size"),
            router_input_scale=table.bool("router_input_scale"),
            per_expert_scale=table.bool("per_expert_scale"),
            hash_routing=hashed,
            router_hidden_size=router_width,
            skip_expert=skip,
            router_carry=carry,
        )

    @staticmethod
    def from_hf(config: HFConfig, options: HFOptions = NO_OPTIONS) -> dict[str, Any]:
        """``options``: ``shared_key`` (the config key of the shared-expert width),
        ``shared_expert_gate``, ``router_bias``, ``expert_bias``, ``router_input_scale``,
        ``per_expert_scale``, ``gated``, ``hash_routing``, ``skip_expert``, ``router_carry``;
        the config's ``router_hidden_size`` makes the router an MLP."""
        table: dict[str, Any] = {
            "type": "moe",
            "num_experts": config.require("num_experts", "n_routed_experts", "num_local_experts"),
            "experts_per_token": config.require(
                "num_experts_per_tok", "num_experts_per_token", "experts_per_token", "moe_topk", "top_k_experts"
            ),
            "kind": kind_from_hf(config, options.gated),
            "moe_intermediate_size": config.require(
                "moe_intermediate_size", "expert_intermediate_size", "intermediate_size"
            ),
        }
        shared = config.first("n_shared_experts", "num_shared_experts", default=options.num_shared_experts)
        shared_size = config.get(options.shared_key) if options.shared_key else None
        if shared_size and not shared:
            shared = 1
        if shared:
            table["num_shared_experts"] = shared
            if shared_size and shared_size != table["moe_intermediate_size"]:
                table["shared_expert_intermediate_size"] = shared_size
        if options.hash_routing:
            table["hash_routing"] = True
        elif config.get("topk_method") == "noaux_tc" or options.score_correction_bias:
            table["score_correction_bias"] = True
        flags = ("shared_expert_gate", "router_bias", "expert_bias", "router_input_scale", "per_expert_scale")
        for key in (*flags, "skip_expert", "router_carry"):
            if getattr(options, key):
                table[key] = True
        for key in ("moe_latent_size", "router_hidden_size"):
            if config.get(key):
                table[key] = config.get(key)
        return table

    @property
    def expert(self) -> MLP:
        return MLP(self.kind, self.expert_intermediate_size, self.expert_bias)

    def _shared(self, hidden_size: int) -> int:
        size = self.shared_intermediate_size or self.expert_intermediate_size
        gate = linear(hidden_size, 1) if self.shared_expert_gate else 0
        return self.num_shared_experts * mlp_params(self.kind, hidden_size, size, False) + gate

    @property
    def router_choices(self) -> int:
        """What the router scores: the experts, and the skip if there is one."""
        return self.num_experts + int(self.skip_expert)

    def _router(self, hidden_size: int) -> int:
        per_expert = int(self.router_bias) + int(self.score_correction_bias) + int(self.per_expert_scale)
        scale = hidden_size if self.router_input_scale else 0
        width = self.router_hidden_size
        if width:  # down, RMSNorm, two hidden layers, out; the carried state's scale
            scorer = linear(hidden_size, width, True) + width + 2 * linear(width, width, True)
            scorer += linear(width, self.router_choices) + (width if self.router_carry else 0)
        else:
            scorer = linear(hidden_size, self.router_choices)
        return scorer + self.num_experts * per_expert + scale

    def detail_width(self, hidden_size: int) -> int:
        return self.latent_size or hidden_size

    def params(self, hidden_size: int) -> Counter[str]:
        width = self.detail_width(hidden_size)
        one = mlp_params(self.kind, width, self.expert_intermediate_size, self.expert_bias)
        latent = linear(hidden_size, width) + linear(width, hidden_size) if self.latent_size else 0
        return Counter(
            {
                "routed_experts": self.num_experts * one,
                "shared_experts": self._shared(hidden_size),
                "router": self._router(hidden_size),
                "latent_projections": latent,
            }
        )

    def active_params(self, hidden_size: int) -> Counter[str]:
        counts = self.params(hidden_size)
        counts["routed_experts"] = counts["routed_experts"] // self.num_experts * self.experts_per_token
        return counts

    def concepts(self) -> set[str]:
        found = {"moe"} | ({FFN_CONCEPTS[self.kind]} if self.kind in FFN_CONCEPTS else set())
        found |= {"shared-expert"} if self.num_shared_experts else set()
        return found | ({"mixture-of-depths"} if self.skip_expert else set())

    def primary_concept(self) -> str | None:
        return "moe"

    @property
    def title(self) -> str:
        return f"MoE ({KINDS[self.kind][0]} experts)"

    @property
    def short(self) -> str:
        return "MoE"

    @property
    def phrase(self) -> str:
        return f"a mixture of {self.num_experts:,} {KINDS[self.kind][0]} experts ({self.experts_per_token} per token)"

    def summary(self, hidden_size: int) -> str:
        text = (
            f"{self.num_experts:,} {KINDS[self.kind][0]} experts of size {self.expert_intermediate_size:,}, "
            f"{self.experts_per_token} routed per token, {self.num_shared_experts} shared"
        )
        if self.num_shared_experts and self.shared_intermediate_size:
            text += f" of size {self.shared_intermediate_size:,}"
        text += " behind a sigmoid gate" if self.shared_expert_gate else ""
        if self.latent_size:
            text += f"; the routed experts work in a {self.latent_size:,}-wide latent space"
            text += ", projected down from and back up to the residual stream"
        if self.router_input_scale:
            text += "; the router normalizes the residual stream itself and scales it by a learned vector"
        if self.per_expert_scale:
            text += "; a learned factor per expert scales the chosen experts' weights"
        if self.hash_routing:
            text += "; a fixed table from token id to experts picks them"
        return text + self._router_words()

    def _router_words(self) -> str:
        """ZAYA1's router: an MLP, its carried state, the skip choice."""
        text = ""
        if self.router_hidden_size:
            text += f"; the router is an MLP of width {self.router_hidden_size:,} with two hidden layers"
            text += ", adding the previous layer's router state" if self.router_carry else ""
        if self.skip_expert:
            text += "; the router may also choose no expert, so the token skips the layer's experts (mixture of depths)"
        return text

    @classmethod
    def fact_rows(cls, variants: Variants, hidden_size: int) -> list[tuple[str, str]]:
        """Layers that differ only in carrying the router state are one sentence."""
        typed = [(op, n) for op, n in variants if isinstance(op, MoE)]
        carried = sum(n for op, n in typed if op.router_carry)
        if not carried or len({replace(op, router_carry=False) for op, _ in typed}) > 1:
            return super().fact_rows(variants, hidden_size)
        first = replace(typed[0][0], router_carry=False)
        total = sum(n for _, n in typed)
        text = first.summary(hidden_size) + f"; in {carried:,} of {total:,} layers the router also adds the "
        return [(cls.fact_label, text + "previous layer's router state")]

    def callout(self, hidden_size: int) -> str:
        return f"{{{self.num_experts:,}}} experts, {{{self.experts_per_token:,}}} active per token"

    @classmethod
    def slot(cls, variants: Variants, hidden_size: int) -> Slot:
        """Side boxes for what routes unusually: hash-routed layers, an MLP router, a skip."""
        slot = super().slot(variants, hidden_size)
        typed = [(op, n) for op, n in variants if isinstance(op, MoE)]
        total = sum(n for _, n in typed)
        side: list[tuple[str, str]] = []
        hashed = sum(n for op, n in typed if op.hash_routing)
        if hashed:
            side.append(("hash", f"Experts picked by a token-id\nhash table in {hashed} of {total} layers"))
        first = typed[0][0]
        if first.router_hidden_size:
            carried = sum(n for op, n in typed if op.router_carry)
            text = f"MLP router ({first.router_hidden_size:,} wide)"
            if carried:
                text += f"\n+ previous layer's state\nin {carried} of {total} layers"
            side.append(("router", text))
        if first.skip_expert:
            side.append(("skip", "Skip choice: a token may\nbypass the experts (MoD)"))
        return replace(slot, side=tuple(side))

    def panel_key(self) -> str | None:
        return f"moe-{self.num_experts}-{self.experts_per_token}-{self.num_shared_experts}"

    def detail_ops(self) -> list[tuple[Op, str]]:
        """The expert MLP gets its own panel above this one, tied to the first expert."""
        return [(self.expert, "expert_first")]

    def draw_panel(self, canvas: Canvas, x0: float, ctx: PanelContext) -> list[Node]:
        """Router, a bounded row of experts (first, ..., last), shared experts, ⊕."""
        width = max(96.0, rich_size(f"Expert {self.num_experts:,}", bold=False)[0] + 20)
        g = Grid(canvas, ctx.prefix, x0, col=width, row=48)
        g.point("in", 1, 0)
        g.box("router", "Router MLP" if self.router_hidden_size else "Router", 1, 0.7, w=80)
        g.box("expert_first", "Expert 1", 0, 2)
        g.text("expert_dots", "⋯", 1, 2, INK, bold=False)
        g.box("expert_last", f"Expert {self.num_experts:,}", 2, 2)
        g.circle("add", "+", 1, 3)
        g.chain("in", "router")
        for expert in ("expert_first", "expert_last"):
            g.chain("router", expert, "add")
        if self.num_shared_experts:
            label = "Shared expert" + ("s" if self.num_shared_experts > 1 else "")
            g.point("in_shared", 3, 0)
            g.box("shared", label, 3, 2, cls="lm-box lm-shared", penwidth="2.2")
            g.edge("in", "in_shared", arrow=False)
            g.chain("in_shared", "shared", "add")
        if self.skip_expert:  # beyond the shared experts' column, if any
            g.box("skip", "Skip\n(no expert)", 3 + bool(self.num_shared_experts), 2, style="rounded,filled,dashed")
            g.edge("router", "skip", headport="s")  # ports keep both edges clear of the last expert
            g.edge("skip", "add", tailport="n")
        g.point("out", 1, 3.7)
        g.edge("add", "out")
        caption = g.text("title", "MoE layer", 0, 3, INK)
        caption.x = max(n.right for n in g.nodes) - caption.w / 2
        text = f"{{{self.num_experts:,}}} experts, {{{self.experts_per_token:,}}} active per token\n"
        text += f"expert size {{{self.expert_intermediate_size:,}}}"
        if self.num_shared_experts:
            text += f", {{{self.num_shared_experts:,}}} shared expert" + ("s" if self.num_shared_experts > 1 else "")
        if self.latent_size:
            text += f"\nrouted experts in a {{{self.latent_size:,}}}-wide latent space"
        if self.router_input_scale:
            text += f"\nrouter reads the residual: RMSNorm × learned scale ({{{ctx.hidden_size:,}}})"
        if self.per_expert_scale:
            text += f"\nrouting weights × learned per-expert scale ({{{self.num_experts:,}}})"
        if self.router_hidden_size:
            text += f"\nrouter: an MLP of width {{{self.router_hidden_size:,}}}, {{{self.router_choices:,}}} choices"
            if any(isinstance(op, MoE) and op.router_carry for op in ctx.variants):
                text += "\nwith the previous layer's router state"
        g.info("info", text, ctx.accent)
        return g.nodes
