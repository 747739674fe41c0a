"""The README's set-up commands stay true: CI runs exactly the README's test command."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> dict[str, str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- (serve|test) -->\n```(?:bash|sh)?\n(.+?)\n```", readme, re.S)
    return dict(blocks)


def test_readme_has_the_two_setup_commands() -> None:
    commands = _readme_commands()
    assert set(commands) == {"serve", "test"}
    for command in commands.values():
        assert "pip install -q torch==2.13.0" in command  # CPU torch first, never a CUDA build
        assert ".venv" in command


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _readme_commands()["test"] in ci.splitlines()
