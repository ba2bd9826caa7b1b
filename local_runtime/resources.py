"""The AWS resources of one deployment, as the CDK stack defines them, created on an emulator.

Names and settings mirror infra/ so that the services see the same environment locally and in
AWS; `ServiceEnvironment.as_env()` gives the variables the Lambda functions receive.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from contracts import storage

# Mirrors infra: visibility timeout >= 6x the processor's timeout, DLQ after 5 receives.
PROCESSOR_TIMEOUT_SECONDS = 60
TASK_VISIBILITY_TIMEOUT_SECONDS = 6 * PROCESSOR_TIMEOUT_SECONDS
MAX_RECEIVE_COUNT = 5
DLQ_RETENTION_SECONDS = 14 * 24 * 3600


@dataclasses.dataclass(frozen=True)
class ServiceEnvironment:
    """The configuration every service reads from its environment."""

    data_bucket: str
    jobs_table: str
    cache_table: str
    task_queue_url: str
    task_dlq_url: str
    completion_queue_url: str
    max_receive_count: int = MAX_RECEIVE_COUNT

    def as_env(self) -> dict[str, str]:
        return {
            "DATA_BUCKET": self.data_bucket,
            "JOBS_TABLE": self.jobs_table,
            "CACHE_TABLE": self.cache_table,
            "TASK_QUEUE_URL": self.task_queue_url,
            "COMPLETION_QUEUE_URL": self.completion_queue_url,
            "MAX_RECEIVE_COUNT": str(self.max_receive_count),
        }


def create_resources(
    session: Any,
    *,
    prefix: str = "goodreads-stats",
    task_visibility_timeout: int = TASK_VISIBILITY_TIMEOUT_SECONDS,
    max_receive_count: int = MAX_RECEIVE_COUNT,
) -> ServiceEnvironment:
    """Creates bucket, tables and queues with a boto3 session pointed at the emulator."""
    s3 = session.client("s3")
    dynamodb = session.client("dynamodb")
    sqs = session.client("sqs")

    bucket = f"{prefix}-data"
    s3.create_bucket(Bucket=bucket)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )

    jobs_table = f"{prefix}-jobs"
    dynamodb.create_table(
        TableName=jobs_table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "open_shard", "AttributeType": "S"},
            {"AttributeName": "deadline", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": storage.OPEN_JOBS_INDEX,
                "KeySchema": [
                    {"AttributeName": "open_shard", "KeyType": "HASH"},
                    {"AttributeName": "deadline", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )
    cache_table = f"{prefix}-cache"
    dynamodb.create_table(
        TableName=cache_table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )
    for table in (jobs_table, cache_table):
        dynamodb.update_time_to_live(
            TableName=table,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
        )

    dlq_url = sqs.create_queue(
        QueueName=f"{prefix}-tasks-dlq",
        Attributes={"MessageRetentionPeriod": str(DLQ_RETENTION_SECONDS)},
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    task_queue_url = sqs.create_queue(
        QueueName=f"{prefix}-tasks",
        Attributes={
            "VisibilityTimeout": str(task_visibility_timeout),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)}
            ),
        },
    )["QueueUrl"]
    completion_queue_url = sqs.create_queue(
        QueueName=f"{prefix}-completions",
        Attributes={"VisibilityTimeout": "120"},
    )["QueueUrl"]

    return ServiceEnvironment(
        data_bucket=bucket,
        jobs_table=jobs_table,
        cache_table=cache_table,
        task_queue_url=task_queue_url,
        task_dlq_url=dlq_url,
        completion_queue_url=completion_queue_url,
        max_receive_count=max_receive_count,
    )
