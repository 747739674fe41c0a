"""LanguageTool clients that no one here wrote, pointed at the real server: language-tool-python and
pylanguagetool."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from importlib.metadata import files
from types import ModuleType

import language_tool_python
import pytest
from serving_helpers import LiveServer

TEXT = "Добрый день 😀! Постараемся ответить в ближайшее время. Пишите в телеграм."


@pytest.fixture
def tool(live: LiveServer) -> Iterator[language_tool_python.LanguageTool]:
    lt = language_tool_python.LanguageTool("ru-RU", remote_server=live.url)
    yield lt
    lt.close()


def test_language_tool_python_finds_our_matches(tool: language_tool_python.LanguageTool) -> None:
    matches = tool.check(TEXT)
    found = {m.rule_id: m for m in matches}
    assert {"EMOJI_OR_EMOTICON", "VAGUE_EFFORT", "VAGUE_TIME", "OFF_PLATFORM_CHANNEL"} <= set(found)
    # the client turns LanguageTool's UTF-16 offsets back into Python offsets: they must land on the words
    for rule_id, word in (
        ("VAGUE_EFFORT", "Постараемся"),
        ("VAGUE_TIME", "в ближайшее время"),
        ("OFF_PLATFORM_CHANNEL", "в телеграм"),  # with its preposition: replaced together
    ):
        m = found[rule_id]
        assert (m.offset, m.error_length) == (TEXT.index(word), len(word))
    assert found["EMOJI_OR_EMOTICON"].offset == TEXT.index("😀")
    assert found["VAGUE_EFFORT"].replacements == []  # the verb needs a rewrite: the fix does it
    assert found["OFF_PLATFORM_CHANNEL"].category == "OFF_PLATFORM"
    assert found["VAGUE_EFFORT"].rule_issue_type == "style"


def test_language_tool_python_rule_selection_and_correct(tool: language_tool_python.LanguageTool) -> None:
    tool.disabled_categories = {"EMOJI", "NO_DEADLINE"}
    tool.disabled_rules = {"OFF_PLATFORM_CHANNEL"}
    assert {m.rule_id for m in tool.check(TEXT)} == {"VAGUE_EFFORT", "VAGUE_TIME"}
    corrected = tool.correct("Добрый день 😀! Ответим в ближайшее время.")
    assert corrected.startswith("Добрый день 😀! Ответим до ") and "МСК" in corrected


def _pylanguagetool_api() -> ModuleType:
    """pylanguagetool's `api` module, loaded without the package __init__: that imports its CLI, which
    needs pkg_resources, gone from setuptools >= 81."""
    path = next(
        f for f in files("pylanguagetool") or [] if str(f).replace("\\", "/") == "pylanguagetool/api.py"
    )
    spec = importlib.util.spec_from_file_location("pylanguagetool_api", path.locate())
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pylanguagetool(live: LiveServer) -> None:
    api = _pylanguagetool_api()
    url = f"{live.url}/v2/"
    assert api.get_languages(url) == [{"name": "Russian", "code": "ru", "longCode": "ru-RU"}]
    answer = api.check(TEXT, api_url=url, lang="ru-RU", disabled_categories="EMOJI")
    found = {m["rule"]["id"]: m for m in answer["matches"]}
    assert "EMOJI_OR_EMOTICON" not in found
    start = TEXT.index("в телеграм")
    assert found["OFF_PLATFORM_CHANNEL"]["offset"] == start + 1  # one emoji before it: one extra UTF-16 unit
    assert answer["language"]["detectedLanguage"]["code"] == "ru-RU"
    with pytest.raises(ValueError, match="unknown rule"):
        api.check(TEXT, api_url=url, lang="ru-RU", enabled_rules="NOT_A_RULE")
