"""The SQS queues: book tasks and job completions, each with a dead-letter queue."""

from __future__ import annotations

import dataclasses

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from contracts import layout


@dataclasses.dataclass(frozen=True)
class WorkQueuesProps:
    """The queues as contracts/layout.py defines them (the local runtime creates the same)."""

    tasks: layout.Queue = layout.TASK_QUEUE  # consumed by the book processor
    completions: layout.Queue = layout.COMPLETION_QUEUE  # consumed by the aggregator
    failed_uploads: layout.DeadLetterQueue = layout.FAILED_UPLOADS_QUEUE


class WorkQueues(Construct):  # type: ignore[misc]  # Any to mypy without the CDK installed
    """Visibility timeouts are sized from the consumers' timeouts; messages that keep failing
    move to a dead-letter queue that keeps them longer than the source would."""

    def __init__(self, scope: Construct, id: str, props: WorkQueuesProps) -> None:
        super().__init__(scope, id)
        for queue in (props.tasks, props.completions):
            if queue.max_receive_count < layout.MAX_RECEIVE_COUNT:
                raise ValueError(
                    f"maxReceiveCount below {layout.MAX_RECEIVE_COUNT} loses throttled messages"
                )
        self.max_receive_count = props.tasks.max_receive_count
        self.tasks_visibility_timeout = Duration.seconds(props.tasks.visibility_timeout_seconds)
        self.tasks_dlq = _dead_letter_queue(self, props.tasks.dead_letter)
        self.tasks = _work_queue(self, props.tasks, self.tasks_dlq)
        self.completions_visibility_timeout = Duration.seconds(
            props.completions.visibility_timeout_seconds
        )
        self.completions_dlq = _dead_letter_queue(self, props.completions.dead_letter)
        self.completions = _work_queue(self, props.completions, self.completions_dlq)
        # S3 invokes the orchestrator asynchronously: an upload whose event still fails after
        # Lambda's retries lands here instead of vanishing (redrive: invoke with its job_id).
        self.failed_uploads = _dead_letter_queue(self, props.failed_uploads)

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


def _dead_letter_queue(scope: Construct, definition: layout.DeadLetterQueue) -> sqs.Queue:
    return sqs.Queue(
        scope,
        definition.logical_id,
        retention_period=Duration.days(definition.retention_days),
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
    )


def _work_queue(
    scope: Construct, definition: layout.Queue, dead_letter_queue: sqs.IQueue
) -> sqs.Queue:
    """The visibility timeout follows AWS's guidance for a queue that Lambda consumes (see
    layout.visibility_timeout_seconds); messages that keep failing move to a dead-letter queue
    that keeps them longer than the source would."""
    return sqs.Queue(
        scope,
        definition.logical_id,
        visibility_timeout=Duration.seconds(definition.visibility_timeout_seconds),
        retention_period=Duration.days(definition.retention_days),
        dead_letter_queue=sqs.DeadLetterQueue(
            queue=dead_letter_queue, max_receive_count=definition.max_receive_count
        ),
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
    )
