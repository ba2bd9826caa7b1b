"""Removing everything a job left: objects under its three prefixes and its DynamoDB partition.

Each step is idempotent (deleting what is already gone succeeds), so a delete that stopped
half-way is finished by running it again.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import random
import time
from collections.abc import Iterator
from typing import Any

from contracts import storage
from contracts.layout import PARTITION_KEY, SORT_KEY

MAX_DELETE_OBJECTS = 1000  # DeleteObjects takes at most 1000 keys
MAX_BATCH_WRITE = 25  # BatchWriteItem takes at most 25 requests
DELETE_WORKERS = 8
UNPROCESSED_ATTEMPTS = 8


class DeletionError(RuntimeError):
    pass


def last_modified(s3: Any, bucket: str, prefix: str) -> dt.datetime | None:
    """When the newest object under `prefix` was written (one listed page: an upload prefix
    holds the one key the form allows); None if there is none."""
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    times = [item["LastModified"] for item in listing.get("Contents", [])]
    return max(times) if times else None


def delete_prefix(s3: Any, bucket: str, prefix: str, *, page_size: int = MAX_DELETE_OBJECTS) -> int:
    """Deletes every object under `prefix`, one DeleteObjects per listed page; the count."""
    deleted = 0
    paginator = s3.get_paginator("list_objects_v2")
    pages = paginator.paginate(
        Bucket=bucket, Prefix=prefix, PaginationConfig={"PageSize": min(page_size, 1000)}
    )
    for page in pages:
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if not keys:
            continue
        response = s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
        errors = response.get("Errors", [])
        if errors:
            first = errors[0]
            raise DeletionError(
                f"{len(errors)} objects under {prefix} could not be deleted "
                f"(first: {first.get('Key')}: {first.get('Code')})"
            )
        deleted += len(keys)
    return deleted


def delete_job_item(dynamodb: Any, table: str, job_id: str) -> None:
    """The job item goes first: every writer of the partition (the book processor's
    transaction, the aggregator's claim) requires it, so nothing is added after this."""
    dynamodb.delete_item(TableName=table, Key=storage.job_key(job_id))


def delete_partition(
    dynamodb: Any,
    table: str,
    job_id: str,
    *,
    keep: frozenset[str],
    page_size: int | None = None,
    workers: int = DELETE_WORKERS,
) -> int:
    """Deletes every item of the job's partition whose sort key is not in `keep`.

    A large library has one item per book: BatchWriteItem calls (25 deletes each) run
    `workers` at a time, so that 100,000 books take seconds rather than minutes."""
    deleted = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        pending: list[concurrent.futures.Future[int]] = []
        chunk: list[storage.Item] = []
        for key in _partition_keys(dynamodb, table, job_id, page_size):
            if key[SORT_KEY]["S"] in keep:
                continue
            chunk.append(key)
            if len(chunk) == MAX_BATCH_WRITE:
                pending.append(pool.submit(_batch_delete, dynamodb, table, chunk))
                chunk = []
        if chunk:
            pending.append(pool.submit(_batch_delete, dynamodb, table, chunk))
        for future in pending:
            deleted += future.result()  # the first failure is raised here
    return deleted


def _batch_delete(dynamodb: Any, table: str, keys: list[storage.Item]) -> int:
    """One BatchWriteItem of deletes; unprocessed ones (throttling) are sent again."""
    requests: list[dict[str, Any]] = [{"DeleteRequest": {"Key": key}} for key in keys]
    for attempt in range(UNPROCESSED_ATTEMPTS):
        response = dynamodb.batch_write_item(RequestItems={table: requests})
        requests = response.get("UnprocessedItems", {}).get(table, [])
        if not requests:
            return len(keys)
        time.sleep(min(1.0, 0.05 * 2**attempt) * random.uniform(0.5, 1.0))
    raise DeletionError(f"{len(requests)} items of {table} were left unprocessed")


def _partition_keys(
    dynamodb: Any, table: str, job_id: str, page_size: int | None
) -> Iterator[storage.Item]:
    query: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#pk = :pk",
        "ExpressionAttributeNames": {"#pk": PARTITION_KEY, "#sk": SORT_KEY},
        "ExpressionAttributeValues": {":pk": {"S": storage.job_pk(job_id)}},
        "ProjectionExpression": "#pk, #sk",
        "ConsistentRead": True,
    }
    if page_size is not None:
        query["Limit"] = page_size
    while True:
        response = dynamodb.query(**query)
        for item in response.get("Items", []):
            yield {PARTITION_KEY: item[PARTITION_KEY], SORT_KEY: item[SORT_KEY]}
        last = response.get("LastEvaluatedKey")
        if not last:
            return
        query["ExclusiveStartKey"] = last
