"""Building the scorer that the CLI, the service and batch jobs run."""

from __future__ import annotations

from pathlib import Path

from replyscore.model.scorer import Scorer


def load_scorer(
    rules_only: bool = False,
    model_dir: Path | None = None,
    *,
    quantize: bool = True,
    threads: int | None = None,
    per_token: bool = False,
) -> Scorer:
    """Rules only, or rules + the language model from `model_dir` ($REPLYSCORE_MODEL, else the packaged
    default; the base encoder is converted into the cache on first use)."""
    if rules_only:
        return Scorer()
    from replyscore.model.language import ReplyLanguageModel

    model = ReplyLanguageModel.load(model_dir, quantize=quantize, threads=threads, per_token=per_token)
    return Scorer(language_model=model)
