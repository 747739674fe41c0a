"""Int8 inference for the encoder: ONNX Runtime dynamic int8 (served), torch dynamic int8 (fallback).

Both quantise Linear weights per channel and activations per tensor at run time. A per-tensor scale
crushes inputs with outliers, so Linear layers whose calibration inputs show them (max |x| more than
``OUTLIER_RATIO`` times mean |x|; in e5-small the FFN output projections of layers 0, 4 and 5) stay
fp32. A per-tensor scale also lets a reply's result move slightly with its batch neighbours; per-token
scales would not, but cost the full scorer 16 % of its throughput (README, "Measured"). The ONNX file
is exported once from the fp32 (adapter-merged) model and cached, keyed by the weights, the recipe
and the onnxruntime version; later loads need no torch weights at all.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from replyscore.model.encoder_cache import cache_root

if TYPE_CHECKING:
    import torch

CALIBRATION_FILE = Path(__file__).with_name("int8_calibration.txt")
OUTLIER_RATIO = 200.0
log = logging.getLogger(__name__)

RECIPE = "onnx-int8-v3"  # bump when export or quantisation settings change: old cache entries go stale
_INPUTS = ("input_ids", "attention_mask")


def calibration_texts() -> list[str]:
    return [line for line in CALIBRATION_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]


def outlier_linears(model: torch.nn.Module, batches: list[tuple[np.ndarray, np.ndarray]]) -> set[str]:
    """Names of the Linear layers whose inputs have outliers on the calibration batches."""
    import torch

    peaks: dict[str, float] = {}
    means: dict[str, list[float]] = {}

    def record(name: str) -> Callable[..., None]:
        def hook(_module: torch.nn.Module, inputs: tuple[torch.Tensor, ...], _out: torch.Tensor) -> None:
            x = inputs[0].detach().abs()
            peaks[name] = max(peaks.get(name, 0.0), float(x.max()))
            means.setdefault(name, []).append(float(x.mean()))

        return hook

    handles = [
        module.register_forward_hook(record(name))
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear)
    ]
    try:
        with torch.inference_mode():
            for ids, mask in batches:
                model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask))
    finally:
        for handle in handles:
            handle.remove()
    return {
        name for name, peak in peaks.items() if peak > OUTLIER_RATIO * max(float(np.mean(means[name])), 1e-12)
    }


def quantize_torch(model: torch.nn.Module, keep_fp32: set[str]) -> torch.nn.Module:
    """torch dynamic int8 (per-channel weights) for the Linear layers not in `keep_fp32`; in place."""
    import torch

    with warnings.catch_warnings():  # torch.ao.quantization announces its move to torchao
        warnings.filterwarnings("ignore", message=r".*(deprecated|quantized tensor creation).*")
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        spec = {
            name: per_channel_dynamic_qconfig
            for name, module in model.named_modules()
            if isinstance(module, torch.nn.Linear) and name not in keep_fp32
        }
        return quantize_dynamic(model, spec, dtype=torch.qint8, inplace=True)


def onnx_cache_path(weights_id: str) -> Path:
    import onnxruntime

    key = hashlib.sha256(f"{weights_id}|{RECIPE}|{onnxruntime.__version__}".encode()).hexdigest()[:20]
    return cache_root() / "onnx" / f"encoder-{key}.onnx"


def export_onnx_int8(
    model: torch.nn.Module,
    keep_fp32: set[str],
    example: tuple[np.ndarray, np.ndarray],
    dest: Path,
) -> Path:
    """Export the fp32 model's last hidden states to ONNX, quantise it to int8 and write it to `dest`
    atomically (a temporary folder beside it, then a rename)."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    class LastHidden(torch.nn.Module):
        def __init__(self, encoder: torch.nn.Module) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp, _eager_attention(model):
        fp32 = Path(tmp) / "fp32.onnx"
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # tracer warnings about Python control flow on shapes
            torch.onnx.export(
                LastHidden(model).eval(),
                tuple(torch.from_numpy(a) for a in example),
                str(fp32),
                input_names=list(_INPUTS),
                output_names=["last_hidden_state"],
                dynamic_axes={name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "last_hidden_state")},
                opset_version=17,
                dynamo=False,
            )
        excluded = _matmul_nodes(fp32, keep_fp32)
        if len(excluded) < len(keep_fp32):
            log.warning("only %d of %d outlier layers found in the ONNX graph", len(excluded), len(keep_fp32))
        int8 = Path(tmp) / "int8.onnx"
        logging.disable(logging.WARNING)  # the quantiser logs every tensor (and advice) on the root logger
        try:
            quantize_dynamic(
                fp32, int8, weight_type=QuantType.QInt8, per_channel=True, nodes_to_exclude=excluded
            )
        finally:
            logging.disable(logging.NOTSET)
        os.replace(int8, dest)
    return dest


@contextmanager
def _eager_attention(model: torch.nn.Module) -> Iterator[None]:
    """Trace the plain attention (matmul, mask add, softmax): the SDPA path exports extra Where/IsNaN
    masking per layer that costs ONNX Runtime about a tenth of the encoder's time. Same outputs."""
    config = getattr(model, "config", None)
    before = getattr(config, "_attn_implementation", None)
    switch = getattr(model, "set_attn_implementation", None)
    if switch is None or before in (None, "eager"):
        yield
        return
    switch("eager")
    try:
        yield
    finally:
        switch(before)


def _matmul_nodes(path: Path, linears: set[str]) -> list[str]:
    """The exported MatMul nodes of the named Linear modules (the exporter names them by module path)."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    # "/encoder/encoder/layer.4/output/dense/MatMul" holds module "encoder.layer.4.output.dense"
    marks = tuple(f".{name}." for name in linears)
    return [
        n.name
        for n in graph.node
        if n.op_type == "MatMul" and any(m in n.name.replace("/", ".") for m in marks)
    ]


class OnnxRunner:
    """(input ids, attention mask) -> last hidden states, on ONNX Runtime's CPU provider."""

    def __init__(self, path: Path, threads: int | None = None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        # 0: one per physical core. Pool workers spin between ops: fastest on cores of its own, slow
        # when other processes share them (then ask for 1 thread)
        options.intra_op_num_threads = threads or 0
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.path = path
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        (hidden,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
        return np.asarray(hidden, dtype=np.float32)
