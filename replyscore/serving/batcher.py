"""Micro-batching: concurrent calls share one model batch, as Ray Serve's and BentoML's batchers do.

Calls wait in a bounded queue. One worker takes the first waiting call, then everything else that
arrives within `max_wait` (up to `max_size` texts), and runs the model on the whole batch in a
thread of its own, so the event loop keeps serving. Given `in_flight` (how many requests the server
is handling), it waits only while more requests are in flight than it has collected: a lone request
at low load goes straight to the model instead of paying `max_wait`. A call that would push the
number of waiting texts past `queue_max` is refused at once (the service answers 503, Retry-After).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")


class Overloaded(Exception):
    """The queue is full: the caller should retry later."""


@dataclass
class _Call(Generic[In, Out]):
    items: Sequence[In]
    future: asyncio.Future[list[Out]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class MicroBatcher(Generic[In, Out]):
    def __init__(
        self,
        run: Callable[[list[In]], list[Out]],
        max_size: int,
        max_wait_s: float,
        queue_max: int,
        on_batch: Callable[[int, float], None] | None = None,
        in_flight: Callable[[], int] | None = None,
    ) -> None:
        self._run = run
        self.max_size = max_size
        self.max_wait_s = max_wait_s
        self.queue_max = queue_max
        self._on_batch = on_batch
        self._in_flight = in_flight
        self._queue: asyncio.Queue[_Call[In, Out]] = asyncio.Queue()
        self.waiting = 0  # texts queued and not yet taken by the worker
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="replyscore-model")
        self._task: asyncio.Task[None] | None = None
        self._running: list[_Call[In, Out]] = []

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._work(), name="replyscore-batcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._executor.shutdown(wait=False, cancel_futures=True)
        while not self._queue.empty():
            self._running.append(self._queue.get_nowait())
        self._fail(self._running, Overloaded("the service is shutting down"))

    @staticmethod
    def _fail(calls: list[_Call[In, Out]], exc: BaseException) -> None:
        for call in calls:
            if not call.future.done():
                call.future.set_exception(exc)

    async def submit(self, items: Sequence[In]) -> list[Out]:
        """Results in the order of `items`; raises Overloaded when the queue is full."""
        if self.waiting and self.waiting + len(items) > self.queue_max:
            raise Overloaded(f"{self.waiting} texts are waiting for the model (limit {self.queue_max})")
        call: _Call[In, Out] = _Call(items)
        self.waiting += len(items)
        self._queue.put_nowait(call)
        return await call.future

    def _take(self, call: _Call[In, Out]) -> _Call[In, Out]:
        self.waiting -= len(call.items)
        return call

    def _more_coming(self, collected: int) -> bool:
        return self._in_flight is None or self._in_flight() > collected

    async def _collect(self) -> list[_Call[In, Out]]:
        loop = asyncio.get_running_loop()
        self._running = calls = [self._take(await self._queue.get())]
        size = len(calls[0].items)
        deadline = loop.time() + self.max_wait_s
        while size < self.max_size:
            if self._queue.empty():
                remaining = deadline - loop.time()
                if remaining <= 0 or not self._more_coming(len(calls)):
                    break
                try:
                    call = await asyncio.wait_for(self._queue.get(), remaining)
                except TimeoutError:
                    break
            else:
                call = self._queue.get_nowait()
            calls.append(self._take(call))
            size += len(call.items)
        return calls

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            calls = await self._collect()
            items = [item for call in calls for item in call.items]
            try:
                results: list[Out] = []
                for lo in range(0, len(items), self.max_size):
                    chunk = items[lo : lo + self.max_size]
                    start = time.perf_counter()
                    results.extend(await loop.run_in_executor(self._executor, self._run, chunk))
                    if self._on_batch:
                        self._on_batch(len(chunk), time.perf_counter() - start)
            except Exception as exc:
                self._fail(calls, exc)
                continue
            pos = 0
            for call in calls:
                if not call.future.done():  # the caller may have gone away
                    call.future.set_result(results[pos : pos + len(call.items)])
                pos += len(call.items)
