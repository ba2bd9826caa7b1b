"""When a book's sources cannot answer now: a book that only waits for the deployment's pace
comes back when its host has a free slot, without spending an attempt; a failing book whose
next attempt would end after its job's deadline is recorded `failed` with its reason now,
instead of being left to go missing (issue 14, bug 6)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import boto3
import pytest

from contracts import storage
from contracts.codec import task_decoder
from contracts.layout import PACER_NEXT_SLOT_ATTRIBUTE, PACER_PK_PREFIX
from contracts.messages import EnrichmentStatus
from local_runtime.resources import ServiceEnvironment
from tests.book_processor.support import (
    TaskQueue,
    dependencies,
    job_record,
    new_job,
    run_batch,
    stored_results,
)
from tests.support.jobs import task_for
from tests.support.upstream_server import Api, Fault, FixtureBook, UpstreamServer

Env = tuple[boto3.Session, ServiceEnvironment]


def book_the_pace_ahead(env: Env, base_url: str, seconds: float) -> None:
    """As if other invocations had taken the host's slots for the next `seconds`."""
    session, resources = env
    host = base_url.split("://", 1)[1]
    session.client("dynamodb").put_item(
        TableName=resources.cache_table,
        Item={
            **storage.cache_key(PACER_PK_PREFIX + host),
            PACER_NEXT_SLOT_ATTRIBUTE: {"N": str(int((time.time() + seconds) * 1000))},
        },
    )


def delayed_messages(queue: TaskQueue) -> int:
    attributes = queue.sqs.get_queue_attributes(
        QueueUrl=queue.env.task_queue_url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessagesDelayed"])


@pytest.fixture
def paced(processor_env: Env, monkeypatch: pytest.MonkeyPatch) -> Env:
    monkeypatch.setenv("UPSTREAM_MAX_RPS", "3")
    return processor_env


def test_a_book_waiting_only_for_the_pace_is_sent_again_for_its_hosts_next_free_slot(
    paced: Env, queue: TaskQueue, upstream: UpstreamServer, fixture_books: dict[str, FixtureBook]
) -> None:
    job_id = new_job(*paced, total=1)
    queue.send([task_for(fixture_books["dune"], job_id)])
    book_the_pace_ahead(paced, upstream.openlibrary_base_url, 120)
    book_the_pace_ahead(paced, upstream.google_books_base_url, 90)
    messages = queue.receive()

    response, report = run_batch(queue, messages, timeout_seconds=20)

    assert response == {"batchItemFailures": []}  # the original is done with...
    assert report.deferred == 1 and report.left_for_retry == 0
    assert upstream.request_count() == 0  # ...without a request or a wait
    assert queue.receive() == [] and delayed_messages(queue) == 1  # ...and a delayed copy waits
    assert stored_results(*paced, job_id) == {}
    assert job_record(*paced, job_id).succeeded == 0


def test_the_copy_sent_again_is_the_same_task_and_starts_its_attempts_again(
    paced: Env,
    queue: TaskQueue,
    upstream: UpstreamServer,
    fixture_books: dict[str, FixtureBook],
) -> None:
    job_id = new_job(*paced, total=1)
    task = task_for(fixture_books["dune"], job_id)
    queue.send([task])
    book_the_pace_ahead(paced, upstream.openlibrary_base_url, 2)  # less than the minimum wait
    book_the_pace_ahead(paced, upstream.google_books_base_url, 2)
    messages = queue.receive()
    run_batch(queue, messages, timeout_seconds=3)  # 2 s for waiting: the slot is too late

    again = queue.sqs.receive_message(
        QueueUrl=queue.env.task_queue_url, AttributeNames=["All"], WaitTimeSeconds=5
    ).get("Messages", [])

    assert [task_decoder.decode(m["Body"]) for m in again] == [task]
    assert [m["Attributes"]["ApproximateReceiveCount"] for m in again] == ["1"]
    assert again[0]["MessageId"] != messages[0]["MessageId"]
    response, _ = run_batch(queue, again, timeout_seconds=20)  # the slot has come
    assert response == {"batchItemFailures": []}
    assert stored_results(*paced, job_id)["dune"].status == EnrichmentStatus.ENRICHED


def test_a_book_whose_pace_has_no_slot_before_the_deadline_is_recorded_failed_with_why(
    paced: Env, queue: TaskQueue, upstream: UpstreamServer, fixture_books: dict[str, FixtureBook]
) -> None:
    job_id = new_job(*paced, total=1, deadline_in=dt.timedelta(seconds=60))
    queue.send([task_for(fixture_books["dune"], job_id)])
    book_the_pace_ahead(paced, upstream.openlibrary_base_url, 300)
    book_the_pace_ahead(paced, upstream.google_books_base_url, 300)

    response, report = run_batch(queue, queue.receive(), timeout_seconds=20)

    assert response == {"batchItemFailures": []} and report.ended_by_deadline == 1
    result = stored_results(*paced, job_id)["dune"]
    assert result.status == EnrichmentStatus.FAILED
    assert (result.reason or "").startswith(
        "no free slot of the upstream pace before the job's deadline: openlibrary: paced: "
    )
    assert job_record(*paced, job_id).failed == 1


def test_a_book_found_by_one_source_while_the_other_is_paced_waits_to_be_complete(
    paced: Env, queue: TaskQueue, upstream: UpstreamServer, fixture_books: dict[str, FixtureBook]
) -> None:
    job_id = new_job(*paced, total=1)
    # Open Library knows it but has no subjects for it: Google Books should complete it.
    queue.send([task_for(fixture_books["curmudgeons-guide"], job_id)])
    book_the_pace_ahead(paced, upstream.google_books_base_url, 120)

    _, report = run_batch(queue, queue.receive(), timeout_seconds=20)

    assert report.deferred == 1 and stored_results(*paced, job_id) == {}
    assert upstream.request_count(api=Api.GOOGLE_BOOKS) == 0
    assert upstream.request_count(api=Api.OPENLIBRARY) >= 1  # kept in the cache meanwhile


def test_a_failing_book_whose_next_attempt_would_end_after_the_deadline_is_failed_now(
    processor_env: Env,
    queue: TaskQueue,
    upstream: UpstreamServer,
    fixture_books: dict[str, FixtureBook],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("UPSTREAM_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("REDELIVERY_BASE_SECONDS", "30")  # the next attempt: in 15-30 s
    upstream.inject(Fault.server_error(503))  # both APIs, for ever
    soon = new_job(*processor_env, total=1, deadline_in=dt.timedelta(seconds=40))
    later = new_job(*processor_env, total=1, deadline_in=dt.timedelta(minutes=15))
    queue.send([task_for(fixture_books["dune"], soon), task_for(fixture_books["dune"], later)])
    messages = queue.receive()

    # Each attempt may take 20 s: one in 15-30 s would end after the first job's deadline.
    response, report = run_batch(queue, messages, timeout_seconds=20)

    later_message = next(m for m in messages if later in m["Body"])
    assert response["batchItemFailures"] == [{"itemIdentifier": later_message["MessageId"]}]
    assert (report.ended_by_deadline, report.left_for_retry) == (1, 1)
    result = stored_results(*processor_env, soon)["dune"]
    assert result.status == EnrichmentStatus.FAILED and result.attempt == 1
    assert (result.reason or "").startswith(
        "still failing on attempt 1, and another attempt would end after the job's deadline: "
        "openlibrary: HTTP 503 after 1 attempts"
    )
    assert job_record(*processor_env, soon).failed == 1
    assert stored_results(*processor_env, later) == {}


def test_without_a_readable_deadline_the_attempts_are_counted_as_before(
    processor_env: Env,
    queue: TaskQueue,
    upstream: UpstreamServer,
    fixture_books: dict[str, FixtureBook],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("UPSTREAM_MAX_ATTEMPTS", "1")
    upstream.inject(Fault.server_error(503))
    job_id = new_job(*processor_env, total=1, deadline_in=dt.timedelta(seconds=5))
    session, env = processor_env
    client: Any = session.client("dynamodb")
    client.update_item(
        TableName=env.jobs_table, Key=storage.job_key(job_id), UpdateExpression="REMOVE deadline"
    )
    queue.send([task_for(fixture_books["dune"], job_id)])

    response, report = run_batch(queue, queue.receive(), dependencies(), timeout_seconds=20)

    assert len(response["batchItemFailures"]) == 1 and report.left_for_retry == 1
