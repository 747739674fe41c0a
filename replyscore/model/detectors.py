"""Detectors: rules whose logic is more than a pattern, as small functions named from rule files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from replyscore.model.context import Candidate, TextContext
from replyscore.model.report import TraceStep
from replyscore.model.text import Token, morphology

Detector = Callable[[TextContext, str, dict[str, Any]], Iterator[Candidate]]


def _step(token: Token, element: str) -> TraceStep:
    return TraceStep(token.text, token.lemma, element)


# Words that make the verb after them no promise: "не обидимся", "если получим", "как только сможем".
_NOT_A_PROMISE_BEFORE = frozenset({"не", "ни", "если", "когда", "как", "пока", "только"})
# "будем обязательно разбираться", "будем вас информировать"; not "будем рады помочь".
_MAY_STAND_BETWEEN = frozenset({"ADVB", "NPRO", "PRCL"})


def _is_future_1per(token: Token, biaspectual: frozenset[str]) -> bool:
    """A 1st-person future verb. A form that is also present ("рекомендуем", "проводим") counts only
    for `biaspectual` lemmas ("компенсируем"); "заменим", "исправим" read first as short adjectives."""
    if token.pos == "VERB":
        tags = token.grammemes
        return {"1per", "futr"} <= tags and ("pres" not in tags or token.lemma in biaspectual)
    return token.pos == "ADJS" and any(
        m.pos == "VERB" and {"1per", "futr"} <= m.grammemes for m in morphology().readings(token.key)
    )


def find_promises(
    words: list[Token], stop: frozenset[str], biaspectual: frozenset[str] = frozenset()
) -> list[tuple[Token, Token, str]]:
    """Promises in one sentence as (first token, last token, how): any 1st-person future action
    ("проверим", "подарим", "уточню"), "будем разбираться", "будет отправлен"; verbs in `stop`
    ("смочь", "обидеться") and negated or subordinate ones ("если получим") are not promises."""
    found = []
    for i, token in enumerate(words):
        if "futr" not in token.grammemes and token.pos != "ADJS":
            continue
        if i and words[i - 1].key in _NOT_A_PROMISE_BEFORE:
            continue
        if token.lemma == "быть" and "futr" in token.grammemes:
            # "будем разбираться", "будет отправлен"
            wanted = "INFN" if "1per" in token.grammemes else "PRTS"
            for follower in words[i + 1 : i + 3]:
                if follower.pos == wanted and follower.lemma not in stop:
                    found.append((token, follower, f"быть<futr> + {wanted}"))
                if follower.pos not in _MAY_STAND_BETWEEN:
                    break
        elif token.lemma not in stop and _is_future_1per(token, biaspectual):
            found.append((token, token, "<1per,futr>"))
    return found


def promise_without_deadline(ctx: TextContext, rule_id: str, params: dict[str, Any]) -> Iterator[Candidate]:
    """A promised action with no concrete time in its sentence or the next one."""
    stop, biaspectual = frozenset(params["stop"]), frozenset(params["biaspectual"])
    sentences = ctx.analysis.sentences
    for s_index, words in enumerate(ctx.words):
        promises = find_promises(words, stop, biaspectual)
        if not promises:
            continue
        window_end = sentences[min(s_index + 1, len(sentences) - 1)].end
        if ctx.has_time(sentences[s_index].start, window_end):
            continue
        first, last, how = promises[0]
        yield Candidate(rule_id, first.start, last.end, s_index, (_step(first, how),))


def marketplace_blame(ctx: TextContext, rule_id: str, params: dict[str, Any]) -> Iterator[Candidate]:
    """Blame or scorn in a sentence about the marketplace: "ошибка склада Ozon", "Ozon вечно теряет";
    a sentence right after one naming it may refer to it as "они": "Их доставка ужасная"."""
    names, pronouns, cues = (frozenset(params[key]) for key in ("marketplace", "pronouns", "cues"))
    named_before = False
    for s_index, words in enumerate(ctx.words):
        named = [t for t in words if t.lemma in names]
        if named or (named_before and any(t.lemma in pronouns for t in words)):
            # Cues are lemmas or word forms ("вина" reads first as a form of "вино"); participles
            # describe the goods ("повреждённую упаковку"), not the marketplace.
            cue = next(
                (t for t in words if (t.lemma in cues or t.key in cues) and t.pos not in ("PRTF", "PRTS")),
                None,
            )
            if cue is not None:
                ends = sorted((cue, named[0]) if named else (cue,), key=lambda t: t.start)
                yield Candidate(
                    rule_id, ends[0].start, ends[-1].end, s_index, (_step(cue, "marketplace + blame cue"),)
                )
        named_before = bool(named)


def language_model(ctx: TextContext, rule_id: str, params: dict[str, Any]) -> Iterator[Candidate]:
    """Matches of this rule come from the scorer's language model, not from the rule engine."""
    return iter(())


DETECTORS: dict[str, Detector] = {
    "promise_without_deadline": promise_without_deadline,
    "marketplace_blame": marketplace_blame,
    "language_model": language_model,
}
