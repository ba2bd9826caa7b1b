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


def non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def add_deployment_arguments(
    parser: argparse.ArgumentParser, *, paced_deadline: str, unpaced_deadline: str = "60"
) -> None:
    """--concurrency, --upstream-rps, --deadline-seconds, --offline and --log-level;
    `paced_deadline` and `unpaced_deadline` say what the deadline is by default in a paced run
    (always against the real APIs) and in an unpaced one."""
    parser.add_argument(
        "--concurrency",
        type=positive_int,
        default=4,
        help="concurrent book processor invocations (default 4)",
    )
    parser.add_argument(
        "--upstream-rps",
        type=non_negative_float,
        default=None,
        metavar="N",
        help=(
            "requests per second to each enrichment host for the whole run, shared by every "
            "invocation (default: UPSTREAM_MAX_RPS, else 3 for the real APIs, as Open Library "
            "asks, and unlimited for loopback URLs; 0 is unlimited). Any rate makes the run "
            "paced, with a paced deployment's clocks"
        ),
    )
    parser.add_argument(
        "--deadline-seconds",
        type=positive_int,
        default=None,
        help=(
            "after it, books without a result make the job PARTIAL (default: "
            f"JOB_DEADLINE_SECONDS, else {unpaced_deadline} when unpaced, and when paced (always "
            f"with the real APIs) {paced_deadline})"
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
