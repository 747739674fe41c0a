"""`replyscore train` and `replyscore eval` end to end, on a tiny encoder folder the test builds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from replyscore.samples import tone_replies

EXE = Path(sys.executable).with_name("replyscore")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([str(EXE), *args], capture_output=True, text=True, env=env, timeout=900)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = [{"text": r["text"], "label": r["tone"]} for r in tone_replies()[::8]]  # ~200, all tones
    rude_calm = [
        ("Сколько можно ныть, ждите и не пишите!", "Понимаем, что ждать неприятно; заказ приедет 5 июня."),
        ("Ваши претензии — полная чушь, товар нормальный.", "Мы проверили товар и не нашли в нём дефекта."),
        ("ЧИТАТЬ УМЕЕТЕ? размер указан в карточке", "Размер указан в карточке товара, в характеристиках."),
    ]
    for k, (rude, calm) in enumerate(rude_calm):
        rows.append({"id": f"r{k}", "text": rude, "label": "negative", "calmer": f"c{k}"})
        rows.append({"id": f"c{k}", "text": calm, "label": "neutral", "rewrite_of": f"r{k}"})
    path = tmp_path_factory.mktemp("data") / "labelled.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("mode", ["head", "lora"])
def test_train_writes_a_versioned_model_and_eval_reads_it(
    mode: str, data: Path, tiny_encoder_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / f"model-{mode}"
    trained = run(
        "train",
        "--data",
        str(data),
        "--base",
        str(tiny_encoder_dir),
        "--mode",
        mode,
        "--epochs",
        "1",
        "--out",
        str(out),
        *(["--encoder-layers", "1"] if mode == "lora" else []),
    )
    assert trained.returncode == 0, trained.stderr
    meta = json.loads((out / "replyscore_model.json").read_text(encoding="utf-8"))
    assert meta["training"]["mode"] == mode and meta["labels"] == ["negative", "neutral", "positive"]
    assert len(meta["data"]["sha256"]) == 64 and meta["data"]["train"]["n"] > 100
    assert meta["base_encoder_version"] and meta["metrics"]["test_int8"]["macro_f1"] >= 0
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert meta["data"]["sha256"] in card and "replyscore train" in card
    fit = meta["metrics"]["rude_shift_fit"]
    assert meta["rude_shift"] == fit["rude_shift"] >= 0 and fit["objective_at_fit"] <= fit["objective_at_0"]
    assert f"rude_shift {meta['rude_shift']}" in card and "test_served" in meta["metrics"]
    assert (out / "adapter").is_dir() == (mode == "lora")
    assert meta["encoder_layers"] == (1 if mode == "lora" else None)  # the tiny encoder has 2
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    assert size < 5_000_000

    evaluated = run("eval", "--model", str(out), "--data", str(data), "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    metrics = json.loads(evaluated.stdout)
    assert {"accuracy", "macro_f1", "macro_f1_pn", "per_class_f1", "confusion_matrix"} <= set(metrics)
    matrix = metrics["confusion_matrix"]["rows_gold_cols_pred"]
    assert sum(map(sum, matrix)) == metrics["n"]


def test_bad_training_data_is_a_clear_error(tmp_path: Path, tiny_encoder_dir: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("text,label\nСпасибо за заказ,positive\n", encoding="utf-8")
    out = run("train", "--data", str(path), "--base", str(tiny_encoder_dir), "--out", str(tmp_path / "m"))
    assert out.returncode == 2
    assert "only one class" in out.stderr and "Traceback" not in out.stderr


def test_unknown_lora_target_is_a_clear_error(data: Path, tmp_path: Path, tiny_encoder_dir: Path) -> None:
    out = run(
        "train",
        *("--data", str(data), "--base", str(tiny_encoder_dir), "--out", str(tmp_path / "m")),
        *("--lora-targets", "query,q_proj"),
    )
    assert out.returncode == 2
    assert "['q_proj']" in out.stderr and "dense" in out.stderr and "Traceback" not in out.stderr
