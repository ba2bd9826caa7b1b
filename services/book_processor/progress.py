"""Results and progress in the jobs table (layout: contracts/storage.py).

Per book, one transaction: Put BOOK#{book_id} if absent + ADD 1 to the job's `succeeded` or
`failed`. A redelivered or concurrent duplicate fails the Put's condition, the whole transaction
is cancelled, and nothing is counted twice; the book is then simply done.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import random
import time
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from contracts.codec import encode
from contracts.messages import BookResult, CompletionSignal, EnrichmentStatus, JobRecord, JobStatus
from contracts.storage import JOB_SK, book_sk, job_pk, job_record_from_item

logger = logging.getLogger(__name__)

RESULT_TTL = dt.timedelta(days=30)
_CONFLICT_RETRIES = 4
_deserializer = TypeDeserializer()


class Recorded(enum.Enum):
    NEW = "new"  # stored and counted now
    ALREADY = "already"  # an earlier delivery stored and counted it


class JobNotFound(Exception):
    """The job item is missing: the result cannot be accounted for (the message goes to the DLQ)."""


def outcome_of(result: BookResult) -> str:
    """'failed' only for a failed result; every processed book (found or not) 'succeeded'."""
    return "failed" if result.status == EnrichmentStatus.FAILED else "succeeded"


def record_result(client: Any, table: str, result: BookResult, now: dt.datetime) -> Recorded:
    outcome = outcome_of(result)
    items = [
        {
            "Put": {
                "TableName": table,
                "Item": {
                    "pk": {"S": job_pk(result.job_id)},
                    "sk": {"S": book_sk(result.book_id)},
                    "result": {"S": encode(result).decode()},
                    "outcome": {"S": outcome},
                    "expires_at": {"N": str(int((now + RESULT_TTL).timestamp()))},
                },
                "ConditionExpression": "attribute_not_exists(sk)",
            }
        },
        {
            "Update": {
                "TableName": table,
                "Key": {"pk": {"S": job_pk(result.job_id)}, "sk": {"S": JOB_SK}},
                "UpdateExpression": "ADD #counter :one",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeNames": {"#counter": outcome},
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
    ]
    for attempt in range(_CONFLICT_RETRIES + 1):
        try:
            client.transact_write_items(TransactItems=items)
            return Recorded.NEW
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            codes = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if codes and codes[0] == "ConditionalCheckFailed":
                return Recorded.ALREADY
            if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                raise JobNotFound(f"job {result.job_id} has no job item") from exc
            if "TransactionConflict" not in codes or attempt == _CONFLICT_RETRIES:
                raise
            # Another writer holds the job item (other books of the job, or a duplicate).
            time.sleep(random.uniform(0, 0.05 * 2**attempt))
    raise AssertionError("unreachable")


def read_job(client: Any, table: str, job_id: str) -> JobRecord | None:
    response = client.get_item(
        TableName=table,
        Key={"pk": {"S": job_pk(job_id)}, "sk": {"S": JOB_SK}},
        ConsistentRead=True,
    )
    item = response.get("Item")
    if item is None:
        return None
    return job_record_from_item({k: _deserializer.deserialize(v) for k, v in item.items()})


def is_fully_accounted(job: JobRecord) -> bool:
    """Every book has a result and the aggregator has not finished the job yet."""
    return job.status == JobStatus.QUEUED and job.succeeded + job.failed >= job.total


def send_completion_signal(sqs: Any, queue_url: str, job_id: str, now: dt.datetime) -> None:
    """Safe to repeat: the aggregator claims a job once, whatever the number of signals."""
    signal = CompletionSignal(job_id=job_id, signalled_at=now)
    sqs.send_message(QueueUrl=queue_url, MessageBody=encode(signal).decode())
