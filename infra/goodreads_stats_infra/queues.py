"""The SQS queues: book tasks and job completions, each with a dead-letter queue."""

from __future__ import annotations

import dataclasses

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.goodreads_stats_infra.layout import (
    DLQ_RETENTION_DAYS,
    MAX_RECEIVE_COUNT,
    SOURCE_RETENTION_DAYS,
    VISIBILITY_TO_TIMEOUT_RATIO,
)


@dataclasses.dataclass(frozen=True)
class WorkQueuesProps:
    processor_timeout: Duration  # the task queue's consumer
    aggregator_timeout: Duration  # the completion queue's consumer
    processor_batching_window: Duration = Duration.seconds(0)  # its event source mapping's
    aggregator_batching_window: Duration = Duration.seconds(0)
    max_receive_count: int = MAX_RECEIVE_COUNT


class WorkQueues(Construct):  # type: ignore[misc]  # Any to mypy without the CDK installed
    """Visibility timeouts are sized from the consumers' timeouts; messages that keep failing
    move to a dead-letter queue that keeps them longer than the source would."""

    def __init__(self, scope: Construct, id: str, props: WorkQueuesProps) -> None:
        super().__init__(scope, id)
        if props.max_receive_count < MAX_RECEIVE_COUNT:
            raise ValueError(f"maxReceiveCount below {MAX_RECEIVE_COUNT} loses throttled messages")
        self.max_receive_count = props.max_receive_count
        self.tasks_visibility_timeout = _visibility_timeout(
            props.processor_timeout, props.processor_batching_window
        )
        self.tasks_dlq = _dead_letter_queue(self, "TasksDlq")
        self.tasks = _work_queue(
            self, "Tasks", self.tasks_visibility_timeout, self.tasks_dlq, props
        )
        self.completions_visibility_timeout = _visibility_timeout(
            props.aggregator_timeout, props.aggregator_batching_window
        )
        self.completions_dlq = _dead_letter_queue(self, "CompletionsDlq")
        self.completions = _work_queue(
            self, "Completions", self.completions_visibility_timeout, self.completions_dlq, props
        )
        # S3 invokes the orchestrator asynchronously: an upload whose event still fails after
        # Lambda's retries lands here instead of vanishing (redrive: invoke with its job_id).
        self.failed_uploads = _dead_letter_queue(self, "FailedUploads")

    def dead_letter_queues(self) -> dict[str, sqs.Queue]:
        return {
            "Tasks": self.tasks_dlq,
            "Completions": self.completions_dlq,
            "FailedUploads": self.failed_uploads,
        }

    @staticmethod
    def grant_send(grantee: iam.IGrantable, queue: sqs.IQueue) -> None:
        """SendMessage only (SendMessageBatch is authorised by it); no attribute reads."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[queue.queue_arn])
        )


def _visibility_timeout(consumer_timeout: Duration, batching_window: Duration) -> Duration:
    """AWS's guidance for a queue that Lambda consumes: six times the function timeout (room
    for retries of a throttled or failed batch) plus the mapping's batching window."""
    return Duration.seconds(
        VISIBILITY_TO_TIMEOUT_RATIO * consumer_timeout.to_seconds() + batching_window.to_seconds()
    )


def _dead_letter_queue(scope: Construct, id: str) -> sqs.Queue:
    return sqs.Queue(
        scope,
        id,
        retention_period=Duration.days(DLQ_RETENTION_DAYS),
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
    )


def _work_queue(
    scope: Construct,
    id: str,
    visibility_timeout: Duration,
    dead_letter_queue: sqs.IQueue,
    props: WorkQueuesProps,
) -> sqs.Queue:
    return sqs.Queue(
        scope,
        id,
        visibility_timeout=visibility_timeout,
        retention_period=Duration.days(SOURCE_RETENTION_DAYS),
        dead_letter_queue=sqs.DeadLetterQueue(
            queue=dead_letter_queue, max_receive_count=props.max_receive_count
        ),
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
    )
