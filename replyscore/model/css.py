"""CSS: replyscore's explainable 1-5 customer-sentiment estimate from tone and rule signals."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from replyscore.model.categories import POLICY_CATEGORIES
from replyscore.model.report import Match

WEIGHTS_FILE = Path(__file__).with_name("css_weights.yaml")
STYLE_CATEGORIES = frozenset({"CAPS", "PUNCTUATION", "EMOJI"})


@dataclass(frozen=True)
class CssModel:
    version: str
    base: float
    weights: dict[str, float]
    negation_allowance: float

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> CssModel:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(
            str(raw["version"]),
            float(raw["base"]),
            {k: float(v) for k, v in raw["weights"].items()},
            float(raw["negation_allowance"]),
        )

    def features(
        self, signals: dict[str, Any], matches: list[Match], tone: list[dict[str, Any]] | None
    ) -> dict[str, float]:
        probs = {t["label"]: float(t["score"]) for t in tone or []}
        return {
            "tone_positive": probs.get("positive", 0.0),
            "tone_negative": probs.get("negative", 0.0),
            "extra_apology": max(0, signals["apology"]["count"] - 1),
            "negation_density": max(0.0, signals["negation"]["per_100_words"] - self.negation_allowance),
            "vague": signals["vague"]["count"],
            "no_deadline": signals["promises"]["without_deadline"],
            "deadline": 1.0 if signals["time_expressions"]["count"] else 0.0,
            "policy_violation": sum(1 for m in matches if m.category in POLICY_CATEGORIES),
            "style": sum(1 for m in matches if m.category in STYLE_CATEGORIES),
        }

    def score(
        self, signals: dict[str, Any], matches: list[Match], tone: list[dict[str, Any]] | None
    ) -> dict[str, Any]:
        contributions: list[dict[str, Any]] = []
        total = self.base
        for name, value in self.features(signals, matches, tone).items():
            delta = self.weights.get(name, 0.0) * value
            if value:
                contributions.append(
                    {
                        "signal": name,
                        "value": round(value, 4),
                        "weight": self.weights.get(name, 0.0),
                        "delta": round(delta, 3),
                    }
                )
            total += delta
        contributions.sort(key=lambda c: -abs(c["delta"]))
        return {
            "score": round(min(5.0, max(1.0, total)), 2),
            "base": self.base,
            "version": self.version,
            "contributions": contributions,
            "tone_used": tone is not None,
        }
