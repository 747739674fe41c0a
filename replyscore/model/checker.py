"""The rule engine: text -> matches and signals.

Every rule runs on every text (signals count all apologies and negations whatever the caller
selected); the selection then decides which matches are reported.
"""

from __future__ import annotations

import re
import string
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from replyscore.model.context import Candidate, TextContext
from replyscore.model.detectors import DETECTORS, find_promises
from replyscore.model.patterns import Pattern
from replyscore.model.report import Match, Report, TraceStep
from replyscore.model.rulebook import Exclusion, Rule, Rulebook, RuleSelection
from replyscore.model.text import Token, analyze, fold, morphology

LEXICON_DIR = Path(__file__).with_name("lexicon")


class InvalidTextError(ValueError):
    pass


def validate_text(text: object) -> str:
    if not isinstance(text, str):
        raise InvalidTextError(f"text must be a string, not {type(text).__name__}")
    if not text.strip():
        raise InvalidTextError("text is empty")
    return text


def _fill(template: str, slots: Mapping[str, object]) -> str | None:
    """Fill {slot}s of a replacement; None when a slot has no value."""
    names = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    if any(name not in slots for name in names):
        return None
    try:
        return template.format_map(slots)
    except LookupError:  # {verb:LEMMA} where LEMMA has no such form
        return None


# What a {verb:LEMMA} slot takes from the match's verb.
_VERB_FORM = frozenset(
    {"INFN", "1per", "2per", "3per", "sing", "plur", "past", "masc", "femn", "neut", "impr", "incl", "excl"}
)


@dataclass(frozen=True, slots=True)
class _VerbSlot:
    """The first verb of a match as a replacement slot: "{verb:ответить}" is "ответить" in its form
    ("перезвоним" -> "ответим", "позвонит" -> "ответит", "позвонить" -> "ответить", "позвоните" ->
    "ответьте")."""

    grammemes: frozenset[str]

    @classmethod
    def of(cls, ctx: TextContext, cand: Candidate) -> _VerbSlot | None:
        words = ctx.words[cand.sentence]
        verb = next(
            (t for t in words if cand.start <= t.start < cand.end and t.pos in ("VERB", "INFN")), None
        )
        if verb is None:
            return None
        readings = [r for r in morphology().readings(verb.key) if (r.lemma, r.pos) == (verb.lemma, verb.pos)]
        # The imperative where the form may be one: "позвоните" invites; "позвоним" reads the same either way.
        reading = next((r for r in readings if "impr" in r.grammemes), readings[0])
        return cls(reading.grammemes & _VERB_FORM)

    def __format__(self, lemma: str) -> str:
        form = morphology().inflect(lemma, self.grammemes)
        if form is None:
            raise LookupError(f"no form of {lemma!r} with {sorted(self.grammemes)}")
        return form


_VERB_TEMPLATE = re.compile(r"\{verb:([^{}:]+)\}")


def readable_replacement(template: str) -> str:
    """A replacement as a user reads it: a verb slot shows its verb ("{verb:написать} нам в этом чате"
    -> "написать нам в этом чате"); the verb takes the form of the replaced one."""
    return _VERB_TEMPLATE.sub(r"\1", template)


def slot_verbs(template: str) -> list[str]:
    """The verbs of a replacement that take the form of the replaced verb."""
    return _VERB_TEMPLATE.findall(template)


_PERSONS = frozenset({"1per", "2per", "3per"})
_CASES = frozenset({"nomn", "gent", "datv", "accs", "ablt", "loct"})


def _unsaid(ctx: TextContext, cand: Candidate, template: str) -> str:
    """The template without its own pronouns that the sentence already has before the match, in the
    same person and case: "Нам можно позвонить" -> "Нам можно написать в этом чате", not "... написать
    нам ..."; "Вам менеджер перезвонит" -> "Вам менеджер ответит в этом чате"."""
    said = [t.grammemes for t in ctx.words[cand.sentence] if t.end <= cand.start and t.pos == "NPRO"]

    def repeated(word: str) -> bool:
        m = morphology().parse(fold(word))
        return m.pos == "NPRO" and any(m.grammemes & g & _PERSONS and m.grammemes & g & _CASES for g in said)

    return " ".join(w for w in template.split(" ") if not repeated(w)) if said else template


_SENTENCE_LETTER = re.compile(r"[\s\"«(]*([^\W\d_])")


def _lower(ctx: TextContext, cand: Candidate) -> str:
    """The match in lower case, but for the first letter of each sentence that starts inside it
    ("ОТПРАВЛЕН. ЖДИТЕ" -> "отправлен. Ждите")."""
    lower = ctx.text[cand.start : cand.end].lower()
    for sentence in ctx.analysis.sentences[cand.sentence + 1 :]:
        if sentence.start >= cand.end:
            break
        if m := _SENTENCE_LETTER.match(lower, sentence.start - cand.start):
            lower = lower[: m.start(1)] + m.group(1).upper() + lower[m.end(1) :]
    return lower


def _is_prepositional(template: str) -> bool:
    """Whether a replacement is a whole prepositional phrase: "в этом чате", "до {deadline}"."""
    tokens = analyze(template).tokens if template.strip() else []
    return bool(tokens) and tokens[0].pos == "PREP"


# First words of what a prepositional replacement may stand in for as it is: a prepositional phrase or
# an adverbial ("скоро", "как можно скорее" -> "до {deadline}").
_PHRASE_STARTS = frozenset({"PREP", "ADVB", "COMP", "PRED", "CONJ"})


def _prepositional_start(ctx: TextContext, cand: Candidate) -> int | None:
    """Where the phrase that a prepositional replacement stands in for starts: at the preposition right
    before the match ("в WhatsApp" -> "в этом чате", not "в в этом чате"), or at the match when it is a
    prepositional phrase or an adverbial itself. None for a bare noun phrase or a verb ("Наш Telegram:
    @shop"): no prepositional phrase takes the place of a subject, an object or a label."""
    words = ctx.words[cand.sentence]
    before = [t for t in words if t.end <= cand.start]
    if before and before[-1].pos == "PREP" and not ctx.text[before[-1].end : cand.start].strip():
        return before[-1].start
    first = next((t for t in words if t.end > cand.start), None)
    return cand.start if first is not None and first.pos in _PHRASE_STARTS else None


def _starts_sentence(ctx: TextContext, cand: Candidate, start: int) -> bool:
    return not ctx.text[ctx.sentence(cand.sentence).start : start].strip(' "«(')


class Checker:
    def __init__(self, rulebook: Rulebook | None = None) -> None:
        self.rulebook = rulebook or Rulebook.load(detectors=DETECTORS)
        self._by_lemma: dict[str, list[tuple[Rule, Pattern]]] = defaultdict(list)
        self._by_form: dict[str, list[tuple[Rule, Pattern]]] = defaultdict(list)
        self._unanchored: list[tuple[Rule, Pattern]] = []
        for rule in self.rulebook.rules:
            for pattern in rule.patterns:
                first = pattern.elements[0]
                if first.lemmas:
                    for lemma in first.lemmas:
                        self._by_lemma[lemma].append((rule, pattern))
                elif first.forms:
                    for form in first.forms:
                        self._by_form[form].append((rule, pattern))
                else:
                    self._unanchored.append((rule, pattern))
        self._regex_rules = tuple(r for r in self.rulebook.rules if r.regexes)
        self._detectors = tuple((r, DETECTORS[r.detector]) for r in self.rulebook.rules if r.detector)
        self._prepositional = frozenset(
            r.id
            for r in self.rulebook.rules
            if r.replacements and all(map(_is_prepositional, r.replacements))
        )
        lexicon = yaml.safe_load((LEXICON_DIR / "negation.yaml").read_text(encoding="utf-8"))
        self._negation_words = frozenset(lexicon["words"])
        self._negation_idioms = tuple(Pattern.parse(p) for p in lexicon["idioms"])
        promise_rule = next(r for r in self.rulebook.rules if r.detector == "promise_without_deadline")
        self._promise_words = (
            frozenset(promise_rule.params["stop"]),
            frozenset(promise_rule.params["biaspectual"]),
        )

    # -- finding candidates -------------------------------------------------------------------

    def _pattern_candidates(self, ctx: TextContext) -> Iterator[Candidate]:
        by_lemma, by_form, unanchored = self._by_lemma, self._by_form, self._unanchored
        for s_index, words in enumerate(ctx.words):
            present: set[str] | None = None  # the sentence's lemmas and forms, built on first need
            for i, token in enumerate(words):
                tried = by_lemma.get(token.lemma, []) + by_form.get(token.key, []) + unanchored
                for rule, pattern in tried:
                    if pattern.needs:
                        if present is None:
                            present = {t.lemma for t in words} | {t.key for t in words}
                        if not pattern.may_match(present):
                            continue
                    trail = pattern.match_at(words, i)
                    if trail:
                        steps = tuple(TraceStep(t.text, t.lemma, e.source) for t, e in trail)
                        yield Candidate(rule.id, trail[0][0].start, trail[-1][0].end, s_index, steps)

    @staticmethod
    def _regex_candidates(ctx: TextContext, rule: Rule, folded: str) -> Iterator[Candidate]:
        if rule.requires and not any(s in folded for s in rule.requires):
            return
        for regex in rule.regexes:
            for m in regex.finditer(ctx.text):
                if m.end() > m.start():
                    step = TraceStep(m.group(), "", f"regex {regex.pattern}")
                    yield Candidate(rule.id, m.start(), m.end(), ctx.sentence_at(m.start()), (step,))

    def _candidates(self, ctx: TextContext) -> Iterator[Candidate]:
        yield from self._pattern_candidates(ctx)
        folded = fold(ctx.text)
        for rule in self._regex_rules:
            yield from self._regex_candidates(ctx, rule, folded)
        for rule, detector in self._detectors:
            yield from detector(ctx, rule.id, rule.params)

    # -- exceptions ---------------------------------------------------------------------------

    @staticmethod
    def _excluded_by(ctx: TextContext, cand: Candidate, exc: Exclusion) -> bool:
        """An exclusion holds when all of its conditions hold."""
        sentence = ctx.sentence(cand.sentence)
        if exc.matched and ctx.text[cand.start : cand.end].lower().replace("ё", "е") not in exc.matched:
            return False
        if exc.sentence_has_time and not ctx.has_time(sentence.start, sentence.end):
            return False
        if exc.scope == "sentence":
            lo, hi = sentence.start, sentence.end
        elif exc.scope == "before":
            lo, hi = max(0, cand.start - exc.window), cand.start
        elif exc.scope == "after":
            lo, hi = cand.end, cand.end + exc.window
        else:
            lo, hi = cand.start, cand.end
        if exc.regex is not None:
            overlap = exc.scope == "overlap"
            region = (max(0, lo - exc.window), hi + exc.window) if overlap else (lo, hi)
            if not any(
                not overlap or (m.start() < hi and m.end() > lo)
                for m in exc.regex.finditer(ctx.text, *region)
            ):
                return False
        if exc.pattern is not None:
            words = ctx.words[cand.sentence]
            trails = (exc.pattern.match_at(words, i) for i in range(len(words)))
            if not any(t and t[0][0].start < hi and t[-1][0].end > lo for t in trails):
                return False
        return True

    def _keep(self, ctx: TextContext, cand: Candidate) -> bool:
        rule = self.rulebook.by_id[cand.rule_id]
        return not any(self._excluded_by(ctx, cand, exc) for exc in rule.exceptions)

    # -- assembling the report ----------------------------------------------------------------

    @staticmethod
    def _dedupe(cands: list[Candidate]) -> list[Candidate]:
        """One match per rule and span: overlapping hits of the same rule merge into the first, longest."""
        kept: list[Candidate] = []
        last_end: dict[str, int] = {}
        for cand in sorted(cands, key=lambda c: (c.start, -(c.end - c.start))):
            if cand.start < last_end.get(cand.rule_id, -1):
                continue
            kept.append(cand)
            last_end[cand.rule_id] = cand.end
        return kept

    def _to_match(self, ctx: TextContext, cand: Candidate, nth: int, slots: Mapping[str, str]) -> Match:
        rule = self.rulebook.by_id[cand.rule_id]
        severity, message = rule.severity, rule.message
        if rule.repeat and nth >= rule.repeat.after:
            severity, message = rule.repeat.severity, rule.repeat.message
        text = ctx.text[cand.start : cand.end]
        values: dict[str, object] = {**slots, "match": text, "lower": _lower(ctx, cand), "first": text[:1]}
        if rule.replacements and (verb := _VerbSlot.of(ctx, cand)):
            values["verb"] = verb
        filled = tuple(
            f for r in rule.replacements if (f := _fill(_unsaid(ctx, cand, r), values)) is not None
        )
        start = cand.start
        if filled and rule.id in self._prepositional:
            phrase = _prepositional_start(ctx, cand)
            if phrase is None:
                filled = ()
            else:
                start = phrase
        if _starts_sentence(ctx, cand, start):  # "Позвоните нам, ..." -> "Напишите нам в этом чате, ..."
            filled = tuple(f[:1].upper() + f[1:] for f in filled)
        public = {**rule.public(), "severity": severity}
        return Match(
            start, cand.end - start, ctx.text[start : cand.end], public, message, filled, "rule", cand.trace
        )

    def _count_negations(self, ctx: TextContext) -> int:
        count = 0
        for words in ctx.words:
            idiom_tokens: set[int] = set()
            for i, token in enumerate(words):
                if token.key not in self._negation_words:
                    continue
                if token.index not in idiom_tokens:
                    for idiom in self._negation_idioms:
                        trail = idiom.match_at(words, i)
                        if trail:
                            idiom_tokens.update(t.index for t, _ in trail)
                count += token.index not in idiom_tokens
        return count

    def _signals(self, ctx: TextContext, matches: list[Match]) -> dict[str, Any]:
        words = ctx.analysis.word_count

        def per_100(n: int) -> float:
            return round(100.0 * n / words, 2) if words else 0.0

        apologies = sum(1 for m in matches if m.category == "APOLOGY")
        negations = self._count_negations(ctx)
        promises = sum(len(find_promises(w, *self._promise_words)) for w in ctx.words)
        return {
            "words": words,
            "sentences": len(ctx.analysis.sentences),
            "apology": {"count": apologies, "per_100_words": per_100(apologies)},
            "negation": {"count": negations, "per_100_words": per_100(negations)},
            "vague": {"count": sum(1 for m in matches if m.category == "VAGUE")},
            "rude": {"count": sum(1 for m in matches if m.category == "RUDE")},
            "promises": {
                "count": promises,
                "without_deadline": sum(1 for m in matches if m.category == "NO_DEADLINE"),
            },
            "time_expressions": {"count": len(ctx.times), "texts": [t.text for t in ctx.times]},
        }

    def check(
        self,
        text: str,
        selection: RuleSelection | None = None,
        slots: Mapping[str, str] | None = None,
    ) -> Report:
        """Check one text. `slots` fill replacement templates ({deadline}, ...); ones left unfilled
        are dropped."""
        active = {r.id for r in self.rulebook.select(selection or RuleSelection())}
        ctx = TextContext(analyze(validate_text(text)))
        kept = self._dedupe([c for c in self._candidates(ctx) if self._keep(ctx, c)])
        seen: dict[str, int] = defaultdict(int)
        all_matches = []
        for cand in kept:
            all_matches.append(self._to_match(ctx, cand, seen[cand.rule_id], slots or {}))
            seen[cand.rule_id] += 1
        signals = self._signals(ctx, all_matches)
        reported = [m for m in all_matches if m.rule["id"] in active]
        return Report(text, reported, signals, active_rules=frozenset(active))


def tokens_debug(tokens: list[Token]) -> list[dict[str, Any]]:
    """The token table of the debug view."""
    return [
        {"text": t.text, "offset": t.start, "lemma": t.lemma, "pos": t.pos, "grammemes": sorted(t.grammemes)}
        for t in tokens
    ]
