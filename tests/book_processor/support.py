"""Helpers for the book processor's tests: jobs, tasks on the real (moto) queue, deliveries."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any

import boto3
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

from contracts.codec import encode
from contracts.messages import BookResult, BookTask, CompletionSignal, JobRecord
from local_runtime.lambda_events import LambdaContext, sqs_event
from local_runtime.resources import ServiceEnvironment
from services.book_processor.processing import BatchReport, Dependencies, process_batch
from services.book_processor.settings import Settings
from tests.support import jobs

NOW = jobs.QUEUED_AT

# Ten fixture books with an ISBN: most found by the search, one only through its edition, one
# only by Google, one without Open Library subjects.
TEN_BOOKS = [
    "harry-potter-philosophers-stone",
    "the-hobbit",
    "dune",
    "in-cold-blood",
    "sapiens",
    "losing-ground",
    "the-things-they-carried",
    "facing-reality",
    "human-diversity",
    "curmudgeons-guide",
]


def new_job(
    session: boto3.Session,
    env: ServiceEnvironment,
    total: int,
    *,
    deadline_in: dt.timedelta = dt.timedelta(minutes=15),
) -> str:
    """A QUEUED job item expecting `total` books, as the orchestrator leaves it, queued now
    (the processor reads the real clock) with its deadline `deadline_in` from now."""
    return jobs.new_queued_job(
        session, env, total, at=dt.datetime.now(dt.UTC), deadline_in=deadline_in
    )


def plain_task(
    job_id: str, book_id: str, title: str, author: str, isbn13: str | None = None
) -> BookTask:
    return BookTask(
        job_id=job_id, book_id=book_id, title=title, author=author, isbn13=isbn13, queued_at=NOW
    )


@dataclasses.dataclass
class TaskQueue:
    """The deployment's task queue (moto), driven the way the Lambda event source mapping does:
    receive up to 10 with all attributes, invoke, delete all but the reported failures. Failed
    messages are made visible at once instead of after the visibility timeout."""

    session: boto3.Session
    env: ServiceEnvironment

    def __post_init__(self) -> None:
        self.sqs: Any = self.session.client("sqs")
        self.arn = self.sqs.get_queue_attributes(
            QueueUrl=self.env.task_queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]

    def send(self, bodies: Iterable[BookTask | str]) -> None:
        for body in bodies:
            text = body if isinstance(body, str) else encode(body).decode()
            self.sqs.send_message(QueueUrl=self.env.task_queue_url, MessageBody=text)

    def receive(self, max_messages: int = 10) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self.sqs.receive_message(
            QueueUrl=self.env.task_queue_url,
            MaxNumberOfMessages=max_messages,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        return messages

    def event(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        return sqs_event(messages, self.arn)

    def settle(self, messages: list[dict[str, Any]], response: dict[str, Any]) -> None:
        failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
        for message in messages:
            if message["MessageId"] in failed:
                self.sqs.change_message_visibility(
                    QueueUrl=self.env.task_queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=0,
                )
            else:
                self.sqs.delete_message(
                    QueueUrl=self.env.task_queue_url, ReceiptHandle=message["ReceiptHandle"]
                )

    def release(self, messages: list[dict[str, Any]]) -> None:
        """What a crashed invocation leaves: nothing deleted, everything delivered again."""
        self.settle(
            messages, {"batchItemFailures": [{"itemIdentifier": m["MessageId"]} for m in messages]}
        )

    def dead_letters(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self.sqs.receive_message(
            QueueUrl=self.env.task_dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", [])
        return messages


def context(timeout_seconds: float = 60.0) -> LambdaContext:
    return LambdaContext(
        function_name="goodreads-stats-book-processor", timeout_seconds=timeout_seconds
    )


def dependencies() -> Dependencies:
    return Dependencies.build(Settings.from_environment(), boto3.Session())


def run_batch(
    queue: TaskQueue,
    messages: list[dict[str, Any]],
    deps: Dependencies | None = None,
    *,
    timeout_seconds: float = 60.0,
) -> tuple[dict[str, Any], BatchReport]:
    """One invocation over `messages`, settled on the queue like the event source mapping."""
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    response, report = process_batch(
        queue.event(messages), context(timeout_seconds), deps or dependencies(), processor
    )
    queue.settle(messages, dict(response))
    return dict(response), report


def job_record(session: boto3.Session, env: ServiceEnvironment, job_id: str) -> JobRecord:
    return jobs.read_job_record(session, env, job_id)


def stored_results(
    session: boto3.Session, env: ServiceEnvironment, job_id: str
) -> dict[str, BookResult]:
    return jobs.stored_results(session, env, job_id)


def completion_signals(session: boto3.Session, env: ServiceEnvironment) -> list[CompletionSignal]:
    return jobs.completion_signals(session, env)
