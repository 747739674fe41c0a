"""Counts the scoring requests the server is handling, so the micro-batcher knows whether to wait."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

SCORING_PATHS = frozenset({"/v1/score", "/v1/score/batch", "/v2/check"})


class InFlight:
    """Scoring requests between arrival and answer."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> int:
        return self.count


class InFlightMiddleware:
    def __init__(self, app: ASGIApp, counter: InFlight) -> None:
        self.app = app
        self.counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in SCORING_PATHS:
            await self.app(scope, receive, send)
            return
        self.counter.count += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.counter.count -= 1
