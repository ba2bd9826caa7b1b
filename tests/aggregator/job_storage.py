"""Writes what the orchestrator and the book processor leave in storage, as contracts/storage.py
lays it out, and reads back what the aggregator leaves. The aggregator tests use these instead
of importing the other services."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from contracts import storage
from contracts.codec import dashboard_decoder, encode
from contracts.dashboard import Dashboard
from contracts.messages import BookResult, EnrichmentStatus, JobManifest, JobRecord, JobStatus
from local_runtime.resources import ServiceEnvironment
from services.aggregator.fan_in import AggregatorDependencies
from services.aggregator.settings import AggregatorSettings

RESULT_TTL = dt.timedelta(days=7)
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += dt.timedelta(seconds=seconds)


def dependencies(
    session: boto3.Session, clock: Clock, *, dynamodb: Any = None, s3: Any = None
) -> AggregatorDependencies:
    """The aggregator's dependencies from the environment the `aws` fixture set."""
    return AggregatorDependencies.create(
        AggregatorSettings.from_environment(),
        dynamodb=dynamodb or session.client("dynamodb"),
        s3=s3 or session.client("s3"),
        clock=clock,
    )


def _item(values: dict[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in values.items()}


def put_queued_job(
    session: boto3.Session,
    env: ServiceEnvironment,
    manifest: JobManifest,
    *,
    queued_at: dt.datetime,
    deadline: dt.datetime | None = None,
) -> JobRecord:
    """What the orchestrator leaves: the manifest in S3, the job item QUEUED and open."""
    session.client("s3").put_object(
        Bucket=env.data_bucket,
        Key=storage.manifest_key(manifest.job_id),
        Body=encode(manifest),
    )
    record = JobRecord(
        job_id=manifest.job_id,
        status=JobStatus.QUEUED,
        source_key=manifest.source_key,
        created_at=manifest.created_at,
        updated_at=queued_at,
        total=len(manifest.books),
        rejected=len(manifest.rejected),
        warnings_count=len(manifest.warnings),
        manifest_key=storage.manifest_key(manifest.job_id),
        queued_at=queued_at,
        deadline=deadline or queued_at + dt.timedelta(minutes=15),
    )
    session.client("dynamodb").put_item(
        TableName=env.jobs_table, Item=_item(storage.job_record_to_item(record))
    )
    return record


def _outcome(result: BookResult) -> str:
    return "failed" if result.status == EnrichmentStatus.FAILED else "succeeded"


def _result_item(result: BookResult, *, as_bytes: bool) -> dict[str, Any]:
    encoded = encode(result)
    expires_at = int((result.processed_at + RESULT_TTL).timestamp())
    return _item(
        {
            "pk": storage.job_pk(result.job_id),
            "sk": storage.book_sk(result.book_id),
            "result": encoded if as_bytes else encoded.decode(),
            "outcome": _outcome(result),
            "expires_at": expires_at,
        }
    )


def store_result(
    session: boto3.Session, env: ServiceEnvironment, result: BookResult, *, as_bytes: bool = False
) -> None:
    """What the book processor does per book: the result item and its counter, in one
    transaction, the result written only once."""
    session.client("dynamodb").transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": env.jobs_table,
                    "Item": _result_item(result, as_bytes=as_bytes),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": env.jobs_table,
                    "Key": _item({"pk": storage.job_pk(result.job_id), "sk": storage.JOB_SK}),
                    "UpdateExpression": "ADD #outcome :one",
                    "ExpressionAttributeNames": {"#outcome": _outcome(result)},
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
        ]
    )


def store_results_in_bulk(
    session: boto3.Session, env: ServiceEnvironment, results: Iterable[BookResult]
) -> None:
    """The same items and counters for many books, written in batches to keep tests fast."""
    client: Any = session.client("dynamodb")
    counts = {"succeeded": 0, "failed": 0}
    batch: list[dict[str, Any]] = []
    job_id = None
    for result in results:
        job_id = result.job_id
        counts[_outcome(result)] += 1
        batch.append({"PutRequest": {"Item": _result_item(result, as_bytes=False)}})
        if len(batch) == 25:
            client.batch_write_item(RequestItems={env.jobs_table: batch})
            batch = []
    if batch:
        client.batch_write_item(RequestItems={env.jobs_table: batch})
    if job_id is not None:
        client.update_item(
            TableName=env.jobs_table,
            Key=_item({"pk": storage.job_pk(job_id), "sk": storage.JOB_SK}),
            UpdateExpression="ADD succeeded :succeeded, failed :failed",
            ExpressionAttributeValues={
                ":succeeded": {"N": str(counts["succeeded"])},
                ":failed": {"N": str(counts["failed"])},
            },
        )


def job_item(session: boto3.Session, env: ServiceEnvironment, job_id: str) -> dict[str, Any]:
    item = session.client("dynamodb").get_item(
        TableName=env.jobs_table,
        Key=_item({"pk": storage.job_pk(job_id), "sk": storage.JOB_SK}),
        ConsistentRead=True,
    )["Item"]
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def job_record(session: boto3.Session, env: ServiceEnvironment, job_id: str) -> JobRecord:
    return storage.job_record_from_item(job_item(session, env, job_id))


def read_dashboard(session: boto3.Session, env: ServiceEnvironment, job_id: str) -> Dashboard:
    body = (
        session.client("s3")
        .get_object(Bucket=env.data_bucket, Key=storage.dashboard_key(job_id))["Body"]
        .read()
    )
    return dashboard_decoder.decode(body)


def dashboard_exists(session: boto3.Session, env: ServiceEnvironment, job_id: str) -> bool:
    listing = session.client("s3").list_objects_v2(
        Bucket=env.data_bucket, Prefix=storage.dashboard_key(job_id)
    )
    return int(listing.get("KeyCount", 0)) > 0


def open_job_ids(session: boto3.Session, env: ServiceEnvironment) -> set[str]:
    items = session.client("dynamodb").query(
        TableName=env.jobs_table,
        IndexName=storage.OPEN_JOBS_INDEX,
        KeyConditionExpression="open_shard = :open",
        ExpressionAttributeValues={":open": {"S": storage.OPEN_SHARD}},
    )["Items"]
    return {item["pk"]["S"].removeprefix(storage.JOB_PK_PREFIX) for item in items}


class RequestCounter:
    """Counts AWS requests per operation, by botocore event hook (every attempt counts)."""

    def __init__(self, *clients: Any) -> None:
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()
        for client in clients:
            client.meta.events.register("request-created", self._count)

    def _count(self, event_name: str, **_: Any) -> None:
        # "request-created.<service>.<Operation>", emitted for every attempt
        key = event_name.removeprefix("request-created.")
        with self._lock:
            self.counts[key] = self.counts.get(key, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def of(self, operation: str) -> int:
        return sum(count for key, count in self.counts.items() if key.endswith(f".{operation}"))
