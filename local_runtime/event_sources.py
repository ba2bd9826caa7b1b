"""What AWS does around the functions, done locally: event source mappings, a schedule, and
S3 notifications. moto stores queues and objects but never invokes anything by itself.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from local_runtime import faults
from local_runtime.functions import Invocation, LocalFunction
from local_runtime.instrumentation import MAX_RECEIVE_BATCH, QueueActivity
from local_runtime.lambda_events import s3_object_created_event, scheduled_event, sqs_event

MAX_SQS_BATCH_SIZE = 10_000  # Lambda's limit for a standard queue

log = logging.getLogger("local_runtime")


@dataclasses.dataclass
class MappingStats:
    batches: int = 0
    messages: int = 0
    deleted: int = 0
    reported_failures: int = 0
    failed_batches: int = 0  # the handler raised or timed out: nothing deleted


def failed_message_ids(invocation: Invocation, message_ids: list[str]) -> set[str]:
    """The messages Lambda leaves on the queue after an invocation with ReportBatchItemFailures.

    A handler error, a timeout or a malformed response fails the whole batch; an item
    identifier that is empty or not in the batch also fails the whole batch (as Lambda does).
    """
    everything = set(message_ids)
    if not invocation.succeeded:
        return everything
    response = invocation.response
    if response is None:
        return set()
    if not isinstance(response, dict):
        log.warning("batch response is not an object (%r): the whole batch fails", response)
        return everything
    failures = response.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        log.warning("batchItemFailures is not a list: the whole batch fails")
        return everything
    failed: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in everything:
            log.warning("invalid batch item failure %r: the whole batch fails", failure)
            return everything
        failed.add(identifier)
    return failed


class SqsEventSourceMapping:
    """Lambda's SQS poller with ReportBatchItemFailures, one thread per concurrent invocation.

    Each poller receives up to `batch_size` messages with every attribute (ten per
    ReceiveMessage; with a `batching_window_seconds`, it keeps receiving until it has
    `batch_size` or the window, counted from its first message, has passed), builds the SQS
    event, invokes the function and deletes every message but the reported failures; those
    stay invisible until their visibility timeout ends and come back, or move to the DLQ once
    the queue's maxReceiveCount is reached.

    With `activity`, a poller receives only while sent messages are counted as not yet
    received, and otherwise waits for a send: long polling without moto's cost. The first
    poller waits at most `wait_seconds`, then receives anyway, so that messages whose
    visibility timeout ended come back within that time; the others wait up to
    `idle_wait_seconds` (Lambda's pollers long-poll for 20 s). Without `activity`, receives
    long-poll moto for `wait_seconds`.
    """

    def __init__(
        self,
        *,
        sqs: Any,
        queue_url: str,
        function: LocalFunction,
        concurrency: int,
        stop: threading.Event,
        batch_size: int = MAX_RECEIVE_BATCH,
        batching_window_seconds: float = 0.0,
        wait_seconds: int = 1,
        idle_wait_seconds: int = 20,
        activity: QueueActivity | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if not 1 <= batch_size <= MAX_SQS_BATCH_SIZE:
            raise ValueError(f"batch size must be 1-{MAX_SQS_BATCH_SIZE}")
        if batch_size > MAX_RECEIVE_BATCH and batching_window_seconds < 1:
            # As Lambda: above ten messages a batch needs a window of at least a second.
            raise ValueError("a batch of more than ten messages needs a batching window")
        self._sqs = sqs
        self.queue_url = queue_url
        self._queue_arn: str | None = None  # asked for on first use, not in the constructor
        self._arn_lock = threading.Lock()
        self.function = function
        self.concurrency = concurrency
        self.batch_size = batch_size
        self.batching_window_seconds = batching_window_seconds
        self.wait_seconds = wait_seconds
        self.idle_wait_seconds = max(wait_seconds, idle_wait_seconds)
        self._activity = activity
        self.stats = MappingStats()
        self._stats_lock = threading.Lock()
        self._stop = stop
        self._threads: list[threading.Thread] = []

    @property
    def queue_arn(self) -> str:
        """The queue's ARN, as the SQS event names it (GetQueueAttributes, once)."""
        with self._arn_lock:
            if self._queue_arn is None:
                self._queue_arn = self._sqs.get_queue_attributes(
                    QueueUrl=self.queue_url, AttributeNames=["QueueArn"]
                )["Attributes"]["QueueArn"]
            return self._queue_arn

    def start(self) -> None:
        self.queue_arn  # noqa: B018 - looked up before the pollers start, not by each of them
        for number in range(self.concurrency):
            thread = threading.Thread(
                target=self._run,
                args=(number,),
                name=f"{self.function.name}-poller-{number}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def join(self, timeout: float | None = None) -> None:
        for thread in self._threads:
            thread.join(timeout)

    def _run(self, number: int) -> None:
        idle_wait = self.wait_seconds if number == 0 else self.idle_wait_seconds
        while not self._stop.is_set():
            try:
                received, uncounted = self._poll()
                if self._activity is not None and not (uncounted and received == self.batch_size):
                    self._activity.wait(self.queue_url, idle_wait)  # at once if more are counted
            except Exception:
                # An emulator hiccup must not silently end a poller: log it and keep polling.
                log.exception("poller of %s failed; polling again", self.function.name)
                self._stop.wait(0.5)

    def poll_once(self) -> int:
        """One receive-invoke-delete cycle; returns how many messages it received."""
        return self._poll()[0]

    def _poll(self) -> tuple[int, bool]:
        """One cycle: how many messages it received, and whether they were more than the
        activity counted (a full batch of uncounted ones: more may be waiting)."""
        messages, uncounted = self._receive(self.wait_seconds)
        if messages and self.batching_window_seconds > 0:
            messages, more_uncounted = self._gather(messages)
            uncounted = uncounted or more_uncounted
        if not messages:
            return 0, False
        event = sqs_event(messages, self.queue_arn)
        duplicate = self._duplicate_delivery(event, messages)
        invocation = self.function.invoke(event)
        if duplicate is not None:
            duplicate.join()
        message_ids = [message["MessageId"] for message in messages]
        failed = failed_message_ids(invocation, message_ids)
        to_delete = [message for message in messages if message["MessageId"] not in failed]
        deleted = self._delete(to_delete)
        with self._stats_lock:
            self.stats.batches += 1
            self.stats.messages += len(messages)
            self.stats.deleted += deleted
            if invocation.succeeded:
                self.stats.reported_failures += len(failed)
            else:
                self.stats.failed_batches += 1
        return len(messages), uncounted

    def _duplicate_delivery(
        self, event: dict[str, Any], messages: list[dict[str, Any]]
    ) -> threading.Thread | None:
        """SQS delivers at least once: when the run's fault plan says so, the same batch goes
        to a second invocation at the same time (what that one reports is not acted on: its
        poller's deletes would find the messages gone or do the same)."""
        plan = faults.active_plan()
        if plan is None or not plan.duplicate_batch(self.function.name, messages):
            return None
        thread = threading.Thread(
            target=self.function.invoke,
            args=(event,),
            name=f"{self.function.name}-duplicate-delivery",
            daemon=True,
        )
        thread.start()
        return thread

    def _receive(self, wait_seconds: int, wanted: int | None = None) -> tuple[list[Any], bool]:
        """One ReceiveMessage (at most ten): the messages, and whether they were more than the
        activity counted."""
        messages: list[dict[str, Any]] = self._sqs.receive_message(
            QueueUrl=self.queue_url,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            MaxNumberOfMessages=min(MAX_RECEIVE_BATCH, wanted or self.batch_size),
            WaitTimeSeconds=0 if self._activity is not None else wait_seconds,
        ).get("Messages", [])
        uncounted = False
        if self._activity is not None:
            uncounted = self._activity.received(self.queue_url, len(messages))
        return messages, uncounted

    def _gather(self, messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
        """Receives more until the batch is full or the window (from the first message) ends."""
        window_ends = time.monotonic() + self.batching_window_seconds
        uncounted = False
        while len(messages) < self.batch_size and not self._stop.is_set():
            more, more_uncounted = self._receive(0, self.batch_size - len(messages))
            uncounted = uncounted or more_uncounted
            if more:
                messages = messages + more
                continue
            remaining = window_ends - time.monotonic()
            if remaining <= 0:
                break
            if self._activity is not None:
                self._activity.wait(self.queue_url, remaining)
            else:
                self._stop.wait(min(remaining, 0.2))
        return messages, uncounted

    def _delete(self, messages: list[dict[str, Any]]) -> int:
        if not messages:
            return 0
        deleted = 0
        for start in range(0, len(messages), MAX_RECEIVE_BATCH):  # ten per DeleteMessageBatch
            response = self._sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(messages[start : start + MAX_RECEIVE_BATCH])
                ],
            )
            for failure in response.get("Failed", []):
                # Usually a receipt handle that expired: the message comes back and is handled
                # again, which the functions tolerate (delivery is at least once).
                log.warning("could not delete a message from %s: %s", self.queue_url, failure)
            deleted += len(response.get("Successful", []))
        return deleted


class Schedule:
    """An EventBridge rule firing every `interval` seconds; each firing is an async invocation.

    Invocations may overlap (as a one-minute rule with a slower target does); each runs on its
    own thread. A failed scheduled invocation is logged: the next firing is the retry.
    """

    def __init__(
        self,
        *,
        function: LocalFunction,
        interval_seconds: float,
        stop: threading.Event,
        rule_name: str = "aggregator-sweep",
    ) -> None:
        if interval_seconds <= 0:
            raise ValueError("the schedule interval must be positive")
        self.function = function
        self.interval_seconds = interval_seconds
        self.rule_name = rule_name
        self.firings = 0
        self._stop = stop
        self._thread = threading.Thread(target=self._run, name="schedule", daemon=True)
        self._invocations: list[threading.Thread] = []

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)
        for invocation in self._invocations:
            invocation.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_seconds):
            self.firings += 1
            event = scheduled_event(self.rule_name)
            thread = threading.Thread(
                target=self.function.invoke,
                args=(event,),
                name=f"schedule-{self.firings}",
                daemon=True,
            )
            thread.start()
            self._invocations = [t for t in self._invocations if t.is_alive()] + [thread]


def notify_object_created(
    function: LocalFunction,
    *,
    bucket: str,
    key: str,
    size: int,
    retries: int = 2,
    retry_delay_seconds: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    on_failure: Callable[[dict[str, Any]], None] | None = None,
) -> Invocation:
    """S3 -> Lambda: an asynchronous invocation, retried twice on error as Lambda does (with
    delays of about one and two minutes in AWS, shortened here); an event that failed every
    attempt goes to `on_failure` (the function's dead-letter queue). When the run's fault plan
    says so, S3 sends the notification twice, at the same time (its delivery is at least
    once): the invocation returned is one that succeeded, if either did."""
    event = s3_object_created_event(bucket, key, size)

    def deliver() -> Invocation:
        invocation = function.invoke(event)
        for attempt in range(retries):
            if invocation.succeeded:
                break
            sleep(retry_delay_seconds * (attempt + 1))
            invocation = function.invoke(event)
        if not invocation.succeeded and on_failure is not None:
            on_failure(event)
        return invocation

    plan = faults.active_plan()
    if plan is None or not plan.duplicate_notification(key):
        return deliver()
    outcomes: list[Invocation] = []
    twin = threading.Thread(
        target=lambda: outcomes.append(deliver()), name="s3-duplicate-notification", daemon=True
    )
    twin.start()
    first = deliver()
    twin.join()
    return first if first.succeeded or not outcomes else outcomes[0]
