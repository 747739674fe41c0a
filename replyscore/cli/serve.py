"""`replyscore serve`: the scoring service under uvicorn."""

from __future__ import annotations

import argparse

from replyscore.cli.errors import CliError


def cmd_serve(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from replyscore.serving.app import run
    from replyscore.serving.settings import Settings

    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        raise CliError(f"invalid settings: {exc}") from exc
    run(settings)
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the HTTP scoring service",
        description="Run the scoring service. Settings come from REPLYSCORE_* environment variables or .env.",
    )
    serve.add_argument("--host", help="interface to listen on (REPLYSCORE_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="TCP port (REPLYSCORE_PORT, default 8000)")
    serve.set_defaults(func=cmd_serve)
