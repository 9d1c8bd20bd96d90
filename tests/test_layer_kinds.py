"""The explicit spec form (ops, layer kinds, schedule), ``extends``, and the new shapes' numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from sphinx_llmarch.facts import stats
from sphinx_llmarch.model.architecture import Schedule
from sphinx_llmarch.spec.loader import SpecError, read_raw
from sphinx_llmarch.spec.problems import build
from sphinx_llmarch.spec.registry import Registry, bundled_registry, load_spec

REGISTRY = bundled_registry()
HYBRID = """
id = "hybrid-toy"
name = "Hybrid toy"
family = "Toy"

[sources]
config = "https://example.org/hybrid-toy/config.json"

[text]
vocab_size = 1000
hidden_size = 64
num_hidden_layers = 8
context_length = 4096
tie_word_embeddings = true

[norm]
kind = "rmsnorm"

[ops.mamba]
type = "mamba2"
mamba_num_heads = 4
mamba_head_dim = 16
ssm_state_size = 8

[ops.attention]
type = "attention"
num_attention_heads = 4
num_key_value_heads = 2

[ops.ffn]
type = "mlp"
kind = "swiglu"
intermediate_size = 128

[layer_kinds.mamba]
sublayers = [{ op = "mamba" }, { op = "ffn" }]

[layer_kinds.attention]
sublayers = [{ op = "attention" }, { op = "ffn" }]

[schedule]
cycle = ["mamba", "mamba", "mamba", "attention"]
"""


def write(tmp_path: Path, text: str, name: str = "hybrid-toy.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_explicit_form_counts_each_kind_times_its_layers(tmp_path: Path) -> None:
    arch = load_spec(write(tmp_path, HYBRID))
    assert [(kind.key, n) for kind, n in arch.kind_counts()] == [("mamba", 6), ("attention", 2)]
    d = 64
    # Mamba-2: in_proj d -> (inner + conv + heads), conv over inner + 2 groups x state (kernel 4, bias),
    # dt_bias, A_log and D per head, gated norm over inner, out_proj
    inner, conv = 4 * 16, 4 * 16 + 2 * 8
    mamba = d * (inner + conv + 4) + conv * 4 + conv + 3 * 4 + inner + inner * d
    attention = d * 4 * 16 + 2 * d * 2 * 16 + 4 * 16 * d
    ffn, norms = 3 * d * 128, 2 * d
    total = 1000 * d + 6 * (mamba + ffn + norms) + 2 * (attention + ffn + norms) + d
    assert stats.params(arch).total == total
    assert stats.kv_cache_bytes_per_token(arch) == 2 * (2 * 2 * 16) * 2  # only the 2 attention layers cache
    assert stats.state_bytes(arch) == 6 * (4 * 16 * 8 + conv * 3) * 2  # SSM state and conv tail, per sequence
    assert stats.layer_mix(arch) == "6 Mamba-2 + 2 global attention"
    assert stats.decoder_type(arch) == "hybrid dense (Mamba-2 + Grouped-query attention)"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            '{ op = "mamba" }, { op = "ffn" }',
            '{ op = "mambo" }, { op = "ffn" }',
            "hybrid-toy.toml: layer_kinds.mamba.sublayers[0].op: no op named 'mambo' in [ops] (did you mean 'mamba'?)",
        ),
        (
            'cycle = ["mamba", "mamba", "mamba", "attention"]',
            'cycle = ["mamba"]',
            "hybrid-toy.toml: layer_kinds.attention.sublayers: layer kind 'attention' is defined but never scheduled",
        ),
        (
            'cycle = ["mamba", "mamba", "mamba", "attention"]',
            'layers = ["mamba", "attention"]',
            "hybrid-toy.toml: schedule.layers: lists 2 layers, but text.num_hidden_layers is 8",
        ),
        (
            'cycle = ["mamba", "mamba", "mamba", "attention"]',
            'cycle = ["mamba", "atention"]',
            "hybrid-toy.toml: schedule.cycle[1]: 'atention' is not one of mamba, attention (did you mean 'attention'?)",
        ),
        ('type = "mamba2"', 'type = "mamba3"', "hybrid-toy.toml: ops.mamba.type: 'mamba3' is not one of"),
        ("ssm_state_size = 8", "ssm_state_size = 8\nstate = 2", "hybrid-toy.toml: ops.mamba.state: unknown key"),
        (
            '[{ op = "attention" }, { op = "ffn" }]',
            '[{ op = "attention" }, { op = "ffn", norm = "middle" }]',
            "hybrid-toy.toml: layer_kinds.attention.sublayers[1].norm: 'middle' is not one of pre, post, sandwich",
        ),
        (
            '[{ op = "attention" }, { op = "ffn" }]',
            '[{ op = "attention", parallel = true }, { op = "ffn" }]',
            "hybrid-toy.toml: layer_kinds.attention.sublayers[0].parallel: the first sublayer has nothing to run",
        ),
        (
            '[{ op = "attention" }, { op = "ffn" }]',
            '[{ op = "attention" }, { op = "ffn", sum_norm = true }]',
            "hybrid-toy.toml: layer_kinds.attention.sublayers[1].sum_norm: needs a parallel sublayer with a pre-norm",
        ),
    ],
)
def test_explicit_form_errors_name_file_key_and_problem(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in HYBRID
    with pytest.raises(SpecError) as info:
        load_spec(write(tmp_path, HYBRID.replace(old, new)))
    assert str(info.value).startswith(message)


def test_an_unused_op_is_an_error(tmp_path: Path) -> None:
    text = HYBRID + '\n[ops.spare]\ntype = "mlp"\nkind = "gelu"\nintermediate_size = 8\n'
    with pytest.raises(SpecError, match=r"ops\.spare\.type: op 'spare' is defined but no layer kind uses it"):
        load_spec(write(tmp_path, text))


def test_schedule_counts_without_walking_the_layers() -> None:
    schedule = Schedule(("d", "d", "d"), ("a", "a", "b"), 10**12)
    assert schedule.counts() == {"d": 3, "a": 666_666_666_665, "b": 333_333_333_332}
    assert list(schedule.layers(7)) == ["d", "d", "d", "a", "a", "b", "a"]


CHILD = """
id = "toy-chat"
extends = "hybrid-toy"
name = "Toy chat"

[sources]
config = "https://example.org/toy-chat/config.json"

[text]
vocab_size = 2000
"""


def test_extends_merges_over_the_base_and_lists_both_files(tmp_path: Path) -> None:
    base = write(tmp_path, HYBRID)
    child = write(tmp_path, CHILD, "toy-chat.toml")
    registry = Registry()
    registry.add_files([(base, base.name), (child, child.name)], lambda p, e: pytest.fail(str(e)))
    arch = registry.get("toy-chat")
    parent = registry.get("hybrid-toy")
    assert arch.base == "hybrid-toy" and arch.files == (str(child.resolve()), str(base.resolve()))
    assert arch.vocab_size == 2000 and arch.family == "Toy" and arch.name == "Toy chat"
    assert stats.params(arch).total - stats.params(parent).total == 1000 * 64  # one tied table, 1000 rows more
    assert arch.official.total is None, "official figures are never inherited"


def test_an_error_in_a_key_the_base_set_names_the_base_file(tmp_path: Path) -> None:
    base = write(tmp_path, HYBRID.replace("num_key_value_heads = 2", "num_key_value_heads = 3"))
    child = write(tmp_path, CHILD, "toy-chat.toml")
    raw = {"hybrid-toy": read_raw(base, "base/hybrid-toy.toml")}
    with pytest.raises(SpecError) as info:
        load_spec(child, display="toy-chat.toml", lookup=raw.get)
    assert str(info.value) == (
        "base/hybrid-toy.toml: ops.attention.num_key_value_heads: 3 does not divide num_attention_heads 4"
    )


def test_an_error_in_a_key_the_spec_set_names_the_spec(tmp_path: Path) -> None:
    base = write(tmp_path, HYBRID)
    child = write(tmp_path, CHILD.replace("vocab_size = 2000", "vocab_size = 0"), "toy-chat.toml")
    raw = {"hybrid-toy": read_raw(base, "base/hybrid-toy.toml")}
    with pytest.raises(SpecError, match=r"^toy-chat.toml: text.vocab_size: 0 is below the minimum 1"):
        load_spec(child, display="toy-chat.toml", lookup=raw.get)


def test_extends_cycles_and_missing_bases_are_clear_errors(tmp_path: Path) -> None:
    child = write(tmp_path, CHILD, "toy-chat.toml")
    with pytest.raises(SpecError, match=r"toy-chat\.toml: extends: no spec has the id 'hybrid-toy'"):
        load_spec(child, lookup={}.get)
    looping = write(tmp_path, HYBRID.replace('family = "Toy"', 'family = "Toy"\nextends = "toy-chat"'))
    raw = {"toy-chat": read_raw(child), "hybrid-toy": read_raw(looping)}
    with pytest.raises(SpecError, match="toy-chat -> hybrid-toy -> toy-chat is a cycle"):
        load_spec(child, lookup=raw.get)


def test_a_table_the_child_must_give_itself_is_blamed_on_the_child(tmp_path: Path) -> None:
    """[sources] is not inherited: a user's fine-tune may leave it out, but a bundled spec
    may not, and then the message names the fine-tune's file, not the base that had one."""
    child = write(tmp_path, 'id = "my-tune"\nextends = "qwen3-8b"\nname = "My tune"\n', "my-tune.toml")
    assert load_spec(child).sources == ()
    with pytest.raises(SpecError, match=r"^my-tune\.toml: sources: missing required table"):
        build(read_raw(child), REGISTRY.raw_spec, sourced=True)


def test_step3_vl_extends_qwen3_8b_with_its_own_vision_tower() -> None:
    step, qwen = REGISTRY.get("step3-vl-10b"), REGISTRY.get("qwen3-8b")
    assert step.base == "qwen3-8b" and step.family == "Step3-VL"
    assert stats.params(step).components == stats.params(qwen).components
    p = stats.params(step)
    assert (p.vision_encoder, p.vision_projector) == (1_743_503_104, 237_511_680)


# Exact counts and caches of the new shapes, each cross-checked against transformers built on
# the meta device (plus the router correction biases the checkpoints store as buffers).
NEW_SHAPES = {
    # id: (total, active, KV bytes per token, constant state bytes per sequence)
    "qwen3-next-80b-a3b": (79_674_391_296, 3_874_929_408, 12 * 2 * 2 * 256 * 2, 36 * (32 * 128 * 128 + 8192 * 3) * 2),
    "kimi-linear-48b-a3b": (
        49_122_675_072 + 6_656,
        3_484_459_904,
        7 * (512 + 64) * 2,
        20 * (32 * 128 * 128 + 12288 * 3) * 2,
    ),
    "nemotron-3-nano-30b-a3b": (
        31_577_937_344 + 2_944,
        3_580_076_352,
        6 * 2 * 2 * 128 * 2,
        23 * (64 * 64 * 128 + 6144 * 3) * 2,
    ),
    "lfm2-1.2b": (1_170_340_608, 1_170_340_608, 6 * 2 * 8 * 64 * 2, 10 * 2048 * 2 * 2),
    "llama-4-maverick": (400_711_848_960, 17_184_691_200, 48 * 2 * 8 * 128 * 2, 0),
    "xlstm-7b": (6_865_424_896, 6_865_424_896, 0, 32 * 8 * (256 * 512 + 256 + 1) * 2),
    "gemma-4-e4b": (7_463_013_376, 7_463_013_376, (20 * 2 * 2 * 256 + 4 * 2 * 2 * 512) * 2, 0),
    "command-a": (111_057_580_032, 111_057_580_032, 64 * 2 * 8 * 128 * 2, 0),
    # global layers cache only K (keys double as values), as for gemma-4-31b
    "gemma-4-26b-a4b": (25_233_141_760, 3_822_530_560, (25 * 2 * 8 * 256 + 5 * 2 * 512) * 2, 0),
    # every layer's 512-wide window latent counted in full, then 512 + 128 (index key) per 4 tokens on
    # the ratio-4 layers and 512 per 128 tokens on the ratio-128 ones
    "deepseek-v4-flash": (
        284_332_230_231 + 40 * 256,
        13_799_622_231 + 40 * 256,
        (43 * 512 + 21 * (512 + 128) // 4 + 20 * 512 // 128) * 2,
        0,
    ),
    "deepseek-v4-pro": (
        1_572_997_179_491 + 58 * 384,
        49_779_058_787 + 58 * 384,
        (61 * 512 + 30 * (512 + 128) // 4 + 31 * 512 // 128) * 2,
        0,
    ),
    # not built in transformers here (no torch): worked from modular_laguna.py's shapes in
    # test_laguna_counts_layer_by_layer below; 40 layers of 8 KV heads of 128, sliding ones counted in full
    "laguna-xs.2": (33_442_617_088, 3_017_135_872, 40 * 2 * 8 * 128 * 2, 0),
}


@pytest.mark.parametrize("model_id", sorted(NEW_SHAPES))
def test_new_shapes_exact_counts_caches_and_state(model_id: str) -> None:
    arch = REGISTRY.get(model_id)
    p = stats.params(arch)
    assert (p.total, p.active, stats.kv_cache_bytes_per_token(arch), stats.state_bytes(arch)) == NEW_SHAPES[model_id]


def test_windows_cap_the_cache_at_a_context() -> None:
    llama4 = REGISTRY.get("llama-4-maverick")  # 36 chunked layers (8,192) + 12 global NoPE layers
    per_layer_token = 2 * 8 * 128 * 2
    assert stats.kv_cache_bytes(llama4, 1_000_000) == per_layer_token * (36 * 8192 + 12 * 1_000_000)
    gemma4 = REGISTRY.get("gemma-4-e4b")  # shared layers cache nothing; 20 sliding (512) + 4 global own caches
    assert stats.kv_cache_bytes(gemma4, 100_000) == 2 * (20 * 1024 * 512 + 4 * 2048 * 100_000)


def test_mtp_modules_are_counted_apart() -> None:
    p = stats.params(REGISTRY.get("qwen3-next-80b-a3b"))
    assert p.mtp == 1_650_471_424  # the checkpoint's mtp.* tensors
    assert p.total_with_mtp == 81_324_862_720  # the checkpoint's whole tensor count


@pytest.mark.parametrize(
    ("model_id", "mtp", "with_mtp", "experts"),
    [
        ("deepseek-v4-flash", 6_610_048_635, 290_942_278_866, 256),
        ("deepseek-v4-pro", 25_840_145_595, 1_598_837_325_086, 384),
    ],
)
def test_deepseek_v4_mtp_block_and_caches(model_id: str, mtp: int, with_mtp: int, experts: int) -> None:
    """The MTP module (a window-only block with a learned router, e_proj, h_proj, three norms and
    a head mix, sharing embedding and head) as DeepSeek's code shapes it; the gate biases added as
    for DeepSeek V3 (none in the three hash-routed layers)."""
    arch = REGISTRY.get(model_id)
    p = stats.params(arch)
    biases = (arch.num_layers - 3) * experts
    assert (p.mtp, p.total_with_mtp) == (mtp + experts, with_mtp + biases + experts)
    kinds = dict(arch.schedule.counts())
    assert sum(n for key, n in kinds.items() if "hash" in key) == 3
    # at a million tokens each layer holds its 128 whole latents, and the compressed entries
    ratio4, ratio128 = (21, 20) if model_id.endswith("flash") else (30, 31)
    context = 1_048_576
    values = arch.num_layers * 128 * 512 + ratio4 * context // 4 * (512 + 128) + ratio128 * context // 128 * 512
    assert stats.kv_cache_bytes(arch, context) == values * 2


@pytest.mark.parametrize(
    ("model_id", "mix"),
    [
        ("qwen3-next-80b-a3b", "36 Gated DeltaNet + 12 gated attention"),
        ("nemotron-3-nano-30b-a3b", "23 Mamba-2 + 23 MoE + 6 attention"),
        ("kimi-linear-48b-a3b", "1 KDA (dense FFN) + 19 KDA + 7 MLA"),
        ("command-a", "48 sliding-window + 16 global NoPE"),
    ],
)
def test_layer_mix_of_hybrids(model_id: str, mix: str) -> None:
    assert stats.layer_mix(REGISTRY.get(model_id)) == mix


def test_parallel_blocks_share_one_norm() -> None:
    (kind, _), _ = REGISTRY.get("command-a").kind_counts()
    attention, ffn = kind.sublayers
    assert (attention.norm, ffn.norm, ffn.parallel) == ("pre", "none", True)
    per_layer = stats.kind_params(kind, 12288, REGISTRY.get("command-a").norm)
    assert per_layer["norms"] == 12288  # one LayerNorm without bias


def test_parallel_branches_with_their_own_norms_and_router_scales() -> None:
    """Gemma 4 26B-A4B: a dense MLP beside the MoE, each with its own sandwich norms, one more
    norm on their sum, and a router with a d-wide input scale and a scale per expert."""
    arch = REGISTRY.get("gemma-4-26b-a4b")
    d = arch.hidden_size
    kind = arch.kinds["sliding"]
    _, mlp, moe = kind.sublayers
    assert (mlp.parallel, moe.parallel, moe.sum_norm, moe.norm_count) == (False, True, True, 3)
    per_layer = stats.kind_params(kind, d, arch.norm)
    assert per_layer["norms"] == 7 * d  # attention 2, MLP 2, experts 2, their sum 1
    assert per_layer["router"] == 128 * d + d + 128  # proj, scale, per_expert_scale
    assert per_layer["dense_ffn"] == 3 * 2112 * d and per_layer["routed_experts"] == 128 * 3 * 704 * d
    assert sum(per_layer.values()) == 814_094_976  # transformers' sliding layer
    active = stats.kind_params(kind, d, arch.norm, active=True)
    assert per_layer - active == {"routed_experts": 120 * 3 * 704 * d}  # only unchosen experts drop out
    assert stats.params(arch).active - stats.params(arch)["embedding"] == 3_084_333_056


def test_per_layer_embeddings_are_their_own_bucket() -> None:
    p = stats.params(REGISTRY.get("gemma-4-e4b"))
    assert p["per_layer_embedding"] == 262_144 * 42 * 256
    assert p.non_embedding == 7_463_013_376 - 671_088_640 - 2_818_572_288


def test_laguna_counts_layer_by_layer() -> None:
    """Laguna XS.2 as transformers' modular_laguna.py shapes it: q/k/v/o without biases, a
    per-head q_norm and k_norm, g_proj with one output per head (48 global, 64 sliding-window),
    a dense first layer, then a sigmoid router with a correction bias per expert, 256 SwiGLU
    experts of 512 (8 active) and one shared expert of 512."""
    arch = REGISTRY.get("laguna-xs.2")
    d, kv, hd = 2048, 8, 128

    def attention(heads: int) -> int:
        return 2 * d * heads * hd + 2 * d * kv * hd + 2 * hd + d * heads  # q, o; k, v; q_norm, k_norm; g_proj

    expert, norms = 3 * d * 512, 2 * d
    moe = 256 * expert + expert + d * 256 + 256  # routed, shared, router weight and correction bias
    first = attention(48) + 3 * d * 8192 + norms
    layers = first + 9 * (attention(48) + moe + norms) + 30 * (attention(64) + moe + norms)
    total = 2 * 100_352 * d + layers + d
    p = stats.params(arch)
    assert p.total == total == 33_442_617_088
    assert p.total - p.active == 39 * (256 - 8) * expert
    assert dict(arch.schedule.counts()) == {"first": 1, "sliding": 30, "global": 9}
    assert stats.layer_mix(arch) == "1 dense, global + 30 MoE, sliding-window + 9 MoE, global"


def test_softplus_head_gate(tmp_path: Path) -> None:
    """A headwise gate adds d × heads whatever its function; the function is read, said and
    checked: it needs a gate, and is sigmoid or softplus."""
    toy = HYBRID.replace("num_key_value_heads = 2\n", 'num_key_value_heads = 2\noutput_gate = "headwise"\n')
    sigmoid = load_spec(write(tmp_path, toy))
    softplus = load_spec(write(tmp_path, toy.replace('"headwise"', '"headwise"\ngate_function = "softplus"')))
    plain = load_spec(write(tmp_path, HYBRID))
    assert stats.params(softplus).total == stats.params(sigmoid).total == stats.params(plain).total + 2 * 64 * 4
    op = softplus.kinds["attention"].sublayers[0].op
    assert (op.output_gate, op.gate_function) == ("headwise", "softplus")  # type: ignore[attr-defined]
    assert "headwise softplus output gate (one per head)" in op.summary(64)
    assert "headwise sigmoid output gate" in sigmoid.kinds["attention"].sublayers[0].op.summary(64)
    ungated = HYBRID.replace("num_key_value_heads = 2\n", 'num_key_value_heads = 2\ngate_function = "softplus"\n')
    with pytest.raises(SpecError, match=r"gate_function: given for attention without an output gate"):
        load_spec(write(tmp_path, ungated))
    with pytest.raises(SpecError, match=r"gate_function: 'tanh' is not one of sigmoid, softplus"):
        load_spec(write(tmp_path, toy.replace('"headwise"', '"headwise"\ngate_function = "tanh"')))
