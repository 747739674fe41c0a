"""The FastAPI application: `create_app(settings)`; `replyscore serve` runs it under uvicorn."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from replyscore.serving import SERVICE_VERSION, api_admin, api_lt, api_ops, api_v1, errors, web
from replyscore.serving.inflight import InFlightMiddleware
from replyscore.serving.limits import BodyLimitMiddleware
from replyscore.serving.metrics import MetricsMiddleware
from replyscore.serving.openapi import with_limits
from replyscore.serving.service import Service
from replyscore.serving.settings import Settings
from replyscore.serving.state import ScorerFactory, load_scorer

log = logging.getLogger("replyscore.serving")

DESCRIPTION = """Checks a marketplace seller's draft reply to a customer: chat-policy violations, vague
promises, promises without a deadline, apologies, negations, style; tone and CSS (replyscore's own
1-5 customer-sentiment estimate, not an Ozon metric).

`/v1` is replyscore's API (offsets in Python code points). `/v2/check` and `/v2/languages` answer as
LanguageTool's HTTP API does (offsets in UTF-16 code units), for LanguageTool clients. `/` is a
reply-checker page for support agents."""


def _reload_on_sighup(service: Service) -> bool:
    """SIGHUP reloads the current model directory from disk, like POST /v1/admin/reload."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGHUP"):
        return False  # tests serve in a thread: signals belong to the main one
    loop = asyncio.get_running_loop()
    running: set[asyncio.Task[None]] = set()

    def reload() -> None:
        async def run() -> None:
            try:
                result = await api_admin.reload_model(service)
                log.info("SIGHUP: model %s", result["model_version"])
            except Exception as exc:
                log.error("SIGHUP: reload failed, the previous model keeps serving: %s", exc)

        task = loop.create_task(run())
        running.add(task)
        task.add_done_callback(running.discard)

    loop.add_signal_handler(signal.SIGHUP, reload)
    return True


def create_app(settings: Settings | None = None, scorer_factory: ScorerFactory = load_scorer) -> FastAPI:
    settings = settings or Settings()
    logging.getLogger("replyscore").setLevel(settings.log_level.upper())
    service = Service(settings, scorer_factory)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        hangup = _reload_on_sighup(service)
        yield
        if hangup:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        await service.stop()

    app = FastAPI(title="replyscore", version=SERVICE_VERSION, description=DESCRIPTION, lifespan=lifespan)
    app.state.service = service
    for module in (api_v1, api_lt, api_ops, api_admin):
        app.include_router(module.router(settings))
    web.install(app)  # the reply-checker page at /
    errors.install(app, service.metrics)
    app.add_middleware(InFlightMiddleware, counter=service.in_flight)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes, metrics=service.metrics)
    app.add_middleware(MetricsMiddleware, metrics=service.metrics)  # outermost: sees every answer
    app.openapi = with_limits(app, settings)  # type: ignore[method-assign]
    return app


def run(settings: Settings | None = None) -> None:
    """Serve under uvicorn until interrupted (`replyscore serve`, `python -c` in benchmarks)."""
    import uvicorn

    settings = settings or Settings()
    # replyscore's own messages (model loading, the first encoder conversion, reloads) beside uvicorn's
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s:     %(name)s: %(message)s")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=settings.log_level)
