"""Readers of the shared corpora: the formats on small files written here (invented text), and the real
files in ../shared/data when present (skipped otherwise). No corpus text is kept in the project."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from replyscore.eval import corpora

SHARED = corpora.shared_data_dir()
_absent = pytest.mark.skipif(
    SHARED is None, reason=f"../shared/data (or ${corpora.SHARED_ENV}) is absent: real-corpus checks skipped"
)


def needs_shared(test: Callable[[], None]) -> Callable[[], None]:
    return pytest.mark.shared_data(_absent(test))


def _tweet_table(tweet_id: int, text: str, **companies: str) -> str:
    cols = {"beeline": "NULL", "mts": "NULL", "megafon": "NULL"} | companies
    body = "".join(f'<column name="{k}">{v}</column>' for k, v in cols.items())
    return (
        f'<table name="t"><column name="id">{tweet_id}</column><column name="twitid">{tweet_id}0</column>'
        f'<column name="date">0</column><column name="text">{text}</column>{body}</table>'
    )


def test_aggregate_label() -> None:
    assert corpora.aggregate_label(["1", "0"]) == "positive"
    assert corpora.aggregate_label(["-1"]) == "negative"
    assert corpora.aggregate_label(["0", "0"]) == "neutral"
    assert corpora.aggregate_label(["1", "-1"]) is None  # mixed
    assert corpora.aggregate_label(["+-"]) is None and corpora.aggregate_label(["--", "0"]) is None
    assert corpora.aggregate_label([]) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@client_1, уточните, пожалуйста, номер договора. ^ИП #МТС", True),
        ("@client_2 Здравствуйте! Проверим и ответим сегодня. #билайн", True),
        ("@client_3 Пришлите номер на pomogite@beeline.ru, разберёмся.", True),
        ("@Beeline_RUS третий день нет связи #билайн", False),  # a customer writing to the operator
        ("RT @Beeline_RUS: @client_4 Ответили в личных сообщениях #билайн", False),  # a retweet
        ("@client_5 у меня тоже #Билайн тормозит", False),
        ("Поменял оператора, доволен", False),
    ],
)
def test_operator_reply(text: str, expected: bool) -> None:
    assert corpora.is_operator_reply(text) is expected


@pytest.mark.parametrize(
    ("text", "bare"),
    [
        ("@client_1, уточните номер договора. ^ИП #МТС", "уточните номер договора."),
        ("@client_2 Здравствуйте! Проверим сегодня. #билайн", "Здравствуйте! Проверим сегодня."),
        ("@client_3 Инструкция: http://t.co/abc ^СБ #МТС", "Инструкция:"),
        ("@client_6 Пришлите номер на pomogite@beeline.ru", "Пришлите номер на pomogite@beeline.ru"),
    ],
)
def test_twitter_markup_is_removed(text: str, bare: str) -> None:
    assert corpora.without_twitter_markup(text) == bare


def test_formats_on_small_files(tmp_path: Path) -> None:
    tweets = tmp_path / "sentirueval2015_tweets" / "telecoms"
    tweets.mkdir(parents=True)
    rows = [
        _tweet_table(1, "@client_1 Проверим связь по адресу =&amp;gt; ^ИП #МТС", mts="0"),
        _tweet_table(2, "Связь опять пропала", beeline="-1", mts="-1"),
        _tweet_table(3, "Один хвалит, другой ругает", beeline="1", megafon="-1"),
    ]
    dump = "<pma_xml_export><database>{}</database></pma_xml_export>"
    (tweets / "train.xml").write_text(dump.format("".join(rows)), encoding="utf-8")
    (tweets / "test_etalon.xml").write_text(dump.format(""), encoding="utf-8")
    parsed = corpora.sentirueval_tweets(tmp_path, "telecoms", "train")
    assert [t.label for t in parsed] == ["neutral", "negative", None]
    assert parsed[0].text == "@client_1 Проверим связь по адресу => ^ИП #МТС"  # HTML entities undone
    assert [t.id for t in corpora.operator_replies(tmp_path)] == ["1"]

    detox = tmp_path / "russe_detox_2022"
    detox.mkdir()
    (detox / "dev.tsv").write_text(
        "toxic_comment\tneutral_comment1\tneutral_comment2\tneutral_comment3\n"
        "грубость один\tвежливо один\tвежливо два\t\n"
        "грубость два\tвежливо три\t\t\n",
        encoding="utf-8",
    )
    assert [(p.rude, p.polite) for p in corpora.detox_pairs(tmp_path, "dev")] == [
        ("грубость один", "вежливо один"),
        ("грубость один", "вежливо два"),
        ("грубость два", "вежливо три"),
    ]
    with pytest.raises(ValueError, match="no detox pairs"):
        corpora.detox_pairs(tmp_path, "test")

    cedr = tmp_path / "cedr"
    cedr.mkdir()
    (cedr / "cedr-main-test.csv").write_text(
        'text,labels,source\nрадость,[0],lj\nзлость,[4],twitter\nвсё сразу,"[0 4]",lj\nничего,[],lenta\n'
        "радость и страх,[0 3],lj\nзлость и печаль,[4 1],lj\n",
        encoding="utf-8",
    )
    sentences = corpora.cedr_sentences(tmp_path, "test")
    assert sentences[2].emotions == {"joy", "anger"}
    assert [s.tone for s in sentences] == ["positive", "negative", None, None, None, "negative"]


@needs_shared
def test_sentirueval_files() -> None:
    assert SHARED is not None
    expected = {("banks", "train"): 5000, ("banks", "test_etalon"): 4549,
                ("telecoms", "train"): 5000, ("telecoms", "test_etalon"): 3845}  # fmt: skip
    for (domain, split), n in expected.items():
        tweets = corpora.sentirueval_tweets(SHARED, domain, split)
        assert len(tweets) == n and all(t.text for t in tweets)
        values = {v for t in tweets for v in t.companies.values()}
        assert values <= {"1", "0", "-1", "+-", "--"}
        labels = Counter(t.label for t in tweets)
        assert set(labels) <= {"positive", "neutral", "negative", None}
        assert labels[None] < 0.05 * n and labels["neutral"] > labels["positive"]


@needs_shared
def test_operator_replies_in_telecom() -> None:
    assert SHARED is not None
    replies = corpora.operator_replies(SHARED)
    assert 500 <= len(replies) <= 800
    labels = Counter(t.label for t in replies)
    assert labels["neutral"] > 0.9 * len(replies)


@needs_shared
def test_rusentitweet_files() -> None:
    assert SHARED is not None
    train, test = corpora.rusentitweet(SHARED, "train"), corpora.rusentitweet(SHARED, "test")
    assert (len(train), len(test)) == (10713, 2679)
    assert {r.label for r in train} == {r.label for r in test} == set(corpora.RUSENTITWEET_LABELS)
    assert set(corpora.RUSENTITWEET_TO_TONE) == set(corpora.RUSENTITWEET_LABELS)
    assert Counter(r.label for r in test)["speech"] == 99


@needs_shared
def test_detox_files() -> None:
    assert SHARED is not None
    dev = corpora.detox_pairs(SHARED, "dev")
    assert len({p.rude for p in dev}) == 800 and len(dev) == 1116
    train = corpora.detox_pairs(SHARED, "train")
    assert len({p.rude for p in train}) == 6948 and len(train) > 11000


@needs_shared
def test_cedr_files() -> None:
    assert SHARED is not None
    train, test = corpora.cedr_sentences(SHARED, "train"), corpora.cedr_sentences(SHARED, "test")
    assert (len(train), len(test)) == (7528, 1882)
    emotions = Counter(e for s in train + test for e in s.emotions)
    assert set(emotions) == set(corpora.CEDR_EMOTIONS)
    tones = Counter(s.tone for s in train + test)
    assert tones["positive"] > 1500 and tones["negative"] > 400
