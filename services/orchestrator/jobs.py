"""The job item in the jobs table, as the orchestrator writes it.

Every write is conditional, so that a second invocation for the same upload, or one racing
the first, never moves a job backwards: the item is created only if absent, and later writes
apply only while the job is still in the status the writer expects.

The orchestrator writes only its own attributes; the progress counters (`succeeded`,
`failed`) belong to the book processor and are bumped with ADD, so they are never overwritten.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from botocore.exceptions import ClientError

from contracts.messages import JobRecord, JobStatus
from contracts.storage import JOB_SK, job_pk, job_record_from_item, job_record_to_item

# What the orchestrator owns on the job item (everything else is left as it is).
_ORCHESTRATOR_ATTRIBUTES = (
    "status",
    "updated_at",
    "total",
    "rejected",
    "warnings_count",
    "warnings",
    "error",
    "manifest_key",
    "queued_at",
    "deadline",
    "finished_at",
    "open_shard",
)


class JobStore:
    """Job items through the boto3 resource API (`boto3.resource("dynamodb").Table(name)`)."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def create(self, record: JobRecord, *, expires_at: dt.datetime) -> JobRecord | None:
        """Creates the job item; returns None if created, or the job that already exists."""
        item = job_record_to_item(record)
        item["expires_at"] = int(expires_at.timestamp())  # the table's TTL attribute
        try:
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            existing = self.get(record.job_id)
            if existing is None:  # deleted in between (TTL): nothing sensible to do but retry
                raise
            return existing
        return None

    def get(self, job_id: str) -> JobRecord | None:
        response = self._table.get_item(
            Key={"pk": job_pk(job_id), "sk": JOB_SK}, ConsistentRead=True
        )
        item = response.get("Item")
        return None if item is None else job_record_from_item(item)

    def update(self, record: JobRecord, *, expected: JobStatus) -> JobRecord | None:
        """Writes the orchestrator's attributes of `record` if the job is still `expected`, and
        returns the job as stored (with the book processor's counters).

        None when another invocation has moved the job on (nothing is written then).
        """
        item = job_record_to_item(record)
        names: dict[str, str] = {"#status": "status"}
        values: dict[str, Any] = {":expected": expected.value}
        assignments = []
        for position, attribute in enumerate(_ORCHESTRATOR_ATTRIBUTES):
            if attribute not in item:
                continue
            names[f"#a{position}"] = attribute
            values[f":v{position}"] = item[attribute]
            assignments.append(f"#a{position} = :v{position}")
        try:
            response = self._table.update_item(
                Key={"pk": job_pk(record.job_id), "sk": JOB_SK},
                UpdateExpression="SET " + ", ".join(assignments),
                ConditionExpression="#status = :expected",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return None
            raise
        return job_record_from_item(response["Attributes"])


def _is_condition_failure(error: ClientError) -> bool:
    return bool(error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")
