"""Int8 inference for the encoder: ONNX Runtime dynamic int8 (served), torch dynamic int8 (fallback).

Both quantise Linear weights per channel and activations per tensor at run time. A per-tensor scale
crushes inputs with outliers, so Linear layers whose calibration inputs show them (max |x| more than
``OUTLIER_RATIO`` times mean |x|; in e5-small the FFN output projections of layers 0, 4 and 5) stay
fp32. A per-tensor scale also lets a reply's result move slightly with its batch neighbours; the
per-token variant (``per_token_activations``, the ``int8-per-token`` runtime) gives every token its
own scale, so a reply scores the same alone or in any batch, at about 16 % of the full scorer's
throughput (README, "Measured"). The ONNX file is exported once from the fp32 (adapter-merged) model
and cached, keyed by the weights, the recipe and the onnxruntime version; later loads need no torch
weights at all.
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


def onnx_cache_path(weights_id: str, per_token: bool = False) -> Path:
    import onnxruntime

    recipe = f"{RECIPE}+per-token" if per_token else RECIPE
    key = hashlib.sha256(f"{weights_id}|{recipe}|{onnxruntime.__version__}".encode()).hexdigest()[:20]
    return cache_root() / "onnx" / f"encoder-{key}.onnx"


def export_onnx_int8(
    model: torch.nn.Module,
    keep_fp32: set[str],
    example: tuple[np.ndarray, np.ndarray],
    dest: Path,
    per_token: bool = False,
) -> Path:
    """Export the fp32 model's last hidden states to ONNX, quantise it to int8 (activation scales per
    tensor, or per token) and write it to `dest` atomically (a temporary folder beside it, then a
    rename)."""
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
        if per_token:
            per_token_activations(int8)
        os.replace(int8, dest)
    return dest


def per_token_activations(path: Path) -> None:
    """Rewrite a `quantize_dynamic` model in place so that each token's activations get their own
    scale: max |x| / 127 over the token's row, stored as uint8 around a fixed zero point of 128.
    Each DynamicQuantizeLinear (one scale per tensor, hence per batch) becomes that computation; each
    of its MatMulInteger -> Cast -> Mul(scale x weight scales) chains becomes ONNX Runtime's fused
    MatMulIntegerToFloat with the weight scales alone, times the token scales."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    producer = {out: node for node in graph.node for out in node.output}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    constants: dict[str, np.ndarray] = {
        "pt_zero_point": np.array(128, dtype=np.uint8),
        "pt_offset": np.array(128.5, dtype=np.float32),  # zero point + 0.5: Cast truncates, so it rounds
        "pt_127": np.array(127.0, dtype=np.float32),
        "pt_eps": np.array(1e-8, dtype=np.float32),
        "pt_one": np.array(1.0, dtype=np.float32),
    }
    graph.initializer.extend(numpy_helper.from_array(v, k) for k, v in constants.items())
    replaced: dict[str, list[onnx.NodeProto]] = {}
    dropped: set[str] = set()
    for node in graph.node:
        if node.op_type != "DynamicQuantizeLinear":
            continue
        x, (quantized, scale, _) = node.input[0], node.output
        p = f"{node.name}_per_token"
        replaced[node.name] = [
            helper.make_node("Abs", [x], [f"{p}_abs"], name=f"{p}_abs"),
            helper.make_node("ReduceMax", [f"{p}_abs"], [f"{p}_max"], name=f"{p}_max", axes=[-1], keepdims=1),
            helper.make_node("Max", [f"{p}_max", "pt_eps"], [f"{p}_peak"], name=f"{p}_peak"),
            helper.make_node("Div", [f"{p}_peak", "pt_127"], [scale], name=f"{p}_scale"),
            helper.make_node("Div", ["pt_127", f"{p}_peak"], [f"{p}_inverse"], name=f"{p}_inverse"),
            helper.make_node("Mul", [x, f"{p}_inverse"], [f"{p}_scaled"], name=f"{p}_scaled"),
            helper.make_node("Add", [f"{p}_scaled", "pt_offset"], [f"{p}_shifted"], name=f"{p}_shifted"),
            helper.make_node("Cast", [f"{p}_shifted"], [quantized], name=f"{p}_cast", to=TensorProto.UINT8),
        ]
        for matmul in consumers[quantized]:
            (cast,) = consumers[matmul.output[0]]
            (rescale,) = consumers[cast.output[0]]
            scales = producer[next(i for i in rescale.input if i != cast.output[0])]
            weight_scale = next(i for i in scales.input if i != scale)
            out = rescale.output[0]
            replaced[matmul.name] = [
                helper.make_node(
                    "MatMulIntegerToFloat",
                    [
                        matmul.input[0],
                        matmul.input[1],
                        "pt_one",
                        weight_scale,
                        "pt_zero_point",
                        matmul.input[3],
                    ],
                    [f"{out}_per_token"],
                    name=f"{matmul.name}_per_token",
                    domain="com.microsoft",
                ),
                helper.make_node(
                    "Mul", [f"{out}_per_token", scale], [out], name=f"{matmul.name}_token_scale"
                ),
            ]
            dropped.update({cast.name, rescale.name, scales.name})
    nodes = [
        new for node in graph.node if node.name not in dropped for new in replaced.get(node.name, [node])
    ]
    del graph.node[:]
    graph.node.extend(nodes)
    if not any(op.domain == "com.microsoft" for op in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.save(model, str(path))


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
