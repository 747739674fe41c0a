"""Suggestions for a draft: a local fix of its findings and full rewrites from approved templates.

A fix edits the draft match by match: a vague phrase gives way to the computed deadline, a promise
gains one, a sentence breaking the chat policy is dropped, a repeated apology goes, a refusal becomes
the scenario's next step, CAPS, "!!!" and emoticons are toned down. A rewrite is the best approved
template of the detected scenario, filled from the context (the logistics decision tree picks it for
orders). Every suggestion is checked again before it is returned: none carries a VAGUE, NO_DEADLINE
or policy finding, so every promise in it has a concrete deadline.

`suggest()` returns `[{kind: fix|rewrite, text, template_id?, template_version?, scenario?, css_after,
changes}]`. The context is `{order_id, status, eta, now, customer_name, customer_message, track, tier,
scheme, pickup_until, refund_by, return_period}`, every key optional.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import yaml

from replyscore.model.categories import POLICY_CATEGORIES
from replyscore.model.checker import LEXICON_DIR, Checker
from replyscore.model.css import CssModel
from replyscore.model.deadlines import WorkingCalendar, parse_moment
from replyscore.model.detectors import find_promises
from replyscore.model.logistics import OrderFacts, fill_slots, logistics_scenario, order_facts
from replyscore.model.report import Match, Report
from replyscore.model.scenario import (
    DEFAULT_THRESHOLD,
    ScenarioEnsemble,
    ScenarioGuess,
    ScenarioModel,
    detect_scenario,
)
from replyscore.model.scenario import default_model as default_scenario_model
from replyscore.model.scorer import Scorer, ScoreRequest
from replyscore.model.templates import TemplateLibrary, default_library, render_text
from replyscore.model.text import Analysis, Token, analyze, fold

FORBIDDEN: frozenset[str] = POLICY_CATEGORIES | {"VAGUE", "NO_DEADLINE"}
STYLE = frozenset({"CAPS", "PUNCTUATION", "EMOJI"})
MAX_ROUNDS = 3
MIN_CONTENT_WORDS = 3  # a fix leaving fewer words besides greetings and apologies is no fix

_LEXICON = yaml.safe_load((LEXICON_DIR / "rewrite.yaml").read_text(encoding="utf-8"))
COMMUNICATION_FORMS: dict[str, tuple[str, str]] = {
    fold(lemma): (we, i) for lemma, (we, i) in _LEXICON["communication_forms"].items()
}
COMMUNICATION = frozenset(COMMUNICATION_FORMS) | frozenset(map(fold, _LEXICON["communication_more"]))
DELIVERY_LEMMAS = frozenset(map(fold, _LEXICON["delivery"]))
APOLOGY_WORDS = frozenset(map(fold, _LEXICON["apology"]))
GREETING_WORDS = frozenset(map(fold, _LEXICON["greeting"]))
FOLLOW_UP: str = _LEXICON["follow_up"]
_PREFIX_APOLOGY = re.compile(
    r"\s*(?:к\s+сожалению|извините|простите)(?:\s*,\s*пожалуйста)?\s*[,!.]?\s*", re.IGNORECASE
)
_CLAUSE_END = re.compile(r"[,;:—–.!?…]")


# -- checking suggestions --------------------------------------------------------------------------


class Verifier:
    """Checks candidate texts the way the report was made: with a scorer (rules, language model, CSS)
    or with a checker (rules, CSS without tone)."""

    def __init__(self, engine: Scorer | Checker | None = None) -> None:
        self.scorer: Scorer | None = None
        if isinstance(engine, Checker):
            self.checker = engine
        else:
            self.scorer = engine or _default_scorer()
            self.checker = self.scorer.checker
        params = next(
            r for r in self.checker.rulebook.rules if r.detector == "promise_without_deadline"
        ).params
        self._stop = frozenset(params.get("stop", ()))
        self._biaspectual = frozenset(params.get("biaspectual", ()))

    def promises(self, words: list[Token]) -> list[Token]:
        """The promised verbs of a sentence, as the NO_DEADLINE rule sees them."""
        return [last for _, last, _ in find_promises(words, self._stop, self._biaspectual)]

    def check(self, text: str) -> Report:
        if self.scorer is not None:
            return self.scorer.score(ScoreRequest(text))
        report = self.checker.check(text)
        report.extra["css"] = _css_model().score(report.signals, report.matches, None)
        return report


@cache
def _default_scorer() -> Scorer:
    return Scorer()


@cache
def _css_model() -> CssModel:
    return CssModel.load()


def violations(report: Report) -> list[Match]:
    """Findings no suggestion may carry."""
    return [m for m in report.matches if m.category in FORBIDDEN]


def _css_score(report: Report) -> float | None:
    css = report.extra.get("css")
    return float(css["score"]) if css else None


# -- local fixes -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Edit:
    start: int
    end: int
    text: str
    action: str  # replace | insert | remove | drop_sentence | replace_sentence | append
    sentence: int
    match: Match | None = None

    def change(self, source: str, draft: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "action": self.action,
            "rule_id": self.match.rule["id"] if self.match else None,
            "category": self.match.category if self.match else None,
            "before": source[self.start : self.end],
            "after": self.text.strip(),
        }
        if draft:  # offsets point into the draft only for the first round of edits
            out.update(offset=self.start, length=self.end - self.start)
        return out


@dataclass
class _Plan:
    """Edits for one round, built sentence by sentence."""

    text: str
    analysis: Analysis
    slots: Mapping[str, object]
    next_step: str
    eta: str | None
    promises: Callable[[list[Token]], list[Token]]
    edits: list[Edit] = field(default_factory=list)
    whole: dict[int, Edit] = field(default_factory=dict)  # sentence -> drop or replace
    dated: set[int] = field(default_factory=set)  # sentences that now carry a deadline
    follow_up: dict[int, Match] = field(default_factory=dict)  # sentences needing "Точный срок ..."

    @property
    def deadline(self) -> str:
        return f"до {self.slots['deadline']}"

    def sentence_of(self, offset: int) -> int:
        starts = [s.start for s in self.analysis.sentences]
        return max(0, bisect_right(starts, offset) - 1)

    def span(self, index: int) -> tuple[int, int]:
        s = self.analysis.sentences[index]
        return s.start, s.end

    def words(self, index: int) -> list[Token]:
        s = self.analysis.sentences[index]
        return [t for t in self.analysis.tokens[s.first_token : s.last_token] if t.is_word]

    def add(self, start: int, end: int, text: str, action: str, index: int, match: Match) -> None:
        self.edits.append(Edit(start, end, text, action, index, match))

    def whole_sentence(self, index: int, text: str, action: str, match: Match) -> None:
        if index not in self.whole:
            start, end = self.span(index)
            self.whole[index] = Edit(start, end, text, action, index, match)


def _at_sentence_start(plan: _Plan, index: int, offset: int) -> bool:
    start, _ = plan.span(index)
    return not plan.text[start:offset].strip(' "«(')


def _cap(text: str, capital: bool) -> str:
    return text[:1].upper() + text[1:] if capital and text else text


def _before_final(plan: _Plan, index: int) -> int:
    """Where a sentence's words end, before its final punctuation."""
    start, end = plan.span(index)
    return start + len(plan.text[start:end].rstrip(" \t\n.!?…"))


def _insert_before_final(plan: _Plan, index: int, addition: str, match: Match) -> None:
    at = _before_final(plan, index)
    plan.add(at, at, addition, "insert", index, match)
    plan.dated.add(index)


def _fix_vague_effort(plan: _Plan, index: int, m: Match) -> None:
    words = plan.words(index)
    inside = [t for t in words if m.offset <= t.start < m.end]
    singular = any("1per" in t.grammemes and "plur" not in t.grammemes for t in inside)
    after = [t for t in words if t.start >= m.end][:4]
    infinitive = next((t for t in after if t.pos == "INFN"), None)
    capital = _at_sentence_start(plan, index, m.offset)
    check, reply = ("проверю", "отвечу") if singular else ("проверим", "ответим")
    other_promises = [t for t in plan.promises(words) if t.start >= m.end]
    if infinitive is not None and infinitive.lemma in COMMUNICATION_FORMS:
        plan.add(
            m.offset,
            infinitive.end,
            _cap(COMMUNICATION_FORMS[infinitive.lemma][int(singular)], capital),
            "replace",
            index,
            m,
        )
        _insert_before_final(plan, index, f" {plan.deadline}", m)
    elif infinitive is not None and other_promises:  # "постараемся ускорить и сообщим": date the promise
        plan.add(m.offset, m.end, _cap(f"{check}, можно ли", capital), "replace", index, m)
        _insert_before_final(plan, index, f" {plan.deadline}", m)
    elif infinitive is not None:
        plan.add(m.offset, m.end, _cap(f"{check}, можно ли", capital), "replace", index, m)
        boundary = _CLAUSE_END.search(plan.text, infinitive.end, plan.span(index)[1])
        at = boundary.start() if boundary else _before_final(plan, index)
        plan.add(at, at, f", и {reply} {plan.deadline}", "insert", index, m)
    else:
        plan.add(
            m.offset,
            m.end,
            _cap(f"{check}, что можно сделать, и {reply} {plan.deadline}", capital),
            "replace",
            index,
            m,
        )
    plan.dated.add(index)


def _fix_vague_time(plan: _Plan, index: int, m: Match) -> None:
    words = plan.words(index)
    promised = plan.promises(words)
    kept = [t.text for t in promised if t.lemma in COMMUNICATION and m.offset <= t.start < m.end]
    if index in plan.dated:  # an effort fix already gave this sentence its deadline
        plan.add(m.offset, m.end, " ".join(kept), "remove" if not kept else "replace", index, m)
    elif promised and all(t.lemma in COMMUNICATION for t in promised):
        capital = _at_sentence_start(plan, index, m.offset)
        plan.add(m.offset, m.end, _cap(" ".join([*kept, plan.deadline]), capital), "replace", index, m)
        plan.dated.add(index)
    elif plan.eta and {t.lemma for t in words} & DELIVERY_LEMMAS:
        plan.add(m.offset, m.end, f"к {plan.eta}", "replace", index, m)
        plan.dated.add(index)
    else:
        plan.add(m.offset, m.end, "", "remove", index, m)
        plan.follow_up[index] = m


def _fix_no_deadline(plan: _Plan, index: int, m: Match) -> None:
    if index in plan.dated:
        return
    promised = plan.promises(plan.words(index))
    if promised and all(t.lemma in COMMUNICATION for t in promised):
        plan.follow_up.pop(index, None)
        _insert_before_final(plan, index, f" {plan.deadline}", m)
    else:
        plan.follow_up[index] = m


def _fix_apology(plan: _Plan, index: int, m: Match) -> None:
    words = plan.words(index)
    if all(t.lemma in APOLOGY_WORDS or not t.text.isalpha() for t in words):
        plan.whole_sentence(index, "", "drop_sentence", m)
        return
    start, end = plan.span(index)
    prefix = _PREFIX_APOLOGY.match(plan.text, start, end)
    if prefix and prefix.end() > m.offset:
        plan.add(start, prefix.end(), "", "remove", index, m)


def _priority(m: Match) -> int:
    if m.category in POLICY_CATEGORIES:
        return 0
    return 1 if m.rule["id"] == "VAGUE_EFFORT" else 2 if m.category == "VAGUE" else 3


def _plan_round(plan: _Plan, matches: Sequence[Match]) -> None:
    """Policy first (their sentences go), then vague effort and vague time (they may date a sentence in
    place), then the rest left to right."""
    apologies = 0
    refusals = 0
    order = sorted(matches, key=lambda m: (_priority(m), m.offset))
    for m in order:
        index = plan.sentence_of(m.offset)
        category = m.category
        if category in POLICY_CATEGORIES:
            plan.whole_sentence(index, "", "drop_sentence", m)
        elif category == "NEGATION":
            refusals += 1
            if refusals == 1:
                plan.whole_sentence(
                    index, render_text(plan.next_step, plan.slots) or "", "replace_sentence", m
                )
            else:
                plan.whole_sentence(index, "", "drop_sentence", m)
        elif category == "VAGUE" and m.source == "model":
            plan.whole_sentence(index, render_text(plan.next_step, plan.slots) or "", "replace_sentence", m)
        elif category == "VAGUE" and m.rule["id"] == "VAGUE_EFFORT":
            _fix_vague_effort(plan, index, m)
        elif category == "VAGUE":
            _fix_vague_time(plan, index, m)
        elif category == "NO_DEADLINE":
            _fix_no_deadline(plan, index, m)
        elif category == "APOLOGY":
            apologies += 1
            if apologies > 1:
                _fix_apology(plan, index, m)
        elif category == "EMOJI":
            plan.add(m.offset, m.end, _emoticon_stop(plan.text, m), "remove", index, m)
        elif category in STYLE and m.replacements:
            new = _cap(m.replacements[0], category == "CAPS" and _at_sentence_start(plan, index, m.offset))
            plan.add(m.offset, m.end, new, "replace", index, m)
    for index, m in plan.follow_up.items():
        if {index, index + 1} & plan.dated or index in plan.whole:  # the rule reads the next sentence too
            continue
        start, end = plan.span(index)
        body = plan.text[start:end].rstrip()
        stop = "" if body.endswith((".", "!", "?", "…")) else "."
        at = start + len(body)
        plan.add(at, at, f"{stop} {render_text(FOLLOW_UP, plan.slots)}", "append", index, m)


def _emoticon_stop(text: str, m: Match) -> str:
    """What stands in for an emoticon that ended a clause: "заявку) Мы" -> "заявку. Мы"."""
    before = text[: m.offset].rstrip()
    after = text[m.end :].lstrip()
    if not before or not before[-1].isalnum() or not after:
        return ""
    return "." if after[0].isupper() else "," if after[0].isalpha() else ""


def _apply(text: str, plan: _Plan) -> tuple[str, list[Edit]]:
    """Apply sentence-wide edits and, in the other sentences, the span edits that do not overlap."""
    chosen = list(plan.whole.values())
    for edit in sorted(plan.edits, key=lambda e: (e.start, e.end)):
        clash = any(
            edit.start < c.end and c.start < edit.end
            if edit.start < edit.end
            else c.start < edit.start < c.end
            for c in chosen
        )
        if edit.sentence not in plan.whole and not clash:
            chosen.append(edit)
    starts = {s.start for s in plan.analysis.sentences}
    out = text
    for edit in sorted(chosen, key=lambda e: (e.start, e.end), reverse=True):
        out = out[: edit.start] + edit.text + out[edit.end :]
        if edit.start in starts and not edit.text:  # a removal at a sentence start: capitalise what follows
            out = out[: edit.start] + _capitalise_first(out[edit.start :])
    return _tidy(out), sorted(chosen, key=lambda e: e.start)


def _capitalise_first(text: str) -> str:
    m = re.search(r"[^\W\d_]", text)
    return text if m is None else text[: m.start()] + text[m.start()].upper() + text[m.end() :]


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"[ \t]+([,.;:!?…])", r"\1", text)
    text = re.sub(r",\s*([.!?…])", r"\1", text)
    text = re.sub(r"([.!?…])[ \t]*[,;:]\s*", r"\1 ", text)
    text = _capitalise_first(re.sub(r"^[\s,;:—–-]+", "", text).strip())
    return text + "." if text[-1:].isalnum() else text


def _content_words(text: str) -> int:
    return sum(
        1
        for t in analyze(text).tokens
        if t.is_word and t.text.isalpha() and t.lemma not in APOLOGY_WORDS | GREETING_WORDS
    )


def local_fix(
    report: Report, slots: Mapping[str, object], next_step: str, verifier: Verifier, eta: str | None = None
) -> dict[str, Any] | None:
    """The draft with its findings fixed, or None when no fix passes the check."""
    text, matches = report.text, report.matches
    changes: list[dict[str, Any]] = []
    for round_ in range(MAX_ROUNDS):
        plan = _Plan(text, analyze(text), slots, next_step, eta, verifier.promises)
        _plan_round(plan, matches)
        if not plan.edits and not plan.whole:
            break
        new_text, applied = _apply(text, plan)
        changes.extend(e.change(text, round_ == 0) for e in applied)
        text = new_text
        if _content_words(text) < MIN_CONTENT_WORDS:
            return None
        checked = verifier.check(text)
        if not violations(checked):
            return {"kind": "fix", "text": text, "css_after": _css_score(checked), "changes": changes}
        matches = checked.matches
    return None


# -- rewrites from templates -----------------------------------------------------------------------


def template_rewrites(
    guess: ScenarioGuess,
    facts: OrderFacts,
    slots: Mapping[str, object],
    library: TemplateLibrary,
    verifier: Verifier,
) -> list[dict[str, Any]]:
    """The best passing approved template per scenario: the detected one, or the top ones when unsure."""
    scenarios = [guess.scenario] if guess.confident else [s for s, _ in guess.top]
    out = []
    for scenario in dict.fromkeys(logistics_scenario(s, facts) for s in scenarios):
        for template, text in library.render_best(scenario, facts.conditions(), slots):
            checked = verifier.check(text)
            if violations(checked):
                continue
            out.append(
                {
                    "kind": "rewrite",
                    "text": text,
                    "template_id": template.id,
                    "template_version": template.version,
                    "css_after": _css_score(checked),
                    "scenario": {**guess.to_dict(), "id": scenario},
                    "changes": [
                        {
                            "action": "template",
                            "template_id": template.id,
                            "slots": sorted(k for k in template.slots if slots.get(k)),
                        }
                    ],
                }
            )
            break
    return out


def suggest(
    report: Report,
    context: Mapping[str, Any] | None = None,
    engine: Scorer | Checker | None = None,
    now: datetime | str | None = None,
    *,
    library: TemplateLibrary | None = None,
    scenario_model: ScenarioModel | None = None,
    calendar: WorkingCalendar | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[dict[str, Any]]:
    """A local fix (when the draft has findings and a fix passes) and template rewrites for a report.

    `now` (or `context["now"]`, ISO 8601; naive is Moscow time) defaults to the current time.
    """
    context = context or {}
    library = library or default_library()
    verifier = Verifier(engine)
    moment = parse_moment(now if now is not None else context.get("now"))
    facts = order_facts(context, moment.date())
    slots = fill_slots(context, facts, moment, calendar)
    if scenario_model is None and isinstance(engine, Scorer) and engine.language_model is not None:
        head = getattr(engine.language_model, "scenario_model", None)
        scenario_model = ScenarioEnsemble((default_scenario_model(), head)) if head is not None else None
    guess = detect_scenario(report.text, context.get("customer_message"), scenario_model, threshold)
    scenario = logistics_scenario(guess.scenario, facts)
    suggestions = []
    fixable = [m for m in report.matches if m.category in FORBIDDEN | STYLE | {"NEGATION", "APOLOGY"}]
    if fixable:
        fix = local_fix(report, slots, library.scenarios[scenario].next_step, verifier, facts.eta_text)
        if fix is not None:
            suggestions.append(fix)
    suggestions.extend(template_rewrites(guess, facts, slots, library, verifier))
    return suggestions
