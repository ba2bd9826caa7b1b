"""Writes what the orchestrator and the book processor leave in storage, as contracts/storage.py
lays it out, and reads back what the aggregator leaves. The aggregator tests use these instead
of importing the other services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import boto3

from contracts import storage
from contracts.codec import dashboard_decoder, encode
from contracts.dashboard import Dashboard
from contracts.layout import OPEN_JOBS_PARTITION_KEY, OPEN_SHARD, PARTITION_KEY
from contracts.messages import BookResult, JobManifest, JobRecord, JobStatus
from local_runtime.resources import ServiceEnvironment
from services.aggregator.fan_in import AggregatorDependencies
from services.aggregator.settings import Settings
from tests.support import jobs
from tests.support.clocks import Clock

RESULT_TTL = dt.timedelta(days=7)


def dependencies(
    session: boto3.Session, clock: Clock, *, dynamodb: Any = None, s3: Any = None
) -> AggregatorDependencies:
    """The aggregator's dependencies from the environment the `aws` fixture set."""
    return AggregatorDependencies.create(
        Settings.from_environment(),
        dynamodb=dynamodb or session.client("dynamodb"),
        s3=s3 or session.client("s3"),
        clock=clock,
    )


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
    return jobs.put_job_record(session, env, record)


def store_result(
    session: boto3.Session, env: ServiceEnvironment, result: BookResult, *, as_bytes: bool = False
) -> None:
    """What the book processor does per book: the result item and its counter, in one
    transaction, the result written only once."""
    jobs.put_result(session, env, result, as_bytes=as_bytes, ttl=RESULT_TTL)


def store_results_in_bulk(
    session: boto3.Session, env: ServiceEnvironment, results: Iterable[BookResult]
) -> None:
    """The same items and counters for many books, written in batches to keep tests fast."""
    jobs.put_results(session, env, results, ttl=RESULT_TTL)


def job_item(session: boto3.Session, env: ServiceEnvironment, job_id: str) -> dict[str, Any]:
    return jobs.read_job_item(session, env, job_id)


def job_record(session: boto3.Session, env: ServiceEnvironment, job_id: str) -> JobRecord:
    return jobs.read_job_record(session, env, job_id)


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
        KeyConditionExpression="#open_shard = :open",
        ExpressionAttributeNames={"#open_shard": OPEN_JOBS_PARTITION_KEY},
        ExpressionAttributeValues={":open": {"S": OPEN_SHARD}},
    )["Items"]
    return {storage.job_id_of_pk(item[PARTITION_KEY]["S"]) for item in items}
