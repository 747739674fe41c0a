"""ruff and mypy stay clean (configured in pyproject.toml)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)


def test_ruff() -> None:
    lint = run(str(BIN / "ruff"), "check", "replyscore", "tests")
    assert lint.returncode == 0, lint.stdout
    fmt = run(str(BIN / "ruff"), "format", "--check", "replyscore", "tests")
    assert fmt.returncode == 0, fmt.stdout


def test_mypy() -> None:
    out = run(str(BIN / "mypy"))
    assert out.returncode == 0, out.stdout
