"""Orchestrator figures: parse throughput, peak memory, AWS requests per book.

    python -m benchmarks.orchestrator_bench

(from the repository root, in a CPython 3.13 environment with the python-default resolve's
requirements; `./pants run benchmarks/orchestrator_bench.py -- ARGS` runs the same)

1. Throughput: parse + validate + encode every BookTask of a 10,000-row synthetic export,
   against a bare `csv.reader` pass over the same bytes in the same run (target ratio >= 1/3).
2. Peak memory of the orchestrator's in-memory work for a 100,000-row export (read the file,
   parse, encode the manifest, encode every task), measured in a fresh process with tracemalloc
   and ru_maxrss (target under 300 MB).
3. AWS requests per book of a whole job (moto-backed clients, counted with a botocore event
   hook on every client the orchestrator uses) (target at most 0.11).
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from typing import Any

THROUGHPUT_ROWS = 10_000
MEMORY_ROWS = 100_000
FANOUT_BOOKS = 1_000
REPEATS = 15
JOB_ID = "3f0c9a52-7d1e-4b8a-9c4f-2e6d5b1a0c77"


def _best_times(repeats: int, works: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Best CPU time of each work, run in turns so that both see the same machine load."""
    best = dict.fromkeys(works, float("inf"))
    for _ in range(repeats):
        for name, work in works.items():
            gc.collect()
            started = time.process_time()
            work()
            best[name] = min(best[name], time.process_time() - started)
    return best


def _bare_csv_pass(data: bytes) -> int:
    rows = 0
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline=""))
    for _ in reader:
        rows += 1
    return rows


def _parse_and_encode_tasks(data: bytes) -> int:
    from services.orchestrator.fanout import task_entries
    from services.orchestrator.parser import parse_export

    parsed = parse_export(data)
    queued_at = dt.datetime.now(dt.UTC)
    return sum(1 for _ in task_entries(JOB_ID, parsed.books, queued_at))


def throughput() -> None:
    from tests.support.exports import synthetic_export

    data = synthetic_export(THROUGHPUT_ROWS, seed=2024).data
    assert _parse_and_encode_tasks(data) > 0.95 * THROUGHPUT_ROWS
    best = _best_times(
        REPEATS,
        {"bare": lambda: _bare_csv_pass(data), "pipeline": lambda: _parse_and_encode_tasks(data)},
    )
    bare, pipeline = best["bare"], best["pipeline"]
    ratio = bare / pipeline
    print(
        f"throughput ({THROUGHPUT_ROWS:,} rows, {len(data) / 1e6:.1f} MB, best CPU time of "
        f"{REPEATS}, taken in turns):"
    )
    print(
        f"  bare csv.reader pass        {bare * 1000:8.1f} ms  {THROUGHPUT_ROWS / bare:>10,.0f} rows/s"
    )
    print(
        f"  parse+validate+encode tasks {pipeline * 1000:8.1f} ms  "
        f"{THROUGHPUT_ROWS / pipeline:>10,.0f} rows/s"
    )
    verdict = "meets" if ratio >= 1 / 3 else "MISSES"
    print(f"  ratio {ratio:.3f} of the bare pass's throughput ({verdict} the 1/3 target)")


def memory() -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = pathlib.Path(directory) / "export.csv"
        # Written by another process, so that this one stays small (see main).
        _run_child("--write-memory-export", str(path))
        size = path.stat().st_size
        report = _run_child("--memory-child", str(path), "traced")
        report += _run_child("--memory-child", str(path), "untraced")
    print(f"peak memory ({MEMORY_ROWS:,} rows, {size / 1e6:.1f} MB file, fresh process):")
    print(report.rstrip())


def _run_child(*arguments: str) -> str:
    child = subprocess.run(
        [sys.executable, "-m", "benchmarks.orchestrator_bench", *arguments],
        capture_output=True,
        text=True,
        check=True,
        cwd=pathlib.Path(__file__).resolve().parent.parent,
    )
    return child.stdout


def _write_memory_export(path: str) -> None:
    from tests.support.exports import synthetic_export

    # Fewer reviews than the default profile, so that 100,000 rows fit the 50 MB file limit.
    data = synthetic_export(MEMORY_ROWS, seed=7, review_rate=0.1).data
    pathlib.Path(path).write_bytes(data)


def _memory_child(path: str, *, traced: bool) -> None:
    """In a fresh process: what the orchestrator holds while it works on one file.

    Run twice: with tracemalloc (the peak of Python allocations) and without it (the peak
    resident set, which tracemalloc's own bookkeeping would inflate).
    """
    from contracts.codec import encode
    from contracts.messages import JobManifest
    from services.orchestrator.fanout import task_entries
    from services.orchestrator.parser import parse_export

    baseline_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if traced:
        tracemalloc.start()
    # As in run_job: the file's bytes are freed once parsed, before the manifest is encoded.
    parsed = parse_export(pathlib.Path(path).read_bytes())
    now = dt.datetime.now(dt.UTC)
    manifest = JobManifest(
        job_id=JOB_ID,
        source_key=f"uploads/{JOB_ID}/export.csv",
        created_at=now,
        header_variant=parsed.header_variant,
        books=tuple(parsed.books),
        rejected=tuple(parsed.rejected),
        warnings=tuple(parsed.warnings),
    )
    body = encode(manifest)
    manifest_size = len(body)
    del manifest, body
    tasks = sum(len(body) for _, body in task_entries(JOB_ID, parsed.books, now))
    if traced:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        verdict = "meets" if peak < 300 * 2**20 else "MISSES"
        print(
            f"  books {len(parsed.books):,}, manifest {manifest_size / 1e6:.1f} MB, "
            f"task bodies {tasks / 1e6:.1f} MB in total (encoded ten at a time)"
        )
        print(f"  tracemalloc peak {peak / 2**20:.0f} MB of Python allocations")
        return
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    verdict = "meets" if rss < 300 * 2**20 else "MISSES"
    print(
        f"  peak resident set (ru_maxrss) {rss / 2**20:.0f} MB, of which the interpreter and "
        f"imports {baseline_rss / 1024:.0f} MB ({verdict} the 300 MB target)"
    )


def requests_per_book() -> None:
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # the job's INFO lines are not figures
    import boto3
    from moto import mock_aws

    from contracts.storage import new_job_id, upload_key
    from local_runtime.resources import create_resources
    from services.orchestrator.jobs import JobStore
    from services.orchestrator.orchestrate import Clients, Upload, run_job
    from services.orchestrator.settings import Settings
    from tests.support.exports import synthetic_export

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ[name] = value
    export = synthetic_export(FANOUT_BOOKS, seed=11, duplicate_id_rate=0.0)
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        env = create_resources(session)
        job_id = new_job_id()
        key = upload_key(job_id)
        session.client("s3").put_object(Bucket=env.data_bucket, Key=key, Body=export.data)
        settings = Settings(
            data_bucket=env.data_bucket,
            jobs_table=env.jobs_table,
            task_queue_url=env.task_queue_url,
            completion_queue_url=env.completion_queue_url,
        )
        dynamodb = session.client("dynamodb")
        clients = Clients(
            s3=session.client("s3"),
            sqs=session.client("sqs"),
            jobs=JobStore(dynamodb, settings.jobs_table),
        )
        operations: Counter[str] = Counter()

        def count(model: Any, **_: Any) -> None:
            operations[model.name] += 1

        for client in (clients.s3, clients.sqs, dynamodb):
            client.meta.events.register("before-call.*.*", count)
        started = time.perf_counter()
        outcome = run_job(Upload(job_id=job_id, key=key), settings, clients)
        elapsed = time.perf_counter() - started
    total = sum(operations.values())
    per_book = total / outcome.total
    verdict = "meets" if per_book <= 0.11 else "MISSES"
    print(f"AWS requests ({outcome.total:,} books, job {outcome.status}, {elapsed:.1f} s on moto):")
    print("  " + ", ".join(f"{name} {n}" for name, n in sorted(operations.items())))
    print(f"  {total} requests, {per_book:.4f} per book ({verdict} the 0.11 target)")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--memory-child":
        _memory_child(sys.argv[2], traced=sys.argv[3] == "traced")
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--write-memory-export":
        _write_memory_export(sys.argv[2])
        return
    memory()  # first: a child process inherits the parent's peak RSS, so keep the parent small
    throughput()
    requests_per_book()


if __name__ == "__main__":
    main()
