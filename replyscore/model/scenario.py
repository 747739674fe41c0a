"""Scenario detection: which case a reply answers, from the customer's message when given, else the draft.

Any `ScenarioModel` gives probabilities over the scenarios. Two exist:
- `CueModel`, the fallback: lemma cues from the template files ("где заказ", "не тот товар"); a cue
  holds when all its lemmas occur in the text, and weighs as many as it has words.
- `EmbeddingHead`: logistic regression over sentence embeddings; give it the encoder's `embed`
  function (texts -> array [n, dim]) and weights saved by `EmbeddingHead.save`.
Below `threshold` the guess is marked not confident and the top scenarios are offered.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from replyscore.model.templates import SCENARIOS, TemplateLibrary, default_library
from replyscore.model.text import analyze

DEFAULT_THRESHOLD = 0.5
FALLBACK = "other"
Embed = Callable[[list[str]], np.ndarray]
# The packaged model's head, fitted on its own (adapted) encoder; see tone-default/MODEL_CARD.md.
HEAD_FILE = Path(__file__).with_name("artifacts") / "tone-default" / "scenario_head.npz"


class ScenarioModel(Protocol):
    name: str

    def probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]: ...


def _lemmas(text: str) -> frozenset[str]:
    return frozenset(t.lemma for t in analyze(text).tokens if t.is_word)


def _softmax(scores: dict[str, float]) -> dict[str, float]:
    top = max(scores.values())
    exp = {k: math.exp(v - top) for k, v in scores.items()}
    total = sum(exp.values())
    return {k: v / total for k, v in exp.items()}


class CueModel:
    """Keyword/lemma fallback. Scores: the weight of the cues met; `other` gets a fixed prior score."""

    name = "cues"

    def __init__(
        self, library: TemplateLibrary | None = None, sharpness: float = 3.0, other_prior: float = 0.5
    ) -> None:
        library = library or default_library()
        self.cues: dict[str, list[frozenset[str]]] = {
            sid: list(dict.fromkeys(_lemmas(cue) for cue in spec.cues))
            for sid, spec in library.scenarios.items()
        }
        self.sharpness = sharpness
        self.other_prior = other_prior

    def scores(self, text: str) -> dict[str, float]:
        lemmas = _lemmas(text)
        scores = {
            sid: float(sum(len(cue) for cue in cues if cue <= lemmas)) for sid, cues in self.cues.items()
        }
        scores[FALLBACK] = self.other_prior
        return scores

    def probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]:
        return [_softmax({k: self.sharpness * v for k, v in self.scores(t).items()}) for t in texts]


class EmbeddingHead:
    """Softmax regression over the encoder's sentence embeddings (the plug for the language model)."""

    name = "embedding-head"

    def __init__(self, embed: Embed, weights: np.ndarray, bias: np.ndarray, labels: Sequence[str]) -> None:
        if weights.shape[0] != len(labels) or bias.shape != (len(labels),):
            raise ValueError("weights, bias and labels disagree in size")
        unknown = set(labels) - set(SCENARIOS)
        if unknown:
            raise ValueError(f"unknown scenario label(s): {', '.join(sorted(unknown))}")
        self.embed = embed
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.labels = tuple(labels)

    @classmethod
    def fit(cls, embed: Embed, texts: Sequence[str], labels: Sequence[str], c: float = 4.0) -> EmbeddingHead:
        """Multinomial logistic regression on the embeddings of labelled texts (three scenarios or more)."""
        from sklearn.linear_model import LogisticRegression  # only training needs scikit-learn

        if len(set(labels)) < 3:
            raise ValueError("a head needs examples of at least three scenarios")
        model = LogisticRegression(C=c, max_iter=5000).fit(np.asarray(embed(list(texts))), list(labels))
        return cls(embed, model.coef_, model.intercept_, [str(x) for x in model.classes_])

    @classmethod
    def load(cls, path: Path, embed: Embed, encoder_version: str | None = None) -> EmbeddingHead:
        """Weights saved by `save`; with `encoder_version`, refuse a head trained on another encoder."""
        with np.load(path, allow_pickle=False) as data:
            trained_on = str(data["encoder_version"]) if "encoder_version" in data else None
            if encoder_version is not None and trained_on not in (None, encoder_version):
                raise ValueError(f"{path} was trained on encoder {trained_on}, not {encoder_version}")
            return cls(embed, data["weights"], data["bias"], [str(x) for x in data["labels"]])

    def save(self, path: Path, encoder_version: str = "") -> None:
        np.savez_compressed(
            path,
            weights=self.weights,
            bias=self.bias,
            labels=np.array(self.labels),
            encoder_version=np.array(encoder_version),
        )

    def probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]:
        logits = np.asarray(self.embed(list(texts)), dtype=np.float32) @ self.weights.T + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        return [{label: float(p) for label, p in zip(self.labels, row, strict=True)} for row in probs]


class ScenarioEnsemble:
    """The mean of several models' probabilities: the cue model and the embedding head err on different
    messages (5-fold on the scenario training data: head 0.57, mean of both 0.74)."""

    def __init__(self, models: Sequence[ScenarioModel]) -> None:
        self.models = tuple(models)
        self.name = "+".join(m.name for m in self.models)

    def probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]:
        rows = zip(*(m.probabilities(texts) for m in self.models), strict=True)
        return [
            {s: sum(p.get(s, 0.0) for p in probs) / len(probs) for s in {k for p in probs for k in p}}
            for probs in rows
        ]


@dataclass(frozen=True)
class ScenarioGuess:
    scenario: str
    confidence: float
    confident: bool  # confidence >= threshold; when not, offer `top`
    source: str  # "customer_message" or "draft"
    model: str
    top: tuple[tuple[str, float], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.scenario,
            "confidence": round(self.confidence, 3),
            "confident": self.confident,
            "source": self.source,
            "model": self.model,
            "top": [{"id": s, "confidence": round(p, 3)} for s, p in self.top],
        }


_DEFAULT_MODEL: ScenarioModel | None = None


def default_model() -> ScenarioModel:
    global _DEFAULT_MODEL
    if _DEFAULT_MODEL is None:
        _DEFAULT_MODEL = CueModel()
    return _DEFAULT_MODEL


def detect_scenario(
    draft: str,
    customer_message: str | None = None,
    model: ScenarioModel | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    top_k: int = 3,
) -> ScenarioGuess:
    """The scenario of the customer's message when one is given, else of the draft."""
    use_customer = bool(customer_message and customer_message.strip())
    text = customer_message if use_customer and customer_message else draft
    model = model or default_model()
    probs = model.probabilities([text])[0]
    ranked = sorted(probs.items(), key=lambda kv: -kv[1])
    best, confidence = ranked[0]
    return ScenarioGuess(
        best,
        confidence,
        confidence >= threshold,
        "customer_message" if use_customer else "draft",
        model.name,
        tuple(ranked[:top_k]),
    )
