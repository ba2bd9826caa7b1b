"""Aggregator figures: 10,000 books fanned in against the embedded AWS (moto, in-process).

    python -m benchmarks.aggregator_bench [--books N]

(from the repository root, in a CPython 3.13 environment with the python-default resolve's
requirements; `./pants run benchmarks/aggregator_bench.py -- ARGS` runs the same)

Prints the time and peak memory of one aggregation (targets: under 2 s, under 300 MB), the
time of each stage, and the AWS requests per book of the fan-in (target: at most 0.2),
counted with a botocore event hook on the clients the aggregator uses. moto runs with the
local runtime's emulator fixes applied (local_runtime/emulator_fixes.py), as `local_runtime` does.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import random
import resource
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber

from contracts import storage
from contracts.books import Book
from contracts.codec import encode
from contracts.layout import OUTCOME_ATTRIBUTE, RESULT_ATTRIBUTE, TTL_ATTRIBUTE
from contracts.messages import (
    BookResult,
    EnrichmentStatus,
    JobManifest,
    JobRecord,
    JobStatus,
)
from local_runtime.emulator_fixes import apply_emulator_fixes
from local_runtime.resources import create_resources
from services.aggregator.fan_in import AggregatorDependencies, Outcome, aggregate_job
from services.aggregator.settings import Settings
from services.aggregator.stats import build_dashboard
from services.aggregator.store import BlobStore, JobStore

TARGET_SECONDS = 2.0
TARGET_MB = 300.0
TARGET_REQUESTS_PER_BOOK = 0.2
NOW = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
STATUSES = [
    EnrichmentStatus.ENRICHED,
    EnrichmentStatus.NOT_FOUND,
    EnrichmentStatus.FAILED,
    EnrichmentStatus.SKIPPED,
]

GENRES = ("Fantasy", "Science Fiction", "History", "Biography", "Romance", "Mystery", "Poetry")
SHELVES = ("favorites", "book-club", "kindle", "owned", "borrowed", "series", "classics")
REVIEW = (
    "<p>Really <b>enjoyed</b> this one &amp; would read again.<br/><br/>"
    "The middle dragged a bit<br/>but the ending was worth it.</p>"
    "<blockquote>A quoted line</blockquote>"
)


def synthetic_library(
    job_id: str, count: int, seed: int = 7
) -> tuple[JobManifest, list[BookResult]]:
    """A large export of the usual shape: mostly read, some to-read, a fifth reviewed."""
    rng = random.Random(seed)
    books: list[Book] = []
    results: list[BookResult] = []
    for row in range(1, count + 1):
        shelf = rng.choices(["read", "to-read", "currently-reading", "dnf"], [70, 25, 3, 2])[0]
        read = shelf == "read"
        books.append(
            Book(
                book_id=f"gr{1000000 + row}",
                row_number=row,
                goodreads_id=str(1000000 + row),
                title=f"Synthetic Title {row} (Series, #{row % 7 + 1})",
                author=f"Author {rng.randrange(count // 4 + 1)}",
                isbn13=f"978{rng.randrange(10**9, 10**10)}",
                my_rating=rng.choice([None, 1, 2, 3, 4, 5]) if read else None,
                average_rating=round(rng.uniform(2.5, 4.9), 2),
                pages=rng.choice([None, rng.randrange(40, 1400)]),
                original_publication_year=rng.choice([None, rng.randrange(-800, 2024)]),
                date_read=(
                    dt.date(2005, 1, 1) + dt.timedelta(days=rng.randrange(7000))
                    if read and rng.random() < 0.6
                    else None
                ),
                date_added=dt.date(2004, 1, 1) + dt.timedelta(days=rng.randrange(7300)),
                bookshelves=tuple(rng.sample(SHELVES, rng.randrange(3))),
                exclusive_shelf=shelf,
                review_html=REVIEW if rng.random() < 0.2 else None,
                read_count=rng.choice([1, 1, 1, 2]) if read else 0,
            )
        )
        status = rng.choices(STATUSES, [80, 12, 3, 5])[0]
        enriched = status == EnrichmentStatus.ENRICHED
        results.append(
            BookResult(
                job_id=job_id,
                book_id=books[-1].book_id,
                status=status,
                reason=None if enriched else "no source knew the book",
                sources=("openlibrary", "google_books") if enriched else (),
                pages=rng.randrange(40, 1400) if enriched else None,
                first_publish_year=rng.randrange(1800, 2024) if enriched else None,
                genres=tuple(rng.sample(GENRES, 2)) if enriched else (),
                fiction=rng.choice(["fiction", "nonfiction"]) if enriched else None,
                raw_subjects=tuple(f"Subject {rng.randrange(500)}" for _ in range(8)),
                cover_url=f"https://covers.openlibrary.org/b/id/{row}-M.jpg" if enriched else None,
                openlibrary_work=f"/works/OL{row}W" if enriched else None,
                processed_at=NOW,
            )
        )
    manifest = JobManifest(
        job_id=job_id,
        source_key=f"uploads/{job_id}/goodreads_library_export.csv",
        created_at=NOW,
        header_variant="24",
        books=tuple(books),
    )
    return manifest, results


def store_job(
    session: boto3.Session, env: Any, manifest: JobManifest, results: list[BookResult]
) -> None:
    """What the orchestrator and the book processors leave behind for the aggregator."""
    session.client("s3").put_object(
        Bucket=env.data_bucket, Key=storage.manifest_key(manifest.job_id), Body=encode(manifest)
    )
    failed = sum(1 for result in results if result.status == EnrichmentStatus.FAILED)
    record = JobRecord(
        job_id=manifest.job_id,
        status=JobStatus.QUEUED,
        source_key=manifest.source_key,
        created_at=NOW,
        updated_at=NOW,
        total=len(manifest.books),
        succeeded=len(results) - failed,
        failed=failed,
        queued_at=NOW,
        deadline=NOW + dt.timedelta(minutes=15),
    )
    dynamodb = session.client("dynamodb")
    dynamodb.put_item(TableName=env.jobs_table, Item=storage.job_record_to_item(record))
    expires_at = storage.expires_at(NOW + dt.timedelta(days=7))
    for start in range(0, len(results), 25):
        dynamodb.batch_write_item(
            RequestItems={
                env.jobs_table: [
                    {
                        "PutRequest": {
                            "Item": {
                                **storage.book_key(result.job_id, result.book_id),
                                # A string attribute, as the book processor stores it
                                # (services/book_processor/progress.py).
                                RESULT_ATTRIBUTE: {"S": encode(result).decode()},
                                OUTCOME_ATTRIBUTE: {
                                    "S": (
                                        "failed"
                                        if result.status == EnrichmentStatus.FAILED
                                        else "succeeded"
                                    )
                                },
                                TTL_ATTRIBUTE: expires_at,
                            }
                        }
                    }
                    for result in results[start : start + 25]
                ]
            }
        )


class EmulatorClock:
    """Time spent inside moto serving requests: the emulator's work, which AWS does elsewhere."""

    def __init__(self) -> None:
        self.seconds = 0.0
        original = self._original = BotocoreStubber.process_request

        def process_request(stubber: BotocoreStubber, request: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(stubber, request)
            finally:
                self.seconds += time.perf_counter() - start

        BotocoreStubber.process_request = process_request  # type: ignore[method-assign,assignment]

    def close(self) -> None:
        BotocoreStubber.process_request = self._original  # type: ignore[method-assign]


class RequestCounter:
    """AWS requests by operation: every attempt emits `request-created.<service>.<op>`."""

    def __init__(self, *clients: Any) -> None:
        self.counts: dict[str, int] = {}
        for client in clients:
            client.meta.events.register("request-created", self._count)

    def _count(self, event_name: str, **_: Any) -> None:
        key = event_name.removeprefix("request-created.")
        self.counts[key] = self.counts.get(key, 0) + 1


@dataclasses.dataclass
class StageTimes:
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)

    def timed[T](self, name: str, call: Callable[[], T]) -> T:
        start = time.perf_counter()
        try:
            return call()
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


def timed_dependencies(deps: AggregatorDependencies, stages: StageTimes) -> AggregatorDependencies:
    """The same dependencies, with each storage step timed."""

    class TimedJobStore(JobStore):
        def claim(self, *args: Any, **kwargs: Any) -> Any:
            return stages.timed(
                "claim (UpdateItem)", lambda: super(TimedJobStore, self).claim(*args, **kwargs)
            )

        def book_results(self, job_id: str) -> Any:
            return stages.timed(
                "results (Query pages + decode)",
                lambda: super(TimedJobStore, self).book_results(job_id),
            )

        def finish(self, *args: Any, **kwargs: Any) -> bool:
            return stages.timed(
                "final update (UpdateItem)",
                lambda: super(TimedJobStore, self).finish(*args, **kwargs),
            )

    class TimedBlobStore(BlobStore):
        def manifest(self, job_id: str) -> JobManifest:
            return stages.timed(
                "manifest (GetObject + decode)",
                lambda: super(TimedBlobStore, self).manifest(job_id),
            )

        def put_dashboard(self, dashboard: Any) -> str:
            return stages.timed(
                "dashboard (encode + PutObject)",
                lambda: super(TimedBlobStore, self).put_dashboard(dashboard),
            )

    return dataclasses.replace(
        deps,
        jobs=TimedJobStore(dynamodb=deps.jobs.dynamodb, table=deps.jobs.table),
        blobs=TimedBlobStore(s3=deps.blobs.s3, bucket=deps.blobs.bucket),
    )


@dataclasses.dataclass
class Run:
    seconds: float
    emulator_seconds: float
    outcome: Outcome
    requests: dict[str, int]
    stages: dict[str, float]


def aggregate_once(
    session: boto3.Session, env: Any, job_id: str, *, trace_memory: bool
) -> tuple[Run, float]:
    dynamodb, s3 = session.client("dynamodb"), session.client("s3")
    counter = RequestCounter(dynamodb, s3)
    stages = StageTimes()
    deps = AggregatorDependencies.create(
        Settings.from_environment(env.as_env()),
        dynamodb=dynamodb,
        s3=s3,
        clock=lambda: NOW,
    )
    deps = timed_dependencies(deps, stages)
    gc.collect()
    if trace_memory:
        tracemalloc.start()
    emulator = EmulatorClock()
    start = time.perf_counter()
    try:
        aggregation = aggregate_job(job_id, deps)
    finally:
        seconds = time.perf_counter() - start
        emulator.close()
    peak_mb = 0.0
    if trace_memory:
        peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    run = Run(seconds, emulator.seconds, aggregation.outcome, counter.counts, stages.seconds)
    return run, peak_mb


def _jobs(count: int) -> Iterator[str]:
    rng = random.Random(count)
    while True:
        yield str(uuid.UUID(int=rng.getrandbits(128), version=4))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", type=int, default=10_000)
    books = parser.parse_args().books
    job_ids = _jobs(books)

    timed_job, traced_job = next(job_ids), next(job_ids)
    manifest, results = synthetic_library(timed_job, books)

    # The pure statistics, on their own.
    lookup = {result.book_id: result for result in results}
    build_times = []
    for _ in range(3):
        start = time.perf_counter()
        dashboard = build_dashboard(manifest, lookup, generated_at=NOW)
        build_times.append(time.perf_counter() - start)
    dashboard_mb = len(encode(dashboard)) / 2**20

    apply_emulator_fixes()  # as the local runtime does before it starts moto
    with mock_aws():
        session = boto3.Session(
            region_name="us-east-1",
            aws_access_key_id="benchmark",
            aws_secret_access_key="benchmark",  # noqa: S106 (moto's fake credentials)
        )
        env = create_resources(session)
        setup_start = time.perf_counter()
        store_job(session, env, manifest, results)
        traced_manifest, traced_results = synthetic_library(traced_job, books)
        store_job(session, env, traced_manifest, traced_results)
        setup_seconds = time.perf_counter() - setup_start

        run, _ = aggregate_once(session, env, timed_job, trace_memory=False)
        traced, peak_mb = aggregate_once(session, env, traced_job, trace_memory=True)

    total_requests = sum(run.requests.values())
    per_book = total_requests / books
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(
        f"aggregator benchmark: {books:,} books, {len(results):,} stored results "
        "(moto in-process, local_runtime emulator fixes applied)"
    )
    print(f"  setup (manifest + {len(results):,} result items written): {setup_seconds:.1f} s")
    print(
        f"  build_dashboard alone: best {min(build_times) * 1000:.0f} ms of 3; "
        f"dashboard JSON {dashboard_mb:.1f} MB"
    )
    own_seconds = run.seconds - run.emulator_seconds
    print(
        f"  aggregation, claim to final update: {run.seconds * 1000:.0f} ms wall -> "
        f"{run.outcome.value} [target < {TARGET_SECONDS * 1000:.0f} ms]"
    )
    print(f"    moto emulating AWS (serving the 11 requests): {run.emulator_seconds * 1000:.0f} ms")
    print(
        f"    the aggregator itself (its code and the boto3 client side): {own_seconds * 1000:.0f} ms"
    )
    print("  stages, wall time including moto:")
    for stage, seconds in run.stages.items():
        print(f"    {stage:<34} {seconds * 1000:7.0f} ms")
    print(
        f"    {'statistics (build_dashboard)':<34} "
        f"{(run.seconds - sum(run.stages.values())) * 1000:7.0f} ms (the remainder)"
    )
    print(
        f"  peak memory of one aggregation (tracemalloc): {peak_mb:.0f} MB "
        f"[target < {TARGET_MB:.0f} MB]; process max RSS {rss_mb:.0f} MB "
        f"(includes moto's copy of every item)"
    )
    print(
        f"  AWS requests: {total_requests} = "
        + ", ".join(f"{name} {count}" for name, count in sorted(run.requests.items()))
    )
    print(f"  requests per book: {per_book:.4f} [target <= {TARGET_REQUESTS_PER_BOOK}]")
    verdicts = {
        "time (wall, moto's work included)": run.seconds < TARGET_SECONDS,
        "memory": peak_mb < TARGET_MB,
        "requests per book": per_book <= TARGET_REQUESTS_PER_BOOK,
        "outcome": run.outcome == Outcome.COMPLETE and traced.outcome == Outcome.COMPLETE,
    }
    print("  " + ", ".join(f"{name}: {'ok' if ok else 'MISSED'}" for name, ok in verdicts.items()))


if __name__ == "__main__":
    main()
