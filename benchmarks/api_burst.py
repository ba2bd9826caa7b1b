"""The HTTP API under a bounded burst over loopback: error shape kept, no job lost.

    python -m benchmarks.api_burst [--clients 48] [--jobs 40] [--books 50] [--mistakes 8]

(from the repository root, in a CPython 3.13 environment with the python-default resolve's
requirements; `./pants run benchmarks/api_burst.py -- ARGS` runs the same)

A local deployment (moto's server, offline enrichment) behind API Gateway on a loopback port
(tests/support/api_burst.py): `--clients` at once create `--jobs` jobs, upload their exports
with the presigned form and follow them, among `--mistakes` requests per job that a client gets
wrong. Prints the requests by status, their latency, the 5xx answers and error bodies not in
the documented shape (both must be 0), and every job's end (none lost). Exits 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from local_runtime.pipeline import LocalPipeline, RunOptions
from tests.support.api_burst import BurstConfig, run_burst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=48)
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--books", type=int, default=50)
    parser.add_argument("--mistakes", type=int, default=8, help="wrong requests per job")
    parser.add_argument("--concurrency", type=int, default=8, help="book processor invocations")
    args = parser.parse_args()
    config = BurstConfig(
        clients=args.clients, jobs=args.jobs, books=args.books, mistakes_per_job=args.mistakes
    )
    options = RunOptions(
        aws="server",
        offline=True,
        concurrency=args.concurrency,
        schedule_seconds=1.0,
        # Dozens of invocations share the cores: a 5 s timeout would count their waiting for
        # the CPU as timeouts, and five of those send a book to the dead-letter queue.
        visibility_timeout_seconds=30,
        deadline_seconds=300,
    )
    with (
        tempfile.TemporaryDirectory(prefix="api-burst-") as out,
        LocalPipeline(Path(out), options) as pipeline,
    ):
        pipeline.start_workers()
        report = run_burst(pipeline, config)
    print(
        f"{args.clients} clients at once, {args.jobs} jobs of {args.books} books, "
        f"{args.mistakes} wrong requests per job"
    )
    print(report.text())
    print("  load average             {:.2f} {:.2f} {:.2f} (1, 5, 15 min)".format(*os.getloadavg()))
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
