"""The `replyscore` command line: each subcommand lives in its own module with a `register` function."""

from __future__ import annotations

import argparse
import sys

from replyscore.cli import batch, check, model, serve, templates, train
from replyscore.cli.errors import CliError
from replyscore.model.checker import InvalidTextError
from replyscore.model.rulebook import RuleFileError, UnknownRuleError

EXIT_USAGE = 2
SUBCOMMANDS = (check, batch, model, serve, templates, train)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="replyscore", description="Checks and fixes marketplace sellers' replies to customers."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS:
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (CliError, InvalidTextError, UnknownRuleError, RuleFileError) as exc:
        print(f"replyscore: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
