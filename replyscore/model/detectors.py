"""Detectors: rules whose logic is more than a pattern, as small functions named from rule files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from replyscore.model.context import Candidate, TextContext
from replyscore.model.report import TraceStep
from replyscore.model.text import Token

Detector = Callable[[TextContext, str, dict[str, Any]], Iterator[Candidate]]


def _step(token: Token, element: str) -> TraceStep:
    return TraceStep(token.text, token.lemma, element)


def find_promises(words: list[Token], verbs: frozenset[str]) -> list[tuple[Token, Token, str]]:
    """Promises in one sentence as (first token, last token, how): "проверим", "будем разбираться",
    "будет отправлен"."""
    found = []
    for i, token in enumerate(words):
        tags = token.grammemes
        if token.lemma in verbs and "1per" in tags and "futr" in tags:
            found.append((token, token, "<1per,futr> from promise verbs"))
        elif token.lemma == "быть" and "futr" in tags:
            wanted = "INFN" if "1per" in tags else "PRTS" if "3per" in tags else None
            for follower in words[i + 1 : i + 3]:
                if wanted and follower.lemma in verbs and follower.pos == wanted:
                    found.append((token, follower, f"быть<futr> + {wanted} from promise verbs"))
                    break
    return found


def promise_without_deadline(ctx: TextContext, rule_id: str, params: dict[str, Any]) -> Iterator[Candidate]:
    """A promised action with no concrete time in its sentence or the next one."""
    verbs = frozenset(params["verbs"])
    sentences = ctx.analysis.sentences
    for s_index, words in enumerate(ctx.words):
        promises = find_promises(words, verbs)
        if not promises:
            continue
        window_end = sentences[min(s_index + 1, len(sentences) - 1)].end
        if ctx.has_time(sentences[s_index].start, window_end):
            continue
        first, last, how = promises[0]
        yield Candidate(rule_id, first.start, last.end, s_index, (_step(first, how),))


DETECTORS: dict[str, Detector] = {
    "promise_without_deadline": promise_without_deadline,
}
