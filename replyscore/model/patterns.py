"""Lemma patterns: a small language for token sequences that survives Russian inflection.

A pattern is a space-separated sequence of elements, matched over the words of one sentence
(punctuation is skipped):

    постараться                 a lemma (case and ё/е do not matter)
    извинение|извинить          any of several lemmas
    =скорее                     a word form as written (folded), not its lemma
    отменить<impr|2per>         a lemma whose grammemes include impr, or 2per
    <VERB,1per,futr>            any word with all these grammemes (POS counts as a grammeme)
    <VERB,!past>                ... and without past
    свой?                       an optional element
    *                           any one word
    *0-3                        a gap of 0 to 3 words
    =лучше > позвонить          context: what stands before ">" must match but is no part of the match
    позвонить < =можно          ... and what stands after "<"
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace

from replyscore.model.text import Token, fold


class PatternError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Element:
    source: str
    lemmas: frozenset[str] | None = None
    forms: frozenset[str] | None = None
    # Alternatives of (required grammemes, forbidden grammemes); any alternative may hold.
    grammemes: tuple[tuple[frozenset[str], frozenset[str]], ...] = ()
    optional: bool = False
    gap: tuple[int, int] | None = None
    context: bool = False  # before ">" or after "<"

    def accepts(self, token: Token) -> bool:
        if self.lemmas is not None and token.lemma not in self.lemmas:
            return False
        if self.forms is not None and token.key not in self.forms:
            return False
        if self.grammemes:
            tags = token.grammemes | {token.pos}
            return any(need <= tags and not (avoid & tags) for need, avoid in self.grammemes)
        return True


_GAP = re.compile(r"^\*(?:(\d+)-(\d+))?$")
_ELEMENT = re.compile(r"^(=?)([^<>?]*)(?:<([^<>]+)>)?(\?)?$")


def _parse_grammemes(spec: str) -> tuple[tuple[frozenset[str], frozenset[str]], ...]:
    alternatives = []
    for alternative in spec.split("|"):
        names = [g.strip() for g in alternative.split(",") if g.strip()]
        need = frozenset(n for n in names if not n.startswith("!"))
        avoid = frozenset(n[1:] for n in names if n.startswith("!"))
        alternatives.append((need, avoid))
    return tuple(alternatives)


def parse_element(source: str) -> Element:
    gap = _GAP.match(source)
    if gap:
        low, high = (int(gap.group(1)), int(gap.group(2))) if gap.group(1) else (1, 1)
        if low > high:
            raise PatternError(f"gap {source!r}: minimum exceeds maximum")
        return Element(source, gap=(low, high))
    m = _ELEMENT.match(source)
    if not m or not (m.group(2) or m.group(3)):
        raise PatternError(f"cannot read pattern element {source!r}")
    words = frozenset(fold(w) for w in m.group(2).split("|") if w) or None
    is_form = m.group(1) == "="
    return Element(
        source,
        lemmas=None if is_form else words,
        forms=words if is_form else None,
        grammemes=_parse_grammemes(m.group(3)) if m.group(3) else (),
        optional=bool(m.group(4)),
    )


@dataclass(frozen=True, slots=True)
class Pattern:
    source: str
    elements: tuple[Element, ...]
    # Lemma or form sets of the required words after the first: a sentence lacking any one of them
    # cannot match, which is cheaper to test than matching.
    needs: tuple[frozenset[str], ...] = ()

    @classmethod
    def parse(cls, source: str) -> Pattern:
        parts = source.split()
        cut = parts.index(">") if ">" in parts else -1
        tail = parts.index("<") if "<" in parts else len(parts)
        before = tuple(replace(parse_element(part), context=True) for part in parts[: max(cut, 0)])
        span = tuple(parse_element(part) for part in parts[cut + 1 : tail])
        after = tuple(replace(parse_element(part), context=True) for part in parts[tail + 1 :])
        elements = before + span + after
        if not elements:
            raise PatternError("empty pattern")
        if elements[0].gap or elements[0].optional or elements[-1].gap:
            raise PatternError(f"pattern {source!r} must start and end with a required word")
        if cut >= 0 and not (before and span and not span[0].gap and not span[0].optional):
            raise PatternError(f"pattern {source!r}: '>' must stand between words, before a required one")
        if tail < len(parts) and not (after and span and not span[-1].gap):
            raise PatternError(f"pattern {source!r}: '<' must stand between words, after no gap")
        needs = tuple(words for e in elements[1:] if not e.optional and (words := e.lemmas or e.forms))
        return cls(source, elements, needs)

    def may_match(self, present: AbstractSet[str]) -> bool:
        """False when a sentence whose lemmas and forms are `present` cannot match."""
        return all(not need.isdisjoint(present) for need in self.needs)

    @property
    def anchor_keys(self) -> frozenset[str] | None:
        """Lemmas or forms the first word must have, for indexing; None when any word may start it."""
        first = self.elements[0]
        return first.lemmas or first.forms

    def match_at(self, words: Sequence[Token], start: int) -> list[tuple[Token, Element]] | None:
        """Match at words[start]; return the (token, element) pairs consumed past the context, or None."""
        trail = self._match(words, start, 0, [])
        return None if trail is None else [pair for pair in trail if not pair[1].context]

    def _match(
        self, words: Sequence[Token], pos: int, elem: int, trail: list[tuple[Token, Element]]
    ) -> list[tuple[Token, Element]] | None:
        if elem == len(self.elements):
            return trail
        element = self.elements[elem]
        if element.gap:
            low, high = element.gap
            for skip in range(low, high + 1):
                if pos + skip > len(words):
                    break
                found = self._match(words, pos + skip, elem + 1, trail)
                if found is not None:
                    return found
            return None
        if pos < len(words) and element.accepts(words[pos]):
            found = self._match(words, pos + 1, elem + 1, [*trail, (words[pos], element)])
            if found is not None:
                return found
        if element.optional:
            return self._match(words, pos, elem + 1, trail)
        return None
