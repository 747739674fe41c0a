"""Rule files: loading, validation and per-call selection.

Each YAML file under `model/rules/` is a list of rules. A rule finds spans by lemma `patterns`, by
`regex` (where the shape of the text matters) or by a named `detector` (a small function in
`detectors.py`), drops candidates hit by its `exceptions`, and carries its own message, replacements
and positive/negative examples. `requires` lists strings one of which the folded text must contain
for the rule's regexes to run at all: a cheap pre-check ("@" for e-mail addresses).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from replyscore.model.categories import CATEGORIES
from replyscore.model.patterns import Pattern, PatternError
from replyscore.model.text import fold

RULES_DIR = Path(__file__).with_name("rules")
SEVERITIES = ("error", "warning", "info")
EXCEPTION_SCOPES = ("overlap", "sentence", "before", "after")
MIN_EXAMPLES = 3


class RuleFileError(ValueError):
    pass


class UnknownRuleError(ValueError):
    """A rule or category id that the rulebook does not know."""

    def __init__(self, kind: str, ids: Iterable[str]) -> None:
        self.kind = kind
        self.ids = sorted(ids)
        super().__init__(f"unknown {kind} id(s): {', '.join(self.ids)}")


@dataclass(frozen=True, slots=True)
class Exclusion:
    scope: str = "overlap"
    window: int = 40
    pattern: Pattern | None = None
    regex: re.Pattern[str] | None = None
    matched: frozenset[str] = frozenset()
    sentence_has_time: bool = False


@dataclass(frozen=True, slots=True)
class Repeat:
    after: int
    severity: str
    message: str


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    category: str
    severity: str
    description: str
    message: str
    patterns: tuple[Pattern, ...] = ()
    regexes: tuple[re.Pattern[str], ...] = ()
    requires: tuple[str, ...] = ()
    detector: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    exceptions: tuple[Exclusion, ...] = ()
    replacements: tuple[str, ...] = ()
    repeat: Repeat | None = None
    positive_examples: tuple[str, ...] = ()
    negative_examples: tuple[str, ...] = ()
    source_file: str = ""

    def public(self) -> dict[str, str]:
        return {
            "id": self.id,
            "category": self.category,
            "severity": self.severity,
            "description": self.description,
        }


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _compile_regex(source: str, case_sensitive: bool, where: str) -> re.Pattern[str]:
    try:
        return re.compile(source, 0 if case_sensitive else re.IGNORECASE)
    except re.error as exc:
        raise RuleFileError(f"{where}: bad regex {source!r}: {exc}") from exc


def _parse_exception(raw: dict[str, Any], case_sensitive: bool, where: str) -> Exclusion:
    if not isinstance(raw, dict):
        raise RuleFileError(f"{where}: each exception must be a mapping")
    unknown = set(raw) - {"scope", "window", "pattern", "regex", "matched", "sentence_has"}
    if unknown:
        raise RuleFileError(f"{where}: unknown exception keys {sorted(unknown)}")
    scope = raw.get("scope", "overlap")
    if scope not in EXCEPTION_SCOPES:
        raise RuleFileError(f"{where}: exception scope must be one of {EXCEPTION_SCOPES}")
    if raw.get("sentence_has") not in (None, "time"):
        raise RuleFileError(f"{where}: sentence_has supports only 'time'")
    exc = Exclusion(
        scope=scope,
        window=int(raw.get("window", 40)),
        pattern=Pattern.parse(raw["pattern"]) if "pattern" in raw else None,
        regex=_compile_regex(raw["regex"], case_sensitive, where) if "regex" in raw else None,
        matched=frozenset(fold(w) for w in _as_list(raw.get("matched"))),
        sentence_has_time=raw.get("sentence_has") == "time",
    )
    if not (exc.pattern or exc.regex or exc.matched or exc.sentence_has_time):
        raise RuleFileError(f"{where}: exception needs pattern, regex, matched or sentence_has")
    return exc


_RULE_KEYS = {
    "id",
    "category",
    "severity",
    "description",
    "message",
    "pattern",
    "regex",
    "case_sensitive",
    "detector",
    "params",
    "exceptions",
    "replacements",
    "repeat",
    "examples",
    "requires",
}


def parse_rule(raw: dict[str, Any], source_file: str, detectors: Iterable[str]) -> Rule:
    rule_id = raw.get("id") if isinstance(raw, dict) else None
    where = f"{source_file}: rule {rule_id or '?'}"
    if (
        not isinstance(raw, dict)
        or not isinstance(rule_id, str)
        or not re.fullmatch(r"[A-Z][A-Z0-9_]+", rule_id)
    ):
        raise RuleFileError(f"{where}: a rule needs an upper-case id")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise RuleFileError(f"{where}: unknown keys {sorted(unknown)}")
    for key in ("category", "severity", "description", "message"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise RuleFileError(f"{where}: '{key}' is required")
    if raw["category"] not in CATEGORIES:
        raise RuleFileError(f"{where}: category {raw['category']!r} is not one of {CATEGORIES}")
    if raw["severity"] not in SEVERITIES:
        raise RuleFileError(f"{where}: severity must be one of {SEVERITIES}")
    case_sensitive = bool(raw.get("case_sensitive", False))
    try:
        patterns = tuple(Pattern.parse(p) for p in _as_list(raw.get("pattern")))
        exceptions = tuple(
            _parse_exception(e, case_sensitive, where) for e in _as_list(raw.get("exceptions"))
        )
    except PatternError as exc:
        raise RuleFileError(f"{where}: {exc}") from exc
    regexes = tuple(_compile_regex(r, case_sensitive, where) for r in _as_list(raw.get("regex")))
    detector = raw.get("detector")
    if detector is not None and detector not in detectors:
        raise RuleFileError(f"{where}: unknown detector {detector!r}")
    if (detector and (patterns or regexes)) or not (patterns or regexes or detector):
        raise RuleFileError(f"{where}: give pattern and/or regex, or a detector alone")
    requires = tuple(fold(s) for s in _as_list(raw.get("requires")) if isinstance(s, str) and s)
    if len(requires) != len(_as_list(raw.get("requires"))) or (requires and not regexes):
        raise RuleFileError(f"{where}: requires is a list of non-empty strings, for a rule with regex")
    repeat = None
    if raw.get("repeat") is not None:
        rep = raw["repeat"]
        if not isinstance(rep, dict) or rep.get("severity") not in SEVERITIES or not rep.get("message"):
            raise RuleFileError(f"{where}: repeat needs after, severity and message")
        repeat = Repeat(int(rep.get("after", 1)), rep["severity"], rep["message"])
    examples = raw.get("examples") or {}
    positive = tuple(_as_list(examples.get("positive")))
    negative = tuple(_as_list(examples.get("negative")))
    if not all(isinstance(e, str) and e.strip() for e in positive + negative):
        raise RuleFileError(f"{where}: examples must be non-empty strings")
    if len(positive) < MIN_EXAMPLES or len(negative) < MIN_EXAMPLES:
        raise RuleFileError(
            f"{where}: needs at least {MIN_EXAMPLES} positive and {MIN_EXAMPLES} negative examples"
        )
    return Rule(
        id=rule_id,
        category=raw["category"],
        severity=raw["severity"],
        description=raw["description"].strip(),
        message=raw["message"].strip(),
        patterns=patterns,
        regexes=regexes,
        requires=requires,
        detector=detector,
        params=dict(raw.get("params") or {}),
        exceptions=exceptions,
        replacements=tuple(_as_list(raw.get("replacements"))),
        repeat=repeat,
        positive_examples=positive,
        negative_examples=negative,
        source_file=source_file,
    )


@dataclass(frozen=True, slots=True)
class RuleSelection:
    """Which rules run for one call. Empty selection = every rule."""

    enabled: frozenset[str] = frozenset()
    disabled: frozenset[str] = frozenset()
    enabled_categories: frozenset[str] = frozenset()
    disabled_categories: frozenset[str] = frozenset()
    enabled_only: bool = False

    @classmethod
    def of(
        cls,
        enabled: Iterable[str] = (),
        disabled: Iterable[str] = (),
        enabled_categories: Iterable[str] = (),
        disabled_categories: Iterable[str] = (),
        enabled_only: bool = False,
    ) -> RuleSelection:
        return cls(
            frozenset(enabled),
            frozenset(disabled),
            frozenset(enabled_categories),
            frozenset(disabled_categories),
            enabled_only,
        )


class Rulebook:
    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.by_id: dict[str, Rule] = {}
        for rule in self.rules:
            if rule.id in self.by_id:
                raise RuleFileError(f"duplicate rule id {rule.id} in {rule.source_file}")
            self.by_id[rule.id] = rule

    @classmethod
    def load(cls, directory: Path = RULES_DIR, detectors: Iterable[str] = ()) -> Rulebook:
        names = tuple(detectors)
        rules: list[Rule] = []
        for path in sorted(directory.glob("*.yaml")):
            with path.open(encoding="utf-8") as fh:
                try:
                    entries = yaml.safe_load(fh) or []
                except yaml.YAMLError as exc:
                    raise RuleFileError(f"{path.name}: {exc}") from exc
            if not isinstance(entries, list):
                raise RuleFileError(f"{path.name}: expected a list of rules")
            rules.extend(parse_rule(entry, path.name, names) for entry in entries)
        return cls(rules)

    def select(self, selection: RuleSelection) -> tuple[Rule, ...]:
        """Rules active for a selection; unknown ids raise UnknownRuleError naming them."""
        unknown_rules = (selection.enabled | selection.disabled) - self.by_id.keys()
        if unknown_rules:
            raise UnknownRuleError("rule", unknown_rules)
        unknown_categories = (selection.enabled_categories | selection.disabled_categories) - set(CATEGORIES)
        if unknown_categories:
            raise UnknownRuleError("category", unknown_categories)
        if selection.enabled_only:
            active = [
                r
                for r in self.rules
                if r.id in selection.enabled or r.category in selection.enabled_categories
            ]
        else:
            active = list(self.rules)
        return tuple(
            r
            for r in active
            if r.id not in selection.disabled
            and (r.category not in selection.disabled_categories or r.id in selection.enabled)
        )
