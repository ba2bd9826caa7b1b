"""A chaos run: several jobs through the whole local pipeline while the upstream APIs misbehave,
execution environments crash and deliveries repeat; then an audit of every book.

    report = run_chaos(ChaosConfig(jobs=6, books=300, seed=7), out_dir)
    print(report.text())

Faults go in only where a deployment meets them, through the seams that stand in for the world
around the code: the loopback upstream emulator answers a seeded random share of requests
with a fault (`RandomUpstreamFaults`: 429 with Retry-After, 5xx, hangs past the client's
timeout, malformed JSON, dropped connections, Google's exhausted quota), and the local runtime
crashes invocations and repeats deliveries as a `ChaosPlan` decides (local_runtime/faults.py):
a crash before, during or after each function's writes, the aggregator dying between the
dashboard write and the final update, SQS batches delivered twice at once, S3 notifications
sent twice at once. Nothing in the services knows.

The audit holds each job to what the most trusted queue-based systems promise, and counts:
- lost books: a book of the export with neither a stored result nor its task in the task
  queue's dead-letter queue (where an operator can redrive it); must be 0;
- duplicated books: a book counted twice (the job's counters against its result items), a
  result for a book the export does not have, a book listed twice; must be 0;
- jobs terminal by their deadline: COMPLETE, PARTIAL or FAILED, and finished no later than the
  deadline plus the sweep's period and one aggregation lease (a crash may hold the lease
  that long); must be 100%.

The seed fixes the exports, the catalogue and the fault probabilities; which request or
invocation meets which fault also depends on thread timing, so a replay runs the same mix of
faults over the same data rather than the identical sequence.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import random
import threading
import time
from pathlib import Path
from typing import Any

from contracts import storage
from contracts.codec import dashboard_decoder, task_decoder
from contracts.dashboard import Dashboard
from contracts.layout import BOOK_SK_PREFIX, PARTITION_KEY, SORT_KEY
from contracts.messages import JobRecord, JobStatus
from local_runtime.faults import RETURNED, Crash
from local_runtime.pipeline import LocalPipeline, RunOptions
from services.orchestrator.parser import parse_export
from tests.support.catalogue import catalogue_for
from tests.support.exports import render_csv, synthetic_export
from tests.support.upstream_server import Api, Fault, UpstreamServer

# The processor's read timeout in a chaos run, and a hang that outlasts it.
READ_TIMEOUT_SECONDS = 1.0
HANG_SECONDS = 1.5

BETWEEN_DASHBOARD_AND_FINAL_UPDATE = Crash("s3.PutObject", 1)  # the aggregator's one PutObject

# Where each function may die: before, during and after its writes.
CRASH_POINTS: dict[str, tuple[Crash, ...]] = {
    "orchestrator": (
        Crash("dynamodb.TransactWriteItems", 1, before=True),  # before the job item
        Crash("dynamodb.TransactWriteItems", 1),  # job item written, nothing else
        Crash("s3.PutObject", 1),  # manifest written
        Crash("dynamodb.UpdateItem", 1),  # totals written, nothing queued
        Crash("sqs.SendMessageBatch", 1),  # during the fan-out (a worker thread)
        Crash("sqs.SendMessageBatch", 4),
        Crash("dynamodb.UpdateItem", 2, before=True),  # every task sent, not yet QUEUED
        Crash("dynamodb.UpdateItem", 2),  # QUEUED
        Crash(RETURNED),
    ),
    "book_processor": (
        Crash("dynamodb.BatchGetItem", 1),  # before any write
        Crash("dynamodb.TransactWriteItems", 1, before=True),
        Crash("dynamodb.TransactWriteItems", 1),  # one job's books stored, others not yet
        Crash("dynamodb.TransactWriteItems", 2, before=True),
        Crash("dynamodb.BatchWriteItem", 1),  # enrichment cached, nothing stored
        Crash("sqs.ChangeMessageVisibilityBatch", 1, before=True),
        Crash("sqs.SendMessage", 1, before=True),  # the last book stored, no signal sent
        Crash("sqs.SendMessage", 1),
        Crash(RETURNED),  # all done, the batch not deleted: every message comes back
    ),
    "aggregator": (
        Crash("dynamodb.UpdateItem", 1),  # claimed: the lease is held until it expires
        BETWEEN_DASHBOARD_AND_FINAL_UPDATE,
        Crash("dynamodb.UpdateItem", 2),  # finished, the invocation fails anyway
        Crash(RETURNED),
    ),
}


@dataclasses.dataclass(frozen=True)
class ChaosConfig:
    jobs: int = 4
    books: int = 200  # rows per export
    seed: int = 1
    upstream_fault_rate: float = 0.1  # share of upstream requests that meet a fault
    crash_rate: float = 0.1  # share of invocations that crash (the orchestrator's: double)
    duplicate_rate: float = 0.1  # share of SQS batches delivered twice
    notification_duplicate_rate: float = 0.5  # share of uploads notified twice
    concurrency: int = 4
    deadline_seconds: int = 60
    visibility_timeout_seconds: int = 5
    schedule_seconds: float = 1.0
    aggregation_lease_seconds: int = 10
    aws: str = "server"


class RandomUpstreamFaults:
    """A seeded share of upstream requests answered with a fault of a random kind."""

    def __init__(self, rng: random.Random, rate: float) -> None:
        self._rng = rng
        self._rate = rate
        self._lock = threading.Lock()
        self.injected: collections.Counter[str] = collections.Counter()

    def __call__(self, api: Api, path: str) -> Fault | None:
        with self._lock:
            if self._rng.random() >= self._rate:
                return None
            kinds = ["429 with Retry-After", "5xx", "hang", "malformed JSON", "dropped connection"]
            if api is Api.GOOGLE_BOOKS:
                kinds.append("quota exhausted")
            kind = self._rng.choice(kinds)
            status = self._rng.choice((500, 502, 503))
            self.injected[kind] += 1
        return {
            "429 with Retry-After": Fault.too_many_requests("1"),
            "5xx": Fault.server_error(status),
            "hang": Fault.hang(HANG_SECONDS),
            "malformed JSON": Fault.malformed_json(),
            "dropped connection": Fault.drop_connection(),
            "quota exhausted": Fault.quota_exhausted(),
        }[kind]


class ChaosPlan:
    """The runtime's faults (local_runtime.faults.FaultPlan), drawn from a seeded generator."""

    def __init__(self, rng: random.Random, config: ChaosConfig) -> None:
        self._rng = rng
        self._config = config
        self._lock = threading.Lock()
        self.injected: collections.Counter[str] = collections.Counter()

    def crash_for(self, function: str, event: dict[str, Any]) -> Crash | None:
        points = CRASH_POINTS.get(function)
        if not points:
            return None
        rate = self._config.crash_rate * (2 if function == "orchestrator" else 1)
        with self._lock:
            if self._rng.random() >= rate:
                return None
            return self._rng.choice(points)

    def crashed(self, function: str, crash: Crash) -> None:
        if function == "aggregator" and crash == BETWEEN_DASHBOARD_AND_FINAL_UPDATE:
            kind = "aggregator crash between the dashboard write and the final update"
        else:
            kind = f"{function} crash {crash}"
        with self._lock:
            self.injected[kind] += 1

    def duplicate_batch(self, function: str, messages: list[dict[str, Any]]) -> bool:
        rate = self._config.duplicate_rate * (3 if function == "aggregator" else 1)
        with self._lock:
            duplicate = self._rng.random() < rate
            if duplicate:
                self.injected[f"{function} batch delivered twice"] += 1
        return duplicate

    def duplicate_notification(self, key: str) -> bool:
        with self._lock:
            duplicate = self._rng.random() < self._config.notification_duplicate_rate
            if duplicate:
                self.injected["S3 notification sent twice at once"] += 1
        return duplicate


@dataclasses.dataclass
class JobAudit:
    job_id: str
    status: JobStatus | None
    books: int  # in the export, as the parser reads it
    accounted: int  # with a stored result
    in_dlq: int  # missing, with the task in the task queue's dead-letter queue
    lost: int
    duplicated: int
    terminal_in_time: bool
    late_seconds: float | None  # finished_at - deadline (negative: early)
    error: str | None


@dataclasses.dataclass
class ChaosReport:
    config: ChaosConfig
    jobs: list[JobAudit]
    faults: collections.Counter[str]
    seconds: float
    grace_seconds: float

    @property
    def books(self) -> int:
        return sum(job.books for job in self.jobs)

    @property
    def lost(self) -> int:
        return sum(job.lost for job in self.jobs)

    @property
    def duplicated(self) -> int:
        return sum(job.duplicated for job in self.jobs)

    @property
    def terminal_share(self) -> float:
        return sum(job.terminal_in_time for job in self.jobs) / len(self.jobs) if self.jobs else 1.0

    @property
    def passed(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.terminal_share == 1.0

    def text(self) -> str:
        config = self.config
        lines = [
            f"chaos run, seed {config.seed} (replay: --seed {config.seed} --jobs {config.jobs} "
            f"--books {config.books}): {'PASSED' if self.passed else 'FAILED'} in {self.seconds:.1f} s",
            f"  jobs                     {len(self.jobs)} ("
            + ", ".join(
                f"{count} {status}"
                for status, count in sorted(
                    collections.Counter(str(job.status or "not final") for job in self.jobs).items()
                )
            )
            + ")",
            f"  books                    {self.books:,}",
            f"  books accounted          {sum(job.accounted for job in self.jobs):,}",
            f"  books in the DLQ         {sum(job.in_dlq for job in self.jobs):,} "
            "(missing in the dashboard, redrivable)",
            f"  books lost               {self.lost} (must be 0)",
            f"  books duplicated         {self.duplicated} (must be 0)",
            f"  jobs terminal by their deadline  {self.terminal_share:.0%} (must be 100%; "
            f"grace {self.grace_seconds:.0f} s)",
            f"  faults injected          {sum(self.faults.values()):,}",
        ]
        lines.extend(f"    {count:6,}  {kind}" for kind, count in sorted(self.faults.items()))
        for job in self.jobs:
            late = "" if job.late_seconds is None else f", {job.late_seconds:+.1f} s vs deadline"
            lines.append(
                f"  job {job.job_id[:8]}  {job.status or 'not final'}: {job.books} books, "
                f"{job.accounted} accounted, {job.in_dlq} in DLQ, {job.lost} lost, "
                f"{job.duplicated} duplicated{late}" + (f"; {job.error}" if job.error else "")
            )
        return "\n".join(lines)


def run_chaos(config: ChaosConfig, out_dir: Path) -> ChaosReport:
    started = time.monotonic()
    export = synthetic_export(config.jobs * config.books, seed=config.seed, reject_rate=0.01)
    catalogue = catalogue_for(export.books)
    files = [
        render_csv(export.rows[start : start + config.books])
        for start in range(0, len(export.rows), config.books)
    ]
    upstream_faults = RandomUpstreamFaults(
        random.Random(config.seed * 2 + 1), config.upstream_fault_rate
    )
    plan = ChaosPlan(random.Random(config.seed * 2 + 2), config)
    grace = config.schedule_seconds * 2 + config.aggregation_lease_seconds
    with UpstreamServer(catalogue.fixtures) as upstream:
        upstream.set_fault_source(upstream_faults)
        options = RunOptions(
            concurrency=config.concurrency,
            schedule_seconds=config.schedule_seconds,
            deadline_seconds=config.deadline_seconds,
            visibility_timeout_seconds=config.visibility_timeout_seconds,
            aggregation_lease_seconds=config.aggregation_lease_seconds,
            openlibrary_base_url=upstream.openlibrary_base_url,
            google_books_base_url=upstream.google_books_base_url,
            environment={
                "UPSTREAM_READ_TIMEOUT_SECONDS": str(READ_TIMEOUT_SECONDS),
                "UPSTREAM_CONNECT_TIMEOUT_SECONDS": str(READ_TIMEOUT_SECONDS),
            },
            aws=config.aws,  # type: ignore[arg-type]
            faults=plan,
            run_timeout_seconds=config.deadline_seconds + 60.0 + grace,
        )
        with LocalPipeline(out_dir, options) as pipeline:
            pipeline.start_workers()
            job_ids = [pipeline.submit(data, f"export-{n}.csv") for n, data in enumerate(files)]
            records = _until_final(pipeline, job_ids, options.run_timeout_seconds or 0.0)
            dlq = tasks_in_dlq(pipeline)
            audits = [
                _audit(pipeline, job_id, record, data, dlq, grace)
                for job_id, record, data in zip(job_ids, records, files, strict=True)
            ]
    return ChaosReport(
        config=config,
        jobs=audits,
        faults=upstream_faults.injected + plan.injected,
        seconds=time.monotonic() - started,
        grace_seconds=grace,
    )


def _until_final(
    pipeline: LocalPipeline, job_ids: list[str], timeout_seconds: float
) -> list[JobRecord | None]:
    """Each job's record once every job is final (COMPLETE, PARTIAL, FAILED), or as they are
    when the time is up: a reader's view, whatever happened to the invocations."""
    give_up = time.monotonic() + timeout_seconds
    while True:
        records = [pipeline.read_job(job_id) for job_id in job_ids]
        if all(r is not None and r.status.is_final for r in records):
            return records
        if time.monotonic() > give_up:
            return records
        time.sleep(0.5)


def _dashboard(pipeline: LocalPipeline, record: JobRecord) -> Dashboard | None:
    if record.dashboard_key is None:
        return None
    body = pipeline.s3.get_object(Bucket=pipeline.environment.data_bucket, Key=record.dashboard_key)
    return dashboard_decoder.decode(body["Body"].read())


def tasks_in_dlq(pipeline: LocalPipeline) -> set[tuple[str, str]]:
    """(job id, book id) of every task in the task queue's dead-letter queue."""
    sqs = pipeline.session.client("sqs")
    found: set[tuple[str, str]] = set()
    seen: set[str] = set()
    while True:
        messages = sqs.receive_message(
            QueueUrl=pipeline.environment.task_dlq_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=300,  # each message once
        ).get("Messages", [])
        if not messages:
            return found
        for message in messages:
            if message["MessageId"] in seen:
                continue
            seen.add(message["MessageId"])
            task = task_decoder.decode(message["Body"])
            found.add((task.job_id, task.book_id))


def _result_ids(pipeline: LocalPipeline, job_id: str) -> list[str]:
    dynamodb = pipeline.session.client("dynamodb")
    ids: list[str] = []
    for page in dynamodb.get_paginator("query").paginate(
        TableName=pipeline.environment.jobs_table,
        KeyConditionExpression="#pk = :pk AND begins_with(#sk, :book)",
        ExpressionAttributeNames={"#pk": PARTITION_KEY, "#sk": SORT_KEY},
        ExpressionAttributeValues={
            ":pk": {"S": storage.job_pk(job_id)},
            ":book": {"S": BOOK_SK_PREFIX},
        },
        ConsistentRead=True,
    ):
        ids.extend(storage.book_id_of_sk(item[SORT_KEY]["S"]) for item in page["Items"])
    return ids


def _audit(
    pipeline: LocalPipeline,
    job_id: str,
    record: JobRecord | None,
    data: bytes,
    dlq: set[tuple[str, str]],
    grace: float,
) -> JobAudit:
    uploaded_on = record.created_at.date() if record else dt.datetime.now(dt.UTC).date()
    expected = [book.book_id for book in parse_export(data, uploaded_on=uploaded_on).books]
    results = _result_ids(pipeline, job_id)
    in_dlq = {book_id for job, book_id in dlq if job == job_id} - set(results)
    lost = set(expected) - set(results) - in_dlq
    duplicated = len(results) - len(set(results)) + len(set(results) - set(expected))
    if record is not None:
        duplicated += max(0, record.succeeded + record.failed - len(set(results)))
    dashboard = None if record is None else _dashboard(pipeline, record)
    if dashboard is not None:
        listed = [book.book_id for book in dashboard.books]
        duplicated += len(listed) - len(set(listed))
        lost |= set(expected) - set(listed)
    status = record.status if record is not None and record.status.is_final else None
    if status == JobStatus.FAILED:
        lost = set()  # a FAILED job queued nothing the reader waits for: it says why instead
    late: float | None = None
    in_time = status is not None
    if record is not None and status is not None and record.finished_at and record.deadline:
        late = (record.finished_at - record.deadline).total_seconds()
        in_time = late <= grace
    return JobAudit(
        job_id=job_id,
        status=status,
        books=len(expected),
        accounted=len(set(results) & set(expected)),
        in_dlq=len(in_dlq),
        lost=len(lost),
        duplicated=duplicated,
        terminal_in_time=in_time,
        late_seconds=late,
        error=None if record is None else record.error,
    )
