"""Small readers for the public corpora in ../shared/data (evaluation only).

The folder is `$REPLYSCORE_SHARED_DATA`, else `../shared/data` beside the project; it exists on developer
machines and in CI, not on a user's machine. Its texts are read at run time and never copied into the
project (licences: see each corpus folder's README).
"""

from __future__ import annotations

import csv
import html
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

SHARED_ENV = "REPLYSCORE_SHARED_DATA"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
SENTIRUEVAL_DOMAINS = ("banks", "telecoms")
SENTIRUEVAL_SPLITS = ("train", "test_etalon")
RUSENTITWEET_LABELS = ("negative", "neutral", "positive", "skip", "speech")
# speech acts (greetings, thanks) and skip (noise, unclear) are neither positive nor negative: as
# "neutral" they count against a positive/negative prediction exactly as in the 5-class original.
RUSENTITWEET_TO_TONE = {
    "negative": "negative",
    "neutral": "neutral",
    "positive": "positive",
    "skip": "neutral",
    "speech": "neutral",
}
CEDR_EMOTIONS = ("joy", "sadness", "surprise", "fear", "anger")

_TWEET_FIELDS = {"id", "twitid", "date", "text"}
_SENTIRUEVAL_VALUES = {"1": "positive", "0": "neutral", "-1": "negative"}


def shared_data_dir() -> Path | None:
    """The shared corpora folder, or None when this machine has none."""
    env = os.environ.get(SHARED_ENV)
    path = Path(env).expanduser() if env else PROJECT_ROOT.parent / "shared" / "data"
    return path if path.is_dir() else None


def require_shared_data() -> Path:
    path = shared_data_dir()
    if path is None:
        raise FileNotFoundError(f"no shared corpora: set ${SHARED_ENV} or provide ../shared/data")
    return path


# --- SentiRuEval-2015 tweets (phpMyAdmin XML, one <table> per tweet, one column per company) ---


@dataclass(frozen=True)
class Tweet:
    id: str
    text: str
    companies: Mapping[str, str]  # company -> raw value ("1", "0", "-1", rarely "+-" or "--")

    @property
    def label(self) -> str | None:
        return aggregate_label(self.companies.values())


def aggregate_label(values: Iterable[str]) -> str | None:
    """Per-tweet label: positive if any 1 and no -1, negative if any -1 and no 1, neutral if only 0.
    None for mixed tweets, the rare unclear markers (+-, --) and tweets with no company label."""
    found = set(values)
    if not found or found - set(_SENTIRUEVAL_VALUES):
        return None
    if {"1", "-1"} <= found:
        return None
    return "positive" if "1" in found else "negative" if "-1" in found else "neutral"


def sentirueval_tweets(root: Path, domain: str, split: str) -> list[Tweet]:
    """`domain` banks|telecoms, `split` train|test_etalon. Texts are HTML-unescaped (the dump holds &gt;)."""
    if domain not in SENTIRUEVAL_DOMAINS or split not in SENTIRUEVAL_SPLITS:
        raise ValueError(f"unknown SentiRuEval file {domain}/{split}")
    tree = ET.parse(root / "sentirueval2015_tweets" / domain / f"{split}.xml")
    tweets = []
    for table in tree.getroot().iter("table"):
        cols = {c.get("name", ""): c.text or "" for c in table.findall("column")}
        companies = {k: v.strip() for k, v in cols.items() if k not in _TWEET_FIELDS and v.strip() != "NULL"}
        tweets.append(Tweet(cols["id"], html.unescape(cols["text"]).strip(), companies))
    return tweets


# An operator's support account answers a customer: the tweet opens with the customer's handle and
# carries the operator's signature: MTS agents sign "^XY" (initials), Beeline ends with "#билайн" or
# asks for details at its support address, MegaFon points to its support address.
_OPENS_WITH_HANDLE = re.compile(r"@(\w+)")
_OPERATOR_HANDLE = re.compile(r"beeline|mts|megafon|tele2|rostelecom|skylink|komstar", re.IGNORECASE)
_OPERATOR_SIGNATURE = re.compile(
    r"\^[А-ЯЁ]{2}(?![А-Яа-яЁё])|#билайн\s*$|pomogite@beeline\.ru|nw-service@megafon\.ru"
)


def is_operator_reply(text: str) -> bool:
    opening = _OPENS_WITH_HANDLE.match(text)
    return bool(
        opening and not _OPERATOR_HANDLE.search(opening.group(1)) and _OPERATOR_SIGNATURE.search(text)
    )


_TWITTER_MARKUP = re.compile(r"^@\w+[,:]?\s*|\s*\^[А-ЯЁ]{2}(?![А-Яа-яЁё])|\s*#\w+|\s*https?://\S+")


def without_twitter_markup(text: str) -> str:
    """The reply as a chat would show it: no opening handle, agent initials, hashtags or links."""
    return _TWITTER_MARKUP.sub("", text).strip()


def operator_replies(root: Path) -> list[Tweet]:
    """Telecom tweets (both files) written by the operators' support accounts."""
    return [
        t
        for split in SENTIRUEVAL_SPLITS
        for t in sentirueval_tweets(root, "telecoms", split)
        if is_operator_reply(t.text)
    ]


# --- RuSentiTweet (CSV: text, label, id) ---


@dataclass(frozen=True)
class LabelledText:
    text: str
    label: str


def rusentitweet(root: Path, split: str) -> list[LabelledText]:
    """`split` train|test; labels as published (negative, neutral, positive, skip, speech)."""
    if split not in ("train", "test"):
        raise ValueError(f"unknown RuSentiTweet split {split!r}")
    with (root / "rusentitweet" / f"rusentitweet_{split}.csv").open(encoding="utf-8", newline="") as fh:
        return [LabelledText(row["text"].strip(), row["label"].strip()) for row in csv.DictReader(fh)]


# --- RUSSE-2022 detoxification (TSV: toxic_comment, neutral_comment1..3) ---


@dataclass(frozen=True)
class DetoxPair:
    rude: str
    polite: str


def detox_pairs(root: Path, split: str) -> list[DetoxPair]:
    """One pair per human rewrite. `split` train|dev (the test file has no rewrites)."""
    if split not in ("train", "dev"):
        raise ValueError(f"no detox pairs in split {split!r}: use train or dev")
    with (root / "russe_detox_2022" / f"{split}.tsv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    pairs = []
    for row in rows:
        rude = row["toxic_comment"].strip()
        for k in (1, 2, 3):
            polite = (row.get(f"neutral_comment{k}") or "").strip()
            if rude and polite:
                pairs.append(DetoxPair(rude, polite))
    return pairs


# --- CEDR (CSV: text, labels like "[0 4]", source) ---


@dataclass(frozen=True)
class CedrSentence:
    text: str
    emotions: frozenset[str]
    source: str  # lj, lenta, twitter

    @property
    def tone(self) -> str | None:
        """positive for joy without anger, sadness or fear; negative for anger without joy; else None."""
        if "joy" in self.emotions and not self.emotions & {"anger", "sadness", "fear"}:
            return "positive"
        if "anger" in self.emotions and "joy" not in self.emotions:
            return "negative"
        return None


def cedr_sentences(root: Path, split: str) -> list[CedrSentence]:
    """`split` train|test."""
    if split not in ("train", "test"):
        raise ValueError(f"unknown CEDR split {split!r}")
    with (root / "cedr" / f"cedr-main-{split}.csv").open(encoding="utf-8", newline="") as fh:
        return [
            CedrSentence(
                row["text"].strip(),
                frozenset(CEDR_EMOTIONS[int(i)] for i in re.findall(r"\d+", row["labels"])),
                row["source"],
            )
            for row in csv.DictReader(fh)
        ]
