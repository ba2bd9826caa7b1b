"""What the pipeline leaves in storage, written and read as contracts/storage.py lays it out.

A service's tests use these to stand in for the other services (the job item the orchestrator
creates, the result items and counters the book processor writes) instead of importing them.
Items go through a low-level DynamoDB client, as the services' own.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

import boto3

from contracts import storage
from contracts.codec import completion_decoder, encode, result_decoder
from contracts.layout import (
    OUTCOME_ATTRIBUTE,
    PARTITION_KEY,
    RESULT_ATTRIBUTE,
    SORT_KEY,
    TTL_ATTRIBUTE,
)
from contracts.messages import (
    BookResult,
    BookTask,
    CompletionSignal,
    EnrichmentStatus,
    JobRecord,
    JobStatus,
)
from local_runtime.resources import ServiceEnvironment
from tests.support.upstream_server import FixtureBook

AwsFixture = tuple[boto3.Session, ServiceEnvironment]

# When the jobs these helpers create were queued, unless the test says otherwise.
QUEUED_AT = dt.datetime(2024, 11, 28, 12, 0, tzinfo=dt.UTC)


# --- The job item -----------------------------------------------------------------------------


def put_job_record(
    session: boto3.Session,
    env: ServiceEnvironment,
    record: JobRecord,
    *,
    expires_at: dt.datetime | None = None,
) -> JobRecord:
    """The job item as the orchestrator writes it (and the book processor's counters)."""
    item = storage.job_record_to_item(record)
    if expires_at is not None:
        item[TTL_ATTRIBUTE] = storage.expires_at(expires_at)
    session.client("dynamodb").put_item(TableName=env.jobs_table, Item=item)
    return record


def new_queued_job(
    session: boto3.Session,
    env: ServiceEnvironment,
    total: int,
    *,
    at: dt.datetime = QUEUED_AT,
    deadline_in: dt.timedelta = dt.timedelta(minutes=15),
) -> str:
    """A QUEUED job item expecting `total` books, as the orchestrator leaves it."""
    job_id = str(uuid.uuid4())
    put_job_record(
        session,
        env,
        JobRecord(
            job_id=job_id,
            status=JobStatus.QUEUED,
            source_key=storage.upload_key(job_id),
            created_at=at,
            updated_at=at,
            total=total,
            queued_at=at,
            deadline=at + deadline_in,
        ),
    )
    return job_id


def read_job_item(session: boto3.Session, env: ServiceEnvironment, job_id: str) -> dict[str, Any]:
    """The job item's attributes as plain values (it must exist)."""
    item = session.client("dynamodb").get_item(
        TableName=env.jobs_table, Key=storage.job_key(job_id), ConsistentRead=True
    )["Item"]
    return {name: storage.plain_value(value) for name, value in item.items()}


def read_job_record(session: boto3.Session, env: ServiceEnvironment, job_id: str) -> JobRecord:
    item = session.client("dynamodb").get_item(
        TableName=env.jobs_table, Key=storage.job_key(job_id), ConsistentRead=True
    )["Item"]
    return storage.job_record_from_item(item)


# --- Book tasks and results -------------------------------------------------------------------


def task_for(book: FixtureBook, job_id: str, book_id: str | None = None) -> BookTask:
    """The orchestrator's task for a book the loopback upstream APIs know."""
    return BookTask(
        job_id=job_id,
        book_id=book_id or book.name.replace("-", "_")[:64],
        title=book.title,
        author=book.authors[0],
        isbn13=book.isbn13,
        isbn10=book.isbn10,
        queued_at=QUEUED_AT,
    )


def outcome_of(result: BookResult) -> str:
    return "failed" if result.status == EnrichmentStatus.FAILED else "succeeded"


def result_item(
    result: BookResult, *, as_bytes: bool = False, ttl: dt.timedelta | None = None
) -> storage.Item:
    """A book's result item as the book processor writes it (or as binary, which readers
    accept too), expiring `ttl` after it was processed."""
    encoded = encode(result)
    item: storage.Item = {
        **storage.book_key(result.job_id, result.book_id),
        RESULT_ATTRIBUTE: {"B": encoded} if as_bytes else {"S": encoded.decode()},
        OUTCOME_ATTRIBUTE: {"S": outcome_of(result)},
    }
    if ttl is not None:
        item[TTL_ATTRIBUTE] = storage.expires_at(result.processed_at + ttl)
    return item


def put_result(
    session: boto3.Session,
    env: ServiceEnvironment,
    result: BookResult,
    *,
    as_bytes: bool = False,
    ttl: dt.timedelta | None = None,
) -> None:
    """What the book processor does per book: the result item and its counter, in one
    transaction, the result written only once."""
    session.client("dynamodb").transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": env.jobs_table,
                    "Item": result_item(result, as_bytes=as_bytes, ttl=ttl),
                    "ConditionExpression": "attribute_not_exists(#pk)",
                    "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
                }
            },
            {
                "Update": {
                    "TableName": env.jobs_table,
                    "Key": storage.job_key(result.job_id),
                    "UpdateExpression": "ADD #outcome :one",
                    "ExpressionAttributeNames": {"#outcome": outcome_of(result)},
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
        ]
    )


def put_results(
    session: boto3.Session,
    env: ServiceEnvironment,
    results: Iterable[BookResult],
    *,
    count: bool = True,
    ttl: dt.timedelta | None = None,
) -> None:
    """Many result items of one job in batches, to keep tests fast; with `count`, the job
    item's counters are bumped once for all of them."""
    client: Any = session.client("dynamodb")
    counts = {"succeeded": 0, "failed": 0}
    batch: list[dict[str, Any]] = []
    job_id = None
    for result in results:
        job_id = result.job_id
        counts[outcome_of(result)] += 1
        batch.append({"PutRequest": {"Item": result_item(result, ttl=ttl)}})
        if len(batch) == 25:
            client.batch_write_item(RequestItems={env.jobs_table: batch})
            batch = []
    if batch:
        client.batch_write_item(RequestItems={env.jobs_table: batch})
    if count and job_id is not None:
        client.update_item(
            TableName=env.jobs_table,
            Key=storage.job_key(job_id),
            UpdateExpression="ADD succeeded :succeeded, failed :failed",
            ExpressionAttributeValues={
                ":succeeded": {"N": str(counts["succeeded"])},
                ":failed": {"N": str(counts["failed"])},
            },
        )


def stored_results(
    session: boto3.Session, env: ServiceEnvironment, job_id: str
) -> dict[str, BookResult]:
    """Every result item of a job, checked against its outcome attribute."""
    items = session.client("dynamodb").query(
        TableName=env.jobs_table,
        KeyConditionExpression="#pk = :pk AND begins_with(#sk, :book)",
        ExpressionAttributeNames={"#pk": PARTITION_KEY, "#sk": SORT_KEY},
        ExpressionAttributeValues={
            ":pk": {"S": storage.job_pk(job_id)},
            ":book": {"S": storage.BOOK_SK_PREFIX},
        },
        ConsistentRead=True,
    )["Items"]
    results = {}
    for item in items:
        result = result_decoder.decode(item[RESULT_ATTRIBUTE]["S"])
        assert item[OUTCOME_ATTRIBUTE]["S"] == outcome_of(result)
        results[result.book_id] = result
    return results


def partition_sort_keys(session: boto3.Session, env: ServiceEnvironment, job_id: str) -> set[str]:
    """The sort keys of every item in a job's partition (JOB, ACCESS, BOOK#…)."""
    items = session.client("dynamodb").query(
        TableName=env.jobs_table,
        KeyConditionExpression="#pk = :pk",
        ExpressionAttributeNames={"#pk": PARTITION_KEY},
        ExpressionAttributeValues={":pk": {"S": storage.job_pk(job_id)}},
        ConsistentRead=True,
    )["Items"]
    return {str(item[SORT_KEY]["S"]) for item in items}


def completion_signals(session: boto3.Session, env: ServiceEnvironment) -> list[CompletionSignal]:
    """Drains the completion queue."""
    sqs: Any = session.client("sqs")
    signals: list[CompletionSignal] = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=env.completion_queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", [])
        if not messages:
            return signals
        for message in messages:
            signals.append(completion_decoder.decode(message["Body"]))
            sqs.delete_message(
                QueueUrl=env.completion_queue_url, ReceiptHandle=message["ReceiptHandle"]
            )
