"""The scenario comparison script: cue model, embedding head and their mean on the scenario data."""

from __future__ import annotations

import re

import pytest

from replyscore.eval import scenario_quality


def test_mean_of_cues_and_head_beats_the_head(capsys: pytest.CaptureFixture[str]) -> None:
    assert scenario_quality.main(["--folds", "3"]) == 0
    out = capsys.readouterr().out
    found = dict(re.findall(r"^(cue model|embedding head|mean of both).*accuracy (\d\.\d+)$", out, re.M))
    assert set(found) == {"cue model", "embedding head", "mean of both"}
    assert float(found["mean of both"]) > float(found["embedding head"]) > 0.3
