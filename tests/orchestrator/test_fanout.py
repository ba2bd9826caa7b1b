"""SendMessageBatch fan-out: ten per call, parallel calls, only failed entries retried."""

from __future__ import annotations

import datetime as dt
from typing import Any

import boto3
from botocore.exceptions import ClientError

from contracts import codec
from contracts.books import Book
from local_runtime.resources import ServiceEnvironment
from services.orchestrator.fanout import TaskEntry, send_tasks, task_entries
from tests.orchestrator.aws_wrappers import FlakySqs
from tests.support.aws_requests import count_requests

AwsFixture = tuple[boto3.Session, ServiceEnvironment]
JOB_ID = "3f0c9a52-7d1e-4b8a-9c4f-2e6d5b1a0c77"
QUEUED_AT = dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)


def _entries(count: int) -> list[TaskEntry]:
    return [(f"gr{n}", f'{{"n": {n}}}') for n in range(count)]


def _drain(sqs: Any, queue_url: str) -> list[str]:
    bodies: list[str] = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
        "Messages", []
    ):
        bodies.extend(message["Body"] for message in messages)
    return bodies


def test_tasks_are_encoded_book_tasks_with_the_book_id_as_entry_id() -> None:
    book = Book(
        book_id="row7",
        row_number=7,
        title="Ἰλιάς",
        author="Όμηρος",
        isbn13="9780306406157",
        exclusive_shelf="read",
    )
    [(entry_id, body)] = task_entries(JOB_ID, [book], QUEUED_AT)
    task = codec.task_decoder.decode(body)
    assert entry_id == "row7"
    assert (task.job_id, task.book_id, task.title, task.isbn13) == (
        JOB_ID,
        "row7",
        "Ἰλιάς",
        "9780306406157",
    )


def test_every_entry_is_sent_once_ten_per_call(aws: AwsFixture) -> None:
    sqs = aws[0].client("sqs")
    requests = count_requests(sqs)
    result = send_tasks(sqs, aws[1].task_queue_url, _entries(95), max_workers=4)
    assert (result.sent, result.failed) == (95, [])
    assert requests == ["SendMessageBatch"] * 10
    assert sorted(_drain(sqs, aws[1].task_queue_url)) == sorted(body for _, body in _entries(95))


def test_only_failed_entries_are_retried_with_growing_backoff(aws: AwsFixture) -> None:
    sqs = aws[0].client("sqs")
    flaky = FlakySqs(sqs, lambda entry_id: 2 if entry_id in ("gr3", "gr4") else 0)
    delays: list[float] = []
    result = send_tasks(
        flaky, aws[1].task_queue_url, _entries(10), base_delay=1.0, sleep=delays.append
    )
    assert (result.sent, result.failed) == (10, [])
    assert flaky.calls == [[f"gr{n}" for n in range(10)], ["gr3", "gr4"], ["gr3", "gr4"]]
    assert len(delays) == 2 and 0 <= delays[0] <= 1.0 and 0 <= delays[1] <= 2.0
    assert len(_drain(sqs, aws[1].task_queue_url)) == 10


def test_an_entry_that_keeps_failing_is_reported_after_the_last_attempt(aws: AwsFixture) -> None:
    flaky = FlakySqs(aws[0].client("sqs"), lambda entry_id: 99 if entry_id == "gr1" else 0)
    result = send_tasks(
        flaky, aws[1].task_queue_url, _entries(3), max_attempts=3, sleep=lambda _: None
    )
    assert result.sent == 2
    assert [(f.book_id, f.code) for f in result.failed] == [("gr1", "InternalError")]
    assert len(flaky.calls) == 3


def test_entries_the_service_blames_on_the_sender_are_not_retried(aws: AwsFixture) -> None:
    flaky = FlakySqs(
        aws[0].client("sqs"),
        lambda entry_id: 99 if entry_id == "gr0" else 0,
        code="InvalidMessageContents",
        sender_fault=True,
    )
    result = send_tasks(flaky, aws[1].task_queue_url, _entries(2), sleep=lambda _: None)
    assert [(f.book_id, f.code) for f in result.failed] == [("gr0", "InvalidMessageContents")]
    assert len(flaky.calls) == 1


def test_a_whole_call_that_fails_is_retried(aws: AwsFixture) -> None:
    sqs = aws[0].client("sqs")

    class FailsFirstCall:
        calls = 0

        def send_message_batch(self, **kwargs: Any) -> Any:
            FailsFirstCall.calls += 1
            if FailsFirstCall.calls == 1:
                raise ClientError(
                    {"Error": {"Code": "ServiceUnavailable", "Message": "try later"}},
                    "SendMessageBatch",
                )
            return sqs.send_message_batch(**kwargs)

    result = send_tasks(FailsFirstCall(), aws[1].task_queue_url, _entries(4), sleep=lambda _: None)
    assert (result.sent, result.failed, FailsFirstCall.calls) == (4, [], 2)
    assert len(_drain(sqs, aws[1].task_queue_url)) == 4


def test_nothing_to_send_makes_no_call(aws: AwsFixture) -> None:
    sqs = aws[0].client("sqs")
    requests = count_requests(sqs)
    assert send_tasks(sqs, aws[1].task_queue_url, []).sent == 0
    assert requests == []
