"""`replyscore check` as a user runs it: the installed console command in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXE = Path(sys.executable).with_name("replyscore")
ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}
BAD = "Извините!!! Постараемся отправить заказ в ближайшее время. Пишите в WhatsApp +7 999 123-45-67 😊"


def run(*args: str, stdin: bytes | None = None, model: bool = False) -> subprocess.CompletedProcess[bytes]:
    flags = [] if model else ["--rules-only"]
    return subprocess.run(
        [str(EXE), "check", *flags, *args], input=stdin, capture_output=True, env=ENV, timeout=300
    )


def test_readable_report_names_rules_and_spans() -> None:
    out = run(BAD)
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode()
    for rule in (
        "PUNCTUATION_RUN",
        "VAGUE_EFFORT",
        "VAGUE_TIME",
        "OFF_PLATFORM_CHANNEL",
        "PHONE_NUMBER",
        "EMOJI",
    ):
        assert rule in text


def test_json_report_from_stdin_has_code_point_offsets() -> None:
    out = run("--json", stdin=BAD.encode())
    report = json.loads(out.stdout)
    assert report["offset_unit"] == "code_point"
    for m in report["matches"]:
        assert BAD[m["offset"] : m["offset"] + m["length"]] == m["text"]
        assert set(m["rule"]) == {"id", "category", "severity", "description"}
    words = report["signals"]["words"]
    assert report["signals"]["apology"] == {"count": 1, "per_100_words": round(100 / words, 2)}
    assert report["signals"]["vague"]["count"] == 2


def test_jsonl_keeps_ids_and_survives_malformed_lines() -> None:
    lines = [
        json.dumps({"id": "a", "text": "Ответим до 18:00 МСК сегодня."}, ensure_ascii=False).encode(),
        b"{not json",
        b'{"id": 7, "text": ""}',
        b'{"id": "x", "text": 5}',
        b"\xff\xfe broken utf-8",
        b"[1, 2]",
        json.dumps({"id": "b", "text": BAD}, ensure_ascii=False).encode(),
    ]
    out = run("--jsonl", "-", stdin=b"\n".join(lines) + b"\n")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert len(rows) == len(lines)
    assert rows[0]["id"] == "a" and rows[0]["matches"] == []
    assert "error" in rows[1] and "id" not in rows[1]
    assert rows[2]["id"] == 7 and "empty" in rows[2]["error"]
    assert rows[3]["id"] == "x" and "text" in rows[3]["error"]
    assert "UTF-8" in rows[4]["error"]
    assert "object" in rows[5]["error"]
    assert rows[6]["id"] == "b" and rows[6]["matches"]


def test_jsonl_file_argument(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": 1, "text": "Отмените заказ."}\n', encoding="utf-8")
    rows = [json.loads(x) for x in run("--jsonl", str(path)).stdout.decode().splitlines()]
    assert rows[0]["matches"][0]["rule"]["category"] == "CANCEL_REQUEST"
    missing = run("--jsonl", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 2 and b"cannot read" in missing.stderr


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("   ",), None, b"text is empty"),
        ((), b"\xff\xfe\xfd", b"not valid UTF-8"),
        (("--enable", "NO_SUCH_RULE", "x"), None, b"NO_SUCH_RULE"),
        (("--disable-category", "NOPE", "x"), None, b"NOPE"),
    ],
)
def test_bad_input_gets_a_clear_error(args: tuple[str, ...], stdin: bytes | None, message: bytes) -> None:
    out = run(*args, stdin=stdin)
    assert out.returncode == 2
    assert message in out.stderr
    assert b"Traceback" not in out.stderr


@pytest.mark.parametrize(
    "text",
    [
        "Постараемся ответить. " * 4500,  # ~100k characters
        "<p>Извините, <b>постараемся</b> ответить!</p><script>alert(1)</script>",
        "Заказ\u200b отпр\u00adавим\u00a0завтра 😊👍🏽 🇷🇺",
        "Order 12345 will be shipped soon, постараемся быстрее",
    ],
)
def test_odd_texts_get_a_correct_report(text: str) -> None:
    out = run("--json", stdin=text.encode())
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    for m in report["matches"]:
        assert text[m["offset"] : m["offset"] + m["length"]] == m["text"]


def test_debug_view_says_why() -> None:
    out = run("--debug", "Мы проверим заказ")
    text = out.stdout.decode()
    assert "lemma «проверить»" in text and "PROMISE_WITHOUT_DEADLINE" in text
    assert "tokens:" in text


def test_with_the_language_model_the_report_has_tone_css_and_suggestions() -> None:
    out = run("--json", "--now", "2026-11-26T15:00:00+03:00", BAD, model=True)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert [t["label"] for t in report["tone"]] and abs(sum(t["score"] for t in report["tone"]) - 1) < 0.01
    assert 1 <= report["css"]["score"] <= 5 and report["css"]["contributions"]
    assert report["suggestions"] and all(s["text"] for s in report["suggestions"])
