"""Fitting the tone head (frozen encoder + logistic regression) or LoRA adapters + head, and the
vague-sentence head, into a versioned model directory that `model.language` loads."""

from __future__ import annotations

import copy
import json
import logging
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, fbeta_score

from replyscore.model.encoder import Encoder, keep_layers
from replyscore.model.language import (
    ADAPTER_DIR,
    HEADS_FILE,
    META_FILE,
    pooled_features,
)
from replyscore.model.scorer import TONE_LABELS
from replyscore.training.config import TrainConfig

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


class UnknownLoraTargetError(ValueError):
    """A LoRA target names no linear layer of the encoder."""


@dataclass
class ToneFit:
    head_weight: np.ndarray
    head_bias: np.ndarray
    adapter_model: Any | None  # peft model with the best adapter weights, or None in head mode
    history: list[dict[str, float]]


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    return float(f1_score(gold, pred, labels=list(TONE_LABELS), average="macro", zero_division=0))


def fit_head(
    encoder: Encoder,
    texts: list[str],
    labels: list[str],
    cfg: TrainConfig,
    valid: tuple[list[str], list[str]],
) -> ToneFit:
    """Frozen encoder, logistic-regression head on mean-pooled features."""
    features, _ = pooled_features(encoder, texts)
    clf = LogisticRegression(C=cfg.head_c, max_iter=3000, class_weight="balanced")
    clf.fit(features, labels)
    order = [list(clf.classes_).index(lab) for lab in TONE_LABELS]
    fit = ToneFit(clf.coef_[order].astype(np.float32), clf.intercept_[order].astype(np.float32), None, [])
    vfeat, _ = pooled_features(encoder, valid[0])
    pred = [TONE_LABELS[i] for i in (vfeat @ fit.head_weight.T + fit.head_bias).argmax(1)]
    fit.history.append(
        {
            "epoch": 1,
            "valid_macro_f1": macro_f1(valid[1], pred),
            "valid_accuracy": float(accuracy_score(valid[1], pred)),
        }
    )
    return fit


def fit_lora(
    encoder_dir: Path,
    prefix: str,
    texts: list[str],
    labels: list[str],
    cfg: TrainConfig,
    valid: tuple[list[str], list[str]],
    progress: Progress = _no_progress,
    pairs: Sequence[tuple[str, str]] = (),
) -> ToneFit:
    """LoRA adapters on the encoder's linear layers (`cfg.lora_targets`) plus a linear head, trained jointly;
    early stopping on validation macro-F1. With `pairs` (rude text, its calm rewrite) each step
    adds a ranking loss: the rude text's log-odds of "negative" must exceed the calm one's by a
    margin, so rudeness itself reads negative, not only the complaint it carries."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModel, AutoTokenizer

    seed_everything(cfg.seed)
    tokenizer = AutoTokenizer.from_pretrained(encoder_dir, local_files_only=True)
    base = AutoModel.from_pretrained(encoder_dir, local_files_only=True, dtype=torch.float32)
    if cfg.encoder_layers is not None:
        keep_layers(base, cfg.encoder_layers)
    linear = sorted({n.rsplit(".", 1)[-1] for n, m in base.named_modules() if isinstance(m, torch.nn.Linear)})
    if unknown := [t for t in cfg.lora_targets if t not in linear]:
        raise UnknownLoraTargetError(f"LoRA targets {unknown} are no linear layers of the encoder ({linear})")
    model = get_peft_model(
        base,
        LoraConfig(
            r=cfg.lora_r,
            lora_alpha=cfg.lora_alpha,
            lora_dropout=cfg.lora_dropout,
            target_modules=list(cfg.lora_targets),
            bias="none",
        ),
    )
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")  # a GPU when there is one
    model.to(device)
    head = torch.nn.Linear(base.config.hidden_size, len(TONE_LABELS)).to(device)
    y = torch.tensor([TONE_LABELS.index(lab) for lab in labels])
    counts = torch.bincount(y, minlength=len(TONE_LABELS)).float()
    weights = counts.sum() / (len(TONE_LABELS) * counts.clamp(min=1))
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights.to(device), label_smoothing=cfg.label_smoothing)
    optimizer = torch.optim.AdamW(
        [
            {"params": [p for p in model.parameters() if p.requires_grad], "lr": cfg.lr},
            {"params": head.parameters(), "lr": cfg.head_lr},
        ],
        weight_decay=0.01,
    )

    def batch_features(batch: list[str]) -> torch.Tensor:
        enc = tokenizer(
            [prefix + t for t in batch],
            truncation=True,
            max_length=cfg.max_tokens,
            padding=True,
            return_tensors="pt",
        )
        ids, attention = enc["input_ids"].to(device), enc["attention_mask"].to(device)
        hidden = model(input_ids=ids, attention_mask=attention).last_hidden_state
        mask = attention.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1)

    def predict(batch_texts: list[str]) -> list[str]:
        model.eval()
        out: list[str] = []
        with torch.inference_mode():
            order = sorted(range(len(batch_texts)), key=lambda i: len(batch_texts[i]))
            preds = [0] * len(batch_texts)
            for lo in range(0, len(order), 64):
                rows = order[lo : lo + 64]
                logits = head(batch_features([batch_texts[i] for i in rows]))
                for r, p in zip(rows, logits.argmax(1).tolist(), strict=True):
                    preds[r] = p
            out = [TONE_LABELS[p] for p in preds]
        return out

    best: tuple[float, dict[str, torch.Tensor], dict[str, torch.Tensor]] | None = None
    history: list[dict[str, float]] = []
    stale = 0
    generator = torch.Generator().manual_seed(cfg.seed)
    steps = (len(texts) + cfg.batch_size - 1) // cfg.batch_size
    pair_batches = _batches_forever(list(pairs), cfg.pair_batch, generator)
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        perm = torch.randperm(len(texts), generator=generator).tolist()
        total = 0.0
        for step, lo in enumerate(range(0, len(perm), cfg.batch_size), start=1):
            rows = perm[lo : lo + cfg.batch_size]
            logits = head(batch_features([texts[i] for i in rows]))
            loss = loss_fn(logits, y[rows].to(device))
            if pairs and cfg.pair_weight > 0:
                chosen = next(pair_batches)
                scores = negativity(head(batch_features([r for r, _ in chosen] + [c for _, c in chosen])))
                gap = scores[: len(chosen)] - scores[len(chosen) :]
                loss = loss + cfg.pair_weight * torch.nn.functional.softplus(cfg.pair_margin - gap).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
            progress(f"epoch {epoch}/{cfg.epochs}", step, steps)
        pred = predict(valid[0])
        score = macro_f1(valid[1], pred)
        history.append(
            {
                "epoch": epoch,
                "train_loss": total / steps,
                "valid_macro_f1": score,
                "valid_accuracy": float(accuracy_score(valid[1], pred)),
            }
        )
        log.info("epoch %d: loss %.4f, valid macro-F1 %.4f", epoch, total / steps, score)
        if best is None or score > best[0]:
            trainable = {k: v.detach().clone() for k, v in model.named_parameters() if v.requires_grad}
            best, stale = (score, trainable, copy.deepcopy(head.state_dict())), 0
        else:
            stale += 1
            if stale >= cfg.patience:
                break
    assert best is not None
    with torch.no_grad():
        params = dict(model.named_parameters())
        for name, value in best[1].items():
            params[name].copy_(value)
    head.load_state_dict(best[2])
    model.to("cpu")
    head.to("cpu")
    return ToneFit(head.weight.detach().numpy().copy(), head.bias.detach().numpy().copy(), model, history)


def negativity(logits: torch.Tensor) -> torch.Tensor:
    """Log-odds of "negative" against the other labels, per row."""
    neg = TONE_LABELS.index("negative")
    others = [i for i in range(logits.shape[1]) if i != neg]
    return logits[:, neg] - torch.logsumexp(logits[:, others], dim=1)


def _batches_forever(items: list[Any], size: int, generator: torch.Generator) -> Iterator[list[Any]]:
    """Batches of `size` items, reshuffled on every pass; nothing when `items` is empty."""
    while items:
        order = torch.randperm(len(items), generator=generator).tolist()
        for lo in range(0, len(order) - size + 1, size):
            yield [items[i] for i in order[lo : lo + size]]
        if len(items) < size:
            yield [items[i] for i in order]


def in_context(
    sentences: list[str], contexts: list[str], seed: int
) -> tuple[list[str], list[list[tuple[int, int]]]]:
    """Each sentence alone and inside a reply (a clean sentence before and/or after it), with its span:
    the served model scores sentences in context, so the head learns them both ways."""
    rng = random.Random(seed)
    texts: list[str] = []
    spans: list[list[tuple[int, int]]] = []
    for sentence in sentences:
        texts.append(sentence)
        spans.append([(0, len(sentence))])
        before = rng.choice(contexts) if rng.random() < 0.7 else ""
        after = rng.choice(contexts) if rng.random() < 0.5 else ""
        start = len(before) + 1 if before else 0
        texts.append(" ".join(x for x in (before, sentence, after) if x))
        spans.append([(start, start + len(sentence))])
    return texts, spans


def _span_features(encoder: Encoder, texts: list[str], spans: list[list[tuple[int, int]]]) -> np.ndarray:
    _, per_text = pooled_features(encoder, texts, spans=spans)
    return np.stack([found[0][2] for found in per_text])


def fit_vague_head(
    encoder: Encoder,
    sentences: list[str],
    labels: list[bool],
    valid: tuple[list[str], list[bool]],
    contexts: list[str],
    c: float = 2.0,
    seed: int = 13,
) -> tuple[np.ndarray, np.ndarray, float, dict]:
    """Logistic regression on sentence features, alone and in context. The threshold (0.5 and up)
    maximises validation F0.5: a model VAGUE match vetoes rewrites, so precision weighs double."""
    texts, spans = in_context(sentences, contexts, seed)
    features = _span_features(encoder, texts, spans)
    y = [label for label in labels for _ in range(2)]
    clf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(features, y)
    vtexts, vspans = in_context(valid[0], contexts, seed + 1)
    vy = np.array([label for label in valid[1] for _ in range(2)])
    probs = clf.predict_proba(_span_features(encoder, vtexts, vspans))[:, list(clf.classes_).index(True)]
    best_t, best_score = 0.5, -1.0
    for t in np.arange(0.5, 0.91, 0.05):
        score = fbeta_score(vy, probs >= t, beta=0.5, zero_division=0)
        if score > best_score:
            best_t, best_score = float(round(t, 2)), float(score)
    pred = probs >= best_t
    best_f1 = f1_score(vy, pred, zero_division=0)
    tp = int(np.sum(pred & vy))
    metrics = {
        "valid_f1": round(best_f1, 4),
        "valid_precision": round(tp / max(1, int(pred.sum())), 4),
        "valid_recall": round(tp / max(1, int(np.sum(vy))), 4),
        "threshold": best_t,
        "valid_sentences": len(vtexts),
    }
    w = clf.coef_.astype(np.float32)
    b = clf.intercept_.astype(np.float32)
    if not clf.classes_[1]:  # make the single row score "vague"
        w, b = -w, -b
    return w, b, best_t, metrics


def save_adapter(out: Path, peft_model: Any) -> None:
    out.mkdir(parents=True, exist_ok=True)
    peft_model.save_pretrained(out / ADAPTER_DIR)
    config = out / ADAPTER_DIR / "adapter_config.json"
    raw = json.loads(config.read_text(encoding="utf-8"))
    raw["base_model_name_or_path"] = None  # the base is whatever encoder the model card names
    config.write_text(json.dumps(raw, indent=2, sort_keys=True), encoding="utf-8")


def write_model_dir(
    out: Path,
    vague: tuple[np.ndarray, np.ndarray, float, dict],
    fit: ToneFit,
    meta: dict[str, Any],
    card: str,
) -> None:
    """Heads, metadata and card; the adapter (if any) is saved beforehand with `save_adapter`."""
    out.mkdir(parents=True, exist_ok=True)
    np.savez(
        out / HEADS_FILE, tone_W=fit.head_weight, tone_b=fit.head_bias, vague_W=vague[0], vague_b=vague[1]
    )
    (out / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    (out / "MODEL_CARD.md").write_text(card, encoding="utf-8")


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def config_dict(cfg: TrainConfig) -> dict[str, Any]:
    return asdict(cfg)
