"""Micro-batching: the batcher on its own, then concurrent requests sharing model batches on a real server."""

from __future__ import annotations

import asyncio
import re
import threading

import httpx
import pytest
from serving_helpers import LiveServer

from replyscore.serving.batcher import MicroBatcher, Overloaded


def test_concurrent_calls_share_a_batch_and_keep_their_order() -> None:
    seen: list[list[int]] = []

    def model(items: list[int]) -> list[int]:
        seen.append(items)
        return [i * 10 for i in items]

    async def main() -> list[list[int]]:
        batcher = MicroBatcher(model, max_size=8, max_wait_s=0.05, queue_max=100)
        batcher.start()
        try:
            return await asyncio.gather(*(batcher.submit([i, i + 100]) for i in range(5)))
        finally:
            await batcher.stop()

    results = asyncio.run(main())
    assert results == [[i * 10, (i + 100) * 10] for i in range(5)]
    assert max(len(batch) for batch in seen) == 8  # chunks of at most max_size
    assert sorted(x for batch in seen for x in batch) == sorted(list(range(5)) + list(range(100, 105)))


def test_a_full_queue_refuses_at_once() -> None:
    gate = threading.Event()

    def slow_model(items: list[int]) -> list[int]:
        gate.wait(5)
        return items

    async def main() -> None:
        batcher = MicroBatcher(slow_model, max_size=1, max_wait_s=0, queue_max=2)
        batcher.start()
        try:
            running = asyncio.ensure_future(batcher.submit([1]))  # taken by the worker
            await asyncio.sleep(0.05)
            waiting = asyncio.ensure_future(batcher.submit([2, 3]))  # fills the queue
            await asyncio.sleep(0)
            with pytest.raises(Overloaded):
                await batcher.submit([4])
            gate.set()
            assert await running == [1] and await waiting == [2, 3]
            assert batcher.waiting == 0
        finally:
            await batcher.stop()

    asyncio.run(main())


def test_a_failing_model_fails_only_its_batch() -> None:
    def model(items: list[int]) -> list[int]:
        if 0 in items:
            raise RuntimeError("boom")
        return items

    async def main() -> None:
        batcher = MicroBatcher(model, max_size=4, max_wait_s=0, queue_max=10)
        batcher.start()
        try:
            with pytest.raises(RuntimeError, match="boom"):
                await batcher.submit([0])
            assert await batcher.submit([7]) == [7]
        finally:
            await batcher.stop()

    asyncio.run(main())


def test_a_lone_request_does_not_wait_for_company() -> None:
    async def main() -> list[int]:
        batcher: MicroBatcher[int, int] = MicroBatcher(
            lambda items: items, max_size=8, max_wait_s=60, queue_max=10, in_flight=lambda: 1
        )
        batcher.start()
        try:  # were it to wait max_wait_s, this would time out
            return await asyncio.wait_for(batcher.submit([5]), timeout=10)
        finally:
            await batcher.stop()

    assert asyncio.run(main()) == [5]


def _batch_histogram(metrics: str) -> tuple[float, float]:
    """(batches of size 1, all batches) from /metrics."""
    ones = re.search(r'replyscore_model_batch_size_bucket\{le="1\.0"\} (\S+)', metrics)
    count = re.search(r"replyscore_model_batch_size_count (\S+)", metrics)
    assert ones and count
    return float(ones.group(1)), float(count.group(1))


async def _together(url: str, n: int) -> list[int]:
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=httpx.Limits(max_connections=n)) as c:
        responses = await asyncio.gather(
            *(c.post("/v1/score", json={"text": f"Ответим {i} раз"}) for i in range(n))
        )
    return [r.status_code for r in responses]


def test_concurrent_requests_are_batched(live: LiveServer, client: httpx.Client) -> None:
    ones_before, count_before = _batch_histogram(client.get("/metrics").text)
    assert asyncio.run(_together(live.url, 24)) == [200] * 24
    ones, count = _batch_histogram(client.get("/metrics").text)
    batches, single = count - count_before, ones - ones_before
    assert 0 < batches < 24 and single < batches  # some batch held more than one request
