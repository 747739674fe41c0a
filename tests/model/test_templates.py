"""The template library: loading and validation, slot filling, the grid check, scenario detection."""

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from replyscore.cli import main
from replyscore.model.checker import Checker
from replyscore.model.library_check import GRID_TIMES, check_library, context_grid
from replyscore.model.scenario import HEAD_FILE, CueModel, EmbeddingHead, detect_scenario
from replyscore.model.templates import (
    SCENARIOS,
    TEMPLATES_DIR,
    TemplateError,
    TemplateLibrary,
    default_library,
)

LIBRARY = default_library()
CHECKER = Checker()


def test_library_covers_every_scenario_with_approved_templates() -> None:
    assert list(LIBRARY.scenarios) == list(SCENARIOS)
    for spec in LIBRARY.scenarios.values():
        assert any(t.approved for t in spec.templates), spec.id
        assert spec.examples
    ids = [t.id for t in LIBRARY.templates]
    assert len(ids) == len(set(ids))


def test_every_approved_template_passes_the_rules_over_the_context_grid() -> None:
    problems = check_library(LIBRARY, CHECKER)
    assert not problems, "\n".join(map(str, problems))


def test_grid_has_the_hard_cases() -> None:
    grid = list(context_grid())
    times = {c["now"][11:16] for c in grid}
    assert {"20:50", "21:05"} <= times
    assert any(t.startswith("2026-12-30") for t in GRID_TIMES) and any(
        t.startswith("2026-03-06") for t in GRID_TIMES
    )
    assert any(c["order_id"] is None for c in grid) and any(c["customer_name"] is None for c in grid)
    assert {c["tier"] for c in grid} == {"standard", "premium"}


def test_optional_parts_and_required_slots() -> None:
    template = LIBRARY.get("where_is_order.in_transit_eta")
    full = template.render(
        {"customer_name": "Марина", "order_id": "FBS-1", "eta": "2 декабря (ср)", "track": "RU1"}
    )
    assert full is not None and full.startswith("Здравствуйте, Марина. Заказ FBS-1 передан")
    assert "RU1" in full
    bare = template.render({"eta": "2 декабря (ср)", "customer_name": "", "order_id": None})
    assert bare is not None and bare.startswith("Здравствуйте. Заказ передан")
    assert "{" not in bare and "[" not in bare and "  " not in bare and " ." not in bare
    assert template.render({"order_id": "FBS-1"}) is None  # eta is required


def test_drafts_are_never_candidates() -> None:
    draft = LIBRARY.get("delivery_delay.compensation")
    assert not draft.approved
    assert draft not in LIBRARY.candidates("delivery_delay", {"status": None, "fulfilment": None})
    assert draft in LIBRARY.candidates("delivery_delay", {}, approved_only=False)


def test_conditions_pick_the_most_specific_template() -> None:
    fbo = LIBRARY.candidates("where_is_order", {"status": "packed", "fulfilment": "FBO"})
    assert fbo[0].id == "where_is_order.packed_ozon_warehouse"
    unknown = LIBRARY.candidates("where_is_order", {"status": None, "fulfilment": None})
    assert [t.id for t in unknown] == ["where_is_order.check"]


def _library_with(tmp_path: Path, name: str, text: str) -> Path:
    shutil.copytree(TEMPLATES_DIR, tmp_path, dirs_exist_ok=True)
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


OTHER = """scenario: other
examples: [Здравствуйте, у меня вопрос.]
next_step: Мы ответим в этом чате до {deadline}.
templates:
  - id: other.check
    version: 1
    status: approved
    text: "%s"
"""


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("Ответим до {deadlin}.", "unknown slot"),
        ("Здравствуйте[, {customer_name}. Ответим до {deadline}.", "unbalanced"),
        ("Ответим до {deadline.", "bad slot syntax"),
    ],
)
def test_invalid_templates_are_rejected(tmp_path: Path, text: str, error: str) -> None:
    directory = _library_with(tmp_path, "other.yaml", OTHER % text)
    with pytest.raises(TemplateError, match=error):
        TemplateLibrary.load(directory)


def test_rule_hits_in_a_template_are_problems(tmp_path: Path) -> None:
    directory = _library_with(tmp_path, "other.yaml", OTHER % "Постараемся ответить в ближайшее время!!!")
    problems = check_library(TemplateLibrary.load(directory), CHECKER, grid=list(context_grid())[:10])
    found = " ".join(p.message for p in problems if p.where == "other.check" and p.severity == "error")
    assert "VAGUE" in found and "PUNCTUATION" in found


def test_cli_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["templates", "validate"]) == 0
    assert "0 error(s)" in capsys.readouterr().out
    small = list(context_grid())[:10]
    monkeypatch.setattr("replyscore.cli.templates.context_grid", lambda: iter(small))
    monkeypatch.setattr("replyscore.model.library_check.context_grid", lambda: iter(small))
    bad = _library_with(
        tmp_path, "other.yaml", OTHER % "Позвоните нам: +7 916 204-33-18. Ответим до {deadline}."
    )
    assert main(["templates", "validate", "--dir", str(bad)]) == 1
    assert "PHONE" in capsys.readouterr().out
    missing = tmp_path / "empty"
    missing.mkdir()
    assert main(["templates", "validate", "--dir", str(missing)]) == 1


def test_scenario_prefers_the_customer_message() -> None:
    guess = detect_scenario("Спасибо за обращение.", "Пришла разбитая тарелка, что делать?")
    assert guess.scenario == "damaged_item" and guess.source == "customer_message" and guess.confident
    from_draft = detect_scenario("Ваш заказ передан в доставку, трек-номер RU123.", None)
    assert from_draft.scenario == "where_is_order" and from_draft.source == "draft"


def test_low_confidence_offers_top_scenarios() -> None:
    guess = detect_scenario("Добрый день.", None)
    assert not guess.confident and len(guess.top) == 3
    assert guess.to_dict()["confident"] is False


def test_embedding_head_plugs_in(tmp_path: Path) -> None:
    labels = ["damaged_item", "other"]

    def embed(texts: object) -> np.ndarray:
        return np.array([[("разбит" in t) * 1.0, 1.0] for t in texts])  # type: ignore[attr-defined]

    head = EmbeddingHead(embed, np.array([[4.0, 0.0], [0.0, 1.0]]), np.zeros(2), labels)
    head.save(tmp_path / "head.npz")
    loaded = EmbeddingHead.load(tmp_path / "head.npz", embed)
    probs = loaded.probabilities(["Кружка разбита", "Привет"])
    assert probs[0]["damaged_item"] > 0.9 and probs[1]["other"] > 0.5
    assert abs(sum(probs[1].values()) - 1) < 1e-6
    assert detect_scenario("", "Кружка разбита", loaded).model == "embedding-head"


def test_cue_model_scores_inflected_forms() -> None:
    model = CueModel()
    assert model.scores("Заказ задерживается уже неделю")["delivery_delay"] > 0
    assert model.scores("Заказ задержали")["delivery_delay"] > 0


def test_shipped_scenario_head_matches_the_scenarios() -> None:
    head = EmbeddingHead.load(HEAD_FILE, lambda texts: np.zeros((len(texts), 384)))
    assert set(head.labels) == set(SCENARIOS) and head.weights.shape == (len(SCENARIOS), 384)
    with pytest.raises(ValueError, match="trained on encoder"):
        EmbeddingHead.load(HEAD_FILE, lambda texts: np.zeros((len(texts), 384)), encoder_version="other")


def test_scenario_head_of_the_language_model(language_model: Any, model_scorer: Any) -> None:
    """Rewrites use the mean of the cue model and the model's head: each errs where the other does not."""
    from replyscore.model.rewrite import suggest
    from replyscore.model.scenario import ScenarioEnsemble, default_model

    head = language_model.scenario_model
    assert head is not None
    both = ScenarioEnsemble((default_model(), head))
    assert both.name == "cues+embedding-head"
    cases = {
        "Когда вернут деньги за возврат?": "refund_timing",
        "Хочу отменить заказ, он мне больше не нужен": "cancellation",
        "Где мой заказ? Уже неделю жду": "where_is_order",
        "Пришёл разбитый чайник, коробка вся мятая": "damaged_item",
    }
    for message, scenario in cases.items():
        assert detect_scenario("", message, both).scenario == scenario, message
    report = model_scorer.score("Здравствуйте! Разберёмся.")
    rewrites = suggest(report, {"customer_message": "Хочу отменить заказ"}, model_scorer)
    scenarios = [s["scenario"] for s in rewrites if s["kind"] == "rewrite"]
    assert scenarios and scenarios[0]["id"] == "cancellation" and scenarios[0]["model"] == both.name
