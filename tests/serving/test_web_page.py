"""The reply-checker page at `/`, driven in real headless Chromium (Debian's package, via Playwright).

Most tests run against a rules-only server (it starts in a second); one runs with the language model
(tone), one against a server that wants an API key. Screenshots land in the test's tmp folder and in
artifacts-test/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser_helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    PageLog,
    css_score,
    screenshot,
    type_draft,
    wait_for_draft,
    watch,
)
from serving_helpers import KEYS, LiveServer

BAD_DRAFT = (
    "Здравствуйте!!! Извините, мы не можем ускорить доставку. "
    "Постараемся отправить заказ в ближайшее время 😀 Пишите нам в WhatsApp."
)


# -- without a browser: the page and its assets ---------------------------------------------------------


def test_page_and_assets_are_served_locally(rules_only: LiveServer) -> None:
    with httpx.Client(base_url=rules_only.url) as client:
        page = client.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert client.head("/").status_code == 200
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert set(assets) >= {"static/app.css", "static/app.js"}  # relative: works under a path prefix
        for url in assets:
            assert not re.match(r"[a-z][a-z0-9+.-]*://|//", url), url  # nothing from another host
        bodies = [page.text]
        for url, kind in (("/static/app.css", "text/css"), ("/static/app.js", "javascript")):
            asset = client.get(url)
            assert asset.status_code == 200 and kind in asset.headers["content-type"]
            bodies.append(asset.text)
        for body in bodies:  # no CDN, no web fonts: nothing but this server
            assert not re.search(r"https?://|@import|@font-face|url\(\s*['\"]?//", body)


# -- in the browser -------------------------------------------------------------------------------------


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """Chromium with a fresh profile and background networking off, for one test."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium): the browser tests need it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport=VIEWPORT,
            locale="ru-RU",
        )
        yield context
        context.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = tmp_path / "screenshots"
    folder.mkdir()
    return folder


def open_page(browser: Any, server: LiveServer) -> tuple[Any, PageLog]:
    page = browser.new_page()
    log = watch(page)
    page.goto(f"{server.url}/")
    page.wait_for_selector("#service-status.ready")
    return page, log


def only_this_server(log: PageLog, server: LiveServer) -> None:
    foreign = [r.url for r in log.requests if not r.url.startswith((server.url, "data:"))]
    assert not foreign, foreign
    assert not [e for e in log.errors if "401" not in e], log.errors  # a refused key logs a 401


def finding_texts(page: Any) -> list[str]:
    return list(page.locator("#preview mark.finding").all_inner_texts())


def focused(page: Any) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """() => {
                const e = document.activeElement;
                const tip = document.getElementById(e.getAttribute('aria-describedby'));
                return {tag: e.tagName, id: e.id, text: e.textContent,
                        outline: getComputedStyle(e).outlineStyle,
                        tip: tip && !tip.hidden ? tip.textContent : null};
            }"""
        )
    )


def test_type_see_highlights_apply_fix_score_rises(browser: Any, rules_only: LiveServer, shots: Path) -> None:
    page, log = open_page(browser, rules_only)
    page.fill("#customer", "Где мой заказ? Жду уже неделю.")
    type_draft(page, BAD_DRAFT)

    overlay = page.locator("#highlights mark")
    texts = finding_texts(page)
    assert overlay.count() == len(texts) >= 5
    assert {"!!!", "не можем", "в ближайшее время", "😀", "в WhatsApp"} <= set(texts)
    assert "замечани" in page.inner_text("#summary")
    assert "Проверено" in page.inner_text("#live")

    # hovering a highlight inside the draft explains it
    box = overlay.nth(texts.index("в WhatsApp")).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tip = page.locator(".tooltip:not([hidden])")
    assert tip.count() == 1 and "Другие каналы связи" in tip.inner_text()
    assert "Позитивн" not in page.inner_text("#tone")  # rules only: no tone
    screenshot(page, shots, "page-bad-draft.png")

    # one click on a highlight applies its replacement
    before = css_score(page)
    page.locator("#preview mark.finding", has_text="!!!").click()
    wait_for_draft(page, BAD_DRAFT.replace("!!!", "!", 1))
    assert "!!!" not in finding_texts(page)
    assert css_score(page) > before

    # one click applies the suggested fix; the score rises and nothing is left to flag
    before = css_score(page)
    fix = page.locator("article.suggestion.fix")
    fixed = fix.locator(".suggestion-text").inner_text()
    fix.get_by_role("button", name="Применить").click()
    wait_for_draft(page, fixed)
    assert css_score(page) > before
    assert finding_texts(page) == [] and page.locator("#highlights mark").count() == 0
    assert "замечаний нет" in page.inner_text("#live")
    assert page.locator("article.suggestion.rewrite").count() >= 1  # the template rewrite, beside the draft
    screenshot(page, shots, "page-fixed.png")
    only_this_server(log, rules_only)


def test_keyboard_alone(browser: Any, rules_only: LiveServer, shots: Path) -> None:
    page, log = open_page(browser, rules_only)
    order = []
    for _ in range(6):
        page.keyboard.press("Tab")
        now = focused(page)
        assert now["outline"] != "none", now  # focus is visible
        order.append(now["id"] or now["tag"])
    assert order == ["A", "SUMMARY", "customer", "order-id", "order-status", "draft"]  # A: skip link
    page.keyboard.type(BAD_DRAFT)
    wait_for_draft(page, BAD_DRAFT)

    # Tab walks the findings in text order; each shows its explanation, tied by aria-describedby
    seen = []
    for _ in finding_texts(page):
        page.keyboard.press("Tab")
        now = focused(page)
        assert now["tag"] == "MARK" and now["outline"] != "none" and now["tip"], now
        seen.append(now["text"])
    assert seen == finding_texts(page)
    screenshot(page, shots, "page-keyboard-focus.png")
    page.keyboard.press("ArrowLeft")
    assert focused(page)["text"] == seen[-2]

    # Enter on a finding applies its fix; focus comes back to the findings
    while focused(page)["text"] != "!!!":
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    wait_for_draft(page, BAD_DRAFT.replace("!!!", "!", 1))
    assert focused(page)["tag"] == "MARK"
    count = page.locator("#tooltips .tip-item").count()  # findings; overlapping ones share a highlight
    assert count >= len(finding_texts(page))
    assert re.search(rf"Проверено: {count} замечани", page.inner_text("#live"))

    # on to the suggested fix's button, and Enter
    before = css_score(page)
    for _ in range(40):
        page.keyboard.press("Tab")
        if focused(page)["tag"] == "BUTTON":
            break
    assert "Применить" in focused(page)["text"]
    fixed = page.locator("article.suggestion.fix .suggestion-text").inner_text()
    page.keyboard.press("Enter")
    wait_for_draft(page, fixed)
    assert css_score(page) > before
    only_this_server(log, rules_only)


def test_offsets_after_emoji_and_the_order_context(browser: Any, rules_only: LiveServer) -> None:
    page, log = open_page(browser, rules_only)
    page.fill("#order-id", "FBO-48213975")
    page.select_option("#order-status", "Shipped")
    text = "Добрый день 😀😀 Пишите нам в телеграм."
    type_draft(page, text)
    assert finding_texts(page) == ["😀😀", "в телеграм"]
    assert page.locator("#highlights mark").all_inner_texts() == ["😀😀", "в телеграм"]
    bodies = [r.post_data_json for r in log.requests if r.url.endswith("/v1/score")]
    assert bodies[-1]["context"] == {"order_id": "FBO-48213975", "status": "Shipped"}
    assert bodies[-1]["suggest"] is True
    assert "FBO-48213975" in page.inner_text("#suggestions")

    # a fix is an ordinary edit of the textarea: Ctrl+Z takes it back
    page.locator("#preview mark.finding", has_text="в телеграм").click()
    fixed = text.replace("в телеграм", "в этом чате")  # the match takes in its preposition
    wait_for_draft(page, fixed)
    page.keyboard.press("Control+z")
    wait_for_draft(page, text)
    only_this_server(log, rules_only)


def test_with_the_language_model_shows_tone(browser: Any, live: LiveServer, shots: Path) -> None:
    page, log = open_page(browser, live)
    assert "Модель" in page.inner_text("#service-status")
    page.fill("#customer", "Где мой заказ? Жду уже неделю.")
    type_draft(page, BAD_DRAFT)
    assert page.locator("#tone .bars li").count() == 3
    assert "Преобладает" in page.inner_text("#tone")
    before = css_score(page)
    fixed = page.locator("article.suggestion.fix .suggestion-text").inner_text()
    page.locator("#preview mark.finding", has_text="WhatsApp").hover()
    screenshot(page, shots, "page-with-model.png")
    page.locator("article.suggestion.fix").get_by_role("button", name="Применить").click()
    wait_for_draft(page, fixed)
    assert css_score(page) > before
    only_this_server(log, live)


def test_api_key_is_asked_for_and_kept_in_the_tab(browser: Any, guarded: LiveServer) -> None:
    page, log = open_page(browser, guarded)
    # the service wants a key: the page opens the key field and, as nothing has the focus yet, focuses it
    page.wait_for_function("() => document.activeElement.id === 'api-key'")
    assert page.locator("#key-box[open]").count() == 1

    # typing a draft first: the page says what is missing and leaves the focus where the agent types
    text = "Постараемся ответить в ближайшее время."
    page.click("#draft")
    page.keyboard.type(text)
    page.wait_for_function("() => document.querySelector('#summary').textContent.includes('API-ключ')")
    assert page.evaluate("() => document.activeElement.id") == "draft"

    page.focus("#api-key")
    page.keyboard.type(KEYS[0])
    wait_for_draft(page, text)
    assert finding_texts(page)
    assert page.evaluate("() => sessionStorage.getItem('replyscore.apiKey')") == KEYS[0]
    last = [r for r in log.requests if r.url.endswith("/v1/score")][-1]
    assert last.headers.get("x-api-key") == KEYS[0]
    only_this_server(log, guarded)
