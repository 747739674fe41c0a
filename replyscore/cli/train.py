"""`replyscore train` and `replyscore eval`: retraining on labelled chats, and measuring a model."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from replyscore.cli.errors import CliError
from replyscore.training.config import TrainConfig


def _progress_bar() -> Callable[[str, int, int], None]:
    """A tqdm bar per training stage, with rate and ETA."""
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def update(stage: str, done: int, total: int) -> None:
        if not total:
            print(stage, file=sys.stderr)
            return
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=stage, unit="batch", file=sys.stderr)
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return update


def cmd_train(args: argparse.Namespace) -> int:
    from replyscore.training.data import TrainingDataError
    from replyscore.training.pipeline import train_model
    from replyscore.training.tone import UnknownLoraTargetError

    cfg = TrainConfig(
        mode=args.mode,
        epochs=args.epochs,
        seed=args.seed,
        batch_size=args.batch_size,
        encoder_layers=args.encoder_layers,
        pair_weight=args.pair_weight,
        pair_margin=args.pair_margin,
        synthetic_pairs=args.synthetic_pairs,
        label_smoothing=args.label_smoothing,
        lora_targets=tuple(args.lora_targets.split(",")),
    )
    update = _progress_bar()
    try:
        meta = train_model(
            Path(args.data),
            Path(args.out),
            valid=Path(args.valid) if args.valid else None,
            cfg=cfg,
            base=Path(args.base) if args.base else None,
            progress=update,
        )
    except (TrainingDataError, UnknownLoraTargetError) as exc:
        raise CliError(str(exc)) from exc
    for warning in meta["data"]["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    m = meta["metrics"]
    print(f"model {meta['version']} written to {args.out}")
    print(
        f"held-out test (int8, as served): accuracy {m['test_int8']['accuracy']}, "
        f"macro-F1 {m['test_int8']['macro_f1']}, macro-F1 pos/neg {m['test_int8']['macro_f1_pn']}"
    )
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from replyscore.model.language import ReplyLanguageModel
    from replyscore.training.data import TrainingDataError, read_labelled
    from replyscore.training.pipeline import predict_labels, tone_metrics

    try:
        data = read_labelled(Path(args.data))
    except TrainingDataError as exc:
        raise CliError(str(exc)) from exc
    model = ReplyLanguageModel.load(Path(args.model) if args.model else None)
    metrics = tone_metrics(data.labels, predict_labels(model, data.texts))
    metrics["model_version"] = model.version
    if args.json:
        print(json.dumps(metrics, ensure_ascii=False))
        return 0
    print(f"model {model.version} on {args.data}: {metrics['n']} texts")
    print(
        f"accuracy {metrics['accuracy']}  macro-F1 {metrics['macro_f1']}  "
        f"macro-F1 (pos/neg) {metrics['macro_f1_pn']}"
    )
    for label, f1 in metrics["per_class_f1"].items():
        print(f"  F1 {label:<9}{f1}")
    cm = metrics["confusion_matrix"]
    print("confusion (rows gold, columns predicted): " + " ".join(cm["labels"]))
    for label, row in zip(cm["labels"], cm["rows_gold_cols_pred"], strict=True):
        print(f"  {label:<9}" + "".join(f"{v:>9}" for v in row))
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    train = commands.add_parser("train", help="train a tone model on labelled texts or chats")
    train.add_argument("--data", required=True, help="CSV/JSONL file (or folder) of labelled texts or chats")
    train.add_argument("--valid", help="validation file; default: a stratified split of --data")
    train.add_argument("--mode", choices=("head", "lora"), default="lora")
    train.add_argument("--base", help="local Hugging Face encoder folder; default: multilingual-e5-small")
    train.add_argument("--out", required=True, help="model directory to write")
    train.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    train.add_argument("--batch-size", type=int, default=TrainConfig.batch_size)
    train.add_argument("--seed", type=int, default=TrainConfig.seed)
    train.add_argument(
        "--encoder-layers",
        type=int,
        default=TrainConfig.encoder_layers,
        help="keep only the first N layers of the encoder (faster; default: all)",
    )
    train.add_argument(
        "--pair-weight",
        type=float,
        default=TrainConfig.pair_weight,
        help="LoRA: weight of the loss ranking rude texts above their calm rewrites (0: off)",
    )
    train.add_argument(
        "--pair-margin",
        type=float,
        default=TrainConfig.pair_margin,
        help="LoRA: log-odds of negative by which a rude text must exceed its calm rewrite",
    )
    train.add_argument(
        "--synthetic-pairs",
        type=int,
        default=TrainConfig.synthetic_pairs,
        help="LoRA: rude variants of training texts added to the ranked pairs (0: only written pairs)",
    )
    train.add_argument(
        "--label-smoothing",
        type=float,
        default=TrainConfig.label_smoothing,
        help="LoRA: cross-entropy label smoothing (default 0)",
    )
    train.add_argument(
        "--lora-targets",
        default=",".join(TrainConfig.lora_targets),
        help="LoRA: comma-separated encoder layer names that get adapters "
        "(query,key,value: attention; dense: attention output and feed-forward)",
    )
    train.set_defaults(func=cmd_train)

    evaluate = commands.add_parser("eval", help="accuracy, macro-F1 and confusion matrix of a tone model")
    evaluate.add_argument("--model", help="model directory; default: $REPLYSCORE_MODEL or the packaged model")
    evaluate.add_argument("--data", required=True, help="CSV/JSONL file (or folder) of labelled texts")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.set_defaults(func=cmd_eval)
