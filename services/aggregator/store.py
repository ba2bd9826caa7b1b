"""The aggregator's reads and writes: the job item, the per-book results, manifest and dashboard.

Layout and keys come from contracts.storage. The job item is written with conditions only, so
that concurrent runs of the aggregator cannot both claim or both finish a job.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import enum
import uuid
from collections.abc import Iterator
from typing import Any

import msgspec
from aws_lambda_powertools import Logger

from contracts import storage
from contracts.codec import encode, manifest_decoder, result_decoder
from contracts.dashboard import Dashboard
from contracts.layout import (
    LEASE_OWNER_ATTRIBUTE,
    LEASE_UNTIL_ATTRIBUTE,
    OPEN_JOBS_PARTITION_KEY,
    OPEN_JOBS_SORT_KEY,
    PARTITION_KEY,
    RESULT_ATTRIBUTE,
    SORT_KEY,
)
from contracts.messages import BookResult, JobManifest, JobRecord, JobStatus

logger = Logger(service="aggregator", child=True)


class ClaimRefusal(enum.StrEnum):
    NOT_FOUND = "not_found"  # no job item
    NOT_QUEUED = "not_queued"  # still RECEIVED: the orchestrator has not queued it yet
    ALREADY_FINAL = "already_final"  # COMPLETE, PARTIAL or FAILED
    LEASED = "leased"  # another run holds an unexpired lease


@dataclasses.dataclass(frozen=True)
class Claim:
    record: JobRecord  # the job item as the claim left it (strongly consistent)
    owner: str


@dataclasses.dataclass(frozen=True)
class Refused:
    reason: ClaimRefusal


@dataclasses.dataclass(frozen=True)
class JobStore:
    """The jobs table, through a low-level boto3 DynamoDB client."""

    dynamodb: Any
    table: str

    def get_job(self, job_id: str) -> JobRecord | None:
        response = self.dynamodb.get_item(
            TableName=self.table, Key=storage.job_key(job_id), ConsistentRead=True
        )
        item = response.get("Item")
        return storage.job_record_from_item(item) if item else None

    def claim(self, job_id: str, *, now: dt.datetime, lease_seconds: int) -> Claim | Refused:
        """Takes the job for one aggregation run: QUEUED and not leased (or the lease expired).

        Timestamps are fixed-width UTC text, so `lease_until < :now` compares times."""
        owner = str(uuid.uuid4())
        lease_until = now + dt.timedelta(seconds=lease_seconds)
        try:
            response = self.dynamodb.update_item(
                TableName=self.table,
                Key=storage.job_key(job_id),
                UpdateExpression="SET #lease_until = :lease_until, #lease_owner = :owner",
                ConditionExpression=(
                    "attribute_exists(#pk) AND #status = :queued"
                    " AND (attribute_not_exists(#lease_until) OR #lease_until < :now)"
                ),
                ExpressionAttributeNames={
                    "#pk": PARTITION_KEY,
                    "#status": "status",
                    "#lease_until": LEASE_UNTIL_ATTRIBUTE,
                    "#lease_owner": LEASE_OWNER_ATTRIBUTE,
                },
                ExpressionAttributeValues={
                    ":queued": {"S": JobStatus.QUEUED.value},
                    ":now": {"S": storage.format_timestamp(now)},
                    ":lease_until": {"S": storage.format_timestamp(lease_until)},
                    ":owner": {"S": owner},
                },
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self.dynamodb.exceptions.ConditionalCheckFailedException as error:
            return Refused(_refusal(error.response.get("Item")))
        return Claim(record=storage.job_record_from_item(response["Attributes"]), owner=owner)

    def release(self, job_id: str, owner: str) -> None:
        """Gives a claim back without finishing (the job was not ready after all)."""
        # A failed condition means the lease expired and another run took it: nothing to give back.
        with contextlib.suppress(self.dynamodb.exceptions.ConditionalCheckFailedException):
            self.dynamodb.update_item(
                TableName=self.table,
                Key=storage.job_key(job_id),
                UpdateExpression="REMOVE #lease_until, #lease_owner",
                ConditionExpression="#lease_owner = :owner",
                ExpressionAttributeNames={
                    "#lease_until": LEASE_UNTIL_ATTRIBUTE,
                    "#lease_owner": LEASE_OWNER_ATTRIBUTE,
                },
                ExpressionAttributeValues={":owner": {"S": owner}},
            )

    def finish(
        self,
        job_id: str,
        owner: str,
        *,
        status: JobStatus,
        missing: int,
        dashboard_key: str,
        now: dt.datetime,
    ) -> bool:
        """Records the final status, only if this run still holds the claim. The job leaves
        the open-jobs index (open_shard removed) in the same write."""
        timestamp = {"S": storage.format_timestamp(now)}
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key=storage.job_key(job_id),
                UpdateExpression=(
                    "SET #status = :status, #missing = :missing, #dashboard_key = :dashboard_key,"
                    " #finished_at = :now, #updated_at = :now"
                    " REMOVE #open_shard, #lease_until, #lease_owner"
                ),
                ConditionExpression="#lease_owner = :owner AND #status = :queued",
                ExpressionAttributeNames={
                    "#status": "status",
                    "#missing": "missing",
                    "#dashboard_key": "dashboard_key",
                    "#finished_at": "finished_at",
                    "#updated_at": "updated_at",
                    "#open_shard": OPEN_JOBS_PARTITION_KEY,
                    "#lease_until": LEASE_UNTIL_ATTRIBUTE,
                    "#lease_owner": LEASE_OWNER_ATTRIBUTE,
                },
                ExpressionAttributeValues={
                    ":status": {"S": status.value},
                    ":missing": {"N": str(missing)},
                    ":dashboard_key": {"S": dashboard_key},
                    ":now": timestamp,
                    ":owner": {"S": owner},
                    ":queued": {"S": JobStatus.QUEUED.value},
                },
            )
        except self.dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def fail_never_queued(self, job_id: str, *, now: dt.datetime, error: str) -> bool:
        """Ends a job still RECEIVED at its deadline as FAILED with `error` (every attempt of
        its orchestrator failed); False if it has moved on or its deadline is still ahead."""
        timestamp = {"S": storage.format_timestamp(now)}
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key=storage.job_key(job_id),
                UpdateExpression=(
                    "SET #status = :failed, #error = :error, #finished_at = :now,"
                    " #updated_at = :now REMOVE #open_shard"
                ),
                ConditionExpression="#status = :received AND #deadline <= :now",
                ExpressionAttributeNames={
                    "#status": "status",
                    "#error": "error",
                    "#finished_at": "finished_at",
                    "#updated_at": "updated_at",
                    "#deadline": "deadline",
                    "#open_shard": OPEN_JOBS_PARTITION_KEY,
                },
                ExpressionAttributeValues={
                    ":failed": {"S": JobStatus.FAILED.value},
                    ":received": {"S": JobStatus.RECEIVED.value},
                    ":error": {"S": error},
                    ":now": timestamp,
                },
            )
        except self.dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def open_jobs(self, *, page_size: int | None = None) -> Iterator[tuple[str, str]]:
        """(job id, deadline) of every job still RECEIVED or QUEUED, earliest deadline first,
        all pages.
        The index is eventually consistent: callers re-read or claim before acting."""
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": storage.OPEN_JOBS_INDEX,
            "KeyConditionExpression": "#open_shard = :open",
            "ExpressionAttributeNames": {"#open_shard": OPEN_JOBS_PARTITION_KEY},
            "ExpressionAttributeValues": {":open": {"S": storage.OPEN_SHARD}},
        }
        if page_size is not None:
            request["Limit"] = page_size
        while True:
            response = self.dynamodb.query(**request)
            for item in response.get("Items", []):
                pk = item[PARTITION_KEY]["S"]
                if not pk.startswith(storage.JOB_PK_PREFIX):
                    continue
                try:
                    job_id = storage.job_id_of_pk(pk)
                except storage.InvalidJobId:
                    logger.warning("skipping an open job with an invalid id", extra={"pk": pk})
                    continue
                yield job_id, item.get(OPEN_JOBS_SORT_KEY, {}).get("S", "")
            last_key = response.get("LastEvaluatedKey")
            if not last_key:
                return
            request["ExclusiveStartKey"] = last_key

    def book_results(self, job_id: str) -> tuple[dict[str, BookResult], int]:
        """Every stored result of a job by book id (strongly consistent, all pages), and how
        many stored items could not be used (undecodable, or not the result their key names)."""
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :book)",
            "ProjectionExpression": "#sk, #result",
            "ExpressionAttributeNames": {
                "#pk": PARTITION_KEY,
                "#sk": SORT_KEY,
                "#result": RESULT_ATTRIBUTE,
            },
            "ExpressionAttributeValues": {
                ":pk": {"S": storage.job_pk(job_id)},
                ":book": {"S": storage.BOOK_SK_PREFIX},
            },
            "ConsistentRead": True,
        }
        results: dict[str, BookResult] = {}
        unusable = 0
        while True:
            response = self.dynamodb.query(**request)
            for item in response.get("Items", []):
                book_id = storage.book_id_of_sk(item[SORT_KEY]["S"])
                result = _decode_result(item.get(RESULT_ATTRIBUTE, {}))
                if result is None or result.book_id != book_id or result.job_id != job_id:
                    unusable += 1
                    logger.error(
                        "unusable stored result", extra={"job_id": job_id, "book_id": book_id}
                    )
                    continue
                results[book_id] = result
            last_key = response.get("LastEvaluatedKey")
            if not last_key:
                return results, unusable
            request["ExclusiveStartKey"] = last_key


def _decode_result(attribute: dict[str, Any]) -> BookResult | None:
    """The book processor stores the encoded BookResult as a string or as binary."""
    raw = attribute.get("S", attribute.get("B"))
    if not isinstance(raw, str | bytes):
        return None
    try:
        return result_decoder.decode(raw)
    except msgspec.DecodeError:  # malformed JSON, or JSON that is not a BookResult
        return None


def _refusal(old_item: dict[str, Any] | None) -> ClaimRefusal:
    if not old_item:
        return ClaimRefusal.NOT_FOUND
    status = old_item.get("status", {}).get("S")
    if status == JobStatus.QUEUED.value:
        return ClaimRefusal.LEASED
    if status in {member.value for member in JobStatus if member.is_final}:
        return ClaimRefusal.ALREADY_FINAL
    return ClaimRefusal.NOT_QUEUED


@dataclasses.dataclass(frozen=True)
class BlobStore:
    """The data bucket, through a boto3 S3 client."""

    s3: Any
    bucket: str

    def manifest(self, job_id: str) -> JobManifest:
        response = self.s3.get_object(Bucket=self.bucket, Key=storage.manifest_key(job_id))
        manifest = manifest_decoder.decode(response["Body"].read())
        if manifest.job_id != job_id:
            raise ValueError(f"manifest of job {job_id} names job {manifest.job_id}")
        return manifest

    def put_dashboard(self, dashboard: Dashboard) -> str:
        key = storage.dashboard_key(dashboard.job_id)
        self.s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=encode(dashboard),
            ContentType="application/json",
        )
        return key
