"""The local runtime's fault seams (local_runtime/faults.py), one fault at a time: each is what
AWS may do to the functions, and each test says what the pipeline promises in spite of it."""

from __future__ import annotations

import collections
import json
import threading
import time
from pathlib import Path
from typing import Any

from contracts.codec import dashboard_decoder
from contracts.messages import JobRecord, JobStatus
from local_runtime.faults import RETURNED, Crash
from local_runtime.pipeline import LocalPipeline, RunOptions, RunOutcome
from services.aggregator.fan_in import NEVER_QUEUED
from tests.support.exports import SyntheticExport, synthetic_export


class ScriptedPlan:
    """Crashes the first invocations of each function as scripted; duplicates as told."""

    def __init__(
        self,
        crashes: dict[str, list[Crash]] | None = None,
        *,
        duplicate_batches: dict[str, int] | None = None,
        duplicate_notifications: bool = False,
    ) -> None:
        self._crashes = {name: list(points) for name, points in (crashes or {}).items()}
        self._duplicates = dict(duplicate_batches or {})
        self._notify_twice = duplicate_notifications
        self._lock = threading.Lock()
        self.crashed_at: list[tuple[str, Crash]] = []
        self.duplicated: collections.Counter[str] = collections.Counter()

    def crash_for(self, function: str, event: dict[str, Any]) -> Crash | None:
        with self._lock:
            points = self._crashes.get(function)
            return points.pop(0) if points else None

    def crashed(self, function: str, crash: Crash) -> None:
        with self._lock:
            self.crashed_at.append((function, crash))

    def duplicate_batch(self, function: str, messages: list[dict[str, Any]]) -> bool:
        with self._lock:
            if self._duplicates.get(function, 0) > 0:
                self._duplicates[function] -= 1
                self.duplicated[function] += 1
                return True
            return False

    def duplicate_notification(self, key: str) -> bool:
        return self._notify_twice


def _run(tmp_path: Path, export: SyntheticExport, plan: ScriptedPlan, **options: Any) -> RunOutcome:
    settings: dict[str, Any] = {
        "offline": True,
        "concurrency": 2,
        "schedule_seconds": 0.5,
        "visibility_timeout_seconds": 2,
        "aggregation_lease_seconds": 3,
        # Batches of ten, taken at once: the scripts count invocations, and their crashes and
        # duplicates are meant for several batches of a job.
        "processor_batch_size": 10,
        "processor_batching_window_seconds": 0,
        "faults": plan,
    }
    settings.update(options)
    with LocalPipeline(tmp_path, RunOptions(**settings)) as pipeline:
        pipeline.start_workers()
        job_id = pipeline.submit(export.data)
        return pipeline.wait(job_id)


def _assert_every_book_once(outcome: RunOutcome, export: SyntheticExport) -> None:
    assert outcome.status == JobStatus.COMPLETE, outcome.error
    assert outcome.record is not None and outcome.dashboard is not None
    assert outcome.record.total == len(export.books)
    assert outcome.record.succeeded + outcome.record.failed == len(export.books)
    listed = [book.book_id for book in outcome.dashboard.books]
    assert listed == [book.book_id for book in export.books]
    assert {book.enrichment for book in outcome.dashboard.books} == {"skipped"}


def test_the_aggregator_dying_between_the_dashboard_and_the_final_update_finishes_once(
    tmp_path: Path,
) -> None:
    export = synthetic_export(40, seed=21)
    plan = ScriptedPlan({"aggregator": [Crash("s3.PutObject", 1)] * 3})

    outcome = _run(tmp_path, export, plan)

    _assert_every_book_once(outcome, export)
    # The first aggregations died with the dashboard written and the job still QUEUED; a later
    # claim, once the lease ran out, wrote the same dashboard and finished the job.
    assert ("aggregator", Crash("s3.PutObject", 1)) in plan.crashed_at
    assert dashboard_decoder.decode((tmp_path / "dashboard.json").read_bytes()) == outcome.dashboard


def test_an_orchestrator_dying_during_its_fan_out_is_retried_and_no_book_counts_twice(
    tmp_path: Path,
) -> None:
    export = synthetic_export(120, seed=22)  # 12 batches of tasks, sent from a thread pool
    plan = ScriptedPlan(
        {"orchestrator": [Crash("sqs.SendMessageBatch", 3), Crash("dynamodb.UpdateItem", 2)]}
    )

    outcome = _run(tmp_path, export, plan)

    _assert_every_book_once(outcome, export)
    assert [function for function, _ in plan.crashed_at] == ["orchestrator", "orchestrator"]


def test_a_book_processor_dying_after_its_writes_leaves_each_book_counted_once(
    tmp_path: Path,
) -> None:
    export = synthetic_export(60, seed=23)
    plan = ScriptedPlan(
        {
            "book_processor": [
                Crash("dynamodb.TransactWriteItems", 1),  # stored, then died: redelivered
                Crash(RETURNED),  # returned, then died: the whole batch comes back
                Crash("dynamodb.TransactWriteItems", 1, before=True),
                Crash("sqs.SendMessage", 1, before=True),  # the last book, no signal
            ]
        }
    )

    outcome = _run(tmp_path, export, plan)

    _assert_every_book_once(outcome, export)
    assert len(plan.crashed_at) >= 3


def test_batches_and_notifications_delivered_twice_at_once_count_each_book_once(
    tmp_path: Path,
) -> None:
    export = synthetic_export(80, seed=24)
    plan = ScriptedPlan(
        duplicate_batches={"book_processor": 4, "aggregator": 2}, duplicate_notifications=True
    )

    outcome = _run(tmp_path, export, plan)

    _assert_every_book_once(outcome, export)
    assert plan.duplicated["book_processor"] == 4


def test_a_job_whose_orchestrator_dies_on_every_attempt_ends_failed_by_its_deadline(
    tmp_path: Path,
) -> None:
    # S3's asynchronous invocation is tried three times; all three die once the job item is
    # written. The job must not stay RECEIVED for ever: by its deadline it is FAILED with a
    # reason, and the notification is in the failed-uploads queue for an operator.
    export = synthetic_export(20, seed=25)
    plan = ScriptedPlan({"orchestrator": [Crash("dynamodb.TransactWriteItems", 1)] * 3})

    options = RunOptions(offline=True, schedule_seconds=0.5, deadline_seconds=3, faults=plan)
    with LocalPipeline(tmp_path, options) as pipeline:
        pipeline.start_workers()
        job_id = pipeline.submit(export.data)
        record = _final_record(pipeline, job_id, within_seconds=30)
        failed_uploads = (
            pipeline.session.client("sqs")
            .receive_message(QueueUrl=pipeline.environment.failed_uploads_url)
            .get("Messages", [])
        )

    assert len(plan.crashed_at) == 3
    assert record.status == JobStatus.FAILED and record.error == NEVER_QUEUED
    assert record.deadline is not None and record.finished_at is not None
    assert record.finished_at >= record.deadline
    (message,) = failed_uploads
    event = json.loads(message["Body"])
    assert event["Records"][0]["s3"]["object"]["key"] == record.source_key


def _final_record(pipeline: LocalPipeline, job_id: str, *, within_seconds: float) -> JobRecord:
    give_up = time.monotonic() + within_seconds
    while time.monotonic() < give_up:
        record = pipeline.read_job(job_id)
        if record is not None and record.status.is_final:
            return record
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} not final after {within_seconds} s: {record}")
