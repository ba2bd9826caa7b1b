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
from contracts.storage import (
    ACCESS_DELETING_AT,
    ACCESS_SK,
    JOB_SK,
    job_pk,
    job_record_from_item,
    job_record_to_item,
)


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
    "open_shard",
)


class JobStore:
    """Job items through the boto3 resource API (`boto3.resource("dynamodb").Table(name)`)."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def create(self, record: JobRecord, *, expires_at: dt.datetime) -> JobRecord | None:
        """Creates the job item; returns None if created, or the job that already exists.

        Raises JobDeleted if the reader has deleted the job (or a delete has started): a late
        or repeated notification of its upload must not bring the job back."""
        item = job_record_to_item(record)
        item["expires_at"] = int(expires_at.timestamp())  # the table's TTL attribute
        pk = job_pk(record.job_id)
        try:
            # The resource's client takes and returns plain values, as the Table does.
            self._table.meta.client.transact_write_items(
                TransactItems=[
                    {
                        "ConditionCheck": {
                            "TableName": self._table.name,
                            "Key": {"pk": pk, "sk": ACCESS_SK},
                            "ConditionExpression": "attribute_not_exists(#deleting_at)",
                            "ExpressionAttributeNames": {"#deleting_at": ACCESS_DELETING_AT},
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table.name,
                            "Item": item,
                            "ConditionExpression": "attribute_not_exists(pk)",
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


def _cancellation_reasons(error: ClientError) -> list[str]:
    """The code of each item of a cancelled transaction, in order ("None" for an item that
    did not cause it); empty for any other error."""
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return []
    reasons = error.response.get("CancellationReasons", [])
    return [str(reason.get("Code", "None")) for reason in reasons]
