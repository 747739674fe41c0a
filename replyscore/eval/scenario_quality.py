"""Which template scenario a message belongs to: the cue model, the model's embedding head and their mean.

    python -m replyscore.eval.scenario_quality [--model DIR] [--folds 5]

Data: the templates' customer-message examples and the labelled sample drafts (what the head is
trained on). The head is refitted in each fold on the served (int8) features; the cue model is
hand-written from the same examples, so its figure is in-sample (an upper bound).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold

from replyscore.model.language import ReplyLanguageModel
from replyscore.model.scenario import EmbeddingHead, ScenarioEnsemble, ScenarioModel, default_model
from replyscore.training.scenario import SCENARIO_C, scenario_training_data


class _Fixed:
    """A scenario model's answers looked up for known texts (a fold's held-out part)."""

    def __init__(self, name: str, answers: dict[str, dict[str, float]]) -> None:
        self.name = name
        self._answers = answers

    def probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]:
        return [self._answers[t] for t in texts]


def _accuracy(model: ScenarioModel, texts: list[str], labels: list[str]) -> list[bool]:
    return [max(p, key=p.__getitem__) == y for p, y in zip(model.probabilities(texts), labels, strict=True)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="model directory (default: the packaged one)")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    texts, labels = scenario_training_data()
    encoder = ReplyLanguageModel.load(args.model).encoder
    features = dict(zip(texts, encoder.embed(texts), strict=True))
    cues = default_model()
    hits: dict[str, list[bool]] = {"head": [], "mean": []}
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=0).split(texts, labels)
    for train, test in folds:
        head = EmbeddingHead.fit(
            lambda batch: np.stack([features[t] for t in batch]),
            [texts[i] for i in train],
            [labels[i] for i in train],
            c=SCENARIO_C,
        )
        held = [texts[i] for i in test]
        gold = [labels[i] for i in test]
        fixed = _Fixed(head.name, dict(zip(held, head.probabilities(held), strict=True)))
        hits["head"] += _accuracy(fixed, held, gold)
        hits["mean"] += _accuracy(ScenarioEnsemble((cues, fixed)), held, gold)
    print(f"{len(texts)} texts, {len(set(labels))} scenarios, {args.folds}-fold")
    print(f"cue model (in-sample)     accuracy {np.mean(_accuracy(cues, texts, labels)):.3f}")
    print(f"embedding head            accuracy {np.mean(hits['head']):.3f}")
    print(f"mean of both (served)     accuracy {np.mean(hits['mean']):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
