"""Text analysis: tokens and sentences with code-point offsets, lemmas and grammemes.

The input text is first cleaned into an analysis string (zero-width characters removed, non-breaking
and other exotic spaces turned into plain spaces, combining marks composed or dropped, Latin
look-alikes inside Cyrillic words read as Cyrillic). An offset map keeps
every token's span pointing into the original text, so matches always quote what the user wrote.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import pymorphy3
import razdel

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_SPACES = "\u00a0\u2007\u202f\u2009\u200a\u2002\u2003\u2004\u2005\u2006\u2008\u205f\u3000\t\r\x0b\x0c"
_NEEDS_CLEANING = re.compile(f"[{_ZERO_WIDTH}{_SPACES}\u0300-\u036f]")

# Latin letters that look like Cyrillic ones; mixed-script words are read as Cyrillic.
_LATIN_LOOKALIKES = str.maketrans("aceopxyACEHKMOPTXB", "асеорхуАСЕНКМОРТХВ")
_CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
_LATIN = re.compile("[a-z]", re.IGNORECASE)
_MIXED_SCRIPT = re.compile("[а-яё][a-z]|[a-z][а-яё]", re.IGNORECASE)
_WORDS = re.compile(r"\w+")

_WORD = re.compile(r"\w", re.UNICODE)
# Words (with inner hyphens, apostrophes and digit separators: "какой-нибудь", "12345678-0001-1",
# "1.5") or single non-space symbols. razdel finds the sentences; this regex, several times faster
# than razdel's tokenizer, cuts them into tokens.
_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*(?:[.,]\d+)*|[^\w\s]")


def fold(word: str) -> str:
    """Case- and ё-insensitive key of a word."""
    return word.lower().replace("ё", "е")


def _deconfuse(word: str) -> str:
    """Map Latin look-alike letters to Cyrillic inside a word that mixes both scripts."""
    if _CYRILLIC.search(word) and _LATIN.search(word):
        return word.translate(_LATIN_LOOKALIKES)
    return word


def _deconfuse_words(text: str) -> str:
    """Same length as the text, so offsets stay valid."""
    if not _MIXED_SCRIPT.search(text):
        return text
    return _WORDS.sub(lambda m: _deconfuse(m.group()), text)


@dataclass(frozen=True, slots=True)
class Morph:
    lemma: str
    pos: str
    grammemes: frozenset[str]


class _Morphology:
    """One pymorphy3 analyser per process, with a cache of analyses by folded word."""

    def __init__(self) -> None:
        self._analyzer = pymorphy3.MorphAnalyzer()
        self.parse = lru_cache(maxsize=200_000)(self._parse)
        self.readings = lru_cache(maxsize=20_000)(self._readings)

    def _parse(self, key: str) -> Morph:
        if not _WORD.search(key):
            return Morph(key, "PNCT", frozenset())
        parses = self._analyzer.parse(key)
        best = parses[0]
        # Grammemes of every reading with the best lemma: "отмените" is both indicative and imperative.
        grammemes = frozenset().union(
            *(
                p.tag.grammemes
                for p in parses
                if p.normal_form == best.normal_form and p.tag.POS == best.tag.POS
            )
        )
        return Morph(fold(best.normal_form), str(best.tag.POS or "UNKN"), grammemes)

    def inflect(self, lemma: str, grammemes: frozenset[str]) -> str | None:
        """A verb in the form with these grammemes: ("ответить", {1per, plur}) -> "ответим"; None if none."""
        verb = next((p for p in self._analyzer.parse(lemma) if p.tag.POS == "INFN"), None)
        form = verb.inflect(set(grammemes)) if verb is not None else None
        return form.word if form is not None else None

    def _readings(self, key: str) -> tuple[Morph, ...]:
        """Every reading of a word, best first: "заменим" is a short adjective and a verb."""
        return tuple(
            Morph(fold(p.normal_form), str(p.tag.POS or "UNKN"), frozenset(p.tag.grammemes))
            for p in self._analyzer.parse(key)
        )


_MORPHOLOGY: _Morphology | None = None


def morphology() -> _Morphology:
    global _MORPHOLOGY
    if _MORPHOLOGY is None:
        _MORPHOLOGY = _Morphology()
    return _MORPHOLOGY


@dataclass(frozen=True, slots=True)
class Token:
    index: int
    start: int  # code points into the original text
    end: int
    text: str  # as written in the original text
    key: str  # folded form used for look-ups
    lemma: str
    pos: str
    grammemes: frozenset[str]
    sentence: int

    @property
    def is_word(self) -> bool:
        return self.pos != "PNCT"


@dataclass(frozen=True, slots=True)
class Sentence:
    index: int
    start: int
    end: int
    first_token: int
    last_token: int  # exclusive


@dataclass(slots=True)
class Analysis:
    text: str
    tokens: list[Token] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)

    @property
    def word_count(self) -> int:
        return sum(1 for t in self.tokens if t.is_word)


def _clean(text: str) -> tuple[str, list[int] | None]:
    """Return the analysis string and, when it differs from the text, a map back to offsets."""
    if not _NEEDS_CLEANING.search(text):
        return text, None
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if ch in _ZERO_WIDTH:
            continue
        if ch in _SPACES:
            ch = " "
        elif unicodedata.combining(ch) and chars:
            # Compose й and ё from their parts; drop marks with no composed form (stress accents).
            composed = unicodedata.normalize("NFC", chars[-1] + ch)
            if len(composed) == 1:
                chars[-1] = composed
            continue
        chars.append(ch)
        origin.append(i)
    origin.append(len(text))
    return "".join(chars), origin


def analyze(text: str) -> Analysis:
    clean, origin = _clean(text)
    clean = _deconfuse_words(clean)
    morph = morphology().parse

    def to_original(start: int, stop: int) -> tuple[int, int]:
        if origin is None:
            return start, stop
        return origin[start], origin[stop - 1] + 1

    analysis = Analysis(text)
    for s_index, sent in enumerate(razdel.sentenize(clean)):
        first = len(analysis.tokens)
        for tok in _TOKEN.finditer(sent.text):
            start, end = to_original(sent.start + tok.start(), sent.start + tok.end())
            key = fold(tok.group())
            m = morph(key)
            analysis.tokens.append(
                Token(
                    len(analysis.tokens),
                    start,
                    end,
                    text[start:end],
                    key,
                    m.lemma,
                    m.pos,
                    m.grammemes,
                    s_index,
                )
            )
        s_start, s_end = to_original(sent.start, sent.stop)
        analysis.sentences.append(Sentence(s_index, s_start, s_end, first, len(analysis.tokens)))
    return analysis
