"""Computed numbers against the authors' published figures and hand-worked values."""

from __future__ import annotations

import pytest

from sphinx_llmarch.facts import stats
from sphinx_llmarch.facts.stats import agrees, stated_precision
from sphinx_llmarch.model.architecture import OfficialFigure
from sphinx_llmarch.spec.registry import bundled_registry

REGISTRY = bundled_registry()
ALL = [arch.id for arch in REGISTRY]


def test_agreement_rule() -> None:
    assert agrees(8_190_735_360, OfficialFigure(8.2e9, "8.2B"))
    assert not agrees(8_500_000_000, OfficialFigure(8.2e9, "8.2B"))
    assert agrees(7_298_617_344, OfficialFigure(7e9, "7B"))
    assert not agrees(7_600_000_000, OfficialFigure(7e9, "7B"))
    assert agrees(3_353_032_704, OfficialFigure(3.3e9, "3.3B", rounding="down"))
    assert not agrees(3_353_032_704, OfficialFigure(3.3e9, "3.3B"))
    assert not agrees(3_290_000_000, OfficialFigure(3.3e9, "3.3B", rounding="down"))
    assert agrees(68_976_648_192, OfficialFigure(70e9, "70B", rounding="class"))
    assert not agrees(68_976_648_192, OfficialFigure(70e9, "70B"))
    assert not agrees(67_000_000_000, OfficialFigure(70e9, "70B", rounding="class"))


def test_stated_precision() -> None:
    assert stated_precision("8B") == 1e9
    assert stated_precision("8.2B") == pytest.approx(1e8)
    assert stated_precision("1542M") == 1e6
    assert stated_precision("24 billion parameters") == 1e9
    assert stated_precision("1,170,340,608") == 1
    assert stated_precision("about eight") is None


OFFICIAL = [(a.id, name) for a in REGISTRY for name in stats.OFFICIAL_FIGURES if getattr(a.official, name)]


@pytest.mark.parametrize(("model_id", "figure"), OFFICIAL)
def test_counts_match_official_figures(model_id: str, figure: str) -> None:
    arch = REGISTRY.get(model_id)
    official = getattr(arch.official, figure)
    computed = stats.counted_like_official(arch, figure)
    assert stated_precision(official.stated) is not None, f"cannot read a count from {official.stated!r}"
    assert agrees(computed, official), f"{computed:,} vs official {official.stated}"


#: Models whose authors published no parameter count; their specs' notes say so.
NO_OFFICIAL_TOTAL = {
    "grok-2.5": "xAI's release of the Grok 2 weights names no parameter count",
    "deepseek-v3.2": "its card restates no count; the checkpoint size (with MTP) is checked instead",
}


def test_every_model_with_an_official_total_is_checked() -> None:
    assert {model for model, figure in OFFICIAL if figure == "total"} | set(NO_OFFICIAL_TOTAL) == set(ALL)
    assert all(REGISTRY.get(model).official.note for model in NO_OFFICIAL_TOTAL)


def test_gpt2_xl_uses_openais_corrected_size() -> None:
    """1558M is the checkpoint's name in DEVELOPERS.md (the README's footnote corrects only the two smaller sizes)."""
    arch = REGISTRY.get("gpt-2-xl")
    assert arch.official.total is not None and arch.official.total.stated == "1558M"
    assert arch.official.total.source == "https://github.com/openai/gpt-2/blob/master/DEVELOPERS.md"
    assert round(stats.params(arch).total / 1e6) == 1558


# layers x (kv heads x 2 x head_dim, or MLA latent + rope dims) x 2 bytes, worked by hand
KV_BYTES_PER_TOKEN = {
    "gpt-2-xl": 48 * 25 * 2 * 64 * 2,
    "llama-3-8b": 32 * 8 * 2 * 128 * 2,
    "llama-3.2-1b": 16 * 8 * 2 * 64 * 2,
    "olmo-2-7b": 32 * 32 * 2 * 128 * 2,
    "smollm3-3b": 36 * 4 * 2 * 128 * 2,
    "mistral-small-3.1-24b": 40 * 8 * 2 * 128 * 2,
    "qwen3-8b": 36 * 8 * 2 * 128 * 2,
    "qwen3-30b-a3b": 48 * 4 * 2 * 128 * 2,
    "gemma-3-27b": 62 * 16 * 2 * 128 * 2,
    "gpt-oss-20b": 24 * 8 * 2 * 64 * 2,
    "gpt-oss-120b": 36 * 8 * 2 * 64 * 2,
    "deepseek-v3": 61 * (512 + 64) * 2,
    "zaya1-8b": 40 * 2 * 2 * 128 * 2,  # CCA caches its 2 compressed key and value heads; the conv inputs are state
}


#: The public LLM Architecture Gallery's "KV cache / token (bf16)" column (llm-list.tsv of
#: qundao/backup-llm-architecture-gallery), for every bundled model it lists: an outside check
#: of the per-token rule, to the precision the gallery prints.
GALLERY_KV = {
    "gpt-2-xl": "300 KiB",
    "llama-3-8b": "128 KiB",
    "llama-3.2-1b": "32 KiB",
    "llama-3.2-3b": "112 KiB",
    "olmo-2-7b": "512 KiB",
    "phi-4": "200 KiB",
    "deepseek-v3": "68.6 KiB",
    "deepseek-r1": "68.6 KiB",
    "gemma-3-27b": "496 KiB",
    "xlstm-7b": "0 B",
    "mistral-small-3.1-24b": "160 KiB",
    "llama-4-maverick": "192 KiB",
    "qwen3-0.6b": "112 KiB",
    "qwen3-235b-a22b": "188 KiB",
    "qwen3-30b-a3b": "96 KiB",
    "qwen3-32b": "256 KiB",
    "qwen3-4b": "144 KiB",
    "qwen3-8b": "144 KiB",
    "smollm3-3b": "72 KiB",
    "kimi-k2": "68.6 KiB",
    "glm-4.5": "368 KiB",
    "glm-4.5-air": "184 KiB",
    "qwen3-coder-flash": "96 KiB",
    "gpt-oss-120b": "72 KiB",
    "gpt-oss-20b": "48 KiB",
    "gemma-3-270m": "18 KiB",
    "grok-2.5": "256 KiB",
    "qwen3-next-80b-a3b": "24 KiB",
    "minimax-m2": "248 KiB",
    "kimi-linear-48b-a3b": "7.9 KiB",
    "olmo-3-32b": "256 KiB",
    "olmo-3-7b": "512 KiB",
    "intellect-3": "184 KiB",
    "deepseek-v3.2": "68.6 KiB",
    "mistral-large-3": "68.6 KiB",
    "nemotron-3-nano-30b-a3b": "6 KiB",
    "mimo-v2-flash": "144 KiB",
    "glm-4.7": "368 KiB",
    "kimi-k2.5": "68.6 KiB",
    "glm-5": "87.8 KiB",
    "minimax-m2.5": "248 KiB",
    "qwen3.5-397b": "30 KiB",
    "sarvam-105b": "36 KiB",
    "sarvam-30b": "19 KiB",
    "nemotron-3-super-120b-a12b": "8 KiB",
    "mistral-small-4": "22.5 KiB",
    "nemotron-3-nano-4b": "16 KiB",
    "minimax-m2.7": "248 KiB",
    "gemma-4-31b": "840 KiB",
    "gemma-4-26b-a4b": "210 KiB",
    "gemma-4-e2b": "35 KiB",
    "gemma-4-e4b": "84 KiB",
    "glm-5.1": "87.8 KiB",
    "qwen3.6-35b-a3b": "20 KiB",
    "kimi-k2.6": "68.6 KiB",
    "qwen3.6-27b": "64 KiB",
    "mimo-v2.5": "144 KiB",
    "mimo-v2.5-pro": "350 KiB",
    "hy3-preview": "320 KiB",
    "zaya1-8b": "40 KiB",
}

#: Where our count differs from the gallery's by design, and why (each must still differ).
GALLERY_KV_DIFFERS = {
    "deepseek-v3.2": "the gallery leaves out the sparse-attention indexer's cached key (128 values per layer)",
    "glm-5": "the gallery leaves out the sparse-attention indexer's cached key (128 values per layer)",
    "glm-5.1": "the gallery leaves out the sparse-attention indexer's cached key (128 values per layer)",
    "mimo-v2-flash": "sliding-window layers have 8 KV heads and 128-wide values; the gallery uses 4 and 192",
    "mimo-v2.5": "sliding-window layers have 8 KV heads and 128-wide values; the gallery uses 4 and 192",
    "gemma-4-e2b": "layers that reuse an earlier layer's keys and values cache nothing; the gallery counts them",
    "gemma-4-e4b": "layers that reuse an earlier layer's keys and values cache nothing; the gallery counts them",
}


@pytest.mark.parametrize("model_id", sorted(GALLERY_KV))
def test_kv_cache_per_token_agrees_with_the_public_gallery(model_id: str) -> None:
    number, unit = GALLERY_KV[model_id].split()
    theirs = float(number) * {"KiB": 1024, "B": 1}[unit]
    last_digit = 10 ** -len(number.partition(".")[2]) * (1024 if unit == "KiB" else 1)
    ours = stats.kv_cache_bytes_per_token(REGISTRY.get(model_id))
    agrees = abs(ours - theirs) <= last_digit / 2
    assert agrees != (model_id in GALLERY_KV_DIFFERS), f"ours {ours:,} B, the gallery {GALLERY_KV[model_id]}"


@pytest.mark.parametrize("model_id", sorted(KV_BYTES_PER_TOKEN))
def test_kv_cache_bytes_per_token(model_id: str) -> None:
    assert stats.kv_cache_bytes_per_token(REGISTRY.get(model_id)) == KV_BYTES_PER_TOKEN[model_id]


def test_kv_cache_at_context_caps_sliding_layers_at_the_window() -> None:
    gemma = REGISTRY.get("gemma-3-27b")  # 52 sliding (window 1,024) + 10 global layers
    per_layer_token = 16 * 2 * 128 * 2
    assert stats.kv_cache_bytes(gemma, 131_072) == per_layer_token * (10 * 131_072 + 52 * 1_024)
    assert stats.kv_cache_bytes(gemma, 512) == per_layer_token * 62 * 512


@pytest.mark.parametrize(
    ("model_id", "mix"),
    [
        ("gemma-3-27b", "52 sliding-window attention + 10 global attention"),
        ("gpt-oss-20b", "12 sliding-window attention + 12 global attention"),
        ("smollm3-3b", "27 RoPE + 9 NoPE"),
        ("deepseek-v3", "3 dense + 58 MoE"),
        ("qwen3-8b", "36 identical dense layers"),
        ("qwen3-30b-a3b", "48 identical MoE layers"),
    ],
)
def test_layer_mix(model_id: str, mix: str) -> None:
    assert stats.layer_mix(REGISTRY.get(model_id)) == mix


def test_decoder_type() -> None:
    assert stats.decoder_type(REGISTRY.get("qwen3-8b")) == "dense"
    assert stats.decoder_type(REGISTRY.get("deepseek-v3")) == "sparse MoE"


def test_tied_embeddings_are_counted_once() -> None:
    arch = REGISTRY.get("llama-3.2-1b")
    p = stats.params(arch)
    assert arch.embeddings.tied and p["output_head"] == 0 and p["embedding"] == 128_256 * 2_048


def test_human_formatting() -> None:
    assert stats.human(8_190_735_360) == "8.19B"
    assert stats.human(671_026_419_200) == "671B"
    assert stats.human(1_234) == "1.23K"
    assert stats.human_bytes(147_456) == "144 KiB"


# Exact counts from building each model's real config with Hugging Face transformers on
# PyTorch's meta device and summing its parameters (a one-off cross-check, not a test
# dependency). transformers keeps DeepSeek's 256 score-correction biases per MoE layer as
# buffers and leaves out the MTP module; the checkpoint stores both, and so do we.
DEEPSEEK_BIAS = 58 * 256
#: Nemotron 3 Nano: 23 MoE layers, each with 128 router correction biases (buffers in transformers).
NEMOTRON_BIAS = 23 * 128
TRANSFORMERS_COUNTS = {
    "gpt-2-xl": (1_557_611_200, None),
    "llama-3-8b": (8_030_261_248, None),
    "llama-3.2-1b": (1_235_814_400, None),
    "olmo-2-7b": (7_298_617_344, None),
    "gemma-3-27b": (27_009_346_304, None),
    "mistral-small-3.1-24b": (23_572_403_200, None),
    "qwen3-8b": (8_190_735_360, None),
    "qwen3-30b-a3b": (30_532_122_624, 3_353_032_704),
    "smollm3-3b": (3_075_098_624, None),
    "gpt-oss-20b": (20_914_757_184, 4_187_440_704),
    "gpt-oss-120b": (116_829_156_672, 5_711_982_912),
    "deepseek-v3": (671_026_404_352 + DEEPSEEK_BIAS, 37_552_282_624 + DEEPSEEK_BIAS),
    # active: the meta model's parameters less 122 of each layer's 128 experts (transformers 5.25)
    "nemotron-3-nano-30b-a3b": (31_577_937_344 + NEMOTRON_BIAS, 3_580_073_408 + NEMOTRON_BIAS),
    # ZayaForCausalLM; active is ours from its shapes (one of 16 experts per token, the tied embedding
    # once); the routers' 17 balancing biases are buffers there and not counted here either
    "zaya1-8b": (8_840_488_784, 1_290_741_584),
}


@pytest.mark.parametrize("model_id", sorted(TRANSFORMERS_COUNTS))
def test_exact_counts_match_transformers(model_id: str) -> None:
    total, active = TRANSFORMERS_COUNTS[model_id]
    p = stats.params(REGISTRY.get(model_id))
    assert p.total == total
    assert p.active == (active or total)


@pytest.mark.parametrize(
    ("model_id", "encoder", "projector"),
    [
        ("gemma-3-27b", 416_866_032, 6_194_304),
        ("mistral-small-3.1-24b", 403_305_472, 35_652_608),
        # transformers 5.24 on the meta device: Qwen3_5VisionModel / Qwen3_5MoeVisionModel built from each
        # stored vision_config, the merger (its LayerNorm and two linears) as the projector, the rest as the encoder
        ("qwen3.5-397b", 415_891_440, 40_119_040),
        ("qwen3.6-27b", 415_891_440, 44_838_656),
        ("qwen3.6-35b-a3b", 415_891_440, 30_679_808),
        # the same for Gemma4VisionModel (encoder) and Gemma4MultimodalEmbedder (projector); their clamp and
        # standardization buffers are not parameters
        ("gemma-4-31b", 569_548_080, 6_193_152),
        ("gemma-4-26b-a4b", 569_548_080, 3_244_032),
        ("gemma-4-e4b", 167_364_608, 1_966_080),
        ("gemma-4-e2b", 167_364_608, 1_179_648),
        # the same for Kimi_K25VisionModel and Kimi_K25MultimodalProjection, from vision_config with the
        # remote code's vt_* / init_pos_emb_* / mm_hidden_size keys renamed to transformers' names
        ("kimi-k2.5", 416_866_032, 54_277_888),
        ("kimi-k2.6", 416_866_032, 54_277_888),
        # transformers has no MiMo-V2.5 vision class: the sum is the 728,594,432 the spec's note takes from the
        # checkpoint's vision tensor shapes (the ViT with its 24 x 32 sink logits, then the merger)
        ("mimo-v2.5", 681_407_232, 47_187_200),
    ],
)
def test_vision_tower_counts(model_id: str, encoder: int, projector: int) -> None:
    p = stats.params(REGISTRY.get(model_id))
    assert (p.vision_encoder, p.vision_projector) == (encoder, projector)


@pytest.mark.parametrize(
    ("model_id", "encoder", "projector", "official_total"),
    [
        # transformers 5.24 on the meta device: Gemma4AudioModel (encoder) and embed_audio, a
        # Gemma4MultimodalEmbedder (projector), from the stored audio_config; the clamp buffers are not
        # parameters. The official comparison is then transformers' whole Gemma4ForConditionalGeneration.
        ("gemma-4-e4b", 304_824_608, 3_932_160, 7_941_100_832),
        ("gemma-4-e2b", 304_824_608, 2_359_296, 5_104_297_504),
        # transformers has no MiMo-V2.5 audio class: the sum is the 261,127,168 the spec's note takes from
        # the checkpoint's audio tensor shapes (speech embeddings, local transformer, projection)
        ("mimo-v2.5", 126_909_440, 134_217_728, 308_778_780_864 + 728_594_432 + 261_127_168),
    ],
)
def test_audio_tower_counts(model_id: str, encoder: int, projector: int, official_total: int) -> None:
    p = stats.params(REGISTRY.get(model_id))
    assert (p.audio_encoder, p.audio_projector) == (encoder, projector)
    assert stats.counted_like_official(REGISTRY.get(model_id), "total") == official_total


def test_deepseek_mtp_module() -> None:
    p = stats.params(REGISTRY.get("deepseek-v3"))
    embedding_copies = 2 * 129_280 * 7_168
    # one MoE block + eh_proj + three norms (11.6B, DeepSeek says 11.5B unique) + its own
    # copies of the embedding and head, as the checkpoint stores them (685B in all)
    assert p.mtp == 11_610_067_968 + 256 + embedding_copies
    assert p.total_with_mtp == 684_489_830_400 + DEEPSEEK_BIAS + 256


def test_nemotron_3_nano_note_gives_our_counts_and_transformers() -> None:
    """The note's active figures are ours, and transformers' (without the router correction biases) beside them."""
    arch = REGISTRY.get("nemotron-3-nano-30b-a3b")
    p, note = stats.params(arch), arch.official.note or ""
    no_input_embedding = p.active - arch.vocab_size * arch.hidden_size
    for ours in (p.total, p.active, no_input_embedding):
        assert f"{ours:,}" in note and f"{ours - NEMOTRON_BIAS:,}" in note
