"""Driving the reply-checker page in Debian's headless Chromium through Playwright (no downloaded browser)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 900}
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts-test"
WAIT_MS = 60_000  # a check with the language model on a busy 2-core machine


@dataclass
class PageLog:
    """What the page did: its requests, console errors and uncaught exceptions."""

    requests: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def watch(page: Any) -> PageLog:
    log = PageLog()
    page.on("request", lambda request: log.requests.append(request))
    page.on("pageerror", lambda exc: log.errors.append(f"page error: {exc}"))
    page.on("console", lambda msg: log.errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    return log


CHECKED_JS = """t => {
    const preview = document.querySelector('#preview');
    const shown = preview.querySelector('.preview-text');
    return document.querySelector('#draft').value === t && preview.dataset.state === 'current'
        && shown !== null && shown.textContent === t && !document.body.classList.contains('busy');
}"""


def wait_for_draft(page: Any, text: str) -> None:
    """Until the draft holds `text` and the report on screen is its own."""
    page.wait_for_function(CHECKED_JS, arg=text, timeout=WAIT_MS)


def type_draft(page: Any, text: str) -> None:
    page.click("#draft")
    page.keyboard.type(text)
    wait_for_draft(page, text)


def css_score(page: Any) -> float:
    return float(page.get_attribute("#gauge", "aria-valuenow"))


def screenshot(page: Any, folder: Path, name: str) -> Path:
    """Save under the test's folder and copy into artifacts-test/ (git-ignored) for people to look at."""
    path = folder / name
    page.wait_for_timeout(600)  # the gauge's transition
    page.screenshot(path=str(path), full_page=True)
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(path, ARTIFACTS / name)
    return path
