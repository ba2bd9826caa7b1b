"""The queue side of the book processor: partial batch failures, idempotent results and
progress under duplicates, crashes and races, the last attempt, and the completion signal."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import boto3
import msgspec
import pytest
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

from contracts import storage
from contracts.codec import encode
from contracts.layout import PARTITION_KEY, SORT_KEY
from contracts.messages import BookResult, EnrichmentStatus, JobStatus
from local_runtime.resources import ServiceEnvironment
from services.book_processor.processing import process_batch, redelivery_delay
from services.book_processor.progress import JobNotFound, Recorded, record_results
from tests.book_processor.support import (
    NOW,
    TEN_BOOKS,
    TaskQueue,
    completion_signals,
    context,
    dependencies,
    job_record,
    new_job,
    plain_task,
    run_batch,
    stored_results,
)
from tests.support.jobs import task_for
from tests.support.upstream_server import Api, Fault, FixtureBook, UpstreamServer

Env = tuple[boto3.Session, ServiceEnvironment]


class SimulatedCrash(BaseException):
    """The process dies: not an Exception, so nothing on the way catches it."""


class CrashAfterCall:
    """A boto3 client whose `method` works `calls` times, then crashes right after doing the
    work (the write is in DynamoDB, the process is gone)."""

    def __init__(self, client: Any, method: str, calls: int) -> None:
        self._client = client
        self._method = method
        self._calls_left = calls

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name != self._method:
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attribute(*args, **kwargs)
            self._calls_left -= 1
            if self._calls_left < 0:
                raise SimulatedCrash(name)
            return result

        return call


def count_transactions(client: Any) -> list[list[dict[str, Any]]]:
    """The TransactItems of every TransactWriteItems call `client` makes from now on."""
    calls: list[list[dict[str, Any]]] = []

    def remember(params: dict[str, Any], **_: Any) -> None:
        calls.append(params["TransactItems"])

    client.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", remember)
    return calls


class ReadsNothingRecorded:
    """A DynamoDB client whose BatchGetItem finds nothing, as when the batch's look-up of
    recorded books runs just before another delivery commits them."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def batch_get_item(self, **_: Any) -> dict[str, Any]:
        return {"Responses": {}, "UnprocessedKeys": {}}


def _queue_job(
    processor_env: Env, queue: TaskQueue, books: dict[str, FixtureBook], names: list[str]
) -> str:
    job_id = new_job(*processor_env, total=len(names))
    queue.send(task_for(books[name], job_id) for name in names)
    return job_id


def test_a_batch_of_ten_is_enriched_recorded_and_counted(
    processor_env: Env, queue: TaskQueue, fixture_books: dict[str, FixtureBook]
) -> None:
    job_id = _queue_job(processor_env, queue, fixture_books, TEN_BOOKS)

    messages = queue.receive()
    response, report = run_batch(queue, messages)

    assert response == {"batchItemFailures": []}
    job = job_record(*processor_env, job_id)
    assert (job.succeeded, job.failed, job.total, job.enriched) == (10, 0, 10, 10)
    results = stored_results(*processor_env, job_id)
    assert set(results) == {name.replace("-", "_") for name in TEN_BOOKS}
    assert all(r.status == EnrichmentStatus.ENRICHED and r.attempt == 1 for r in results.values())
    hobbit = results["the_hobbit"]
    assert hobbit.genres == ("Fantasy",)
    assert hobbit.fiction == "fiction"
    assert hobbit.cover_url == "https://covers.openlibrary.org/b/id/14627509-M.jpg"
    assert hobbit.openlibrary_work == "/works/OL262758W"
    assert hobbit.first_publish_year == 1937
    assert report.recorded == {"enriched": 10}


def test_a_poison_message_fails_alone_and_the_other_nine_are_recorded(
    processor_env: Env, queue: TaskQueue, fixture_books: dict[str, FixtureBook]
) -> None:
    job_id = _queue_job(processor_env, queue, fixture_books, TEN_BOOKS[:9])
    queue.send(["{not json at all"])

    messages = queue.receive()
    assert len(messages) == 10
    response, report = run_batch(queue, messages)

    poison_id = next(m["MessageId"] for m in messages if m["Body"].startswith("{not"))
    assert response == {"batchItemFailures": [{"itemIdentifier": poison_id}]}
    assert report.poison == 1
    assert job_record(*processor_env, job_id).succeeded == 9


@pytest.mark.parametrize(
    "body",
    [
        "{not json at all",
        '{"type": "book.result.v1", "job_id": "x"}',  # a message of another channel
        '{"type": "book.task.v1", "job_id": "../../etc", "book_id": "b1", "title": "t",'
        ' "author": "a", "queued_at": "2024-01-01T00:00:00Z"}',
        '{"type": "book.task.v1", "job_id": "6f1c1a8e-3f0b-4a58-9a39-2f0cfb5a4a11",'
        ' "book_id": "BOOK#injected", "title": "t", "author": "a",'
        ' "queued_at": "2024-01-01T00:00:00Z"}',
    ],
    ids=["not-json", "wrong-channel", "unsafe-job-id", "unsafe-book-id"],
)
def test_an_unusable_message_is_retried_until_it_lands_in_the_dead_letter_queue(
    processor_env: Env, queue: TaskQueue, body: str
) -> None:
    queue.send([body])
    deps = dependencies()
    for _ in range(5):  # the queue's maxReceiveCount
        messages = queue.receive()
        assert len(messages) == 1
        response, _ = run_batch(queue, messages, deps)
        assert response["batchItemFailures"] == [{"itemIdentifier": messages[0]["MessageId"]}]

    assert queue.receive() == []  # the sixth receive moves it to the DLQ instead
    assert [m["Body"] for m in queue.dead_letters()] == [body]


def test_a_redelivered_batch_neither_duplicates_results_nor_counts_twice(
    processor_env: Env,
    queue: TaskQueue,
    upstream: UpstreamServer,
    fixture_books: dict[str, FixtureBook],
) -> None:
    job_id = _queue_job(processor_env, queue, fixture_books, TEN_BOOKS[:4])
    messages = queue.receive()
    run_batch(queue, messages)
    first = stored_results(*processor_env, job_id)
    upstream.reset_log()

    # The same messages again, e.g. a delete that never reached SQS.
    response, report = run_batch(queue, messages)

    assert response == {"batchItemFailures": []}
    assert report.duplicates == 4 and not report.recorded
    job = job_record(*processor_env, job_id)
    assert (job.succeeded, job.failed) == (4, 0)
    assert stored_results(*processor_env, job_id) == first
    assert upstream.request_count() == 0  # recorded books are not enriched again


def test_the_same_book_sent_twice_under_two_message_ids_counts_once(
    processor_env: Env, queue: TaskQueue, fixture_books: dict[str, FixtureBook]
) -> None:
    job_id = new_job(*processor_env, total=1)
    task = task_for(fixture_books["dune"], job_id)
    queue.send([task, task])  # the orchestrator re-sent it

    messages = queue.receive()
    assert len(messages) == 2
    response, report = run_batch(queue, messages)

    assert response == {"batchItemFailures": []}
    assert (report.recorded["enriched"], report.duplicates) == (1, 1)
    assert job_record(*processor_env, job_id).succeeded == 1
    assert list(stored_results(*processor_env, job_id)) == ["dune"]


def test_two_copies_processed_at_the_same_time_count_once(
    processor_env: Env,
    queue: TaskQueue,
    upstream: UpstreamServer,
    fixture_books: dict[str, FixtureBook],
) -> None:
    job_id = _queue_job(processor_env, queue, fixture_books, TEN_BOOKS[:5])
    messages = queue.receive()
    upstream.set_latency(0.2)  # both invocations are in flight together
    deps = dependencies()
    outcomes: list[tuple[Any, Any]] = []

    def invoke() -> None:
        processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        outcomes.append(process_batch(queue.event(messages), context(), deps, processor))

    invocations = [threading.Thread(target=invoke) for _ in range(2)]
    for invocation in invocations:
        invocation.start()
    for invocation in invocations:
        invocation.join()

    assert [response["batchItemFailures"] for response, _ in outcomes] == [[], []]
    recorded = sum(report.recorded["enriched"] for _, report in outcomes)
    duplicates = sum(report.duplicates for _, report in outcomes)
    assert (recorded, duplicates) == (5, 5)
    job = job_record(*processor_env, job_id)
    assert (job.succeeded, job.failed) == (5, 0)
    assert len(stored_results(*processor_env, job_id)) == 5


def test_a_crash_between_the_transactions_of_two_jobs_does_not_double_count_on_redelivery(
    processor_env: Env, queue: TaskQueue, fixture_books: dict[str, FixtureBook]
) -> None:
    session, env = processor_env
    first_job = _queue_job(processor_env, queue, fixture_books, TEN_BOOKS[:5])
    second_job = _queue_job(processor_env, queue, fixture_books, TEN_BOOKS[5:])
    messages = queue.receive()
    assert len(messages) == 10
    deps = dependencies()
    crashing = dataclasses.replace(
        deps, dynamodb=CrashAfterCall(deps.dynamodb, "transact_write_items", calls=0)
    )

    # One job's transaction commits, then the process dies: no response, nothing deleted.
    with pytest.raises(SimulatedCrash):
        process_batch(
            queue.event(messages),
            context(),
            crashing,
            BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False),
        )
    counted = {
        job_id: job_record(session, env, job_id).succeeded for job_id in (first_job, second_job)
    }
    assert sorted(counted.values()) == [0, 5]
    assert completion_signals(session, env) == []
    queue.release(messages)

    redelivered = queue.receive()
    assert {m["Attributes"]["ApproximateReceiveCount"] for m in redelivered} == {"2"}
    response, report = run_batch(queue, redelivered, deps)

    assert response == {"batchItemFailures": []}
    assert (report.recorded["enriched"], report.duplicates) == (5, 5)
    for job_id in (first_job, second_job):
        job = job_record(session, env, job_id)
        assert (job.succeeded, job.failed, job.total) == (5, 0, 5)
        attempts = {r.attempt for r in stored_results(session, env, job_id).values()}
        assert attempts == ({1} if counted[job_id] else {2})
    signalled = sorted(s.job_id for s in completion_signals(session, env))
    assert signalled == sorted([first_job, second_job])


def test_a_batch_of_ten_books_of_one_job_is_recorded_with_one_transaction(
    processor_env: Env, queue: TaskQueue, fixture_books: dict[str, FixtureBook]
) -> None:
    job_id = _queue_job(processor_env, queue, fixture_books, TEN_BOOKS)
    deps = dependencies()
    transactions = count_transactions(deps.dynamodb)

    response, report = run_batch(queue, queue.receive(), deps)

    assert response == {"batchItemFailures": []}
    assert [len(items) for items in transactions] == [11]  # ten Puts and one Update
    (update,) = (item["Update"] for item in transactions[0] if "Update" in item)
    assert update["UpdateExpression"] == "ADD #succeeded :succeeded, #enriched :enriched"
    assert update["ExpressionAttributeValues"] == {
        ":succeeded": {"N": "10"},
        ":enriched": {"N": "10"},
    }
    assert report.recorded == {"enriched": 10}
    assert job_record(*processor_env, job_id).succeeded == 10


def test_a_batch_mixing_recorded_and_new_books_counts_only_the_new_ones(
    processor_env: Env, queue: TaskQueue, fixture_books: dict[str, FixtureBook]
) -> None:
    session, env = processor_env
    job_id = new_job(session, env, total=10)
    queue.send(task_for(fixture_books[name], job_id) for name in TEN_BOOKS[:4])
    run_batch(queue, queue.receive())
    earlier = stored_results(session, env, job_id)
    # The orchestrator sends all ten again; the batch's look-up of recorded books misses the
    # four (it ran before the earlier delivery committed), so the transaction's conditions
    # are what find them.
    queue.send(task_for(fixture_books[name], job_id) for name in TEN_BOOKS)
    messages = queue.receive()
    assert len(messages) == 10
    deps = dependencies()
    transactions = count_transactions(deps.dynamodb)
    racing = dataclasses.replace(deps, dynamodb=ReadsNothingRecorded(deps.dynamodb))

    response, report = run_batch(queue, messages, racing)

    assert response == {"batchItemFailures": []}
    assert (report.recorded["enriched"], report.duplicates) == (6, 4)
    assert [len(items) for items in transactions] == [11, 7]  # again without the four
    assert transactions[1][-1]["Update"]["ExpressionAttributeValues"] == {
        ":succeeded": {"N": "6"},
        ":enriched": {"N": "6"},
    }
    job = job_record(session, env, job_id)
    assert (job.succeeded, job.failed, job.total, job.enriched) == (10, 0, 10, 10)
    results = stored_results(session, env, job_id)
    assert {book: results[book] for book in earlier} == earlier
    assert [s.job_id for s in completion_signals(session, env)] == [job_id]


def test_one_transaction_stores_and_counts_succeeded_and_failed_books_and_skips_stored_ones(
    processor_env: Env,
) -> None:
    session, env = processor_env
    job_id = new_job(session, env, total=3)
    client = session.client("dynamodb")

    def result(book_id: str, status: EnrichmentStatus) -> BookResult:
        return BookResult(
            job_id=job_id, book_id=book_id, status=status, attempt=1, processed_at=NOW
        )

    stored = result("stored", EnrichmentStatus.NOT_FOUND)
    assert record_results(client, env.jobs_table, job_id, [stored], NOW) == {"stored": Recorded.NEW}
    batch = [
        result("found", EnrichmentStatus.ENRICHED),
        msgspec.structs.replace(stored, attempt=2),
        result("given_up", EnrichmentStatus.FAILED),
    ]

    recorded = record_results(client, env.jobs_table, job_id, batch, NOW)

    assert recorded == {
        "found": Recorded.NEW,
        "stored": Recorded.ALREADY,
        "given_up": Recorded.NEW,
    }
    job = job_record(session, env, job_id)
    # Not found and enriched both succeeded; of them only the found book counts as enriched.
    assert (job.succeeded, job.failed, job.enriched) == (2, 1, 1)
    assert stored_results(session, env, job_id)["stored"].attempt == 1
    missing_job = "0b7a8f0e-5d8c-4c0e-9a4e-1c2b3d4e5f60"
    with pytest.raises(JobNotFound):
        record_results(
            client,
            env.jobs_table,
            missing_job,
            [msgspec.structs.replace(stored, job_id=missing_job)],
            NOW,
        )
    assert stored_results(session, env, missing_job) == {}


def test_a_crash_before_the_completion_signal_is_repaired_by_the_redelivery(
    processor_env: Env, queue: TaskQueue, fixture_books: dict[str, FixtureBook]
) -> None:
    session, env = processor_env
    job_id = _queue_job(processor_env, queue, fixture_books, TEN_BOOKS[:3])
    messages = queue.receive()
    deps = dependencies()
    crashing = dataclasses.replace(deps, sqs=CrashAfterCall(deps.sqs, "send_message", calls=-1))

    with pytest.raises(SimulatedCrash):
        process_batch(
            queue.event(messages),
            context(),
            crashing,
            BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False),
        )
    queue.release(messages)
    completion_signals(session, env)  # whatever the crashed send left

    response, report = run_batch(queue, queue.receive(), deps)

    assert response == {"batchItemFailures": []}
    assert report.duplicates == 3
    assert job_record(session, env, job_id).succeeded == 3
    assert [s.job_id for s in completion_signals(session, env)] == [job_id]


def test_the_completion_signal_waits_for_the_last_book_of_the_job(
    processor_env: Env, queue: TaskQueue, fixture_books: dict[str, FixtureBook]
) -> None:
    session, env = processor_env
    job_id = _queue_job(processor_env, queue, fixture_books, TEN_BOOKS[:3])

    run_batch(queue, queue.receive(max_messages=2))
    assert completion_signals(session, env) == []
    progress = job_record(session, env, job_id)
    assert (progress.succeeded, progress.failed, progress.total) == (2, 0, 3)

    _, report = run_batch(queue, queue.receive())
    assert report.signals_sent == 1
    assert [s.job_id for s in completion_signals(session, env)] == [job_id]


def test_no_signal_is_sent_for_a_job_the_aggregator_already_closed(
    processor_env: Env, queue: TaskQueue, fixture_books: dict[str, FixtureBook]
) -> None:
    session, env = processor_env
    job_id = _queue_job(processor_env, queue, fixture_books, ["dune"])
    session.client("dynamodb").update_item(
        TableName=env.jobs_table,
        Key=storage.job_key(job_id),
        UpdateExpression="SET #s = :partial",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":partial": {"S": JobStatus.PARTIAL.value}},
    )

    run_batch(queue, queue.receive())

    assert job_record(session, env, job_id).succeeded == 1  # a late book is still recorded
    assert completion_signals(session, env) == []


def test_a_failing_book_is_retried_and_on_the_last_attempt_stored_as_failed_with_its_reason(
    processor_env: Env,
    queue: TaskQueue,
    upstream: UpstreamServer,
    fixture_books: dict[str, FixtureBook],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session, env = processor_env
    monkeypatch.setenv("UPSTREAM_MAX_ATTEMPTS", "2")
    job_id = _queue_job(processor_env, queue, fixture_books, ["dune", "meditations"])
    upstream.inject(Fault.server_error(503))  # both APIs, every path, for ever
    deps = dependencies()

    for attempt in range(1, 5):
        messages = queue.receive()
        response, report = run_batch(queue, messages, deps)
        assert len(response["batchItemFailures"]) == 2, f"attempt {attempt}"
        assert report.left_for_retry == 2
        assert job_record(session, env, job_id).failed == 0
    messages = queue.receive()
    assert {m["Attributes"]["ApproximateReceiveCount"] for m in messages} == {"5"}
    response, _ = run_batch(queue, messages, deps)

    assert response == {"batchItemFailures": []}
    job = job_record(session, env, job_id)
    assert (job.succeeded, job.failed, job.total) == (0, 2, 2)
    for result in stored_results(session, env, job_id).values():
        assert result.status == EnrichmentStatus.FAILED
        assert result.attempt == 5
        assert result.reason is not None
        assert "attempt 5 of 5" in result.reason and "HTTP 503" in result.reason
    assert [s.job_id for s in completion_signals(session, env)] == [job_id]
    assert queue.dead_letters() == []


def test_a_book_no_source_knows_is_recorded_as_not_found_at_once(
    processor_env: Env, queue: TaskQueue
) -> None:
    job_id = new_job(*processor_env, total=2)
    queue.send(
        [
            plain_task(job_id, "unknown_isbn", "Unheard Of", "Nobody", isbn13="9780000000002"),
            plain_task(job_id, "unknown_title", "An Unpublished Diary", "A. Nonymous"),
        ]
    )

    response, report = run_batch(queue, queue.receive())

    assert response == {"batchItemFailures": []}
    results = stored_results(*processor_env, job_id)
    assert {r.status for r in results.values()} == {EnrichmentStatus.NOT_FOUND}
    assert results["unknown_isbn"].reason == "not found in openlibrary or google_books"
    assert job_record(*processor_env, job_id).succeeded == 2


def test_with_enrichment_switched_off_books_are_stored_skipped_without_any_request(
    processor_env: Env,
    queue: TaskQueue,
    upstream: UpstreamServer,
    fixture_books: dict[str, FixtureBook],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ENRICHMENT_SOURCES", "")
    job_id = _queue_job(processor_env, queue, fixture_books, TEN_BOOKS[:3])

    response, report = run_batch(queue, queue.receive())

    assert response == {"batchItemFailures": []}
    results = stored_results(*processor_env, job_id)
    assert {(r.status, r.reason) for r in results.values()} == {
        (EnrichmentStatus.SKIPPED, "enrichment disabled")
    }
    assert job_record(*processor_env, job_id).succeeded == 3
    assert upstream.request_count() == 0


def test_without_network_books_end_as_failed_with_a_clear_reason_after_the_last_attempt(
    processor_env: Env,
    queue: TaskQueue,
    fixture_books: dict[str, FixtureBook],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The local runtime offline: connection refused. Production retry settings on purpose."""
    from tests.support.upstream_server import unreachable_base_url

    monkeypatch.setenv("OPENLIBRARY_BASE_URL", unreachable_base_url())
    monkeypatch.setenv("GOOGLE_BOOKS_BASE_URL", unreachable_base_url())
    monkeypatch.delenv("UPSTREAM_BACKOFF_BASE_SECONDS")
    session, env = processor_env
    job_id = _queue_job(processor_env, queue, fixture_books, TEN_BOOKS)
    deps = dependencies()

    for _ in range(5):
        _, report = run_batch(queue, queue.receive(), deps)
        # Each source is given up for the invocation after a couple of refused connections.
        assert report.enrichment.requests["openlibrary"] <= 2

    job = job_record(session, env, job_id)
    assert (job.succeeded, job.failed) == (0, 10)
    reasons = {r.reason for r in stored_results(session, env, job_id).values()}
    assert len(reasons) == 1
    reason = reasons.pop() or ""
    assert "openlibrary: connection refused" in reason
    assert "google_books: connection refused" in reason


def test_a_wait_that_does_not_fit_in_the_remaining_time_fails_the_record_without_waiting(
    processor_env: Env,
    queue: TaskQueue,
    upstream: UpstreamServer,
    fixture_books: dict[str, FixtureBook],
) -> None:
    job_id = _queue_job(processor_env, queue, fixture_books, ["dune"])
    upstream.inject(
        Fault.too_many_requests(retry_after="120"), api=Api.OPENLIBRARY, path="/search.json"
    )
    upstream.inject(Fault.too_many_requests(retry_after="120"), api=Api.GOOGLE_BOOKS)

    messages = queue.receive()
    response, _ = run_batch(queue, messages, timeout_seconds=10)

    assert response == {"batchItemFailures": [{"itemIdentifier": messages[0]["MessageId"]}]}
    assert upstream.request_count(api=Api.OPENLIBRARY, path="/search.json") == 1
    assert job_record(*processor_env, job_id).succeeded == 0


def test_a_result_is_stored_with_the_documented_item_layout(
    processor_env: Env, queue: TaskQueue, fixture_books: dict[str, FixtureBook]
) -> None:
    session, env = processor_env
    job_id = _queue_job(processor_env, queue, fixture_books, ["dune"])
    run_batch(queue, queue.receive())

    item = session.client("dynamodb").get_item(
        TableName=env.jobs_table, Key=storage.book_key(job_id, "dune")
    )["Item"]

    assert item[PARTITION_KEY] == {"S": f"JOB#{job_id}"}
    assert item[SORT_KEY] == {"S": "BOOK#dune"}
    assert set(item) == {PARTITION_KEY, SORT_KEY, "result", "outcome", "expires_at"}
    assert item["outcome"] == {"S": "succeeded"}
    stored = stored_results(session, env, job_id)["dune"]
    assert encode(stored).decode() == item["result"]["S"]
    assert int(item["expires_at"]["N"]) > stored.processed_at.timestamp() + 29 * 86400


def test_a_result_expires_with_its_job_after_job_retention_days(
    processor_env: Env,
    queue: TaskQueue,
    fixture_books: dict[str, FixtureBook],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session, env = processor_env
    monkeypatch.setenv("JOB_RETENTION_DAYS", "7")
    job_id = _queue_job(processor_env, queue, fixture_books, ["dune"])
    run_batch(queue, queue.receive())

    item = session.client("dynamodb").get_item(
        TableName=env.jobs_table, Key=storage.book_key(job_id, "dune")
    )["Item"]
    stored = stored_results(session, env, job_id)["dune"]
    ttl_days = (int(item["expires_at"]["N"]) - stored.processed_at.timestamp()) / 86400
    assert 6.99 < ttl_days <= 7


def test_the_books_of_a_job_that_no_longer_exists_are_dropped_not_sent_to_the_dlq(
    processor_env: Env, queue: TaskQueue, fixture_books: dict[str, FixtureBook]
) -> None:
    """The job item exists before any of its tasks is sent; without it the reader deleted the
    job (or it expired), and the DLQ must not keep their titles."""
    missing_job = "0b7a8f0e-5d8c-4c0e-9a4e-1c2b3d4e5f60"
    orphans = [task_for(fixture_books[name], missing_job) for name in ["dune", "sapiens"]]
    queue.send(orphans)
    job_id = _queue_job(processor_env, queue, fixture_books, TEN_BOOKS[:3])

    messages = queue.receive()
    assert len(messages) == 5
    response, report = run_batch(queue, messages)

    assert response == {"batchItemFailures": []}
    assert report.dropped_for_missing_job == 2
    assert stored_results(*processor_env, missing_job) == {}
    assert report.recorded == {"enriched": 3}
    assert job_record(*processor_env, job_id).succeeded == 3


def test_a_book_left_for_retry_comes_back_after_its_redelivery_delay_not_the_queue_timeout(
    processor_env: Env,
    queue: TaskQueue,
    upstream: UpstreamServer,
    fixture_books: dict[str, FixtureBook],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("UPSTREAM_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("REDELIVERY_BASE_SECONDS", "1")
    _queue_job(processor_env, queue, fixture_books, ["dune"])
    upstream.inject(Fault.server_error(503))
    messages = queue.receive()

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    response, _ = process_batch(queue.event(messages), context(60), dependencies(), processor)

    assert len(response["batchItemFailures"]) == 1
    assert queue.receive() == []  # invisible for now...
    again = queue.sqs.receive_message(  # ...but back in about a second, not in 360 s
        QueueUrl=queue.env.task_queue_url, AttributeNames=["All"], WaitTimeSeconds=5
    ).get("Messages", [])
    assert [m["Attributes"]["ApproximateReceiveCount"] for m in again] == ["2"]


def test_redelivery_delays_grow_per_attempt_and_all_five_attempts_fit_the_job_deadline() -> None:
    delays = [[redelivery_delay(attempt, 30.0) for attempt in range(1, 5)] for _ in range(200)]

    for attempt_delays in delays:
        for attempt, delay in enumerate(attempt_delays, start=1):
            assert 30 * 2 ** (attempt - 1) / 2 <= delay <= 30 * 2 ** (attempt - 1)
        assert sum(attempt_delays) < 15 * 60
    assert redelivery_delay(30, 30.0) == 12 * 3600 or redelivery_delay(30, 30.0) >= 6 * 3600
