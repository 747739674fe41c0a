"""The tone quality report and the published-results benchmark, on the tiny test encoder and a tiny
model trained here from data/samples (seconds, not minutes), and on small invented corpus files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from replyscore.eval import corpora, published, tone_quality
from replyscore.eval.corpora import LabelledText
from replyscore.model.checker import Checker
from replyscore.model.language import ReplyLanguageModel
from replyscore.samples import SAMPLES_DIR, tone_replies
from replyscore.training.config import TrainConfig
from replyscore.training.pipeline import train_model

PER_CLASS = 40


def _samples(per_class: int, skip: int = 0) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for label in ("negative", "neutral", "positive"):
        rows += [r for r in tone_replies() if r["tone"] == label][skip : skip + per_class]
    return rows


def _write_jsonl(rows: list[dict[str, Any]], path: Path) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory, tiny_encoder_dir: Path) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("tone-quality")
    data = _write_jsonl(_samples(PER_CLASS), root / "tone.jsonl")
    meta = train_model(data, root / "model", cfg=TrainConfig(mode="head"), base=tiny_encoder_dir)
    return {"encoder": tiny_encoder_dir, "data": data, "dir": root / "model", "meta": meta}


def _fake_shared(root: Path) -> Path:
    """Invented texts in the corpora's file formats (none of their text)."""
    tweets = root / "sentirueval2015_tweets" / "telecoms"
    tweets.mkdir(parents=True)
    table = (
        '<table name="t"><column name="id">{0}</column><column name="text">{1}</column>'
        '<column name="mts">{2}</column><column name="beeline">NULL</column></table>'
    )
    rows = [
        table.format(1, "@client_1, уточните номер договора, проверим. ^ИП #МТС", "0"),
        table.format(2, "@client_2, спасибо за добрые слова! ^ИП #МТС", "1"),
        table.format(3, "@MTS_help опять нет связи", "-1"),
    ]
    for split, body in (("train", "".join(rows)), ("test_etalon", "")):
        (tweets / f"{split}.xml").write_text(f"<pma_xml_export>{body}</pma_xml_export>", encoding="utf-8")
    detox = root / "russe_detox_2022"
    detox.mkdir()
    (detox / "dev.tsv").write_text(
        "toxic_comment\tneutral_comment1\tneutral_comment2\tneutral_comment3\n"
        "Сами разбирайтесь, не наша проблема.\tДавайте разберёмся вместе.\tПоможем разобраться.\t\n"
        "Читать не умеете?\tПодскажем, где это написано.\t\t\n"
        "Ждите ответа.\tЖдите ответа.\t\t\n",
        encoding="utf-8",
    )
    cedr = root / "cedr"
    cedr.mkdir()
    for split in ("train", "test"):
        (cedr / f"cedr-main-{split}.csv").write_text(
            "text,labels,source\nКак же я рад этой новости!,[0],lj\nЭто возмутительно и нагло.,[4],lj\n"
            "Обычный вторник.,[],lenta\n",
            encoding="utf-8",
        )
    return root


def test_heldout_split_is_the_one_training_held_out(tiny: dict[str, Any]) -> None:
    model = ReplyLanguageModel.load(tiny["dir"], quantize=False)
    texts, labels, same = tone_quality.heldout_samples(model, tiny["data"])
    assert same and len(texts) == len(labels) == tiny["meta"]["data"]["test"]["n"]
    result = tone_quality.evaluate_samples(model, tiny["data"])
    expected = tiny["meta"]["metrics"]["test_fp32"]
    assert result["held_out"] and "warning" not in result
    assert (result["n"], result["accuracy"], result["macro_f1"]) == (
        expected["n"], expected["accuracy"], expected["macro_f1"],
    )  # fmt: skip


def test_samples_from_other_data_are_flagged(tiny: dict[str, Any], tmp_path: Path) -> None:
    model = ReplyLanguageModel.load(tiny["dir"], quantize=False)
    other = _write_jsonl(_samples(20, skip=PER_CLASS), tmp_path / "other.jsonl")
    result = tone_quality.evaluate_samples(model, other)
    assert not result["held_out"] and "not held out" in result["warning"]


def test_probabilities_are_unrounded_and_ordered(tiny: dict[str, Any]) -> None:
    model = ReplyLanguageModel.load(tiny["dir"], quantize=False)
    texts = [r["text"] for r in _samples(2)]
    probs = tone_quality.tone_probabilities(model, texts)
    assert probs.shape == (len(texts), 3)
    assert probs.sum(axis=1) == pytest.approx(1.0)
    views = model.analyse(texts)
    assert tone_quality.predicted_labels(model, probs) == [v.tone[0]["label"] for v in views]
    assert tone_quality.tone_probabilities(model, []).shape == (0, 3)


def test_negative_log_odds_order_texts_whose_probability_rounds_to_one(tiny: dict[str, Any]) -> None:
    model = ReplyLanguageModel.load(tiny["dir"], quantize=False)
    neg = model.labels.index("negative")
    logits = np.zeros((3, 3), dtype=np.float32)
    logits[:, neg] = [40.0, 39.0, 0.0]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    assert (e / e.sum(axis=1, keepdims=True))[:2, neg].tolist() == [1.0, 1.0]  # a float32 tie
    odds = tone_quality.negative_log_odds(model, logits)
    assert odds[0] > odds[1] > odds[2] and odds[2] == pytest.approx(-np.log(2.0))


def test_report_without_shared_data(tiny: dict[str, Any]) -> None:
    model = ReplyLanguageModel.load(tiny["dir"])
    report = tone_quality.quality_report(model, tiny["data"], None)
    assert report["quantized"] and report["shared_data"].startswith("skipped")
    assert set(report) == {"model_version", "quantized", "tone", "samples", "shared_data"}
    assert report["tone"].startswith("served")
    alone = tone_quality.quality_report(model, tiny["data"], None, rule_evidence=False)
    assert alone["tone"] == "model alone"


def test_served_logits_add_the_shift_where_the_rules_find_rudeness(tiny: dict[str, Any]) -> None:
    model = ReplyLanguageModel.load(tiny["dir"], quantize=False)
    model.rude_shift = 2.5
    texts = ["Да пошли вы, сами виноваты.", "Заказ приедет 5 декабря."]
    alone = tone_quality.tone_logits(model, texts)
    served = tone_quality.tone_logits(model, texts, Checker())
    moved = tone_quality.negative_log_odds(model, served) - tone_quality.negative_log_odds(model, alone)
    assert moved == pytest.approx([2.5, 0.0])


def test_cli_report_on_corpus_shaped_files(
    tiny: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(corpora.SHARED_ENV, str(_fake_shared(tmp_path)))
    args = ["--model", str(tiny["dir"]), "--data", str(tiny["data"]), "--fp32"]
    assert tone_quality.main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["operator_replies"]["n"] == 2  # the customer's tweet is not an operator reply
    assert report["operator_replies"]["without_markup"]["n"] == 2
    detox = report["detox"]
    assert (detox["pairs"], detox["rude_texts"], detox["sample"]) == (3, 2, "all")
    assert detox["identical_pairs_left_out"] == 1  # an unchanged "rewrite" cannot read less negative
    assert 0.0 <= detox["less_negative_share"] <= 1.0 and detox["target"] == 0.95
    assert report["cedr_joy_anger"]["n"] == 4
    assert {"joy_accuracy", "anger_accuracy"} <= set(report["cedr_joy_anger"])
    assert tone_quality.main([*args, "--detox-limit", "2"]) == 0
    text = capsys.readouterr().out
    assert "detox pairs (dev)" in text and "n=2" in text and "operator replies" in text


def test_benchmark_trains_on_a_temporary_copy(tiny: dict[str, Any], tmp_path: Path) -> None:
    rows = [LabelledText(r["text"], r["tone"]) for r in _samples(PER_CLASS)]

    def load(root: Path) -> tuple[list[LabelledText], list[LabelledText]]:
        return rows[::2] + rows[1::4], rows[3::4]

    bench = published.Benchmark("samples", load, 0.5, "invented reference")
    result = published.run_benchmark(
        bench, tmp_path, TrainConfig(mode="head"), tmp_path / "work", base=tiny["encoder"]
    )
    test = result["test"]
    assert test["n"] == len(rows[3::4]) and 0.0 <= test["micro_f1_pn"] <= 1.0
    assert result["gap"] == pytest.approx(test["macro_f1_pn"] - 0.5, abs=1e-4)
    assert result["train"]["valid"] > 0 and result["mode"] == "head"
    assert "| samples |" in published.table([result])


def test_published_figures_are_the_documented_ones() -> None:
    figures = {b.name: b.published for b in published.BENCHMARKS}
    assert figures == {
        "sentirueval2015-banks": 0.6640,
        "sentirueval2015-telecoms": 0.6614,
        "rusentitweet": 0.6510,
    }


def test_packaged_model_reproduces_its_card(language_model: ReplyLanguageModel) -> None:
    """The packaged model's held-out split, redrawn here, gives the metrics its card reports."""
    data = SAMPLES_DIR / "tone"
    _, _, same = tone_quality.heldout_samples(language_model, data)
    if not same:
        pytest.skip("the packaged model was trained on another version of data/samples/tone")
    result = tone_quality.evaluate_samples(language_model, data)
    card = language_model.meta["metrics"]["test_int8"]
    # int8 activation scales are per batch, so batching changes can move a few borderline labels
    assert result["n"] == card["n"]
    assert abs(result["accuracy"] - card["accuracy"]) <= 0.015
    assert abs(result["macro_f1_pn"] - card["macro_f1_pn"]) <= 0.015
