"""Results and progress in the jobs table (layout: contracts/storage.py).

Per job and batch, one transaction: Put BOOK#{book_id} if absent for each decided book + one
ADD of the batch's `succeeded` and `failed` counts (and, of the succeeded, `enriched`) to the
job item. A result and its count
commit together. A book an earlier (or concurrent) delivery already stored fails its Put's
condition and cancels the transaction; the cancellation reasons name it, and the transaction
is tried again without it (and without its count): nothing is counted twice.
"""

from __future__ import annotations

import datetime as dt
import enum
import random
import time
from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from contracts import storage
from contracts.codec import encode
from contracts.layout import (
    JOB_RETENTION_DAYS,
    OUTCOME_ATTRIBUTE,
    PARTITION_KEY,
    RESULT_ATTRIBUTE,
    SORT_KEY,
    TTL_ATTRIBUTE,
)
from contracts.messages import BookResult, CompletionSignal, EnrichmentStatus, JobRecord, JobStatus

logger = Logger(service="book_processor", child=True)

# Result items expire with their job: JOB_RETENTION_DAYS (Settings.job_retention_days).
DEFAULT_RESULT_RETENTION = dt.timedelta(days=JOB_RETENTION_DAYS)
# A transaction holds at most 100 items: the books' Puts and the job item's Update.
MAX_BOOKS_PER_TRANSACTION = 99
_CONFLICT_RETRIES = 4


class Recorded(enum.Enum):
    NEW = "new"  # stored and counted now
    ALREADY = "already"  # an earlier delivery stored and counted it


class JobNotFound(Exception):
    """The job item is missing (its reader deleted the job, or it expired): the result cannot
    be accounted for, and the caller drops the job's tasks (a retry could not help)."""


def outcome_of(result: BookResult) -> str:
    """'failed' only for a failed result; every processed book (found or not) 'succeeded'."""
    return "failed" if result.status == EnrichmentStatus.FAILED else "succeeded"


def record_results(
    client: Any,
    table: str,
    job_id: str,
    results: Sequence[BookResult],
    now: dt.datetime,
    *,
    retention: dt.timedelta = DEFAULT_RESULT_RETENTION,
) -> dict[str, Recorded]:
    """Stores and counts the results of one job (distinct books, at most
    MAX_BOOKS_PER_TRANSACTION) in one transaction; returns how each book was recorded. The
    result items expire `retention` after `now`.
    Raises JobNotFound when the job item is missing (nothing is stored then)."""
    if len({r.book_id for r in results}) != len(results) or any(
        r.job_id != job_id for r in results
    ):
        raise ValueError("one transaction records distinct books of one job")
    if len(results) > MAX_BOOKS_PER_TRANSACTION:
        raise ValueError(f"at most {MAX_BOOKS_PER_TRANSACTION} books per transaction")
    recorded: dict[str, Recorded] = {}
    pending = list(results)
    conflicts = 0
    while pending:
        try:
            client.transact_write_items(
                TransactItems=_transaction(table, job_id, pending, now + retention)
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            codes = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if len(codes) > len(pending) and codes[len(pending)] == "ConditionalCheckFailed":
                raise JobNotFound(f"job {job_id} has no job item") from exc
            stored_before = {
                r.book_id
                for r, code in zip(pending, codes, strict=False)
                if code == "ConditionalCheckFailed"
            }
            if stored_before:  # counted by an earlier delivery: try again without them
                recorded.update(dict.fromkeys(stored_before, Recorded.ALREADY))
                pending = [r for r in pending if r.book_id not in stored_before]
                continue
            if "TransactionConflict" not in codes or conflicts == _CONFLICT_RETRIES:
                raise
            # Another writer holds the job item (another batch of the job, or a duplicate).
            time.sleep(random.uniform(0, 0.05 * 2**conflicts))
            conflicts += 1
        else:
            recorded.update(dict.fromkeys((r.book_id for r in pending), Recorded.NEW))
            pending = []
    return recorded


def _transaction(
    table: str, job_id: str, results: Sequence[BookResult], expires_at: dt.datetime
) -> list[dict[str, Any]]:
    """One Put per book, then the job item's Update (its position tells its cancellation
    reason apart from the books')."""
    expiry = storage.expires_at(expires_at)
    items: list[dict[str, Any]] = [
        {
            "Put": {
                "TableName": table,
                "Item": {
                    **storage.book_key(job_id, result.book_id),
                    RESULT_ATTRIBUTE: {"S": encode(result).decode()},
                    OUTCOME_ATTRIBUTE: {"S": outcome_of(result)},
                    TTL_ATTRIBUTE: expiry,
                },
                "ConditionExpression": "attribute_not_exists(#sk)",
                "ExpressionAttributeNames": {"#sk": SORT_KEY},
            }
        }
        for result in results
    ]
    counts = {"succeeded": 0, "failed": 0, "enriched": 0}
    for result in results:
        counts[outcome_of(result)] += 1
        counts["enriched"] += result.status == EnrichmentStatus.ENRICHED
    counted = {name: count for name, count in counts.items() if count}
    items.append(
        {
            "Update": {
                "TableName": table,
                "Key": storage.job_key(job_id),
                "UpdateExpression": "ADD " + ", ".join(f"#{name} :{name}" for name in counted),
                "ConditionExpression": "attribute_exists(#pk)",
                "ExpressionAttributeNames": {
                    "#pk": PARTITION_KEY,
                    **{f"#{name}": name for name in counted},
                },
                "ExpressionAttributeValues": {
                    f":{name}": {"N": str(count)} for name, count in counted.items()
                },
            }
        }
    )
    return items


def read_job(client: Any, table: str, job_id: str) -> JobRecord | None:
    response = client.get_item(TableName=table, Key=storage.job_key(job_id), ConsistentRead=True)
    item = response.get("Item")
    return None if item is None else storage.job_record_from_item(item)


def is_fully_accounted(job: JobRecord) -> bool:
    """Every book has a result and the aggregator has not finished the job yet."""
    return job.status == JobStatus.QUEUED and job.succeeded + job.failed >= job.total


def send_completion_signal(sqs: Any, queue_url: str, job_id: str, now: dt.datetime) -> None:
    """Safe to repeat: the aggregator claims a job once, whatever the number of signals."""
    signal = CompletionSignal(job_id=job_id, signalled_at=now)
    sqs.send_message(QueueUrl=queue_url, MessageBody=encode(signal).decode())
