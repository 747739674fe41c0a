from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from tiny_encoder import build_tiny_encoder


@pytest.fixture(scope="session")
def encoder():
    """The default e5 encoder in fp32, converted once into $REPLYSCORE_CACHE_DIR (or the user cache)."""
    from replyscore.model.encoder import Encoder
    from replyscore.model.encoder_cache import build_default_encoder

    return Encoder.load(build_default_encoder(), quantize=False)


@pytest.fixture(scope="session")
def language_model():
    """The packaged default tone/vague model over the int8 encoder, as the service runs it."""
    from replyscore.model.language import ReplyLanguageModel

    return ReplyLanguageModel.load()


@pytest.fixture(scope="session")
def model_scorer(language_model):
    from replyscore.model.scorer import Scorer

    return Scorer(language_model=language_model)


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory):
    from replyscore.samples import tone_replies

    return build_tiny_encoder(tmp_path_factory.mktemp("encoder"), [r["text"] for r in tone_replies()[:300]])
