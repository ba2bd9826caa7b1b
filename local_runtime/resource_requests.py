"""The AWS requests that create one deployment's tables and queues on an emulator, built from
the definitions infra deploys (contracts/layout.py).

Standard library only, like the layout: infra's tests (the other resolve) compare these
requests with the synthesised CloudFormation templates, so that what the local runtime creates
and what `cdk deploy` creates cannot drift apart. `local_runtime.resources` sends them.
"""

from __future__ import annotations

import json
from typing import Any

from contracts import layout

DEFAULT_PREFIX = "goodreads-stats"


def table_name(table: layout.Table, prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}-{table.name_suffix}"


def queue_name(queue: layout.Queue | layout.DeadLetterQueue, prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}-{queue.name_suffix}"


def bucket_name(prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}-data"


def create_table_request(table: layout.Table, prefix: str = DEFAULT_PREFIX) -> dict[str, Any]:
    """CreateTable's parameters: on demand, string keys, the table's indexes."""
    key_schema = [{"AttributeName": table.partition_key, "KeyType": "HASH"}]
    if table.sort_key:
        key_schema.append({"AttributeName": table.sort_key, "KeyType": "RANGE"})
    request: dict[str, Any] = {
        "TableName": table_name(table, prefix),
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": "S"} for name in table.key_attributes
        ],
        "KeySchema": key_schema,
    }
    if table.indexes:
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": index.projection},
            }
            for index in table.indexes
        ]
    return request


def time_to_live_request(table: layout.Table, prefix: str = DEFAULT_PREFIX) -> dict[str, Any]:
    """UpdateTimeToLive's parameters."""
    return {
        "TableName": table_name(table, prefix),
        "TimeToLiveSpecification": {"Enabled": True, "AttributeName": table.ttl_attribute},
    }


def dead_letter_queue_attributes(queue: layout.DeadLetterQueue) -> dict[str, str]:
    """CreateQueue's attributes of a dead-letter queue."""
    return {"MessageRetentionPeriod": str(queue.retention_days * layout.DAY_SECONDS)}


def work_queue_attributes(
    queue: layout.Queue, dead_letter_arn: str, *, visibility_timeout_seconds: int | None = None
) -> dict[str, str]:
    """CreateQueue's attributes of a queue a function consumes. `visibility_timeout_seconds`
    replaces the layout's (6 x the consumer's timeout + its batching window) when a local run
    scales its consumer's timeout down."""
    visibility = (
        queue.visibility_timeout_seconds
        if visibility_timeout_seconds is None
        else visibility_timeout_seconds
    )
    return {
        "VisibilityTimeout": str(visibility),
        "MessageRetentionPeriod": str(queue.retention_days * layout.DAY_SECONDS),
        "RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": queue.max_receive_count}
        ),
    }
