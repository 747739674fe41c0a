"""The template library: reply templates per scenario, as data files under `model/templates/`.

One YAML file per scenario: its detection cues and labelled customer messages (see scenario.py), its
`next_step` (what we will do and by when: it replaces a refusal or a vague sentence in local fixes),
and its templates. A template has an id, a version, a status (draft | approved: only approved ones
are suggested), optional conditions on the order (`when: {status: [...], fulfilment: [...]}`) and a
text with `{slot}`s. A part in square brackets is optional: it is left out when a slot inside it has
no value ("Здравствуйте[, {customer_name}]."); a slot outside brackets is required, and a template
missing one is not used, so a variant that does not need it is chosen instead.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

TEMPLATES_DIR = Path(__file__).with_name("templates")
STATUSES = ("draft", "approved")
SCENARIOS: tuple[str, ...] = (
    "where_is_order",
    "delivery_delay",
    "return_policy",
    "return_approved",
    "refund_timing",
    "damaged_item",
    "wrong_item",
    "counterfeit_complaint",
    "cancellation",
    "product_question",
    "other",
)
SLOTS: dict[str, str] = {
    "customer_name": "имя покупателя",
    "order_id": "номер заказа",
    "deadline": "срок ответа после «до»: «18:00 МСК сегодня»",
    "eta": "ожидаемая дата доставки: «2 декабря (ср)»",
    "track": "трек-номер отправления",
    "ship_by": "срок передачи в доставку после «до» (24 часа): «14:00 МСК завтра»",
    "pickup_until": "последний день хранения в пункте выдачи: «5 декабря (сб)»",
    "refund_by": "дата, до которой поступят деньги: «4 декабря (пт)»",
    "return_period": "срок для возврата: «7 дней»",
    "reply_within": "время ответа после «в течение»: «2 часов», «15 минут»",
}
CONDITIONS: dict[str, tuple[str, ...]] = {
    "status": ("packed", "shipped", "in_transit", "at_pickup_point", "delivered", "delayed"),
    "fulfilment": ("FBO", "FBS", "rFBS"),
}
_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")
_SPACES = re.compile(r"[ \t]{2,}")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?)])")


class TemplateError(ValueError):
    pass


def slot_names(text: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as exc:
        raise TemplateError(f"bad slot syntax: {exc}") from exc


def _filled(value: object) -> bool:
    return value is not None and str(value).strip() != ""


def render_text(text: str, slots: Mapping[str, object]) -> str | None:
    """The text with slots filled and optional parts without values left out; None when a required
    slot has no value."""
    values = {k: str(v).strip() for k, v in slots.items() if _filled(v)}
    if not set(slot_names(_OPTIONAL.sub("", text))) <= values.keys():
        return None

    def optional(m: re.Match[str]) -> str:
        return m.group(1) if set(slot_names(m.group(1))) <= values.keys() else ""

    filled = _OPTIONAL.sub(optional, text).format_map(values)
    return _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACES.sub(" ", filled)).strip()


@dataclass(frozen=True)
class Template:
    id: str
    scenario: str
    version: int
    status: str
    text: str
    when: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def approved(self) -> bool:
        return self.status == "approved"

    @property
    def required_slots(self) -> frozenset[str]:
        return frozenset(slot_names(_OPTIONAL.sub("", self.text)))

    @property
    def slots(self) -> frozenset[str]:
        return frozenset(slot_names(self.text.replace("[", "").replace("]", "")))

    def applies(self, facts: Mapping[str, str | None]) -> bool:
        """Every condition holds: the order's status and fulfilment scheme are among the listed ones."""
        return all(facts.get(key) in allowed for key, allowed in self.when.items())

    def render(self, slots: Mapping[str, object]) -> str | None:
        return render_text(self.text, slots)


@dataclass(frozen=True)
class ScenarioSpec:
    id: str
    title: str
    cues: tuple[str, ...]
    examples: tuple[str, ...]  # customer messages of this scenario: detection tests and head training
    next_step: str  # what we will do and by when: replaces a refusal or a vague sentence
    templates: tuple[Template, ...]


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise TemplateError(f"{where}: expected a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _check_text(text: str, where: str) -> None:
    if text.count("[") != text.count("]") or _OPTIONAL.sub("", text).count("[") or "[[" in text:
        raise TemplateError(f"{where}: unbalanced or nested [optional] parts")
    unknown = set(slot_names(text)) - SLOTS.keys()
    if unknown:
        raise TemplateError(f"{where}: unknown slot(s) {', '.join(sorted(unknown))}")


def _parse_template(raw: Any, scenario: str, where: str) -> Template:
    if not isinstance(raw, dict):
        raise TemplateError(f"{where}: a template must be a mapping")
    missing = {"id", "version", "status", "text"} - raw.keys()
    if missing:
        raise TemplateError(f"{where}: missing {', '.join(sorted(missing))}")
    tid, text = str(raw["id"]), raw["text"]
    where = f"{where} {tid}"
    if not tid.startswith(f"{scenario}."):
        raise TemplateError(f"{where}: template ids start with the scenario id and a dot")
    if raw["status"] not in STATUSES:
        raise TemplateError(f"{where}: status must be one of {', '.join(STATUSES)}")
    if not isinstance(raw["version"], int) or raw["version"] < 1:
        raise TemplateError(f"{where}: version must be a positive integer")
    if not isinstance(text, str) or not text.strip():
        raise TemplateError(f"{where}: empty text")
    _check_text(text, where)
    when: dict[str, frozenset[str]] = {}
    for key, values in (raw.get("when") or {}).items():
        if key not in CONDITIONS:
            raise TemplateError(f"{where}: unknown condition {key!r}")
        allowed = frozenset(_strings(values, f"{where} when.{key}"))
        if not allowed <= set(CONDITIONS[key]):
            raise TemplateError(f"{where}: when.{key} must be among {', '.join(CONDITIONS[key])}")
        when[key] = allowed
    return Template(tid, scenario, raw["version"], raw["status"], " ".join(text.split()), when)


def parse_scenario_file(path: Path) -> ScenarioSpec:
    where = path.name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise TemplateError(f"{where}: invalid YAML: {exc}") from exc
    if not isinstance(raw, dict) or raw.get("scenario") not in SCENARIOS:
        raise TemplateError(f"{where}: expected a mapping with 'scenario' among {', '.join(SCENARIOS)}")
    sid = raw["scenario"]
    next_step = str(raw.get("next_step") or "").strip()
    if not next_step:
        raise TemplateError(f"{where}: missing next_step")
    _check_text(next_step, f"{where} next_step")
    templates = tuple(
        _parse_template(t, sid, f"{where} templates[{i}]") for i, t in enumerate(raw.get("templates") or [])
    )
    cues = _strings(raw.get("cues") or [], f"{where} cues") if sid != "other" else ()
    return ScenarioSpec(
        sid,
        str(raw.get("title", sid)),
        cues,
        _strings(raw.get("examples"), f"{where} examples"),
        " ".join(next_step.split()),
        templates,
    )


@dataclass(frozen=True)
class TemplateLibrary:
    scenarios: dict[str, ScenarioSpec]

    @classmethod
    def load(cls, directory: Path = TEMPLATES_DIR) -> TemplateLibrary:
        specs = [parse_scenario_file(p) for p in sorted(directory.glob("*.yaml"))]
        by_id: dict[str, ScenarioSpec] = {}
        for spec in specs:
            if spec.id in by_id:
                raise TemplateError(f"scenario {spec.id} is defined twice")
            by_id[spec.id] = spec
        missing = set(SCENARIOS) - by_id.keys()
        if missing:
            raise TemplateError(f"no template file for scenario(s) {', '.join(sorted(missing))}")
        seen: set[str] = set()
        for template in (t for s in specs for t in s.templates):
            if template.id in seen:
                raise TemplateError(f"template id {template.id} is used twice")
            seen.add(template.id)
        return cls({sid: by_id[sid] for sid in SCENARIOS})

    @property
    def templates(self) -> list[Template]:
        return [t for spec in self.scenarios.values() for t in spec.templates]

    def get(self, template_id: str) -> Template:
        for template in self.templates:
            if template.id == template_id:
                return template
        raise KeyError(template_id)

    def candidates(
        self, scenario: str, facts: Mapping[str, str | None], approved_only: bool = True
    ) -> list[Template]:
        """Templates of a scenario that apply to the order, the most specific first, then file order."""
        found = [
            t
            for t in self.scenarios[scenario].templates
            if (t.approved or not approved_only) and t.applies(facts)
        ]
        return sorted(found, key=lambda t: -len(t.when))

    def render_best(
        self, scenario: str, facts: Mapping[str, str | None], slots: Mapping[str, object]
    ) -> Iterable[tuple[Template, str]]:
        """Rendered candidates in order of preference (ones missing a required slot are skipped)."""
        for template in self.candidates(scenario, facts):
            text = template.render(slots)
            if text is not None:
                yield template, text


_DEFAULT_LIBRARY: TemplateLibrary | None = None


def default_library() -> TemplateLibrary:
    global _DEFAULT_LIBRARY
    if _DEFAULT_LIBRARY is None:
        _DEFAULT_LIBRARY = TemplateLibrary.load()
    return _DEFAULT_LIBRARY
