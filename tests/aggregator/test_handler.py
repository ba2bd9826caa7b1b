"""The Lambda entry point: each event shape reaches the right fan-in path."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest

from contracts.codec import encode
from contracts.messages import CompletionSignal, JobStatus
from local_runtime.lambda_events import LambdaContext, scheduled_event, sqs_event
from services.aggregator import handler
from tests.aggregator import job_storage
from tests.aggregator.library import BOOKS, MISSING_IDS, RESULTS, manifest

OTHER_JOB = "0d4f3a52-8f0e-4c1b-9d51-6a0b4b6e2f11"
COMPLETE_BOOKS = tuple(book for book in BOOKS if book.book_id not in MISSING_IDS)


@pytest.fixture(autouse=True)
def fresh_cold_start() -> Iterator[None]:
    """Each test is a new cold start: dependencies are built from that test's environment."""
    handler.dependencies_for.cache_clear()
    yield
    handler.dependencies_for.cache_clear()


def _context() -> LambdaContext:
    return LambdaContext(function_name="goodreads-stats-aggregator")


def _queue(aws: Any, books=COMPLETE_BOOKS, *, job_id=None, deadline=None) -> str:  # type: ignore[no-untyped-def]
    session, env = aws
    queued_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    job_manifest = manifest(books) if job_id is None else manifest(books, job_id=job_id)
    job_storage.put_queued_job(session, env, job_manifest, queued_at=queued_at, deadline=deadline)
    return job_manifest.job_id


def _ready_job(aws: Any) -> str:
    session, env = aws
    job_id = _queue(aws)
    for result in RESULTS:
        job_storage.store_result(session, env, result)
    return job_id


def _signal_event(aws: Any, bodies: list[str]) -> dict[str, Any]:
    """Bodies sent to the completion queue and received as the event source mapping does."""
    session, env = aws
    sqs = session.client("sqs")
    for body in bodies:
        sqs.send_message(QueueUrl=env.completion_queue_url, MessageBody=body)
    messages = sqs.receive_message(
        QueueUrl=env.completion_queue_url,
        MaxNumberOfMessages=10,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    )["Messages"]
    arn = sqs.get_queue_attributes(QueueUrl=env.completion_queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    return sqs_event(messages, arn)


def _signal(job_id: str) -> str:
    return encode(CompletionSignal(job_id=job_id, signalled_at=dt.datetime.now(dt.UTC))).decode()


def test_a_completion_signal_completes_its_job(aws: Any) -> None:
    session, env = aws
    job_id = _ready_job(aws)

    response = handler.lambda_handler(_signal_event(aws, [_signal(job_id)]), _context())

    assert response == {"batchItemFailures": []}
    assert job_storage.job_record(session, env, job_id).status == JobStatus.COMPLETE
    assert job_storage.read_dashboard(session, env, job_id).status == JobStatus.COMPLETE


def test_repeated_signals_in_one_batch_are_harmless(aws: Any) -> None:
    session, env = aws
    job_id = _ready_job(aws)

    response = handler.lambda_handler(_signal_event(aws, [_signal(job_id)] * 3), _context())

    assert response == {"batchItemFailures": []}
    assert job_storage.job_record(session, env, job_id).status == JobStatus.COMPLETE


def test_poison_signals_are_reported_as_failures_and_do_not_block_the_batch(aws: Any) -> None:
    session, env = aws
    job_id = _ready_job(aws)
    bodies = [
        "not json",
        json.dumps({"type": "book.task.v1", "job_id": job_id}),
        json.dumps(
            {
                "type": "job.completion.v1",
                "job_id": "../../x",
                "signalled_at": "2024-05-01T00:00:00Z",
            }
        ),
        _signal(job_id),
    ]
    event = _signal_event(aws, bodies)
    ids_by_body = {record["body"]: record["messageId"] for record in event["Records"]}

    response = handler.lambda_handler(event, _context())

    failed = {failure["itemIdentifier"] for failure in response["batchItemFailures"]}
    assert failed == {ids_by_body[body] for body in bodies[:3]}
    assert job_storage.job_record(session, env, job_id).status == JobStatus.COMPLETE


def test_the_scheduled_sweep_completes_due_jobs_and_partial_ones_past_their_deadline(
    aws: Any,
) -> None:
    session, env = aws
    ready = _ready_job(aws)
    late = _queue(
        aws, BOOKS[:2], job_id=OTHER_JOB, deadline=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    )

    response = handler.lambda_handler(scheduled_event(), _context())

    assert response == {"outcomes": {"partial": 1, "complete": 1}, "deferred": 0}
    assert job_storage.job_record(session, env, ready).status == JobStatus.COMPLETE
    late_dashboard = job_storage.read_dashboard(session, env, late)
    assert late_dashboard.status == JobStatus.PARTIAL
    assert late_dashboard.missing_book_ids == ("gr101", "gr102")


def test_a_sweep_with_a_failing_job_raises_after_finishing_the_others(aws: Any) -> None:
    session, env = aws
    broken = _queue(aws, ())
    session.client("s3").delete_object(Bucket=env.data_bucket, Key=f"jobs/{broken}/manifest.json")
    healthy = _queue(aws, (), job_id=OTHER_JOB)

    with pytest.raises(handler.SweepIncomplete, match=broken):
        handler.lambda_handler(scheduled_event(), _context())

    assert job_storage.job_record(session, env, healthy).status == JobStatus.COMPLETE
    assert job_storage.job_record(session, env, broken).status == JobStatus.QUEUED


def test_a_direct_invocation_aggregates_a_due_job_and_reports_the_outcome(aws: Any) -> None:
    empty = _queue(aws, ())
    assert handler.lambda_handler({"job_id": empty}, _context()) == {
        "job_id": empty,
        "outcome": "complete",
        "missing_book_ids": [],
    }


def test_a_direct_invocation_leaves_a_job_that_is_not_due(aws: Any) -> None:
    session, env = aws
    job_id = _queue(aws, job_id=OTHER_JOB)
    response = handler.lambda_handler({"job_id": job_id}, _context())
    assert response["outcome"] == "not_ready"
    assert job_storage.job_record(session, env, job_id).status == JobStatus.QUEUED


def test_a_direct_invocation_with_an_invalid_job_id_is_refused(aws: Any) -> None:
    with pytest.raises(ValueError, match="UUID"):
        handler.lambda_handler({"job_id": "../../../etc/passwd"}, _context())


def test_an_unrecognised_event_is_an_error(aws: Any) -> None:
    with pytest.raises(ValueError, match="unrecognised event"):
        handler.lambda_handler({"hello": "world"}, _context())


def test_the_lease_comes_from_the_environment(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGGREGATION_LEASE_SECONDS", "42")
    assert handler.dependencies().settings.lease_seconds == 42
