"""The scenario head of a model directory: which template scenario a message or draft belongs to,
fitted on the same (adapted) encoder the model serves with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score

from replyscore.model.encoder import Encoder
from replyscore.model.language import SCENARIO_FILE
from replyscore.model.scenario import EmbeddingHead
from replyscore.model.templates import SCENARIOS, default_library
from replyscore.samples import labelled_replies

SAMPLE_SCENARIO_NAMES = {"refund": "refund_timing"}  # data/samples name -> template scenario
SCENARIO_C = 64.0  # chosen by 5-fold cross-validation among 1..1024 (see the model card)


def scenario_training_data() -> tuple[list[str], list[str]]:
    """Customer-message examples of every template scenario plus the labelled sample drafts."""
    texts: list[str] = []
    labels: list[str] = []
    for name, scenario in default_library().scenarios.items():
        texts.extend(scenario.examples)
        labels.extend([name] * len(scenario.examples))
    for row in labelled_replies():
        label = SAMPLE_SCENARIO_NAMES.get(row["scenario"], row["scenario"])
        if label in SCENARIOS:
            texts.append(row["text"])
            labels.append(label)
    return texts, labels


def fit_scenario_head(encoder: Encoder, out_dir: Path) -> dict[str, Any]:
    texts, labels = scenario_training_data()
    features = encoder.embed(texts)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=13)
    cv = cross_val_score(LogisticRegression(C=SCENARIO_C, max_iter=5000), features, labels, cv=folds)
    head = EmbeddingHead.fit(lambda batch: encoder.embed(list(batch)), texts, labels, c=SCENARIO_C)
    head.save(out_dir / SCENARIO_FILE, encoder.version)
    return {"n": len(texts), "classes": len(set(labels)), "cv5_accuracy": round(float(np.mean(cv)), 4)}
