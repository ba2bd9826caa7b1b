"""The orchestrator against moto: job records, manifests, queued tasks, failures, duplicates."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from contracts import codec, storage
from contracts.messages import JobStatus
from contracts.storage import (
    ACCESS_DELETING_AT,
    OPEN_SHARD,
    manifest_key,
    new_job_id,
)
from local_runtime.lambda_events import s3_object_created_event
from local_runtime.resources import ServiceEnvironment
from services.orchestrator.jobs import JobStore
from services.orchestrator.orchestrate import (
    REJECTED,
    Clients,
    Upload,
    handle_event,
    run_job,
)
from services.orchestrator.parser import parse_export
from services.orchestrator.settings import Settings
from tests.orchestrator.aws_wrappers import FlakySqs
from tests.support.aws_requests import ForbiddenClient, count_requests
from tests.support.exports import HEADER_24, synthetic_export
from tests.support.jobs import read_job_item

AwsFixture = tuple[boto3.Session, ServiceEnvironment]
NOW = dt.datetime(2026, 5, 1, 12, 0, 0, tzinfo=dt.UTC)


def _clock() -> dt.datetime:
    return NOW


def _manifest(aws: AwsFixture, job_id: str) -> Any:
    session, env = aws
    body = session.client("s3").get_object(Bucket=env.data_bucket, Key=manifest_key(job_id))
    return codec.manifest_decoder.decode(body["Body"].read())


def _manifest_exists(aws: AwsFixture, job_id: str) -> bool:
    session, env = aws
    listing = session.client("s3").list_objects_v2(
        Bucket=env.data_bucket, Prefix=manifest_key(job_id)
    )
    return bool(listing.get("KeyCount"))


def _raw_job_item(aws: AwsFixture, job_id: str) -> dict[str, Any]:
    return read_job_item(*aws, job_id)


# --- A good file ------------------------------------------------------------------------------


def test_every_book_is_queued_as_a_task_that_decodes_to_the_contract_and_matches_its_row(
    settings: Settings,
    clients: Clients,
    upload: Callable[..., Upload],
    queued_bodies: Callable[[], list[str]],
) -> None:
    export = synthetic_export(137, seed=31, problem_rate=0.05, reject_rate=0.03)
    job = upload(export.data)

    outcome = run_job(job, settings, clients, _clock)

    assert outcome.status == "QUEUED" and outcome.error is None
    assert outcome.total == len(export.books)
    tasks = [codec.task_decoder.decode(body) for body in queued_bodies()]
    assert sorted(task.book_id for task in tasks) == sorted(book.book_id for book in export.books)
    by_id = {task.book_id: task for task in tasks}
    for book in export.books:
        task = by_id[book.book_id]
        assert (task.job_id, task.title, task.author) == (job.job_id, book.title, book.author)
        assert (task.isbn13, task.isbn10) == (book.isbn13, book.isbn10)
        assert task.queued_at == NOW


def test_the_job_record_is_queued_with_totals_warnings_and_a_deadline(
    aws: AwsFixture, settings: Settings, clients: Clients, upload: Callable[..., Upload]
) -> None:
    export = synthetic_export(300, seed=32, problem_rate=0.1, reject_rate=0.02)
    job = upload(export.data)
    run_job(job, settings, clients, _clock)

    record = clients.jobs.get(job.job_id)
    assert record is not None
    assert record.status == JobStatus.QUEUED
    assert record.total == len(export.books)
    assert record.rejected == len(export.rejected_row_numbers)
    assert record.warnings_count == len(export.expected_warnings)
    assert {(w.row_number, w.column) for w in record.warnings} == export.expected_warnings
    assert record.source_key == job.key
    assert record.manifest_key == manifest_key(job.job_id)
    assert record.created_at == NOW and record.queued_at == NOW
    assert record.deadline == NOW + dt.timedelta(seconds=900)
    assert record.error is None
    item = _raw_job_item(aws, job.job_id)
    assert item["open_shard"] == OPEN_SHARD  # the aggregator's sweep finds open jobs by it
    assert int(item["expires_at"]) == int((NOW + dt.timedelta(days=30)).timestamp())


def test_the_deadline_follows_job_deadline_seconds(
    monkeypatch: pytest.MonkeyPatch, clients: Clients, upload: Callable[..., Upload]
) -> None:
    monkeypatch.setenv("JOB_DEADLINE_SECONDS", "60")
    job = upload(synthetic_export(3, seed=1).data)
    run_job(job, Settings.from_environment(), clients, _clock)
    record = clients.jobs.get(job.job_id)
    assert record is not None and record.deadline == NOW + dt.timedelta(seconds=60)


def test_the_manifest_holds_every_book_rejected_row_and_warning(
    aws: AwsFixture, settings: Settings, clients: Clients, upload: Callable[..., Upload]
) -> None:
    export = synthetic_export(250, seed=33, problem_rate=0.9, reject_rate=0.05, variant="31")
    job = upload(export.data)
    run_job(job, settings, clients, _clock)

    manifest = _manifest(aws, job.job_id)
    parsed = parse_export(export.data)
    assert list(manifest.books) == export.books
    assert list(manifest.rejected) == parsed.rejected
    assert list(manifest.warnings) == parsed.warnings
    assert manifest.header_variant == "31" and manifest.source_key == job.key
    record = clients.jobs.get(job.job_id)
    assert record is not None
    assert record.warnings_count == len(parsed.warnings) > 100
    assert list(record.warnings) == parsed.warnings[:100]  # the first ones; all in the manifest


def test_the_manifest_and_totals_are_recorded_before_any_task_is_queued(
    aws: AwsFixture, settings: Settings, clients: Clients, upload: Callable[..., Upload]
) -> None:
    seen_before_first_send: list[tuple[bool, Any]] = []

    class WatchingSqs:
        def __init__(self, sqs: Any) -> None:
            self._sqs = sqs

        def send_message_batch(self, **kwargs: Any) -> Any:
            if not seen_before_first_send:
                record = clients.jobs.get(job.job_id)
                seen_before_first_send.append((_manifest_exists(aws, job.job_id), record))
            return self._sqs.send_message_batch(**kwargs)

    job = upload(synthetic_export(30, seed=34).data)
    watched = dataclasses.replace(clients, sqs=WatchingSqs(clients.sqs))
    run_job(job, dataclasses.replace(settings, fanout_workers=1), watched, _clock)

    [(manifest_written, record)] = seen_before_first_send
    assert manifest_written
    assert record.status == JobStatus.RECEIVED and record.total == 30


def test_a_header_only_file_is_queued_with_total_zero_and_sends_nothing(
    aws: AwsFixture,
    settings: Settings,
    clients: Clients,
    upload: Callable[..., Upload],
    queued_bodies: Callable[[], list[str]],
) -> None:
    job = upload((",".join(HEADER_24) + "\n").encode())
    outcome = run_job(job, settings, clients, _clock)
    assert (outcome.status, outcome.total, outcome.error) == ("QUEUED", 0, None)
    assert queued_bodies() == []
    assert _manifest(aws, job.job_id).books == ()


def _completion_signals(aws: AwsFixture) -> list[str]:
    session, env = aws
    messages = (
        session.client("sqs")
        .receive_message(QueueUrl=env.completion_queue_url, MaxNumberOfMessages=10)
        .get("Messages", [])
    )
    return [codec.completion_decoder.decode(m["Body"]).job_id for m in messages]


def test_an_empty_library_signals_the_aggregator_at_once(
    aws: AwsFixture, settings: Settings, clients: Clients, upload: Callable[..., Upload]
) -> None:
    job = upload((",".join(HEADER_24) + "\n").encode())

    run_job(job, settings, clients, _clock)

    assert _completion_signals(aws) == [job.job_id]


def test_a_job_with_books_still_to_process_sends_no_signal(
    aws: AwsFixture, settings: Settings, clients: Clients, upload: Callable[..., Upload]
) -> None:
    run_job(upload(synthetic_export(5, seed=38).data), settings, clients, _clock)

    assert _completion_signals(aws) == []


def test_an_s3_notification_with_an_url_encoded_key_starts_the_job(
    aws: AwsFixture,
    settings: Settings,
    clients: Clients,
    upload: Callable[..., Upload],
    queued_bodies: Callable[[], list[str]],
) -> None:
    job = upload(synthetic_export(12, seed=35).data, file_name="mes livres (2024) +été.csv")
    event = s3_object_created_event(aws[1].data_bucket, job.key, 100)
    assert event["Records"][0]["s3"]["object"]["key"] != job.key  # it arrives encoded

    [outcome] = handle_event(event, settings, clients, _clock)

    assert (outcome.job_id, outcome.status, outcome.total) == (job.job_id, "QUEUED", 12)
    assert len(queued_bodies()) == 12


def test_a_direct_invocation_finds_the_single_upload_of_the_job(
    settings: Settings,
    clients: Clients,
    upload: Callable[..., Upload],
    queued_bodies: Callable[[], list[str]],
) -> None:
    job = upload(synthetic_export(7, seed=36).data)
    [outcome] = handle_event({"job_id": job.job_id}, settings, clients, _clock)
    assert (outcome.status, outcome.total) == ("QUEUED", 7)
    assert len(queued_bodies()) == 7


# --- Files that cannot be used ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected_error"),
    [
        ("Book Id,Title,Author\n1,T,A\n".encode("utf-16"), "UTF-16"),
        ("Book Id,Title,Author,Exclusive Shelf\n1,Misérables,A,read\n".encode("latin-1"), "UTF-8"),
        (b"Book Id,Title\n1,T\n", "missing required columns: Author, Exclusive Shelf"),
        (b'Book Id,Title,Author,Exclusive Shelf\n1,"T,A,read\n', "row 1 (line 2), column 'Title'"),
        (b"", "empty"),
    ],
    ids=["utf16", "latin1", "missing-columns", "malformed", "empty"],
)
def test_a_file_that_cannot_be_used_fails_the_job_with_its_reason_and_queues_nothing(
    aws: AwsFixture,
    settings: Settings,
    clients: Clients,
    upload: Callable[..., Upload],
    queued_bodies: Callable[[], list[str]],
    data: bytes,
    expected_error: str,
) -> None:
    job = upload(data)
    outcome = run_job(job, settings, clients, _clock)

    assert outcome.status == "FAILED"
    assert outcome.error is not None and expected_error in outcome.error
    record = clients.jobs.get(job.job_id)
    assert record is not None
    assert record.status == JobStatus.FAILED and record.error == outcome.error
    assert record.finished_at == NOW and record.total == 0
    assert "open_shard" not in _raw_job_item(aws, job.job_id)
    assert queued_bodies() == []
    assert not _manifest_exists(aws, job.job_id)


def test_a_file_over_the_size_limit_fails_the_job(
    settings: Settings,
    clients: Clients,
    upload: Callable[..., Upload],
    queued_bodies: Callable[[], list[str]],
) -> None:
    job = upload(b"Book Id,Title,Author,Exclusive Shelf\n" + b"1,T,A,read\n" * 4_800_000)
    outcome = run_job(job, settings, clients, _clock)
    assert outcome.status == "FAILED"
    assert outcome.error is not None and "the limit is 50 MB" in outcome.error
    assert queued_bodies() == []


def test_an_upload_deleted_before_it_is_read_fails_the_job(
    aws: AwsFixture, settings: Settings, clients: Clients, upload: Callable[..., Upload]
) -> None:
    job = upload(b"anything")
    aws[0].client("s3").delete_object(Bucket=aws[1].data_bucket, Key=job.key)
    outcome = run_job(job, settings, clients, _clock)
    assert outcome.status == "FAILED" and outcome.error is not None and "gone" in outcome.error


# --- Queueing failures ------------------------------------------------------------------------


def test_entries_that_fail_in_a_batch_are_retried_alone_and_every_book_is_queued_once(
    settings: Settings,
    clients: Clients,
    upload: Callable[..., Upload],
    queued_bodies: Callable[[], list[str]],
) -> None:
    export = synthetic_export(45, seed=37, duplicate_id_rate=0.0)
    flaky_ids = {book.book_id for book in export.books[::4]}
    flaky = FlakySqs(clients.sqs, lambda entry_id: 1 if entry_id in flaky_ids else 0)
    job = upload(export.data)

    outcome = run_job(job, settings, dataclasses.replace(clients, sqs=flaky), _clock)

    assert outcome.status == "QUEUED"
    bodies = queued_bodies()
    assert sorted(codec.task_decoder.decode(b).book_id for b in bodies) == sorted(
        book.book_id for book in export.books
    )
    first_calls = [call for call in flaky.calls if not set(call) <= flaky_ids]
    retries = [call for call in flaky.calls if set(call) <= flaky_ids]
    assert len(first_calls) == 5  # 45 books, ten per call
    assert sorted(entry for call in retries for entry in call) == sorted(flaky_ids)


def test_a_job_whose_tasks_cannot_all_be_queued_fails_with_the_reason(
    settings: Settings, clients: Clients, upload: Callable[..., Upload]
) -> None:
    export = synthetic_export(20, seed=38, duplicate_id_rate=0.0)
    stuck = export.books[3].book_id
    flaky = FlakySqs(
        clients.sqs, lambda entry_id: 1_000 if entry_id == stuck else 0, code="KmsThrottled"
    )
    job = upload(export.data)

    outcome = run_job(job, settings, dataclasses.replace(clients, sqs=flaky), _clock)

    assert outcome.status == "FAILED"
    assert outcome.error is not None
    assert "1 of 20 books could not be queued (KmsThrottled)" in outcome.error
    assert sum(stuck in call for call in flaky.calls) == 5  # the attempts, then it gave up
    record = clients.jobs.get(job.job_id)
    assert record is not None and record.status == JobStatus.FAILED
    assert record.error == outcome.error and record.queued_at is None


# --- Duplicates and crashes -------------------------------------------------------------------


def test_invoking_twice_for_the_same_upload_queues_the_books_once(
    aws: AwsFixture,
    settings: Settings,
    clients: Clients,
    upload: Callable[..., Upload],
    queued_bodies: Callable[[], list[str]],
) -> None:
    job = upload(synthetic_export(33, seed=39).data)
    event = s3_object_created_event(aws[1].data_bucket, job.key, 100)

    [first] = handle_event(event, settings, clients, _clock)
    [again] = handle_event(event, settings, clients, _clock)
    [direct] = handle_event({"job_id": job.job_id}, settings, clients, _clock)

    assert first == again == direct
    assert first.status == "QUEUED"
    assert len(queued_bodies()) == 33


def test_a_failed_job_is_not_run_again(
    settings: Settings,
    clients: Clients,
    upload: Callable[..., Upload],
    queued_bodies: Callable[[], list[str]],
) -> None:
    job = upload(b"Book Id,Title\n1,T\n")
    first = run_job(job, settings, clients, _clock)
    again = run_job(job, settings, clients, _clock)
    assert first == again and first.status == "FAILED"


def test_a_job_left_in_received_by_a_crash_is_run_again(
    settings: Settings,
    clients: Clients,
    upload: Callable[..., Upload],
    queued_bodies: Callable[[], list[str]],
) -> None:
    job = upload(synthetic_export(18, seed=40).data)
    earlier = dt.datetime(2026, 5, 1, 11, 59, tzinfo=dt.UTC)
    crashed = run_job_until_received(clients.jobs, job, earlier)

    outcome = run_job(job, settings, clients, _clock)

    assert (outcome.status, outcome.total) == ("QUEUED", 18)
    assert len(queued_bodies()) == 18
    record = clients.jobs.get(job.job_id)
    assert record is not None and record.created_at == crashed.created_at == earlier


def run_job_until_received(jobs: JobStore, job: Upload, created_at: dt.datetime) -> Any:
    """What a run that crashed right after creating the job item leaves behind."""
    from contracts.messages import JobRecord

    record = JobRecord(
        job_id=job.job_id,
        status=JobStatus.RECEIVED,
        source_key=job.key,
        created_at=created_at,
        updated_at=created_at,
    )
    assert jobs.create(record, expires_at=created_at + dt.timedelta(days=1)) is None
    return record


def test_a_processor_faster_than_the_orchestrator_keeps_its_counts_and_the_job_completes(
    aws: AwsFixture, settings: Settings, clients: Clients, upload: Callable[..., Upload]
) -> None:
    """A fast book processor may count every result before the job becomes QUEUED, when its
    completion signals are too early for the aggregator: the counters survive, and the
    orchestrator signals the aggregator itself once the job is QUEUED."""
    dynamodb, table = aws[0].client("dynamodb"), aws[1].jobs_table

    class CountingSqs:
        def __init__(self, sqs: Any) -> None:
            self._sqs = sqs

        def __getattr__(self, name: str) -> Any:
            return getattr(self._sqs, name)

        def send_message_batch(self, **kwargs: Any) -> Any:
            dynamodb.update_item(
                TableName=table,
                Key=storage.job_key(job.job_id),
                UpdateExpression="ADD succeeded :n",
                ExpressionAttributeValues={":n": {"N": str(len(kwargs["Entries"]))}},
            )
            return self._sqs.send_message_batch(**kwargs)

    job = upload(synthetic_export(25, seed=41).data)
    run_job(job, settings, dataclasses.replace(clients, sqs=CountingSqs(clients.sqs)), _clock)
    record = clients.jobs.get(job.job_id)
    assert record is not None and (record.status, record.succeeded) == (JobStatus.QUEUED, 25)
    assert _completion_signals(aws) == [job.job_id]


# --- Events that name no usable upload --------------------------------------------------------


@pytest.mark.parametrize(
    "event",
    [
        {"job_id": "not-a-uuid"},
        {"job_id": "../../etc/passwd"},
        {"job_id": 42},
        {"job_id": "3F0C9A52-7D1E-4B8A-9C4F-2E6D5B1A0C77"},
        {"job_id": "3f0c9a527d1e4b8a9c4f2e6d5b1a0c77"},
    ],
    ids=["words", "path", "number", "upper-case", "no-dashes"],
)
def test_a_direct_invocation_with_a_bad_job_id_is_rejected_without_any_aws_call(
    settings: Settings, event: dict[str, Any]
) -> None:
    forbidden = Clients(
        s3=ForbiddenClient("s3"),
        sqs=ForbiddenClient("sqs"),
        jobs=JobStore(ForbiddenClient("dynamodb"), "jobs"),
    )
    [outcome] = handle_event(event, settings, forbidden, _clock)
    assert outcome.status == REJECTED and outcome.job_id is None
    assert outcome.error is not None and "UUID" in outcome.error


@pytest.mark.parametrize(
    "key",
    [
        "uploads/not-a-uuid/export.csv",
        "uploads/../jobs/x/manifest.json",
        f"jobs/{new_job_id()}/manifest.json",
        f"uploads/{new_job_id()}/nested/export.csv",
        f"uploads/{new_job_id()}/",
    ],
)
def test_an_s3_notification_for_a_key_that_is_not_an_upload_is_rejected_without_any_aws_call(
    aws: AwsFixture, settings: Settings, key: str
) -> None:
    forbidden = Clients(
        s3=ForbiddenClient("s3"),
        sqs=ForbiddenClient("sqs"),
        jobs=JobStore(ForbiddenClient("dynamodb"), "jobs"),
    )
    event = s3_object_created_event(aws[1].data_bucket, key, 10)
    [outcome] = handle_event(event, settings, forbidden, _clock)
    assert outcome.status == REJECTED and outcome.error


def test_a_notification_from_another_bucket_is_rejected(settings: Settings) -> None:
    forbidden = Clients(
        s3=ForbiddenClient("s3"),
        sqs=ForbiddenClient("sqs"),
        jobs=JobStore(ForbiddenClient("dynamodb"), "jobs"),
    )
    event = s3_object_created_event("someone-elses-bucket", f"uploads/{new_job_id()}/a.csv", 10)
    [outcome] = handle_event(event, settings, forbidden, _clock)
    assert outcome.status == REJECTED and outcome.error and "bucket" in outcome.error


def test_a_direct_invocation_without_an_upload_is_rejected_and_records_no_job(
    settings: Settings, clients: Clients
) -> None:
    job_id = new_job_id()
    requests = count_requests(clients.s3)
    [outcome] = handle_event({"job_id": job_id}, settings, clients, _clock)
    assert (outcome.job_id, outcome.status) == (job_id, REJECTED)
    assert outcome.error is not None and "no upload" in outcome.error
    assert requests == ["ListObjectsV2"]
    assert clients.jobs.get(job_id) is None


def test_an_event_of_unknown_shape_is_rejected(settings: Settings) -> None:
    forbidden = Clients(
        s3=ForbiddenClient("s3"),
        sqs=ForbiddenClient("sqs"),
        jobs=JobStore(ForbiddenClient("dynamodb"), "jobs"),
    )
    [outcome] = handle_event({"hello": "world"}, settings, forbidden, _clock)
    assert outcome.status == REJECTED


# --- A job its reader deleted -----------------------------------------------------------------


def test_a_late_notification_of_a_deleted_job_creates_nothing(
    aws: AwsFixture,
    settings: Settings,
    clients: Clients,
    upload: Callable[..., Upload],
    queued_bodies: Callable[[], list[str]],
) -> None:
    """The HTTP API marks the job's ACCESS item when a delete starts and keeps it after: a
    duplicate or retried S3 notification must not bring the job back."""
    session, env = aws
    job = upload(synthetic_export(12, seed=41).data)
    session.client("dynamodb").put_item(
        TableName=env.jobs_table,
        Item={
            **storage.access_key(job.job_id),
            ACCESS_DELETING_AT: {"S": "2026-05-01T11:00:00Z"},
        },
    )

    outcome = run_job(job, settings, clients, _clock)

    assert outcome.status == REJECTED and "deleted" in (outcome.error or "")
    assert clients.jobs.get(job.job_id) is None
    assert not _manifest_exists(aws, job.job_id)
    assert queued_bodies() == []


def test_an_access_item_without_a_delete_does_not_stop_the_job(
    aws: AwsFixture, settings: Settings, clients: Clients, upload: Callable[..., Upload]
) -> None:
    session, env = aws
    job = upload(synthetic_export(12, seed=42).data)
    session.client("dynamodb").put_item(
        TableName=env.jobs_table,
        Item={**storage.access_key(job.job_id), "token_sha256": {"S": "ab" * 32}},
    )

    assert run_job(job, settings, clients, _clock).status == "QUEUED"
