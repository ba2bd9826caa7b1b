"""End-to-end figures: one export through the whole local pipeline, upload to dashboard.

    python -m benchmarks.e2e_bench [--books 564] [--latency 0.2] [--concurrency 50]
                                   [--aws server]

(from the repository root, in a CPython 3.13 environment with the python-default resolve's
requirements; `./pants run benchmarks/e2e_bench.py -- ARGS` runs the same)

A synthetic export (tests/support/exports.py) against the loopback Open Library and Google
Books (tests/support/upstream_server.py) with `--latency` seconds added to every upstream
response. The upstream server runs in a child process, as a remote API would: its CPU is not
the pipeline's. Prints the time from start to dashboard written (target: under 5 s), how long
after the last book the dashboard appeared, and the AWS and upstream requests per book.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import os
import resource
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from contracts.messages import JobStatus
from local_runtime.emulator import server_process_id
from local_runtime.instrumentation import OTHER_THREADS, RUNTIME
from local_runtime.pipeline import RunOptions, run_pipeline
from tests.support.catalogue import catalogue_for
from tests.support.exports import synthetic_export
from tests.support.upstream_server import FixtureBook, UpstreamServer

TARGET_SECONDS = 5.0


def _serve_upstream(conn: Connection, fixtures: list[FixtureBook], latency: float) -> None:
    """The child process: serves both APIs until told to stop, then reports its requests."""
    with UpstreamServer(fixtures, latency=latency) as upstream:
        conn.send((upstream.openlibrary_base_url, upstream.google_books_base_url))
        conn.recv()
        by_api = collections.Counter(request.api.value for request in upstream.requests)
        by_endpoint = collections.Counter(
            f"{request.api.value} {request.path.split('/')[1] or '/'}"
            for request in upstream.requests
        )
        usage = resource.getrusage(resource.RUSAGE_SELF)
        conn.send((dict(by_api), dict(by_endpoint), usage.ru_utime + usage.ru_stime))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", type=int, default=564)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--aws", choices=("in-process", "server"), default="server")
    parser.add_argument(
        "--visibility-timeout",
        type=int,
        default=30,
        help=(
            "task queue visibility timeout = processor timeout (default 30: fifty concurrent "
            "invocations share two cores, and a 5 s timeout would count their waiting for "
            "the CPU as timeouts)"
        ),
    )
    parser.add_argument(
        "--batch-size", type=int, default=None, help="the processor mapping's (as deployed: 100)"
    )
    parser.add_argument(
        "--batching-window",
        type=float,
        default=None,
        help="the processor mapping's batching window in seconds (as deployed: 2)",
    )
    args = parser.parse_args()

    export = synthetic_export(args.books, seed=564)
    catalogue = catalogue_for(export.books)
    books = len(export.books)
    context = multiprocessing.get_context("spawn")
    parent_end, child_end = context.Pipe()
    server = context.Process(
        target=_serve_upstream, args=(child_end, catalogue.fixtures, args.latency), daemon=True
    )
    server.start()
    openlibrary_url, google_books_url = parent_end.recv()

    options = RunOptions(
        concurrency=args.concurrency,
        aws=args.aws,
        visibility_timeout_seconds=args.visibility_timeout,
        processor_batch_size=args.batch_size,
        processor_batching_window_seconds=args.batching_window,
        openlibrary_base_url=openlibrary_url,
        google_books_base_url=google_books_url,
        monitor_interval_seconds=0.1,
    )
    with tempfile.TemporaryDirectory() as out_dir:
        out_dir = os.environ.get("E2E_BENCH_OUT", out_dir)
        emulator_cpu_before = _emulator_cpu_seconds()
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        outcome = run_pipeline(export.data, Path(out_dir), options)
        wall = time.perf_counter() - started
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        emulator_cpu = _emulator_cpu_seconds() - emulator_cpu_before
    parent_end.send("stop")
    upstream_by_api, upstream_by_endpoint, upstream_cpu = parent_end.recv()
    server.join(10)

    timings = outcome.timings
    dashboard = outcome.dashboard
    print(
        f"e2e: {books} books, upstream latency {args.latency * 1000:.0f} ms, "
        f"concurrency {args.concurrency}, aws {args.aws}, processor batch "
        f"{args.batch_size or 'as deployed'} window "
        f"{'as deployed' if args.batching_window is None else f'{args.batching_window:g} s'}"
    )
    print(f"  status                     {outcome.status} {outcome.error or ''}")
    if dashboard is not None:
        counts = dashboard.counts
        print(
            f"  books                      {counts.total} ({counts.enriched} enriched, "
            f"{counts.not_enriched} not enriched, {counts.missing} missing)"
        )
    finished = timings.finished_seconds
    verdict = "" if finished is None else ("(met)" if finished < TARGET_SECONDS else "(missed)")
    print(
        f"  start -> dashboard written {_seconds(finished)}  target < {TARGET_SECONDS:.0f} s "
        f"{verdict}"
    )
    print(
        f"    setup (moto, resources, cold start of the modules) {_seconds(timings.setup_seconds)}"
    )
    print(
        f"    upload + orchestrator done                         {_seconds(timings.submitted_seconds)}"
    )
    print(
        f"    last book accounted for                            {_seconds(timings.all_books_accounted_seconds)}"
    )
    print(f"  dashboard after last book  {_seconds(timings.dashboard_after_last_book_seconds)}")
    print(f"  run incl. shutdown         {wall:.2f} s")

    by_caller = outcome.aws_calls
    service_calls = sum(count for caller, count in by_caller.items() if caller != RUNTIME)
    runtime_calls = by_caller.get(RUNTIME, 0)
    print(f"  AWS requests per book      {service_calls / books:.2f} by the functions")
    for caller in ("orchestrator", "book_processor", "aggregator", OTHER_THREADS, RUNTIME):
        operations = outcome.aws_operations.get(caller, {})
        if operations:
            detail = ", ".join(f"{op} {n}" for op, n in sorted(operations.items()))
            print(f"    {caller:<28} {detail}")
    print(
        f"                             {runtime_calls / books:.2f} by the runtime (the SQS pollers "
        "that Lambda runs, resources, upload, monitoring)"
    )
    upstream_total = sum(upstream_by_api.values())
    print(
        f"  upstream requests per book {upstream_total / books:.2f} "
        + ", ".join(f"{api} {n / books:.2f}" for api, n in sorted(upstream_by_api.items()))
    )
    print("    " + ", ".join(f"{k} {v}" for k, v in sorted(upstream_by_endpoint.items())))
    processor = outcome.functions["book_processor"]
    print(
        f"  book processor             {processor.invocations} invocations, "
        f"{processor.cold_starts} environments, {processor.errors} errors, "
        f"{processor.timeouts} timeouts"
    )
    pipeline_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (
        cpu_before.ru_utime + cpu_before.ru_stime
    )
    print(
        f"  CPU                        {pipeline_cpu:.2f} s pipeline process, "
        f"{upstream_cpu:.2f} s upstream process"
        + (f", {emulator_cpu:.2f} s AWS emulator process" if emulator_cpu else "")
    )
    print(f"  peak RSS                   {cpu_after.ru_maxrss / 1024:.0f} MB")
    if outcome.status not in (JobStatus.COMPLETE, JobStatus.PARTIAL):
        raise SystemExit(1)


def _emulator_cpu_seconds() -> float:
    """CPU time of the moto server process so far (Linux /proc; 0 elsewhere or in-process)."""
    pid = server_process_id()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _seconds(value: Any) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


if __name__ == "__main__":
    main()
