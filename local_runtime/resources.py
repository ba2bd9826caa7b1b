"""The AWS resources of one deployment, created on an emulator from the definitions infra
deploys (contracts/layout.py, through `local_runtime.resource_requests`).

The bucket, both tables with their TTL and index, and every queue infra deploys: the task and
completion queues, each with its dead-letter queue, and the orchestrator's failed-uploads
queue. `ServiceEnvironment.as_env()` gives the variables the Lambda functions receive.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from contracts import layout
from local_runtime.resource_requests import (
    DEFAULT_PREFIX,
    bucket_name,
    create_table_request,
    dead_letter_queue_attributes,
    queue_name,
    table_name,
    time_to_live_request,
    work_queue_attributes,
)


@dataclasses.dataclass(frozen=True)
class ServiceEnvironment:
    """The configuration every service reads from its environment, and the queues around it."""

    data_bucket: str
    jobs_table: str
    cache_table: str
    task_queue_url: str
    task_dlq_url: str
    completion_queue_url: str
    completion_dlq_url: str = ""
    failed_uploads_url: str = ""
    max_receive_count: int = layout.MAX_RECEIVE_COUNT

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
    prefix: str = DEFAULT_PREFIX,
    task_visibility_timeout: int | None = None,
    max_receive_count: int | None = None,
) -> ServiceEnvironment:
    """Creates bucket, tables and queues with a boto3 session pointed at the emulator.

    `task_visibility_timeout` (a local run's scaled processor timeout) and `max_receive_count`
    replace the layout's values for the task queue; everything else is as deployed.
    """
    s3 = session.client("s3")
    dynamodb = session.client("dynamodb")
    sqs = session.client("sqs")

    bucket = bucket_name(prefix)
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

    for table in layout.TABLES:
        dynamodb.create_table(**create_table_request(table, prefix))
    for table in layout.TABLES:
        dynamodb.update_time_to_live(**time_to_live_request(table, prefix))

    def dead_letter_queue(queue: layout.DeadLetterQueue) -> tuple[str, str]:
        url: str = sqs.create_queue(
            QueueName=queue_name(queue, prefix), Attributes=dead_letter_queue_attributes(queue)
        )["QueueUrl"]
        arn: str = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        return url, arn

    def work_queue(queue: layout.Queue, dead_letter_arn: str, **overrides: Any) -> str:
        url: str = sqs.create_queue(
            QueueName=queue_name(queue, prefix),
            Attributes=work_queue_attributes(queue, dead_letter_arn, **overrides),
        )["QueueUrl"]
        return url

    tasks = layout.TASK_QUEUE
    if max_receive_count is not None:
        tasks = dataclasses.replace(tasks, max_receive_count=max_receive_count)
    task_dlq_url, task_dlq_arn = dead_letter_queue(tasks.dead_letter)
    task_queue_url = work_queue(
        tasks, task_dlq_arn, visibility_timeout_seconds=task_visibility_timeout
    )
    completion_dlq_url, completion_dlq_arn = dead_letter_queue(layout.COMPLETION_QUEUE.dead_letter)
    completion_queue_url = work_queue(layout.COMPLETION_QUEUE, completion_dlq_arn)
    failed_uploads_url, _ = dead_letter_queue(layout.FAILED_UPLOADS_QUEUE)

    return ServiceEnvironment(
        data_bucket=bucket,
        jobs_table=table_name(layout.JOBS_TABLE, prefix),
        cache_table=table_name(layout.CACHE_TABLE, prefix),
        task_queue_url=task_queue_url,
        task_dlq_url=task_dlq_url,
        completion_queue_url=completion_queue_url,
        completion_dlq_url=completion_dlq_url,
        failed_uploads_url=failed_uploads_url,
        max_receive_count=tasks.max_receive_count,
    )
