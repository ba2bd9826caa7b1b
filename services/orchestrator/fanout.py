"""Sending one BookTask per book to the task queue.

SendMessageBatch takes ten entries; batches go out in parallel from a thread pool (boto3
clients are thread-safe). A batch call can succeed with some entries in `Failed`: only those
are sent again, with exponential backoff and jitter. Entries the service blames on the sender
(`SenderFault`) would fail again and are not retried.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import itertools
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from contracts.books import Book
from contracts.codec import encoder
from contracts.messages import BookTask

MAX_BATCH_ENTRIES = 10  # the SQS limit
DEFAULT_WORKERS = 8
DEFAULT_ATTEMPTS = 5
DEFAULT_BASE_DELAY_SECONDS = 0.1


# (entry id, message body): the entry id is the book id, unique within the job and so within
# a batch, and a valid SendMessageBatch entry Id ([A-Za-z0-9_-]{1,80}).
type TaskEntry = tuple[str, str]


@dataclasses.dataclass(frozen=True, slots=True)
class FailedTask:
    book_id: str
    code: str
    message: str


@dataclasses.dataclass(frozen=True, slots=True)
class FanOutResult:
    sent: int
    failed: list[FailedTask]


def task_entries(job_id: str, books: Iterable[Book], queued_at: dt.datetime) -> Iterator[TaskEntry]:
    """The task of each book, encoded; produced lazily so that a large job is never all in memory."""
    for book in books:
        task = BookTask(
            job_id=job_id,
            book_id=book.book_id,
            title=book.title,
            author=book.author,
            isbn13=book.isbn13,
            isbn10=book.isbn10,
            queued_at=queued_at,
        )
        yield book.book_id, encoder.encode(task).decode()


def send_tasks(
    sqs: Any,
    queue_url: str,
    entries: Iterable[TaskEntry],
    *,
    max_workers: int = DEFAULT_WORKERS,
    max_attempts: int = DEFAULT_ATTEMPTS,
    base_delay: float = DEFAULT_BASE_DELAY_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> FanOutResult:
    """Sends every entry, ten per call, calls in parallel; reports what could not be sent."""
    sender = _BatchSender(sqs, queue_url, max_attempts, base_delay, sleep)
    batches = _batched(entries, MAX_BATCH_ENTRIES)
    sent, failed = 0, []
    # A bounded number of batches in flight: the entries are produced only as they are needed.
    window = max_workers * 4
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as pool:
        in_flight = {pool.submit(sender.send, batch) for batch in itertools.islice(batches, window)}
        while in_flight:
            done, in_flight = concurrent.futures.wait(
                in_flight, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in done:
                batch_sent, batch_failed = future.result()
                sent += batch_sent
                failed.extend(batch_failed)
            for batch in itertools.islice(batches, len(done)):
                in_flight.add(pool.submit(sender.send, batch))
    return FanOutResult(sent=sent, failed=failed)


def _batched(entries: Iterable[TaskEntry], size: int) -> Iterator[list[TaskEntry]]:
    iterator = iter(entries)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


class _BatchSender:
    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        max_attempts: int,
        base_delay: float,
        sleep: Callable[[float], None],
    ) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._sleep = sleep

    def send(self, batch: Sequence[TaskEntry]) -> tuple[int, list[FailedTask]]:
        pending = list(batch)
        given_up: list[FailedTask] = []
        last_failures: dict[str, FailedTask] = {}
        for attempt in range(1, self._max_attempts + 1):
            if attempt > 1:
                # Exponential backoff with full jitter: concurrent batches do not retry in step.
                self._sleep(random.uniform(0, self._base_delay * 2 ** (attempt - 2)))
            failures = self._send_once(pending)
            retry: list[TaskEntry] = []
            for entry in pending:
                failure = failures.get(entry[0])
                if failure is None:
                    continue
                sender_fault, failed_task = failure
                if sender_fault:
                    given_up.append(failed_task)
                else:
                    retry.append(entry)
                    last_failures[entry[0]] = failed_task
            pending = retry
            if not pending:
                break
        given_up.extend(last_failures[entry_id] for entry_id, _ in pending)
        return len(batch) - len(given_up), given_up

    def _send_once(self, entries: Sequence[TaskEntry]) -> dict[str, tuple[bool, FailedTask]]:
        """The entries that failed, by id, with whether the service blamed the sender."""
        try:
            response = self._sqs.send_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": entry_id, "MessageBody": body} for entry_id, body in entries],
            )
        except ClientError as error:  # the whole call failed (after botocore's own retries)
            details = error.response.get("Error", {})
            code, message = details.get("Code", "ClientError"), details.get("Message", str(error))
            return {
                entry_id: (False, FailedTask(entry_id, code, message)) for entry_id, _ in entries
            }
        except BotoCoreError as error:  # no answer at all: connection, timeout
            code = type(error).__name__
            return {
                entry_id: (False, FailedTask(entry_id, code, str(error))) for entry_id, _ in entries
            }
        return {
            failed["Id"]: (
                bool(failed.get("SenderFault")),
                FailedTask(failed["Id"], failed.get("Code", "Unknown"), failed.get("Message", "")),
            )
            for failed in response.get("Failed", [])
        }
