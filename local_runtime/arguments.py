"""The command line options that both commands take, for the deployment they start:
`goodreads-stats EXPORT.csv` (cli.py) and `goodreads-stats serve` (serve.py)."""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def add_deployment_arguments(parser: argparse.ArgumentParser, *, remote_deadline: str) -> None:
    """--concurrency, --deadline-seconds, --offline and --log-level; `remote_deadline` says
    what the deadline is by default against the real APIs."""
    parser.add_argument(
        "--concurrency",
        type=positive_int,
        default=4,
        help="concurrent book processor invocations (default 4)",
    )
    parser.add_argument(
        "--deadline-seconds",
        type=positive_int,
        default=None,
        help=(
            "after it, books without a result make the job PARTIAL (default: "
            "JOB_DEADLINE_SECONDS, else 60 with local or no enrichment, and with the real APIs "
            f"{remote_deadline})"
        ),
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="skip enrichment: no requests to Open Library or Google Books",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        help="level of the service logs written to pipeline.log (default INFO)",
    )
