"""The batch engine on Ray Data: the same scoring, spread over a Ray cluster's workers.

Each worker is an actor that loads the scorer (and the language model) once and then scores batches of
items with `score_items`, exactly as the local engine does; rows come back in input order, so the
driver writes, flushes and resumes as with the local engine. `ray.init()` connects to $RAY_ADDRESS
(or `address`) when set, else starts a local Ray instance. Every node needs replyscore installed.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from replyscore.eval.batch import EngineError, score_items
from replyscore.eval.batch_io import Item
from replyscore.model.loading import load_scorer


class RayScorer:
    """A Ray Data actor: the scorer loaded once, then batches of items -> JSON output rows."""

    def __init__(
        self, rules_only: bool, model_dir: str | None, threads: int, per_token: bool = False
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        model = Path(model_dir) if model_dir else None
        self.scorer = load_scorer(rules_only, model, threads=threads, per_token=per_token)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[str]]:
        items = [Item.from_json(str(data)) for data in batch["item"]]
        rows = score_items(self.scorer, items)
        return {"row": [json.dumps(r, ensure_ascii=False) for r in rows]}


class RayEngine:
    def __init__(
        self,
        rules_only: bool,
        model_dir: Path | None = None,
        workers: int | None = None,
        cpus_per_worker: int = 1,
        address: str | None = None,
        per_token: bool = False,
    ) -> None:
        import ray

        self.ray = ray
        if not ray.is_initialized():
            if address or os.environ.get("RAY_ADDRESS"):
                ray.init(address=address, logging_level=logging.WARNING)
            else:  # a local instance on this machine's cores
                ray.init(include_dashboard=False, logging_level=logging.WARNING)
        self.rules_only = rules_only
        self.model_dir = str(model_dir) if model_dir else None
        self.cpus_per_worker = cpus_per_worker
        self.per_token = per_token
        cluster_cpus = int(ray.cluster_resources().get("CPU", 1))
        self.workers = workers or max(1, cluster_cpus // cpus_per_worker)

    def run(self, items: Sequence[Item], chunk_size: int) -> Iterator[list[dict[str, Any]]]:
        if not items:
            return
        data = self.ray.data
        context = data.DataContext.get_current()
        context.execution_options.preserve_order = True  # rows come back in input order
        context.enable_progress_bars = False  # the driver shows its own
        context.print_on_execution_start = False
        blocks = math.ceil(len(items) / chunk_size)
        dataset = data.from_items(
            [{"item": it.to_json()} for it in items], override_num_blocks=blocks
        ).map_batches(
            RayScorer,
            fn_constructor_kwargs={
                "rules_only": self.rules_only,
                "model_dir": self.model_dir,
                "threads": self.cpus_per_worker,
                "per_token": self.per_token,
            },
            compute=data.ActorPoolStrategy(size=self.workers),
            batch_size=chunk_size,
            num_cpus=self.cpus_per_worker,
            batch_format="numpy",
        )
        try:
            for batch in dataset.iter_batches(batch_size=chunk_size, batch_format="numpy"):
                yield [json.loads(str(row)) for row in batch["row"]]
        except Exception as exc:  # Ray wraps the worker's error with its traceback: keep its last line
            lines = [line for line in str(exc).splitlines() if line.strip()]
            raise EngineError(
                f"the Ray workers failed: {lines[-1] if lines else type(exc).__name__}"
            ) from exc
