"""Batch input (replies, chats; CSV, JSONL), output rows and resuming after a torn write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from replyscore.eval.batch import LocalEngine, run_batch
from replyscore.eval.batch_io import (
    CSV_COLUMNS,
    BatchInputError,
    done_ids,
    read_chats,
    read_items,
    read_output,
)
from replyscore.model.scorer import Scorer

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
ENGINE = LocalEngine(Scorer())
GOOD = "Здравствуйте! Заказ передадим в доставку до 18:00 МСК завтра."
SENT = "2024-11-05T10:00:00+03:00"
BAD = "Извините!!! Постараемся отправить в ближайшее время, пишите в WhatsApp +7 999 123-45-67"


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows),
        encoding="utf-8",
    )
    return path


def run(tmp_path: Path, source: Path, out_name: str = "out.jsonl") -> list[dict[str, Any]]:
    out = tmp_path / out_name
    run_batch(source, out, ENGINE, chunk_size=4, progress=None)
    return read_output(out)


def test_replies_jsonl_keep_ids_and_malformed_rows_become_error_rows(tmp_path: Path) -> None:
    source = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": "a", "text": GOOD, "agent": "Анна", "created_at": "2024-11-05T10:00:00+03:00"},
            "{not json",
            {"id": 7, "text": ""},
            {"text": GOOD},
            {"id": "x", "text": 5},
            {"id": "t", "text": GOOD, "created_at": "вчера"},
            [1, 2],
            {"id": "b", "text": BAD, "customer_message": "Где заказ?"},
        ],
    )
    rows = run(tmp_path, source)
    assert [r["id"] for r in rows] == ["a", "line:2", 7, "line:4", "x", "t", "line:7", "b"]
    assert rows[0]["agent"] == "Анна" and rows[0]["matches"] == [] and rows[0]["css"]["score"] >= 3
    assert rows[0]["text"] == GOOD and rows[0]["model"] == "rules-only" and rows[0]["tone"] is None
    assert "invalid JSON" in rows[1]["error"]
    assert rows[2]["error"] == "text is empty"
    assert "'id' is missing" in rows[3]["error"]
    assert "'text' must be a string" in rows[4]["error"]
    assert "ISO 8601" in rows[5]["error"]
    assert "JSON object" in rows[6]["error"]
    assert {m["rule"]["category"] for m in rows[7]["matches"]} >= {"PHONE", "OFF_PLATFORM", "VAGUE"}
    assert rows[7]["customer_message"] == "Где заказ?"


def test_replies_csv_in_and_out_match_jsonl(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    bad = BAD.replace('"', '""')
    rows = f'1,"{GOOD}",Анна,\n2,"{bad}",,{SENT}\n3,,Олег,\n'
    source.write_text("id,text,agent,created_at\n" + rows, encoding="utf-8")
    as_csv = run(tmp_path, source, "out.csv")
    as_jsonl = run(tmp_path, source, "out.jsonl")
    assert as_csv == as_jsonl
    assert [r["id"] for r in as_csv] == ["1", "2", "3"] and "error" in as_csv[2]
    vague_time = next(m for m in as_csv[1]["matches"] if m["rule"]["id"] == "VAGUE_TIME")
    assert vague_time["replacements"] == ["до 12:00 МСК сегодня"]  # 2 working hours after it was sent
    header = (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()[0]
    assert tuple(header.split(",")) == CSV_COLUMNS


def test_chats_give_one_row_per_agent_message(tmp_path: Path) -> None:
    messages = [
        {
            "role": "customer",
            "author": "Мария",
            "timestamp": "2024-11-05T10:00:00+03:00",
            "text": "Где заказ?",
        },
        {
            "role": "customer",
            "author": "Мария",
            "timestamp": "2024-11-05T10:01:00+03:00",
            "text": "Номер 123",
        },
        {"role": "agent", "author": "Анна", "timestamp": "2024-11-05T10:20:00+03:00", "text": GOOD},
        {"role": "customer", "author": "Мария", "timestamp": "2024-11-05T10:30:00+03:00", "text": "Спасибо"},
        {"role": "agent", "author": "Анна", "timestamp": "2024-11-05T10:31:00+03:00", "text": "Рады помочь!"},
    ]
    source = write_jsonl(
        tmp_path / "chats.jsonl",
        [
            {"chat_id": "c1", "messages": messages},
            {"chat_id": "c2", "messages": [{**messages[0], "role": "bot"}]},
            {"chat_id": "c3", "messages": [{**messages[0], "timestamp": "soon"}]},
            {"messages": messages},
            {"chat_id": "c4", "messages": messages[:2]},  # never answered: no reply rows
        ],
    )
    rows = run(tmp_path, source)
    assert [r["id"] for r in rows] == ["c1/2", "c1/4", "c2", "c3", "line:4"]
    first = rows[0]
    assert first["chat_id"] == "c1" and first["message_index"] == 2 and first["agent"] == "Анна"
    assert first["customer_message"] == "Где заказ?\nНомер 123"
    assert first["created_at"] == "2024-11-05T10:20:00+03:00"
    assert "message 0: role must be one of" in rows[2]["error"]
    assert "timestamp" in rows[3]["error"]
    assert "chat_id" in rows[4]["error"]
    assert [c.id for c in read_chats(source)] == ["c1", "c4"]


def test_chat_csv_rows_are_grouped_by_chat(tmp_path: Path) -> None:
    source = tmp_path / "chats.csv"
    source.write_text(
        "chat_id,role,author,timestamp,text\n"
        "k1,customer,Мария,2024-11-05T10:00:00+03:00,Где заказ?\n"
        "k2,customer,Олег,2024-11-05T10:05:00+03:00,Когда вернут деньги?\n"
        f"k1,agent,Анна,2024-11-05T10:20:00+03:00,{GOOD}\n"
        "k2,agent,Анна,2024-11-05T10:25:00,Деньги вернутся до 8 ноября.\n",
        encoding="utf-8",
    )
    rows = run(tmp_path, source)
    assert [r["id"] for r in rows] == ["k1/1", "k2/1"]
    assert [len(c.messages) for c in read_chats(source)] == [2, 2]


def test_sample_chats_file_is_well_formed() -> None:
    source = SAMPLES / "chats.jsonl"
    chats = list(read_chats(source))
    items = list(read_items(source))
    assert len(chats) >= 300 and all(it.error is None for it in items)
    assert len(items) == sum(m.role == "agent" for c in chats for m in c.messages)
    assert len({it.key for it in items}) == len(items)


def test_resume_cuts_a_torn_jsonl_line_and_skips_done_ids(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": i, "text": f"{GOOD} {i}"} for i in range(10)])
    full = tmp_path / "full.jsonl"
    run_batch(source, full, ENGINE, chunk_size=3, progress=None)
    lines = full.read_bytes().splitlines(keepends=True)
    part = tmp_path / "part.jsonl"
    part.write_bytes(b"".join(lines[:4]) + lines[4][:25])  # killed while writing row 5
    stats = run_batch(source, part, ENGINE, chunk_size=3, progress=None)
    assert (stats.skipped, stats.written) == (4, 6)
    assert part.read_bytes() == full.read_bytes()


def test_resume_cuts_a_record_torn_inside_a_csv_quote(tmp_path: Path) -> None:
    text = 'Заказ "Кружка"\nпередадим в доставку до 18:00 МСК завтра.'
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": i, "text": f"{text} {i}"} for i in range(6)])
    full = tmp_path / "full.csv"
    run_batch(source, full, ENGINE, chunk_size=2, progress=None)
    data = full.read_bytes()
    for cut in (data.index(b"\n", data.index(b"\n3,") + 3) + 1, data.index(b"\n4,") + 9, len(data) - 1):
        part = tmp_path / f"part{cut}.csv"
        part.write_bytes(data[:cut])
        run_batch(source, part, ENGINE, chunk_size=2, progress=None)
        assert part.read_bytes() == data, cut


def test_duplicate_ids_resume_by_position(tmp_path: Path) -> None:
    source = write_jsonl(
        tmp_path / "in.jsonl", [{"id": "d", "text": GOOD}, {"id": "d", "text": ""}, {"id": "e", "text": GOOD}]
    )
    full = tmp_path / "full.jsonl"
    run_batch(source, full, ENGINE, progress=None)
    part = tmp_path / "part.jsonl"
    part.write_bytes(full.read_bytes().splitlines(keepends=True)[0])
    run_batch(source, part, ENGINE, progress=None)
    assert part.read_bytes() == full.read_bytes()
    assert done_ids(read_output(part)) == {"d": 2, "e": 1}


def test_foreign_output_files_are_refused(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": GOOD}])
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(BatchInputError, match="header"):
        run_batch(source, other, ENGINE, progress=None)
    broken = tmp_path / "broken.jsonl"
    broken.write_text("not json\n", encoding="utf-8")
    with pytest.raises(BatchInputError, match="not a JSON row"):
        run_batch(source, broken, ENGINE, progress=None)
    damaged = tmp_path / "damaged.csv"
    run_batch(source, damaged, ENGINE, progress=None)
    run_batch(write_jsonl(tmp_path / "two.jsonl", [{"id": 2, "text": GOOD}]), damaged, ENGINE, progress=None)
    lines = damaged.read_text(encoding="utf-8").splitlines(keepends=True)
    damaged.write_text(lines[0] + lines[1].replace(",", ";", 3) + lines[2], encoding="utf-8")
    with pytest.raises(BatchInputError, match="row 1 is damaged"):
        run_batch(source, damaged, ENGINE, progress=None)
    with pytest.raises(BatchInputError, match="unknown format"):
        run_batch(source, tmp_path / "out.txt", ENGINE, progress=None)
