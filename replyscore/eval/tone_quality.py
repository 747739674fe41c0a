"""Quality of the tone model: its held-out samples and, when ../shared/data exists, real Russian text.

    python -m replyscore.eval.tone_quality [--model DIR] [--fp32] [--model-alone] [--json]
                                           [--detox-split dev|train]

The tone is measured as the scorer serves it: the model's reading, with the model's `rude_shift`
added to the log-odds of "negative" where the rules find a text rude; `--model-alone` drops that.

- samples: the held-out split of data/samples/tone, reproduced exactly as `train_model` drew it
  (stratified 15 %, the seed from the model's training config; flagged when the model was trained on
  other data).
- operator replies: SentiRuEval-2015 telecom tweets written by operators' support accounts
  (`corpora.is_operator_reply`), labels aggregated per tweet; as posted and without the Twitter
  markup (opening handle, agent initials, hashtags, links).
- detox: RUSSE-2022 pairs; the polite rewrite should read less negative (lower P(negative)) than the
  rude original in >= 95 % of pairs. The dev file by default (its test file has no rewrites). Pairs
  are compared on float64 log-odds, which order them as P(negative) does even where both round to
  1.0; pairs whose "rewrite" is the original unchanged are left out and counted.
- CEDR: sentences with joy (expect positive) or anger (expect negative), train and test files.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from replyscore.eval import corpora
from replyscore.model import scorer
from replyscore.model.checker import Checker
from replyscore.model.language import ReplyLanguageModel
from replyscore.model.scorer import rude_flags, shift_negative_logits
from replyscore.samples import SAMPLES_DIR
from replyscore.training.data import read_labelled, split
from replyscore.training.pipeline import tone_metrics

DETOX_TARGET = 0.95
SAMPLES_TEST_FRACTION = 0.15  # train_model's default held-out share
BATCH = 256


def tone_logits(model: ReplyLanguageModel, texts: Sequence[str], rules: Checker | None = None) -> np.ndarray:
    """(N, labels) tone logits in `model.labels` order: the model alone, or with `rules` as served
    (the model's `rude_shift` added to "negative" where the rules find a text rude)."""
    logits = model.tone_logits(texts, BATCH)
    if rules is None or not model.rude_shift:
        return logits
    return shift_negative_logits(
        logits, rude_flags(rules, texts), model.rude_shift, model.labels.index("negative")
    )


def tone_probabilities(
    model: ReplyLanguageModel, texts: Sequence[str], rules: Checker | None = None
) -> np.ndarray:
    """(N, labels) tone probabilities in `model.labels` order, unrounded."""
    return _softmax(tone_logits(model, texts, rules))


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def negative_log_odds(model: ReplyLanguageModel, logits: np.ndarray) -> np.ndarray:
    """log P(negative) / (1 - P(negative)) per row, in float64 (see `scorer.negative_log_odds`)."""
    return scorer.negative_log_odds(logits, model.labels.index("negative"))


def predicted_labels(model: ReplyLanguageModel, probs: np.ndarray) -> list[str]:
    return [model.labels[i] for i in probs.argmax(axis=1)]


def _headline(metrics: dict[str, Any]) -> dict[str, Any]:
    keys = ("n", "accuracy", "macro_f1", "macro_f1_pn", "per_class_f1", "confusion_matrix")
    return {k: metrics[k] for k in keys}


def heldout_samples(model: ReplyLanguageModel, data: Path) -> tuple[list[str], list[str], bool]:
    """(texts, labels, trained_on_this_data) of the split `train_model` held out from `data`."""
    dataset = read_labelled(data)
    seed = int(model.meta.get("training", {}).get("config", {}).get("seed", 13))
    _, test_t, _, test_l = split(dataset.texts, dataset.labels, SAMPLES_TEST_FRACTION, seed, dataset.pairs)
    return test_t, test_l, model.meta.get("data", {}).get("sha256") == dataset.sha256


def evaluate_samples(model: ReplyLanguageModel, data: Path, rules: Checker | None = None) -> dict[str, Any]:
    texts, gold, same_data = heldout_samples(model, data)
    result = _headline(tone_metrics(gold, predicted_labels(model, tone_probabilities(model, texts, rules))))
    result["held_out"] = same_data
    if not same_data:
        result["warning"] = f"the model was not trained on {data}: this split is not held out from it"
    return result


def evaluate_operator_replies(
    model: ReplyLanguageModel, root: Path, rules: Checker | None = None
) -> dict[str, Any]:
    tweets = [t for t in corpora.operator_replies(root) if t.label is not None]
    gold = [t.label or "" for t in tweets]
    probs = tone_probabilities(model, [t.text for t in tweets], rules)
    result = _headline(tone_metrics(gold, predicted_labels(model, probs)))
    # Handles, agent initials and hashtags are no part of what a chat customer reads.
    bare = tone_probabilities(model, [corpora.without_twitter_markup(t.text) for t in tweets], rules)
    result["without_markup"] = _headline(tone_metrics(gold, predicted_labels(model, bare)))
    return result


def evaluate_detox(
    model: ReplyLanguageModel,
    root: Path,
    split_name: str = "dev",
    limit: int | None = None,
    seed: int = 0,
    rules: Checker | None = None,
) -> dict[str, Any]:
    pairs = corpora.detox_pairs(root, split_name)
    sample = "all"
    if limit is not None and limit < len(pairs):
        pairs = random.Random(seed).sample(pairs, limit)
        sample = f"{limit} random pairs (seed {seed})"
    identical = [p for p in pairs if p.rude.strip() == p.polite.strip()]
    pairs = [p for p in pairs if p.rude.strip() != p.polite.strip()]
    texts = sorted({p.rude for p in pairs} | {p.polite for p in pairs})
    logits = tone_logits(model, texts, rules)
    odds = dict(zip(texts, negative_log_odds(model, logits).tolist(), strict=True))
    probs = _softmax(logits)
    neg = dict(zip(texts, probs[:, model.labels.index("negative")].tolist(), strict=True))
    labels = dict(zip(texts, predicted_labels(model, probs), strict=True))
    drops = np.array([neg[p.rude] - neg[p.polite] for p in pairs])
    share = float(np.mean([odds[p.rude] > odds[p.polite] for p in pairs])) if pairs else 0.0
    return {
        "split": split_name,
        "pairs": len(pairs),
        "identical_pairs_left_out": len(identical),
        "rude_texts": len({p.rude for p in pairs}),
        "sample": sample,
        "less_negative_share": round(share, 4),
        "target": DETOX_TARGET,
        "meets_target": share >= DETOX_TARGET,
        "mean_p_negative_drop": round(float(drops.mean()), 4) if len(pairs) else 0.0,
        "rude_read_negative": round(sum(labels[p.rude] == "negative" for p in pairs) / max(1, len(pairs)), 4),
        "polite_read_negative": round(
            sum(labels[p.polite] == "negative" for p in pairs) / max(1, len(pairs)), 4
        ),
    }


def evaluate_cedr(model: ReplyLanguageModel, root: Path, rules: Checker | None = None) -> dict[str, Any]:
    sentences = [s for part in ("train", "test") for s in corpora.cedr_sentences(root, part) if s.tone]
    gold = [s.tone or "" for s in sentences]
    pred = predicted_labels(model, tone_probabilities(model, [s.text for s in sentences], rules))
    result = _headline(tone_metrics(gold, pred))
    for emotion, expected in (("joy", "positive"), ("anger", "negative")):
        hits = [p == expected for g, p in zip(gold, pred, strict=True) if g == expected]
        result[f"{emotion}_accuracy"] = round(sum(hits) / max(1, len(hits)), 4)
    return result


def quality_report(
    model: ReplyLanguageModel,
    data: Path,
    root: Path | None,
    *,
    detox_split: str = "dev",
    detox_limit: int | None = None,
    rule_evidence: bool = True,
) -> dict[str, Any]:
    """As served (the tone shifted where the rules find a text rude), or the model alone."""
    rules = Checker() if rule_evidence else None
    report: dict[str, Any] = {
        "model_version": model.version,
        "quantized": model.encoder.quantized,
        "tone": f"served: model + RUDE rule evidence (shift {model.rude_shift})" if rules else "model alone",
        "samples": evaluate_samples(model, data, rules),
    }
    if root is None:
        report["shared_data"] = f"skipped: no ../shared/data (set ${corpora.SHARED_ENV})"
        return report
    report["shared_data"] = str(root)
    report["operator_replies"] = evaluate_operator_replies(model, root, rules)
    report["detox"] = evaluate_detox(model, root, detox_split, detox_limit, rules=rules)
    report["cedr_joy_anger"] = evaluate_cedr(model, root, rules)
    return report


def _print(report: dict[str, Any]) -> None:
    precision = "int8" if report["quantized"] else "fp32"
    print(f"model {report['model_version']} ({precision}); tone {report['tone']}")
    for key, title in (
        ("samples", "held-out samples"),
        ("operator_replies", "SentiRuEval operator replies"),
        ("cedr_joy_anger", "CEDR joy/anger"),
    ):
        if key in report:
            m = report[key]
            print(
                f"{title:<30} n={m['n']:<5} accuracy {m['accuracy']:.3f}  macro-F1 {m['macro_f1']:.3f}  "
                f"macro-F1 pos/neg {m['macro_f1_pn']:.3f}"
            )
            if "warning" in m:
                print(f"  warning: {m['warning']}")
            if "without_markup" in m:
                bare = m["without_markup"]
                print(f"  without handle, initials, hashtags and links: accuracy {bare['accuracy']:.3f}")
    if "cedr_joy_anger" in report:
        c = report["cedr_joy_anger"]
        print(f"  joy read positive {c['joy_accuracy']:.3f}, anger read negative {c['anger_accuracy']:.3f}")
    if "detox" in report:
        d = report["detox"]
        verdict = "meets" if d["meets_target"] else "below"
        print(
            f"{'detox pairs (' + d['split'] + ')':<30} n={d['pairs']:<5} polite reads less negative in "
            f"{d['less_negative_share']:.3f} of pairs ({verdict} target {d['target']}); read negative: "
            f"rude {d['rude_read_negative']:.3f}, polite {d['polite_read_negative']:.3f}; "
            f"{d['identical_pairs_left_out']} pairs with an unchanged rewrite left out"
        )
    else:
        print(report["shared_data"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", help="model directory; default: $REPLYSCORE_MODEL or the packaged model")
    parser.add_argument(
        "--data", default=str(SAMPLES_DIR / "tone"), help="the labelled samples it was trained on"
    )
    parser.add_argument(
        "--fp32", action="store_true", help="evaluate the fp32 encoder (default: int8, as served)"
    )
    parser.add_argument(
        "--model-alone",
        action="store_true",
        help="the tone model without the RUDE rule evidence the scorer adds (default: as served)",
    )
    parser.add_argument("--detox-split", choices=("dev", "train"), default="dev")
    parser.add_argument("--detox-limit", type=int, help="a fixed random sample of this many pairs")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    model = ReplyLanguageModel.load(Path(args.model) if args.model else None, quantize=not args.fp32)
    report = quality_report(
        model,
        Path(args.data),
        corpora.shared_data_dir(),
        detox_split=args.detox_split,
        detox_limit=args.detox_limit,
        rule_evidence=not args.model_alone,
    )
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        _print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
