"""Bad training data gets clear errors or counted warnings; nothing is dropped silently."""

import json
from pathlib import Path

import pytest

from replyscore.training.data import TrainingDataError, read_labelled, split


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_labels_ratings_chats_and_counted_skips(tmp_path: Path) -> None:
    rows = [
        {"text": "Спасибо, всё отправим до 18:00 МСК сегодня.", "label": "positive"},
        {"text": "Читайте описание внимательнее.", "label": "neg"},
        {"text": "Заказ передан в доставку.", "rating": 3},
        {"text": "Заказ передан в доставку.", "label": "neutral"},  # duplicate
        {"text": "   ", "label": "neutral"},  # empty
        {"text": "Что-то", "label": "angry"},  # unknown label
        {"text": "Оценка", "rating": 9},  # out of range
        {
            "messages": [
                {"role": "customer", "text": "Где заказ?"},
                {"role": "agent", "text": "Заказ приедет завтра до 14:00."},
            ],
            "rating": 5,
        },
    ]
    data = read_labelled(write_jsonl(tmp_path / "d.jsonl", rows))
    assert data.labels == ["positive", "negative", "neutral", "positive"]
    assert data.texts[-1] == "Заказ приедет завтра до 14:00."
    assert data.skipped == {"duplicate text": 1, "empty text": 1, "unknown label or bad rating": 2}
    assert any("skipped rows" in w for w in data.warnings)
    assert len(data.sha256) == 64


def test_rude_rows_name_their_calm_rewrites(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "text": "Сами разбирайтесь со своим браком!!!", "tone": "negative", "calmer": "b"},
        {"id": "b", "text": "К сожалению, товар пришёл с браком.", "tone": "negative", "rewrite_of": "a"},
        {"id": "c", "text": "Отвали, трек в заказе.", "tone": "negative", "calmer": "missing"},
        {"text": "Без пары.", "tone": "neutral"},
    ]
    data = read_labelled(write_jsonl(tmp_path / "pairs.jsonl", rows))
    assert data.pairs == [("Сами разбирайтесь со своим браком!!!", "К сожалению, товар пришёл с браком.")]
    assert len(data.texts) == 4


def test_csv_with_wrong_columns(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("message,score\nпривет,1\n", encoding="utf-8")
    with pytest.raises(TrainingDataError, match="'text' column"):
        read_labelled(path)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"text": "Один", "label": "positive"}], "only one class"),
        ([{"text": "Один", "label": "positive"}, {"text": "Два", "label": "positive"}], "only one class"),
        ([{"text": "", "label": "positive"}], "no usable rows"),
    ],
)
def test_unusable_data(tmp_path: Path, rows: list[dict], message: str) -> None:
    with pytest.raises(TrainingDataError, match=message):
        read_labelled(write_jsonl(tmp_path / "d.jsonl", rows))


def test_missing_file_and_invalid_json(tmp_path: Path) -> None:
    with pytest.raises(TrainingDataError, match="no such file"):
        read_labelled(tmp_path / "nope.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "label": "positive"}\n{oops\n', encoding="utf-8")
    with pytest.raises(TrainingDataError, match=r"bad\.jsonl:2"):
        read_labelled(bad)


def test_small_class_warns(tmp_path: Path) -> None:
    rows = [{"text": f"Хороший ответ {i}", "label": "positive"} for i in range(10)]
    rows.append({"text": "Плохой ответ", "label": "negative"})
    data = read_labelled(write_jsonl(tmp_path / "d.jsonl", rows))
    assert any("negative has only 1" in w for w in data.warnings)


def test_split_is_stratified_and_deterministic() -> None:
    texts = [f"t{i}" for i in range(100)]
    labels = ["negative"] * 50 + ["positive"] * 30 + ["neutral"] * 20
    a = split(texts, labels, 0.2, seed=1)
    b = split(texts, labels, 0.2, seed=1)
    assert a == b
    assert sorted(a[3]).count("neutral") == 4 and sorted(a[3]).count("negative") == 10


def test_split_keeps_rewrites_with_their_originals() -> None:
    texts = [f"t{i}" for i in range(100)]
    labels = ["negative"] * 50 + ["neutral"] * 50
    together = [(f"t{i}", f"t{i + 50}") for i in range(40)]  # a rude text and its calm rewrite
    train, held, _, held_l = split(texts, labels, 0.2, seed=1, together=together)
    assert sorted(train + held) == sorted(texts) and len(held) >= 15
    for rude, calm in together:
        assert (rude in held) == (calm in held)
    assert dict(zip(held, held_l, strict=True)) == {t: labels[texts.index(t)] for t in held}
