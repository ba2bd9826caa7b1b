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

from contracts import storage
from contracts.layout import (
    ACCESS_DELETING_AT,
    OPEN_JOBS_PARTITION_KEY,
    PARTITION_KEY,
    TTL_ATTRIBUTE,
)
from contracts.messages import JobRecord, JobStatus


class JobDeleted(Exception):
    """The reader deleted the job (through the HTTP API): it is not created again."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"job {job_id} was deleted by its reader")
        self.job_id = job_id


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
    OPEN_JOBS_PARTITION_KEY,
)


class JobStore:
    """Job items through a low-level boto3 DynamoDB client."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self._table = table

    def create(self, record: JobRecord, *, expires_at: dt.datetime) -> JobRecord | None:
        """Creates the job item; returns None if created, or the job that already exists.

        Raises JobDeleted if the reader has deleted the job (or a delete has started): a late
        or repeated notification of its upload must not bring the job back."""
        item = storage.job_record_to_item(record)
        item[TTL_ATTRIBUTE] = storage.expires_at(expires_at)
        try:
            self._dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "ConditionCheck": {
                            "TableName": self._table,
                            "Key": storage.access_key(record.job_id),
                            "ConditionExpression": "attribute_not_exists(#deleting_at)",
                            "ExpressionAttributeNames": {"#deleting_at": ACCESS_DELETING_AT},
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": item,
                            "ConditionExpression": "attribute_not_exists(#pk)",
                            "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
                        }
                    },
                ]
            )
        except ClientError as error:
            reasons = _cancellation_reasons(error)
            if reasons[:1] == ["ConditionalCheckFailed"]:
                raise JobDeleted(record.job_id) from None
            if reasons[1:2] != ["ConditionalCheckFailed"]:
                raise
            existing = self.get(record.job_id)
            if existing is None:  # deleted in between (TTL): nothing sensible to do but retry
                raise
            return existing
        return None

    def get(self, job_id: str) -> JobRecord | None:
        response = self._dynamodb.get_item(
            TableName=self._table, Key=storage.job_key(job_id), ConsistentRead=True
        )
        item = response.get("Item")
        return None if item is None else storage.job_record_from_item(item)

    def update(self, record: JobRecord, *, expected: JobStatus) -> JobRecord | None:
        """Writes the orchestrator's attributes of `record` if the job is still `expected`, and
        returns the job as stored (with the book processor's counters).

        None when another invocation has moved the job on (nothing is written then).
        """
        item = storage.job_record_to_item(record)
        names: dict[str, str] = {"#status": "status"}
        values: dict[str, Any] = {":expected": {"S": expected.value}}
        assignments = []
        for position, attribute in enumerate(_ORCHESTRATOR_ATTRIBUTES):
            if attribute not in item:
                continue
            names[f"#a{position}"] = attribute
            values[f":v{position}"] = item[attribute]
            assignments.append(f"#a{position} = :v{position}")
        expression = "SET " + ", ".join(assignments)
        if OPEN_JOBS_PARTITION_KEY not in item:  # final: the job leaves the open-jobs index
            names["#open"] = OPEN_JOBS_PARTITION_KEY
            expression += " REMOVE #open"
        try:
            response = self._dynamodb.update_item(
                TableName=self._table,
                Key=storage.job_key(record.job_id),
                UpdateExpression=expression,
                ConditionExpression="#status = :expected",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return None
            raise
        return storage.job_record_from_item(response["Attributes"])


def _is_condition_failure(error: ClientError) -> bool:
    return bool(error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


def _cancellation_reasons(error: ClientError) -> list[str]:
    """The code of each item of a cancelled transaction, in order ("None" for an item that
    did not cause it); empty for any other error."""
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return []
    reasons = error.response.get("CancellationReasons", [])
    return [str(reason.get("Code", "None")) for reason in reasons]
