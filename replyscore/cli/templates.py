"""`replyscore templates validate`: check the whole template library; non-zero exit on a problem."""

from __future__ import annotations

import argparse
from pathlib import Path

from replyscore.model.library_check import check_library, context_grid
from replyscore.model.templates import TEMPLATES_DIR, TemplateError, TemplateLibrary

EXIT_PROBLEMS = 1


def cmd_validate(args: argparse.Namespace) -> int:
    try:
        library = TemplateLibrary.load(Path(args.dir))
    except (TemplateError, OSError) as exc:
        print(f"error: {exc}")
        return EXIT_PROBLEMS
    problems = check_library(library)
    for problem in problems:
        print(problem)
    errors = sum(p.severity == "error" for p in problems)
    templates = library.templates
    print(
        f"{len(templates)} templates ({sum(t.approved for t in templates)} approved) in "
        f"{len(library.scenarios)} scenarios, {sum(1 for _ in context_grid())} contexts: "
        f"{errors} error(s), {len(problems) - errors} warning(s)"
    )
    return EXIT_PROBLEMS if errors else 0


def register(commands: argparse._SubParsersAction) -> None:
    templates = commands.add_parser("templates", help="work with the reply template library")
    actions = templates.add_subparsers(dest="action", required=True)
    validate = actions.add_parser(
        "validate", help="check every template: slots, examples, no rule findings over a grid of contexts"
    )
    validate.add_argument(
        "--dir", default=str(TEMPLATES_DIR), help="template directory (default: the built-in)"
    )
    validate.set_defaults(func=cmd_validate)
