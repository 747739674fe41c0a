"""Prometheus metrics, one registry per app, and the middleware that counts every request."""

from __future__ import annotations

import time

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    disable_created_metrics,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from replyscore.model.scorer import Scorer

LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.0075,
    0.01,
    0.015,
    0.02,
    0.03,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)

disable_created_metrics()  # no *_created series: they double the output and nobody here reads them


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "replyscore_http_requests",
            "HTTP requests by route, method and status",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "replyscore_http_request_duration_seconds",
            "Time to answer a request",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.errors = Counter(
            "replyscore_errors", "Error answers and per-item errors by kind", ["kind"], registry=r
        )
        self.batch_size = Histogram(
            "replyscore_model_batch_size", "Texts per model batch", buckets=BATCH_BUCKETS, registry=r
        )
        self.batch_seconds = Histogram(
            "replyscore_model_batch_duration_seconds",
            "Time to score one batch",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.queue_depth = Gauge("replyscore_queue_depth", "Texts waiting for the model", registry=r)
        self.model_ready = Gauge("replyscore_model_ready", "1 once the model is loaded", registry=r)
        self.model_load_seconds = Gauge(
            "replyscore_model_load_seconds", "Time the model took to load", registry=r
        )
        self.model_info = Info("replyscore_model", "The model in service", registry=r)

    def observe_batch(self, size: int, seconds: float) -> None:
        self.batch_size.observe(size)
        self.batch_seconds.observe(seconds)

    def model_loaded(self, scorer: Scorer, seconds: float) -> None:
        self.model_info.info(
            {
                "version": scorer.version,
                "css_version": scorer.css.version,
                "rules": str(len(scorer.checker.rulebook.rules)),
            }
        )
        self.model_load_seconds.set(seconds)
        self.model_ready.set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts requests and their latency by route template (never by raw path, to bound label values)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self._paths: set[str] | None = None

    def _route_of(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is not None:
            return str(route.path)
        if self._paths is None:  # requests refused before routing (413) still count under their route
            self._paths = {getattr(r, "path", "") for r in scope["app"].routes}
        return str(scope["path"]) if scope["path"] in self._paths else "unmatched"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            path = self._route_of(scope)
            method = scope["method"]
            self.metrics.requests.labels(method, path, str(status)).inc()
            self.metrics.latency.labels(method, path).observe(time.perf_counter() - start)
