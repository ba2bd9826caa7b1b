"""The local stand-ins for what AWS does around the functions behave as AWS documents."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import boto3
import pytest

from local_runtime import instrumentation
from local_runtime.event_sources import (
    SqsEventSourceMapping,
    failed_message_ids,
    notify_object_created,
)
from local_runtime.functions import Invocation, LocalFunction


class RecordingHandler:
    """A function body that records its events and reports the failures it is told to."""

    def __init__(self, fail_bodies: set[str] = frozenset(), raises: bool = False) -> None:  # type: ignore[assignment]
        self.events: list[dict[str, Any]] = []
        self.contexts: list[Any] = []
        self.fail_bodies = fail_bodies
        self.raises = raises

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(event)
        self.contexts.append(context)
        if self.raises:
            raise RuntimeError("the function crashed")
        return {
            "batchItemFailures": [
                {"itemIdentifier": record["messageId"]}
                for record in event["Records"]
                if record["body"] in self.fail_bodies
            ]
        }


def _queue(sqs: Any, name: str, *, visibility: int = 30, dlq_after: int | None = None) -> str:
    attributes = {"VisibilityTimeout": str(visibility)}
    if dlq_after is not None:
        dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])
        attributes["RedrivePolicy"] = json.dumps(
            {
                "deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"],
                "maxReceiveCount": str(dlq_after),
            }
        )
    return str(sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])


def _counts(sqs: Any, queue_url: str) -> tuple[int, int]:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


def _mapping(sqs: Any, queue_url: str, handler: RecordingHandler, **kwargs: Any) -> Any:
    function = LocalFunction("book_processor", handler, timeout_seconds=30)
    return SqsEventSourceMapping(
        sqs=sqs,
        queue_url=queue_url,
        function=function,
        concurrency=1,
        stop=threading.Event(),
        **kwargs,
    )


def test_a_successful_batch_is_deleted_entirely(aws: Any) -> None:
    sqs = aws[0].client("sqs")
    queue_url = _queue(sqs, "work")
    for number in range(3):
        sqs.send_message(QueueUrl=queue_url, MessageBody=f"book {number}")
    mapping = _mapping(sqs, queue_url, RecordingHandler(), wait_seconds=0)

    assert mapping.poll_once() == 3

    assert _counts(sqs, queue_url) == (0, 0)
    assert mapping.stats.deleted == 3


def test_reported_failures_stay_on_the_queue_and_the_rest_is_deleted(aws: Any) -> None:
    sqs = aws[0].client("sqs")
    queue_url = _queue(sqs, "work")
    for body in ("good 1", "bad", "good 2"):
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    mapping = _mapping(sqs, queue_url, RecordingHandler(fail_bodies={"bad"}), wait_seconds=0)

    mapping.poll_once()

    assert _counts(sqs, queue_url) == (0, 1)  # "bad" waits for its visibility timeout
    assert mapping.stats.reported_failures == 1
    assert mapping.stats.deleted == 2


def test_a_handler_that_raises_fails_the_whole_batch(aws: Any) -> None:
    sqs = aws[0].client("sqs")
    queue_url = _queue(sqs, "work")
    for number in range(4):
        sqs.send_message(QueueUrl=queue_url, MessageBody=f"book {number}")
    mapping = _mapping(sqs, queue_url, RecordingHandler(raises=True), wait_seconds=0)

    mapping.poll_once()

    assert _counts(sqs, queue_url) == (0, 4)
    assert mapping.stats.deleted == 0
    assert mapping.stats.failed_batches == 1


def test_the_event_carries_the_attributes_lambda_sends(aws: Any) -> None:
    sqs = aws[0].client("sqs")
    queue_url = _queue(sqs, "work")
    sqs.send_message(
        QueueUrl=queue_url,
        MessageBody="book",
        MessageAttributes={"trace": {"DataType": "String", "StringValue": "abc"}},
    )
    handler = RecordingHandler()
    mapping = _mapping(sqs, queue_url, handler, wait_seconds=0)

    mapping.poll_once()

    (record,) = handler.events[0]["Records"]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == mapping.queue_arn
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert "SentTimestamp" in record["attributes"]
    assert record["messageAttributes"]["trace"]["stringValue"] == "abc"
    assert handler.contexts[0].function_name == "book_processor"
    assert handler.contexts[0].get_remaining_time_in_millis() > 0


def test_batches_hold_at_most_ten_messages(aws: Any) -> None:
    sqs = aws[0].client("sqs")
    queue_url = _queue(sqs, "work")
    for number in range(25):
        sqs.send_message(QueueUrl=queue_url, MessageBody=f"book {number}")
    handler = RecordingHandler()
    mapping = _mapping(sqs, queue_url, handler, wait_seconds=0)

    while mapping.poll_once():
        pass

    assert all(len(event["Records"]) <= 10 for event in handler.events)
    assert sum(len(event["Records"]) for event in handler.events) == 25


def test_with_a_batching_window_a_batch_gathers_up_to_its_size_over_several_receives(
    aws: Any,
) -> None:
    sqs = aws[0].client("sqs")
    queue_url = _queue(sqs, "work")
    for number in range(30):
        sqs.send_message(QueueUrl=queue_url, MessageBody=f"book {number}")
    handler = RecordingHandler()
    mapping = _mapping(
        sqs, queue_url, handler, batch_size=25, batching_window_seconds=1, wait_seconds=0
    )

    first = mapping.poll_once()
    started = time.monotonic()
    second = mapping.poll_once()  # the last five: the batch waits out its window for more
    waited = time.monotonic() - started

    assert (first, second) == (25, 5)
    assert waited >= 0.9
    assert mapping.stats.deleted == 30  # ten per DeleteMessageBatch, as SQS allows


def test_a_batch_of_more_than_ten_needs_a_batching_window_as_lambda_requires(aws: Any) -> None:
    sqs = aws[0].client("sqs")
    queue_url = _queue(sqs, "work")

    with pytest.raises(ValueError, match="batching window"):
        _mapping(sqs, queue_url, RecordingHandler(), batch_size=11)


def test_a_message_that_keeps_failing_moves_to_the_dlq_after_max_receives(aws: Any) -> None:
    sqs = aws[0].client("sqs")
    queue_url = _queue(sqs, "work", visibility=0, dlq_after=3)
    dlq_url = queue_url + "-dlq"
    sqs.send_message(QueueUrl=queue_url, MessageBody="poison")
    handler = RecordingHandler(fail_bodies={"poison"})
    mapping = _mapping(sqs, queue_url, handler, wait_seconds=0)

    while mapping.poll_once():
        pass

    receive_counts = [
        event["Records"][0]["attributes"]["ApproximateReceiveCount"] for event in handler.events
    ]
    assert receive_counts == ["1", "2", "3"]
    assert _counts(sqs, queue_url) == (0, 0)
    assert _counts(sqs, dlq_url) == (1, 0)


def test_invocations_run_concurrently_up_to_the_mapping_concurrency(aws: Any) -> None:
    sqs = aws[0].client("sqs")
    queue_url = _queue(sqs, "work")
    for number in range(12):
        sqs.send_message(QueueUrl=queue_url, MessageBody=f"book {number}")
    both_inside = threading.Barrier(2, timeout=10)
    seen_together = threading.Event()

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if not seen_together.is_set():
            # Only returns once two invocations are in flight together. Once seen, later
            # batches (moto may split the rest into an odd number of them) need no partner.
            both_inside.wait()
            seen_together.set()
        return {"batchItemFailures": []}

    stop = threading.Event()
    mapping = SqsEventSourceMapping(
        sqs=sqs,
        queue_url=queue_url,
        function=LocalFunction("book_processor", handler, timeout_seconds=30),
        concurrency=2,
        stop=stop,
        batch_size=4,
        wait_seconds=1,
    )
    mapping.start()
    try:
        while _counts(sqs, queue_url) != (0, 0) and not both_inside.broken:
            stop.wait(0.05)
    finally:
        stop.set()
        mapping.join(10)

    assert not both_inside.broken
    assert seen_together.is_set()
    assert mapping.stats.deleted == 12


@pytest.mark.parametrize(
    ("invocation", "expected"),
    [
        (Invocation(response=None), set()),
        (Invocation(response={}), set()),
        (Invocation(response={"batchItemFailures": []}), set()),
        (Invocation(response={"batchItemFailures": [{"itemIdentifier": "b"}]}), {"b"}),
        (Invocation(error=RuntimeError("crash")), {"a", "b"}),
        (Invocation(response={"batchItemFailures": []}, timed_out=True), {"a", "b"}),
        (Invocation(response={"batchItemFailures": [{"itemIdentifier": "zz"}]}), {"a", "b"}),
        (Invocation(response={"batchItemFailures": [{"itemIdentifier": ""}]}), {"a", "b"}),
        (Invocation(response={"batchItemFailures": [{}]}), {"a", "b"}),
        (Invocation(response={"batchItemFailures": "b"}), {"a", "b"}),
        (Invocation(response=["b"]), {"a", "b"}),
    ],
)
def test_failed_messages_follow_lambdas_partial_batch_rules(
    invocation: Invocation, expected: set[str]
) -> None:
    assert failed_message_ids(invocation, ["a", "b"]) == expected


def test_an_invocation_past_its_timeout_counts_as_timed_out_and_its_response_is_dropped() -> None:
    function = LocalFunction(
        "book_processor", lambda event, context: {"batchItemFailures": []}, timeout_seconds=0
    )

    invocation = function.invoke({"Records": []})

    assert invocation.timed_out
    assert invocation.response is None
    assert function.stats.timeouts == 1


def test_an_s3_notification_is_retried_twice_like_an_asynchronous_invocation() -> None:
    handler = RecordingHandler(raises=True)
    function = LocalFunction("orchestrator", handler, timeout_seconds=30)

    invocation = notify_object_created(
        function, bucket="data", key="uploads/x/my export.csv", size=10, sleep=lambda _: None
    )

    assert not invocation.succeeded
    assert len(handler.events) == 3
    (record,) = handler.events[0]["Records"]
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["object"]["key"] == "uploads/x/my+export.csv"


def test_an_s3_notification_that_succeeds_is_delivered_once() -> None:
    function = LocalFunction("orchestrator", lambda event, context: None, timeout_seconds=30)

    invocation = notify_object_created(function, bucket="data", key="uploads/x/a.csv", size=1)

    assert invocation.succeeded
    assert function.stats.invocations == 1


def test_sends_to_a_queue_wake_its_poller_and_every_call_is_counted(aws: Any) -> None:
    session, _ = aws
    counter, activity = instrumentation.AwsCallCounter(), instrumentation.QueueActivity()
    instrumentation.install(counter, activity)
    try:
        sqs = boto3.Session(region_name="us-east-1").client("sqs")  # a client made afterwards
        queue_url = _queue(sqs, "work")
        other_url = _queue(sqs, "other")
        with instrumentation.calls_attributed_to("book_processor"):
            sqs.send_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(n), "MessageBody": "a"} for n in range(3)],
            )
    finally:
        instrumentation.install(None)

    assert activity.wait(queue_url, timeout=0) is True  # three messages counted
    assert activity.received(queue_url, 2) is False  # as counted
    assert activity.wait(queue_url, timeout=0) is True  # one left
    assert activity.received(queue_url, 1) is False
    assert activity.wait(queue_url, timeout=0) is False  # all received: pollers wait
    assert activity.received(queue_url, 10) is True  # more than counted: they came back
    assert activity.wait(other_url, timeout=0) is False
    assert counter.by_operation()["book_processor"] == {"sqs.SendMessageBatch": 1}
    assert counter.by_operation()[instrumentation.OTHER_THREADS]["sqs.CreateQueue"] == 2


def test_an_interrupted_wait_returns_at_once() -> None:
    activity = instrumentation.QueueActivity()
    activity.interrupt()

    assert activity.wait("https://queue", timeout=60) is False


class CountingReceives:
    """The SQS client, counting ReceiveMessage calls."""

    def __init__(self, sqs: Any) -> None:
        self._sqs = sqs
        self.receives = 0

    def receive_message(self, **kwargs: Any) -> Any:
        self.receives += 1
        return self._sqs.receive_message(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sqs, name)


def test_idle_pollers_wait_for_sends_and_one_of_them_finds_messages_that_came_back(
    aws: Any,
) -> None:
    sqs = aws[0].client("sqs")
    queue_url = _queue(sqs, "work", visibility=1)
    counting = CountingReceives(sqs)
    handler = RecordingHandler()
    first_try: set[str] = set()

    def fail_each_message_once(event: dict[str, Any], context: Any) -> dict[str, Any]:
        handler(event, context)
        new = [r["messageId"] for r in event["Records"] if r["messageId"] not in first_try]
        first_try.update(new)
        return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in new]}

    activity = instrumentation.QueueActivity()
    stop = threading.Event()
    mapping = SqsEventSourceMapping(
        sqs=counting,
        queue_url=queue_url,
        function=LocalFunction("book_processor", fail_each_message_once, timeout_seconds=30),
        concurrency=4,
        stop=stop,
        wait_seconds=1,
        idle_wait_seconds=20,
        activity=activity,
    )
    mapping.start()
    try:
        stop.wait(1.5)  # idle: each poller receives once, then only the first one, every second
        idle_receives = counting.receives
        sqs.send_message(QueueUrl=queue_url, MessageBody="book")
        activity.sent(queue_url)  # what the runtime's botocore hook does after a send
        give_up = time.monotonic() + 15
        while mapping.stats.deleted < 1 and time.monotonic() < give_up:
            stop.wait(0.05)
    finally:
        stop.set()
        activity.interrupt()
        mapping.join(10)

    assert idle_receives <= 4 + 2
    # Failed once, it came back after its visibility timeout and was handled again, although
    # three of the four pollers were waiting for sends.
    assert [event["Records"][0]["body"] for event in handler.events] == ["book", "book"]
    assert mapping.stats.deleted == 1


def test_a_send_wakes_a_poller_of_its_own_queue_however_many_wait_on_others() -> None:
    activity = instrumentation.QueueActivity()
    woken: list[bool] = []

    def poller(queue_url: str, record: bool) -> None:
        result = activity.wait(queue_url, timeout=60)
        if record:
            woken.append(result)

    others = [threading.Thread(target=poller, args=("tasks", False)) for _ in range(5)]
    completions = threading.Thread(target=poller, args=("completions", True))
    for thread in [*others, completions]:
        thread.start()
    time.sleep(0.2)  # every poller is waiting

    activity.sent("completions", 1)
    completions.join(10)  # well before its own 60 s timeout: it was woken

    try:
        assert woken == [True]
    finally:
        activity.interrupt()
        for thread in others:
            thread.join(10)
