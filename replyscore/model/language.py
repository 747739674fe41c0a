"""The reply language model: one encoder pass per reply gives its tone and which sentences read vague.

A model directory (versioned, small) holds:
  replyscore_model.json   labels, version, base encoder (and how many of its layers), thresholds,
                          rude_shift (how far a RUDE rule finding moves the tone), training facts
  heads.npz               tone_W, tone_b (labels x dim), vague_W, vague_b (1 x dim)
  adapter/                optional LoRA adapter (peft) for the base encoder, merged at load time
  scenario_head.npz       optional scenario head (template scenario of a message or draft)
  MODEL_CARD.md           data hash, metrics, parameters, the command that rebuilt it
Features are mean-pooled last hidden states: over the whole reply for tone, over a sentence's own
tokens for the vague head.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import razdel

from replyscore.model.encoder import Encoder
from replyscore.model.scenario import EmbeddingHead
from replyscore.model.scorer import ModelView

log = logging.getLogger(__name__)

ENV_MODEL = "REPLYSCORE_MODEL"
DEFAULT_MODEL_DIR = Path(__file__).with_name("artifacts") / "tone-default"
META_FILE = "replyscore_model.json"
HEADS_FILE = "heads.npz"
ADAPTER_DIR = "adapter"
SCENARIO_FILE = "scenario_head.npz"
MAX_CONTEXT_SENTENCES = 4  # longer texts get their sentences' vague scores one by one
# Greetings and thanks ("Здравствуйте.", "Спасибо за обращение.") promise nothing; short vague words
# ("Скоро.") are the rules' job. The head judges sentences of at least this many words.
MIN_VAGUE_WORDS = 4
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class LinearHead:
    weight: np.ndarray  # (classes, dim); one row = logistic regression
    bias: np.ndarray

    def logits(self, features: np.ndarray) -> np.ndarray:
        return features @ self.weight.T + self.bias

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        logits = self.logits(features)
        if self.weight.shape[0] == 1:
            return 1.0 / (1.0 + np.exp(-logits[:, 0]))
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    return [(s.start, s.stop) for s in razdel.sentenize(text)]


def pooled_features(
    encoder: Encoder,
    texts: Sequence[str],
    batch_size: int = 16,
    spans: Sequence[Sequence[tuple[int, int]]] | None = None,
) -> tuple[np.ndarray, list[list[tuple[int, int, np.ndarray]]]]:
    """Whole-text features (N, dim) and, per text, (start, end, features) of each sentence (or of
    each given character span)."""
    spans = spans if spans is not None else [sentence_spans(t) for t in texts]
    states = encoder.token_states(list(texts), batch_size=batch_size)
    whole = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    weight = np.zeros(len(texts), dtype=np.float32)
    sums: list[list[np.ndarray]] = [[np.zeros(encoder.dim, np.float32) for _ in s] for s in spans]
    counts: list[list[int]] = [[0] * len(s) for s in spans]
    for st in states:
        whole[st.owner] += st.hidden.sum(axis=0)
        weight[st.owner] += len(st.hidden)
        for k, (a, b) in enumerate(spans[st.owner]):
            inside = (st.offsets[:, 0] >= a) & (st.offsets[:, 1] <= b) & (st.offsets[:, 1] > st.offsets[:, 0])
            if inside.any():
                sums[st.owner][k] += st.hidden[inside].sum(axis=0)
                counts[st.owner][k] += int(inside.sum())
    whole /= np.maximum(weight, 1.0)[:, None]
    sentences = [
        [(a, b, sums[i][k] / counts[i][k]) for k, (a, b) in enumerate(spans[i]) if counts[i][k]]
        for i in range(len(texts))
    ]
    return whole, sentences


class ReplyLanguageModel:
    def __init__(self, encoder: Encoder, tone: LinearHead, vague: LinearHead, meta: dict[str, Any]) -> None:
        self.encoder = encoder
        self.tone = tone
        self.vague = vague
        self.meta = meta
        self.labels: tuple[str, ...] = tuple(meta["labels"])
        self.vague_threshold = float(meta.get("vague_threshold", 0.5))
        self.version: str = str(meta["version"])
        # Fitted by training on the validation split (training/rule_evidence.py); 0 in older models.
        self.rude_shift = float(meta.get("rude_shift", 0.0))
        self.scenario_model: EmbeddingHead | None = None

    @classmethod
    def load(
        cls,
        model_dir: Path | None = None,
        *,
        quantize: bool = True,
        threads: int | None = None,
        per_token: bool = False,
    ) -> ReplyLanguageModel:
        """Load `model_dir`, else $REPLYSCORE_MODEL, else the packaged default (int8 activation scales
        per token with `per_token`: scores independent of batching, about 16 % slower)."""
        if model_dir is None:
            env = os.environ.get(ENV_MODEL)
            model_dir = Path(env).expanduser() if env else DEFAULT_MODEL_DIR
        model_dir = Path(model_dir)
        meta_path = model_dir / META_FILE
        if not meta_path.is_file():
            raise FileNotFoundError(f"{model_dir} is not a replyscore model directory (no {META_FILE})")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        base = meta.get("base_encoder_path")
        adapter = model_dir / ADAPTER_DIR
        encoder = Encoder.load(
            Path(base) if base else None,
            adapter=adapter if adapter.is_dir() else None,
            quantize=quantize,
            threads=threads,
            layers=meta.get("encoder_layers"),
            per_token=per_token,
        )
        base_version = meta.get("base_encoder_version")
        if base_version and base_version != encoder.base_version:
            log.warning(
                "model %s was trained on encoder %s but runs on %s",
                meta["version"],
                base_version,
                encoder.base_version,
            )
        heads = np.load(model_dir / HEADS_FILE)
        model = cls(
            encoder,
            LinearHead(heads["tone_W"], heads["tone_b"]),
            LinearHead(heads["vague_W"], heads["vague_b"]),
            meta,
        )
        if (model_dir / SCENARIO_FILE).is_file():
            model.scenario_model = EmbeddingHead.load(model_dir / SCENARIO_FILE, encoder.embed)
        return model

    def _sentences_alone(
        self, texts: Sequence[str], sentences: list[list[tuple[int, int, np.ndarray]]]
    ) -> None:
        """In a long text a sentence's in-context features drift from what the head learnt (sentences
        alone and inside short replies): score each sentence of such texts on its own, in one batch."""
        long = [i for i, found in enumerate(sentences) if len(found) > MAX_CONTEXT_SENTENCES]
        if not long:
            return
        parts = [(i, a, b) for i in long for a, b, _ in sentences[i]]
        _, alone = pooled_features(
            self.encoder, [texts[i][a:b] for i, a, b in parts], spans=[[(0, b - a)] for _, a, b in parts]
        )
        for i in long:
            sentences[i] = []
        for (i, a, b), found in zip(parts, alone, strict=True):
            if found:
                sentences[i].append((a, b, found[0][2]))

    def tone_logits(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """(N, labels) tone logits of the model alone (no rule evidence), in `self.labels` order."""
        chunks = [
            self.tone.logits(pooled_features(self.encoder, texts[lo : lo + batch_size])[0])
            for lo in range(0, len(texts), batch_size)
        ]
        return np.concatenate(chunks) if chunks else np.zeros((0, len(self.labels)))

    def analyse(self, texts: Sequence[str]) -> list[ModelView]:
        whole, sentences = pooled_features(self.encoder, texts)
        self._sentences_alone(texts, sentences)
        tone = self.tone.probabilities(whole)
        views = []
        for i in range(len(texts)):
            ranked = sorted(zip(self.labels, tone[i].tolist(), strict=True), key=lambda p: -p[1])
            spans = []
            if sentences[i]:
                probs = self.vague.probabilities(np.stack([f for _, _, f in sentences[i]]))
                spans = [
                    (a, b, float(p))
                    for (a, b, _), p in zip(sentences[i], probs, strict=True)
                    if p >= self.vague_threshold and len(_WORD.findall(texts[i][a:b])) >= MIN_VAGUE_WORDS
                ]
            views.append(ModelView([{"label": lab, "score": s} for lab, s in ranked], spans))
        return views
