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


def add_deployment_arguments(
    parser: argparse.ArgumentParser, *, remote_deadline: str, local_deadline: str = "60"
) -> None:
    """--concurrency, --deadline-seconds, --offline and --log-level; `remote_deadline` and
    `local_deadline` say what the deadline is by default against the real APIs, and against
    local sources or none."""
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
            f"JOB_DEADLINE_SECONDS, else with local or no enrichment {local_deadline}, and with "
            f"the real APIs {remote_deadline})"
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
