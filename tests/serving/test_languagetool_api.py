"""/v2/check and /v2/languages in LanguageTool's JSON shape, with UTF-16 offsets."""

from __future__ import annotations

import json

import httpx
import pytest

from replyscore.serving.languagetool import CheckText, Utf16, utf16_len

EMOJI_TEXT = "Добрый день 😀😀! Постараемся ответить в ближайшее время. Пишите в телеграм 🙂"


def u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def check(client: httpx.Client, **form: str) -> dict:
    r = client.post("/v2/check", data={"language": "ru-RU", **form})
    assert r.status_code == 200, r.text
    return r.json()


def by_rule(answer: dict) -> dict[str, dict]:
    """The first match of each rule."""
    found: dict[str, dict] = {}
    for m in answer["matches"]:
        found.setdefault(m["rule"]["id"], m)
    return found


def test_utf16_helpers() -> None:
    text = "a😀b🙂c"
    to16 = Utf16(text)
    assert [to16(i) for i in range(len(text) + 1)] == [u16(text[:i]) for i in range(len(text) + 1)]
    assert utf16_len(text) == u16(text) == 7
    assert Utf16("без эмодзи")(5) == 5


def test_shape_of_the_answer(client: httpx.Client) -> None:
    answer = check(client, text=EMOJI_TEXT)
    assert set(answer) == {"software", "warnings", "language", "matches"}
    assert answer["software"]["name"] == "replyscore" and answer["software"]["apiVersion"] == 1
    assert answer["warnings"] == {"incompleteResults": False}
    assert answer["language"]["code"] == "ru-RU" and answer["language"]["name"] == "Russian"
    assert answer["language"]["detectedLanguage"]["code"] == "ru-RU"
    match = by_rule(answer)["VAGUE_EFFORT"]
    assert set(match) == {
        "message",
        "shortMessage",
        "replacements",
        "offset",
        "length",
        "context",
        "sentence",
        "type",
        "rule",
        "ignoreForIncompleteSentence",
        "contextForSureMatch",
    }
    assert match["replacements"] == []  # "постараемся ответить" needs a rewrite, not a word swap
    assert match["rule"]["category"] == {"id": "VAGUE", "name": "Размытые формулировки"}
    assert match["rule"]["issueType"] == "style" and match["rule"]["description"]
    assert match["type"] == {"typeName": "Other"}
    assert match["sentence"] == "Постараемся ответить в ближайшее время."
    assert by_rule(answer)["OFF_PLATFORM_CHANNEL"]["rule"]["issueType"] == "non-conformance"


def test_offsets_count_utf16_units(client: httpx.Client) -> None:
    matches = by_rule(check(client, text=EMOJI_TEXT))
    emoji = matches["EMOJI_OR_EMOTICON"]
    assert (emoji["offset"], emoji["length"]) == (u16("Добрый день "), 4)  # two emoji, two units each
    for rule_id, word in (("VAGUE_EFFORT", "Постараемся"), ("OFF_PLATFORM_CHANNEL", "в телеграм")):
        m = matches[rule_id]
        start = EMOJI_TEXT.index(word)
        assert (m["offset"], m["length"]) == (u16(EMOJI_TEXT[:start]), len(word))
        context = m["context"]
        assert context["length"] == len(word)
        # the context offset counts UTF-16 units too: slice the UTF-16 encoding to find the word
        units = context["text"].encode("utf-16-le")
        assert (
            units[2 * context["offset"] : 2 * (context["offset"] + context["length"])].decode("utf-16-le")
            == word
        )


def test_long_text_context_is_cut_with_dots(client: httpx.Client) -> None:
    text = "Спасибо за обращение. " * 5 + "Постараемся ответить.\n" + "Хорошего дня. " * 5
    m = by_rule(check(client, text=text))["VAGUE_EFFORT"]
    assert m["context"]["text"].startswith("...") and m["context"]["text"].endswith("...")
    assert "\n" not in m["context"]["text"]
    assert m["context"]["text"][m["context"]["offset"] :].startswith("Постараемся")


def test_data_with_markup_points_into_the_markup(client: httpx.Client) -> None:
    data = {
        "annotation": [
            {"markup": "<p>"},
            {"text": "Постараемся ответить 😀"},
            {"markup": "<br/>", "interpretAs": "\n"},
            {"text": "Пишите в телеграм."},
            {"markup": "</p>"},
        ]
    }
    original = "<p>Постараемся ответить 😀<br/>Пишите в телеграм.</p>"
    matches = by_rule(check(client, data=json.dumps(data, ensure_ascii=False)))
    for rule_id, word in (("VAGUE_EFFORT", "Постараемся"), ("OFF_PLATFORM_CHANNEL", "в телеграм")):
        start = original.index(word)
        assert (matches[rule_id]["offset"], matches[rule_id]["length"]) == (u16(original[:start]), len(word))


def test_markup_offset_mapping() -> None:
    source = CheckText.from_data(
        json.dumps({"annotation": [{"text": "ab"}, {"markup": "<x>", "interpretAs": "  "}, {"text": "cd"}]})
    )
    assert source.plain == "ab  cd" and source.original == "ab<x>cd"
    assert [source.start_in_original(p) for p in range(6)] == [0, 1, 2, 2, 5, 6]
    assert [source.end_in_original(p) for p in range(1, 7)] == [1, 2, 5, 5, 6, 7]


@pytest.mark.parametrize(
    "form",
    [
        {"text": "x", "data": '{"annotation": []}'},
        {},
        {"data": "not json"},
        {"data": '{"annotation": [{"text": "a", "markup": "<b>"}]}'},
        {"text": "Добрый день", "enabledRules": "NOT_A_RULE"},
        {"text": "Добрый день", "disabledCategories": "TYPOS"},
    ],
)
def test_bad_parameters_are_400_plain_text(client: httpx.Client, form: dict) -> None:
    r = client.post("/v2/check", data={"language": "ru-RU", **form})
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("text/plain") and r.text.startswith("Error: ")


def test_languages(client: httpx.Client) -> None:
    assert client.get("/v2/languages").json() == [{"name": "Russian", "code": "ru", "longCode": "ru-RU"}]
    for language in ("ru", "RU-ru", "ru_RU", "auto"):
        assert client.post("/v2/check", data={"text": "Добрый день", "language": language}).status_code == 200
    r = client.post("/v2/check", data={"text": "Hello", "language": "en-US"})
    assert r.status_code == 400 and "Russian only" in r.text
    assert client.post("/v2/check", data={"text": "Hello"}).status_code == 400  # language is required


def test_auto_language_reports_confidence(client: httpx.Client) -> None:
    detected = check(client, text="Hello there, дорогой покупатель", language="auto")["language"][
        "detectedLanguage"
    ]
    assert 0 < detected["confidence"] < 1


def test_rule_selection_and_empty_text(client: httpx.Client) -> None:
    only = check(client, text=EMOJI_TEXT, enabledCategories="EMOJI", enabledOnly="true")
    assert {m["rule"]["category"]["id"] for m in only["matches"]} == {"EMOJI"}
    without = check(client, text=EMOJI_TEXT, disabledRules="VAGUE_EFFORT,VAGUE_TIME")
    assert not {"VAGUE_EFFORT", "VAGUE_TIME"} & set(by_rule(without))
    assert check(client, text="   ")["matches"] == []
