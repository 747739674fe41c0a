"""`replyscore batch`: score a CSV/JSONL file of replies or chats, resumably; optionally an HTML report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from replyscore.cli.errors import CliError
from replyscore.eval.batch import (
    DEFAULT_CHUNK,
    Engine,
    EngineError,
    LocalEngine,
    run_batch,
    write_batch_report,
)
from replyscore.eval.batch_io import BatchInputError, file_format
from replyscore.model.deadlines import parse_moment
from replyscore.model.loading import load_scorer
from replyscore.model.scorer import Scorer

EXIT_INTERRUPTED = 130


def _scorer(args: argparse.Namespace) -> Scorer:
    try:
        return load_scorer(args.rules_only, args.model, threads=args.threads, per_token=args.per_token_int8)
    except (OSError, ValueError) as exc:
        raise CliError(
            f"cannot load the language model ({exc}); pass --rules-only to score with rules only"
        ) from exc


def _engine(args: argparse.Namespace) -> tuple[Engine, Scorer | None]:
    if args.engine == "local":
        scorer = _scorer(args)
        return LocalEngine(scorer), scorer
    try:
        from replyscore.eval.batch_ray import RayEngine
    except ImportError as exc:
        raise CliError(
            f"--engine ray needs Ray Data ({exc.name} is missing): pip install 'replyscore[ray]'"
        ) from exc
    engine = RayEngine(
        args.rules_only,
        args.model,
        args.workers,
        args.cpus_per_worker,
        args.ray_address,
        per_token=args.per_token_int8,
    )
    return engine, None


def cmd_batch(args: argparse.Namespace) -> int:
    if not args.input.is_file():
        raise CliError(f"{args.input}: no such file")
    if args.output.resolve() == args.input.resolve():
        raise CliError("OUTPUT must not be the INPUT file")
    if args.batch_size < 1:
        raise CliError("--batch-size must be at least 1")
    try:
        file_format(args.input), file_format(args.output)
    except BatchInputError as exc:
        raise CliError(str(exc)) from exc
    except EngineError as exc:
        hint = "" if args.rules_only else " (to score without the language model, pass --rules-only)"
        raise CliError(f"{exc}{hint}; rerun the same command to resume") from exc
    as_of = None
    if args.as_of:
        try:
            as_of = parse_moment(args.as_of)
        except ValueError as exc:
            raise CliError(f"--as-of: not an ISO 8601 time: {args.as_of!r}") from exc
    engine, scorer = _engine(args)
    try:
        stats = run_batch(
            args.input, args.output, engine, args.batch_size, None if args.no_progress else sys.stderr
        )
        print(f"{args.output}: {stats.summary()}")
        if args.report:
            files = write_batch_report(
                args.report, args.input, args.output, scorer or _scorer(args), args.worst, as_of
            )
            print(f"report: {files[0]} (+ {len(files) - 1} CSV tables beside it)")
    except BatchInputError as exc:
        raise CliError(str(exc)) from exc
    except EngineError as exc:
        hint = "" if args.rules_only else " (to score without the language model, pass --rules-only)"
        raise CliError(f"{exc}{hint}; rerun the same command to resume") from exc
    except KeyboardInterrupt:
        print(
            f"interrupted; rows written so far are kept: rerun the same command to resume {args.output}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    batch = commands.add_parser(
        "batch",
        help="score a CSV/JSONL file of replies or chats; SLA and an HTML report",
        description="Score every reply (or every agent message of every chat) of INPUT into OUTPUT, one row "
        "each with the same id; rerunning with the same OUTPUT resumes. See docs/batch.md.",
    )
    batch.add_argument("input", type=Path, metavar="INPUT", help=".jsonl or .csv: replies or chats")
    batch.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="OUTPUT",
        help=".jsonl or .csv; appended to and resumed when it exists",
    )
    batch.add_argument(
        "--report",
        type=Path,
        metavar="HTML",
        help="write a self-contained HTML report here, its tables as CSV beside it",
    )
    batch.add_argument("--rules-only", action="store_true", help="skip the language model (no tone)")
    batch.add_argument(
        "--model",
        type=Path,
        metavar="DIR",
        help="model directory (default: $REPLYSCORE_MODEL or the packaged one)",
    )
    batch.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local: this process; ray: Ray Data workers (local instance or $RAY_ADDRESS)",
    )
    batch.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_CHUNK,
        help=f"replies per model batch and per flushed chunk (default {DEFAULT_CHUNK})",
    )
    batch.add_argument("--threads", type=int, help="local: threads for the model (default: one per core)")
    batch.add_argument(
        "--per-token-int8",
        action="store_true",
        help="int8 activation scales per token: a reply's tone does not depend on its batch neighbours, "
        "so a resumed run matches an uninterrupted one exactly (about 16%% slower)",
    )
    batch.add_argument(
        "--workers", type=int, help="ray: scoring actors (default: cluster CPUs / cpus per worker)"
    )
    batch.add_argument(
        "--cpus-per-worker", type=int, default=1, help="ray: CPUs (and model threads) per actor"
    )
    batch.add_argument(
        "--ray-address", help="ray: cluster address (default $RAY_ADDRESS, else a local instance)"
    )
    batch.add_argument("--worst", type=int, default=20, help="report: how many of the worst replies to show")
    batch.add_argument(
        "--as-of", help="report: the SLA's 'now' for unanswered chats (default: the last message)"
    )
    batch.add_argument("--no-progress", action="store_true", help="no progress bar")
    batch.set_defaults(func=cmd_batch)
