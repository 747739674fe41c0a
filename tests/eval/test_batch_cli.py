"""`replyscore batch` as a user runs it: killed midway with SIGKILL, rerun, same result; the report."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from replyscore.cli import main
from replyscore.eval.batch import LocalEngine, run_batch
from replyscore.eval.batch_io import read_output
from replyscore.model.scorer import Scorer

EXE = Path(sys.executable).with_name("replyscore")
ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}
SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
SENT = "2024-11-05T10:00:00+03:00"  # deadlines in replacements count from it: runs compare byte for byte


def many_replies(path: Path, copies: int) -> Path:
    """The sample replies, `copies` times over with distinct ids."""
    texts = [
        json.loads(line)["text"]
        for line in (SAMPLES / "replies.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    with path.open("w", encoding="utf-8") as fh:
        for copy in range(copies):
            for i, text in enumerate(texts):
                row = {"id": f"{copy}-{i}", "text": text, "agent": f"agent {i % 5}", "created_at": SENT}
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def test_sigkill_midway_then_rerun_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    source = many_replies(tmp_path / "replies.jsonl", 4)
    total = sum(1 for _ in source.open(encoding="utf-8"))
    expected = tmp_path / "expected.jsonl"
    run_batch(source, expected, LocalEngine(Scorer()), chunk_size=16, progress=None)

    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        [
            str(EXE),
            "batch",
            str(source),
            "-o",
            str(out),
            "--rules-only",
            "--batch-size",
            "16",
            "--no-progress",
        ],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if out.exists() and out.stat().st_size > 200_000:
                break
            time.sleep(0.005)
        assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read()!r}"  # type: ignore[union-attr]
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    done = len(read_output(out))
    assert 0 < done < total, (done, total)

    assert main(["batch", str(source), "-o", str(out), "--rules-only", "--no-progress"]) == 0
    assert out.read_bytes() == expected.read_bytes()
    assert main(["batch", str(source), "-o", str(out), "--rules-only", "--no-progress"]) == 0  # all done
    assert out.read_bytes() == expected.read_bytes()


def test_report_is_self_contained_with_sla_and_csv_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, report = tmp_path / "scored.csv", tmp_path / "report" / "qa.html"
    code = main(
        [
            "batch",
            str(SAMPLES / "chats.jsonl"),
            "-o",
            str(out),
            "--report",
            str(report),
            "--rules-only",
            "--worst",
            "5",
            "--no-progress",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert re.search(r"\d+ rows written \(0 errors\), 0 already done", printed) and "replies/s" in printed
    html = report.read_text(encoding="utf-8")
    assert "<script" not in html and not re.search(r'(src|href)="(https?:)?//', html)
    assert html.count("<svg") >= 5
    for section in (
        "CSS distribution",
        "Findings by category",
        "By agent",
        "Service levels",
        "by hour of arrival",
        "The worst 5 replies",
    ):
        assert section in html
    assert html.count('class="reply"') == 5 and "Template rewrite" in html
    tables = {p.name.split(".")[1] for p in report.parent.glob("qa.*.csv")}
    assert tables == {
        "summary",
        "css_distribution",
        "categories",
        "agents",
        "worst",
        "sla_overall",
        "sla_agents",
        "sla_hours",
        "sla_turns",
        "sla_breaches",
    }
    hours = (report.parent / "qa.sla_hours.csv").read_text(encoding="utf-8").splitlines()
    assert hours[0].startswith("hour,") and len(hours) == 25


def test_usage_errors_are_reported_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": 1, "text": "Ответим до 18:00 МСК."}\n', encoding="utf-8")
    assert main(["batch", str(source), "-o", str(tmp_path / "out.txt"), "--rules-only"]) == 2
    assert "unknown format '.txt'" in capsys.readouterr().err
    assert (
        main(["batch", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "o.jsonl"), "--rules-only"]) == 2
    )
    assert main(["batch", str(source), "-o", str(source), "--rules-only"]) == 2
