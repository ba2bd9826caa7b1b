"""A chaos run: jobs through the whole local pipeline while the world around it misbehaves.

    python -m benchmarks.chaos [--jobs 6] [--books 300] [--seed N] [--aws server]

(from the repository root, in a CPython 3.13 environment with the python-default resolve's
requirements; `./pants run benchmarks/chaos.py -- ARGS` runs the same)

Each job is an export of `--books` rows (a synthetic library, tests/support/exports.py)
enriched from the loopback Open Library and Google Books, while a seeded random share of
upstream requests fails (429 with Retry-After, 5xx, hangs, malformed JSON, dropped
connections, Google's quota), invocations crash before, during and after their writes in every
function (the aggregator also between the dashboard write and the final update), SQS batches
and S3 notifications arrive twice at once (tests/support/chaos.py, local_runtime/faults.py).

Prints, per run: jobs, books, faults injected by kind, books lost (must be 0), books
duplicated (must be 0), jobs terminal by their deadline (must be 100%), and the seed that
replays its fault draws (not the threads' timing). Exits 1 when a promise is broken. Without `--seed`, a new seed is drawn.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from pathlib import Path

from tests.support.chaos import ChaosConfig, run_chaos


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = ChaosConfig()
    parser.add_argument("--jobs", type=int, default=6)
    parser.add_argument("--books", type=int, default=300, help="rows per export")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--runs", type=int, default=1, help="runs, each with the next seed")
    parser.add_argument("--upstream-fault-rate", type=float, default=defaults.upstream_fault_rate)
    parser.add_argument("--crash-rate", type=float, default=defaults.crash_rate)
    parser.add_argument("--duplicate-rate", type=float, default=defaults.duplicate_rate)
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency)
    parser.add_argument("--deadline-seconds", type=int, default=defaults.deadline_seconds)
    parser.add_argument("--aws", choices=("in-process", "server"), default=defaults.aws)
    args = parser.parse_args()

    first_seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    failed = False
    for seed in range(first_seed, first_seed + args.runs):
        config = ChaosConfig(
            jobs=args.jobs,
            books=args.books,
            seed=seed,
            upstream_fault_rate=args.upstream_fault_rate,
            crash_rate=args.crash_rate,
            duplicate_rate=args.duplicate_rate,
            concurrency=args.concurrency,
            deadline_seconds=args.deadline_seconds,
            aws=args.aws,
        )
        with tempfile.TemporaryDirectory(prefix="chaos-") as out:
            report = run_chaos(config, Path(out))
        print(report.text())
        print(
            "  load average             {:.2f} {:.2f} {:.2f} (1, 5, 15 min)".format(
                *os.getloadavg()
            ),
            flush=True,
        )
        failed |= not report.passed
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
