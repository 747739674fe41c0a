"""`replyscore model build` as a user runs it: the encoder and the served int8 ONNX file in the cache."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from replyscore.model.encoder import Encoder
from replyscore.model.encoder_cache import build_default_encoder, cache_root
from replyscore.model.language import DEFAULT_MODEL_DIR

EXE = Path(sys.executable).with_name("replyscore")


def test_build_prepares_the_served_model() -> None:
    done = subprocess.run(
        [str(EXE), "model", "build"],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert Path(lines[0]) == build_default_encoder()  # the converted encoder folder
    assert lines[-1].endswith("encoder runtime onnx-int8")
    assert any((cache_root() / "onnx").glob("encoder-*.onnx"))

    served = Encoder.load(adapter=DEFAULT_MODEL_DIR / "adapter", quantize=True)
    assert served.runtime == "onnx-int8" and served.model is None  # straight from the cache
