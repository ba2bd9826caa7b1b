"""Fan-in against the embedded AWS: when a job completes, as what, and that it happens once."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import msgspec
import pytest

from contracts import storage
from contracts.messages import BookResult, EnrichmentStatus, JobRecord, JobStatus
from services.aggregator.fan_in import (
    NEVER_QUEUED,
    Aggregation,
    AggregatorDependencies,
    Outcome,
    aggregate_if_due,
    aggregate_job,
    sweep_open_jobs,
)
from services.aggregator.stats import MISSING_REASON, build_dashboard
from services.aggregator.store import BlobStore, Claim, JobStore
from tests.aggregator import job_storage
from tests.aggregator.library import BOOKS, CREATED_AT, MISSING_IDS, RESULTS, manifest
from tests.support import jobs
from tests.support.aws_requests import RequestCounter
from tests.support.clocks import Clock

QUEUED_AT = CREATED_AT + dt.timedelta(minutes=1)
DEADLINE = QUEUED_AT + dt.timedelta(minutes=15)
LEASE = 300
COMPLETE_BOOKS = tuple(book for book in BOOKS if book.book_id not in MISSING_IDS)
OTHER_JOB = "0d4f3a52-8f0e-4c1b-9d51-6a0b4b6e2f11"


@pytest.fixture
def clock() -> Clock:
    return Clock(QUEUED_AT + dt.timedelta(minutes=2))


@pytest.fixture
def deps(aws: Any, clock: Clock) -> AggregatorDependencies:
    session, _ = aws
    return job_storage.dependencies(session, clock)


def _queue(aws: Any, books=COMPLETE_BOOKS, job_id: str | None = None):  # type: ignore[no-untyped-def]
    session, env = aws
    job_manifest = manifest(books) if job_id is None else manifest(books, job_id=job_id)
    job_storage.put_queued_job(session, env, job_manifest, queued_at=QUEUED_AT, deadline=DEADLINE)
    return job_manifest


def _store_all(aws: Any, results=RESULTS) -> None:  # type: ignore[no-untyped-def]
    session, env = aws
    for result in results:
        job_storage.store_result(session, env, result)


def test_a_job_with_every_book_accounted_for_completes_on_its_signal(aws, deps, clock) -> None:
    session, env = aws
    job_manifest = _queue(aws)
    _store_all(aws)

    aggregation = aggregate_job(job_manifest.job_id, deps)

    assert aggregation.outcome == Outcome.COMPLETE
    record = job_storage.job_record(session, env, job_manifest.job_id)
    assert record.status == JobStatus.COMPLETE
    assert (record.total, record.succeeded, record.failed, record.missing) == (10, 9, 1, 0)
    assert record.dashboard_key == storage.dashboard_key(job_manifest.job_id)
    assert record.finished_at == clock.now
    item = job_storage.job_item(session, env, job_manifest.job_id)
    assert not {"open_shard", "lease_until", "lease_owner"} & item.keys()
    assert job_manifest.job_id not in job_storage.open_job_ids(session, env)
    expected = build_dashboard(
        job_manifest, {r.book_id: r for r in RESULTS}, generated_at=clock.now
    )
    assert job_storage.read_dashboard(session, env, job_manifest.job_id) == expected


def test_the_signalled_fan_in_makes_exactly_the_planned_requests(aws, clock) -> None:
    session, _ = aws
    dynamodb, s3 = session.client("dynamodb"), session.client("s3")
    job_manifest = _queue(aws)
    _store_all(aws)
    counter = RequestCounter(dynamodb, s3)

    deps = job_storage.dependencies(session, clock, dynamodb=dynamodb, s3=s3)
    assert aggregate_job(job_manifest.job_id, deps).outcome == Outcome.COMPLETE

    # claim, manifest, one page of results, dashboard, final update: no extra read.
    assert counter.counts == {
        "dynamodb.UpdateItem": 2,
        "s3.GetObject": 1,
        "dynamodb.Query": 1,
        "s3.PutObject": 1,
    }


def test_a_signal_before_every_book_is_accounted_for_leaves_the_job_open(aws, deps, clock) -> None:
    session, env = aws
    job_manifest = _queue(aws)
    _store_all(aws, RESULTS[:4])

    assert aggregate_job(job_manifest.job_id, deps).outcome == Outcome.NOT_READY

    item = job_storage.job_item(session, env, job_manifest.job_id)
    assert item["status"] == "QUEUED" and item["open_shard"] == storage.OPEN_SHARD
    assert "lease_owner" not in item  # the claim was given back
    assert not job_storage.dashboard_exists(session, env, job_manifest.job_id)


def test_a_job_missing_books_at_its_deadline_completes_as_partial_naming_them(
    aws, deps, clock
) -> None:
    session, env = aws
    job_manifest = _queue(aws, BOOKS)
    _store_all(aws)  # gr108 and gr111 never report (their tasks went to the DLQ)

    before = sweep_open_jobs(deps)
    assert [a.outcome for a in before.aggregations] == [Outcome.NOT_READY]
    clock.now = DEADLINE
    after = sweep_open_jobs(deps)

    assert [a.outcome for a in after.aggregations] == [Outcome.PARTIAL]
    assert after.aggregations[0].missing_book_ids == MISSING_IDS
    record = job_storage.job_record(session, env, job_manifest.job_id)
    assert (record.status, record.missing) == (JobStatus.PARTIAL, 2)
    dashboard = job_storage.read_dashboard(session, env, job_manifest.job_id)
    assert dashboard.status == JobStatus.PARTIAL
    assert dashboard.missing_book_ids == MISSING_IDS
    emma = next(book for book in dashboard.books if book.book_id == "gr111")
    assert (emma.title, emma.pages, emma.enrichment) == ("Emma", 474, "missing")
    assert emma.enrichment_reason == MISSING_REASON


def test_a_job_with_no_books_completes_at_once(aws, deps) -> None:
    session, env = aws
    job_manifest = _queue(aws, ())

    aggregation = aggregate_if_due(job_manifest.job_id, deps)

    assert aggregation.outcome == Outcome.COMPLETE
    assert job_storage.job_record(session, env, job_manifest.job_id).status == JobStatus.COMPLETE
    dashboard = job_storage.read_dashboard(session, env, job_manifest.job_id)
    assert dashboard.status == JobStatus.COMPLETE and dashboard.books == ()


def test_results_stored_as_text_or_as_binary_are_both_read(aws, deps) -> None:
    session, env = aws
    job_manifest = _queue(aws)
    for index, result in enumerate(RESULTS):
        job_storage.store_result(session, env, result, as_bytes=index % 2 == 0)

    assert aggregate_job(job_manifest.job_id, deps).outcome == Outcome.COMPLETE
    dashboard = job_storage.read_dashboard(session, env, job_manifest.job_id)
    assert dashboard.counts.enriched == 7
    assert {book.enrichment for book in dashboard.books} == {
        "enriched",
        "not_found",
        "failed",
        "skipped",
    }


def test_more_than_a_thousand_results_are_read_across_pages(aws, clock) -> None:
    session, env = aws
    dynamodb = session.client("dynamodb")
    template = BOOKS[0]
    books = tuple(
        msgspec.structs.replace(
            template, book_id=f"gr{5000 + n}", goodreads_id=str(5000 + n), row_number=n
        )
        for n in range(1, 1101)
    )
    job_manifest = _queue(aws, books)
    # About 1 KB per item, so 1,100 of them exceed DynamoDB's 1 MB page.
    subjects = tuple(f"subject number {n:03d} of a long list" for n in range(30))
    job_storage.store_results_in_bulk(
        session,
        env,
        (
            BookResult(
                job_id=job_manifest.job_id,
                book_id=book.book_id,
                status=EnrichmentStatus.ENRICHED,
                pages=book.row_number,
                raw_subjects=subjects,
                processed_at=QUEUED_AT,
            )
            for book in books
        ),
    )
    counter = RequestCounter(dynamodb)

    deps = job_storage.dependencies(session, clock, dynamodb=dynamodb)
    assert aggregate_job(job_manifest.job_id, deps).outcome == Outcome.COMPLETE

    assert counter.of("Query") >= 2
    dashboard = job_storage.read_dashboard(session, env, job_manifest.job_id)
    assert dashboard.counts.enriched == 1100 and dashboard.counts.missing == 0


def test_results_are_merged_by_book_id_whatever_order_they_are_stored_and_read_in(
    aws, deps
) -> None:
    session, env = aws
    # Stored keys sort as BOOK#gr10 < BOOK#gr100 < BOOK#gr9: not the manifest's order.
    ids = ("gr9", "gr10", "gr100")
    books = tuple(
        msgspec.structs.replace(
            BOOKS[2], book_id=book_id, goodreads_id=book_id[2:], row_number=row, pages=None
        )
        for row, book_id in enumerate(ids, start=1)
    )
    job_manifest = _queue(aws, books)
    pages = {"gr9": 109, "gr10": 110, "gr100": 200}
    _store_all(
        aws,
        [
            BookResult(
                job_id=job_manifest.job_id,
                book_id=book_id,
                status=EnrichmentStatus.ENRICHED,
                pages=pages[book_id],
                processed_at=QUEUED_AT,
            )
            for book_id in reversed(ids)
        ],
    )

    assert aggregate_job(job_manifest.job_id, deps).outcome == Outcome.COMPLETE

    dashboard = job_storage.read_dashboard(session, env, job_manifest.job_id)
    assert [(book.book_id, book.pages) for book in dashboard.books] == [
        ("gr9", 109),
        ("gr10", 110),
        ("gr100", 200),
    ]


def test_a_finished_job_is_never_aggregated_again(aws, deps) -> None:
    session, env = aws
    job_manifest = _queue(aws)
    _store_all(aws)
    assert aggregate_job(job_manifest.job_id, deps).outcome == Outcome.COMPLETE
    first = job_storage.read_dashboard(session, env, job_manifest.job_id)
    s3 = session.client("s3")
    counter = RequestCounter(s3)
    again = job_storage.dependencies(session, Clock(DEADLINE + dt.timedelta(hours=1)), s3=s3)

    assert aggregate_job(job_manifest.job_id, again).outcome == Outcome.ALREADY_FINAL
    assert aggregate_if_due(job_manifest.job_id, again).outcome == Outcome.ALREADY_FINAL
    assert sweep_open_jobs(again).aggregations == []
    assert counter.of("PutObject") == 0
    assert job_storage.read_dashboard(session, env, job_manifest.job_id) == first


class _CrashBeforeFinishing(JobStore):
    def finish(self, *args: Any, **kwargs: Any) -> bool:
        raise RuntimeError("the function timed out between the dashboard and the final update")


def test_a_crashed_aggregation_is_claimed_again_once_its_lease_expires(aws, deps, clock) -> None:
    session, env = aws
    job_manifest = _queue(aws)
    _store_all(aws)
    crashing = dataclasses.replace(
        deps, jobs=_CrashBeforeFinishing(dynamodb=deps.jobs.dynamodb, table=deps.jobs.table)
    )
    with pytest.raises(RuntimeError):
        aggregate_job(job_manifest.job_id, crashing)
    assert job_storage.dashboard_exists(session, env, job_manifest.job_id)
    assert job_storage.job_record(session, env, job_manifest.job_id).status == JobStatus.QUEUED

    clock.advance(LEASE - 1)
    assert aggregate_job(job_manifest.job_id, deps).outcome == Outcome.CLAIMED_ELSEWHERE
    assert sweep_open_jobs(deps).aggregations[0].outcome == Outcome.CLAIMED_ELSEWHERE

    clock.advance(2)
    report = sweep_open_jobs(deps)

    assert [a.outcome for a in report.aggregations] == [Outcome.COMPLETE]
    assert job_storage.job_record(session, env, job_manifest.job_id).status == JobStatus.COMPLETE
    assert job_storage.read_dashboard(session, env, job_manifest.job_id).generated_at == clock.now


def test_a_run_that_outlives_its_lease_gives_way_to_the_run_that_took_over(
    aws, deps, clock
) -> None:
    session, env = aws
    job_manifest = _queue(aws)
    _store_all(aws)
    takeovers: list[Aggregation] = []

    class SlowBlobStore(BlobStore):
        def put_dashboard(self, dashboard: Any) -> str:
            key = super().put_dashboard(dashboard)
            if not takeovers:  # while this run is stalled, its lease runs out
                clock.advance(LEASE + 1)
                takeovers.append(aggregate_job(job_manifest.job_id, deps))
            return key

    slow = dataclasses.replace(
        deps, blobs=SlowBlobStore(s3=deps.blobs.s3, bucket=deps.blobs.bucket)
    )

    assert aggregate_job(job_manifest.job_id, slow).outcome == Outcome.LEASE_LOST
    assert [a.outcome for a in takeovers] == [Outcome.COMPLETE]
    record = job_storage.job_record(session, env, job_manifest.job_id)
    assert record.status == JobStatus.COMPLETE and record.finished_at == clock.now


def test_a_job_that_is_unknown_or_not_yet_queued_is_left_alone(aws, deps) -> None:
    session, env = aws
    assert aggregate_job(OTHER_JOB, deps).outcome == Outcome.NOT_FOUND
    assert aggregate_if_due(OTHER_JOB, deps).outcome == Outcome.NOT_FOUND
    job_manifest = _queue(aws, ())
    session.client("dynamodb").update_item(
        TableName=env.jobs_table,
        Key=storage.job_key(job_manifest.job_id),
        UpdateExpression="SET #status = :received REMOVE open_shard",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":received": {"S": "RECEIVED"}},
    )
    assert aggregate_job(job_manifest.job_id, deps).outcome == Outcome.NOT_QUEUED
    assert aggregate_if_due(job_manifest.job_id, deps).outcome == Outcome.NOT_QUEUED
    assert not job_storage.dashboard_exists(session, env, job_manifest.job_id)


def test_invalid_job_ids_are_refused_before_any_request(deps) -> None:
    for bad in ("../../etc", "57F1AC0B-B10E-4D62-AF37-2885F0258F8C", ""):
        with pytest.raises(storage.InvalidJobId):
            aggregate_job(bad, deps)
        with pytest.raises(storage.InvalidJobId):
            aggregate_if_due(bad, deps)


def test_a_stored_result_that_cannot_be_read_counts_as_missing(aws, deps) -> None:
    session, env = aws
    job_manifest = _queue(aws)
    _store_all(aws)
    session.client("dynamodb").update_item(
        TableName=env.jobs_table,
        Key=storage.book_key(job_manifest.job_id, "gr101"),
        UpdateExpression="SET #result = :garbage",
        ExpressionAttributeNames={"#result": "result"},
        ExpressionAttributeValues={":garbage": {"S": '{"type": "book.result.v1", "oops": 1}'}},
    )

    aggregation = aggregate_job(job_manifest.job_id, deps)

    assert (aggregation.outcome, aggregation.missing_book_ids) == (Outcome.PARTIAL, ("gr101",))


def test_the_sweep_aggregates_due_jobs_and_leaves_the_rest(aws, deps, clock) -> None:
    session, env = aws
    ready = _queue(aws)
    _store_all(aws)
    waiting = _queue(aws, COMPLETE_BOOKS[:2], job_id=OTHER_JOB)

    report = sweep_open_jobs(deps)

    outcomes = {a.job_id: a.outcome for a in report.aggregations}
    assert outcomes == {ready.job_id: Outcome.COMPLETE, waiting.job_id: Outcome.NOT_READY}
    assert job_storage.open_job_ids(session, env) == {OTHER_JOB}


def test_one_failing_job_does_not_stop_the_sweep(aws, deps, clock) -> None:
    session, env = aws
    broken = _queue(aws, ())
    session.client("s3").delete_object(
        Bucket=env.data_bucket, Key=storage.manifest_key(broken.job_id)
    )
    healthy = _queue(aws, (), job_id=OTHER_JOB)

    report = sweep_open_jobs(deps)

    assert report.failed_job_ids == [broken.job_id]
    assert [(a.job_id, a.outcome) for a in report.aggregations] == [
        (healthy.job_id, Outcome.COMPLETE)
    ]


def test_a_sweep_out_of_time_defers_the_remaining_jobs(aws, deps) -> None:
    _queue(aws, ())
    report = sweep_open_jobs(deps, has_time_left=lambda: False)
    assert report.aggregations == [] and report.deferred == 1


def test_open_jobs_are_read_across_index_pages(aws, deps) -> None:
    job_ids = {f"00000000-0000-4000-8000-00000000000{n}" for n in range(5)}
    for job_id in job_ids:
        _queue(aws, (), job_id=job_id)

    listed = [job_id for job_id, _ in deps.jobs.open_jobs(page_size=2)]

    assert sorted(listed) == sorted(job_ids)


def test_a_claim_returns_the_current_counters_and_excludes_a_second_claim(aws, deps, clock) -> None:
    job_manifest = _queue(aws)
    _store_all(aws, RESULTS[:3])

    first = deps.jobs.claim(job_manifest.job_id, now=clock.now, lease_seconds=LEASE)
    second = deps.jobs.claim(job_manifest.job_id, now=clock.now, lease_seconds=LEASE)

    assert isinstance(first, Claim) and (first.record.succeeded, first.record.total) == (3, 10)
    assert not isinstance(second, Claim)


def _received(aws: Any, job_id: str, deadline: dt.datetime) -> None:
    """The job item as the orchestrator creates it, before every one of its attempts failed."""
    session, env = aws
    record = JobRecord(
        job_id=job_id,
        status=JobStatus.RECEIVED,
        source_key=storage.upload_key(job_id),
        created_at=CREATED_AT,
        updated_at=CREATED_AT,
        deadline=deadline,
    )
    jobs.put_job_record(session, env, record)


def test_a_job_still_received_at_its_deadline_ends_failed_with_a_reason(aws, deps, clock) -> None:
    session, env = aws
    _received(aws, OTHER_JOB, deadline=clock.now - dt.timedelta(seconds=1))
    assert OTHER_JOB in job_storage.open_job_ids(session, env)

    report = sweep_open_jobs(deps)

    assert report.aggregations == [Aggregation(job_id=OTHER_JOB, outcome=Outcome.NEVER_QUEUED)]
    record = job_storage.job_record(session, env, OTHER_JOB)
    assert record.status == JobStatus.FAILED and record.error == NEVER_QUEUED
    assert record.finished_at == clock.now
    assert OTHER_JOB not in job_storage.open_job_ids(session, env)
    assert not job_storage.dashboard_exists(session, env, OTHER_JOB)


def test_a_job_received_before_its_deadline_is_left_to_its_orchestrator(aws, deps, clock) -> None:
    session, env = aws
    _received(aws, OTHER_JOB, deadline=clock.now + dt.timedelta(seconds=1))

    report = sweep_open_jobs(deps)

    assert [a.outcome for a in report.aggregations] == [Outcome.NOT_QUEUED]
    assert job_storage.job_record(session, env, OTHER_JOB).status == JobStatus.RECEIVED
    clock.advance(2)
    assert [a.outcome for a in sweep_open_jobs(deps).aggregations] == [Outcome.NEVER_QUEUED]
