"""One SQS batch of book tasks: decoded, enriched and recorded together, settled per record.

The whole batch is looked at first, because that is what makes it cheap: one cache read, one
Open Library search for every ISBN, concurrent requests, and one transaction per job for the
books whose result is decided. Each record's outcome is decided in that pass; the per-record
handler the BatchProcessor calls then returns or raises it, so every record still succeeds or
fails alone in the partial batch response, and SQS delivers a failed one again.

A book the sources could not answer is tried again later (`redelivery_delay`), unless this was
its last attempt: the queue's last receive, or the last one that could still end before its
job's deadline. Then it is recorded `failed`, with the sources' reasons. A book that only waited
for the deployment's pace (pacing.py) is sent to the queue again, delayed until its host has a
free slot: that costs it no attempt.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
import urllib.parse
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import boto3
import msgspec
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from contracts import storage
from contracts.books import BOOK_ID_PATTERN
from contracts.codec import task_decoder
from contracts.layout import OPEN_JOBS_SORT_KEY, PARTITION_KEY, PROCESSOR_MAPPING, SORT_KEY
from contracts.messages import BookResult, BookTask, EnrichmentStatus
from contracts.storage import InvalidJobId, parse_job_id
from services.book_processor import __version__
from services.book_processor.cache import EnrichmentCache
from services.book_processor.enrichment import (
    BookIdentity,
    EnrichmentReport,
    LookupOutcome,
    Sources,
    enrich,
    merge,
)
from services.book_processor.google_books import GoogleBooksClient
from services.book_processor.openlibrary import OpenLibraryClient
from services.book_processor.pacing import SharedPacer
from services.book_processor.progress import (
    MAX_BOOKS_PER_TRANSACTION,
    JobNotFound,
    Recorded,
    is_fully_accounted,
    read_job,
    record_results,
    send_completion_signal,
)
from services.book_processor.settings import GOOGLE_BOOKS, OPENLIBRARY, Settings
from services.book_processor.upstream import (
    Deadline,
    InvocationState,
    Pacer,
    RetryPolicy,
    Timeouts,
    Unpaced,
    UpstreamClient,
    new_session,
    user_agent,
)

logger = Logger(service="book_processor", child=True)

ENRICHMENT_DISABLED = "enrichment disabled"
ALREADY_RECORDED = "already recorded"
JOB_GONE = "job gone"  # its job item no longer exists: the task is dropped
DEFERRED = "deferred"  # sent to the queue again, delayed until its host has a free slot


class PoisonMessage(ValueError):
    """A body that is not a usable book task: no delivery will ever succeed (ends in the DLQ)."""


class EnrichmentIncomplete(Exception):
    """The sources could not answer in this delivery; SQS delivers the message again in
    `retry_in` seconds."""

    def __init__(self, reason: str, retry_in: int) -> None:
        super().__init__(reason)
        self.retry_in = retry_in


class Deferral(Exception):
    """Only the deployment's pace kept the sources from answering: the book goes back to the
    queue, delayed by `seconds`, as a new message."""

    def __init__(self, reason: str, seconds: int) -> None:
        super().__init__(reason)
        self.seconds = seconds


_DEFAULT_REMAINING_MILLIS = 60_000  # without a Lambda context (direct calls)


# SQS refuses visibility timeouts above 12 hours, and message delays above 15 minutes.
_MAX_VISIBILITY_SECONDS = 12 * 3600
_MAX_DELAY_SECONDS = 15 * 60


def redelivery_delay(attempt: int, base_seconds: float) -> int:
    """Seconds until a book left for retry is delivered again: exponential in the attempt,
    with jitter so that the books of one failing batch do not return together. A base of 0
    leaves the book to the queue's visibility timeout (0 here: unknown to the function)."""
    if base_seconds <= 0:
        return 0
    ceiling = min(_MAX_VISIBILITY_SECONDS, base_seconds * 2 ** (attempt - 1))
    return max(1, round(random.uniform(ceiling / 2, ceiling)))


_queue_urls: dict[str, str] = {}  # by queue ARN, for the life of the execution environment


def queue_url_from_arn(sqs: Any, queue_arn: str) -> str:
    """The URL of the queue a record came from (one GetQueueUrl per queue per cold start)."""
    if queue_arn not in _queue_urls:
        *_, account, name = queue_arn.split(":")
        response = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)
        _queue_urls[queue_arn] = response["QueueUrl"]
    return _queue_urls[queue_arn]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclasses.dataclass(frozen=True)
class Dependencies:
    """What the processor talks to, built once per cold start."""

    settings: Settings
    dynamodb: Any
    sqs: Any
    cache: EnrichmentCache
    sources: Sources
    clock: Callable[[], dt.datetime] = utc_now

    @classmethod
    def build(cls, settings: Settings, session: Any = None) -> Dependencies:
        session = session or boto3.session.Session()
        config = Config(
            retries={"mode": "standard", "max_attempts": 5}, connect_timeout=3, read_timeout=10
        )
        dynamodb = session.client("dynamodb", config=config)
        return cls(
            settings=settings,
            dynamodb=dynamodb,
            sqs=session.client("sqs", config=config),
            cache=EnrichmentCache(dynamodb, settings.cache_table),
            sources=build_sources(settings, dynamodb),
        )


def pacer_for(settings: Settings, dynamodb: Any, base_url: str) -> Pacer:
    """The deployment's pace towards the host of `base_url` (none when UPSTREAM_MAX_RPS=0)."""
    if settings.upstream_max_rps <= 0:
        return Unpaced()
    host = urllib.parse.urlsplit(base_url).netloc
    return SharedPacer(dynamodb, settings.cache_table, host, settings.upstream_max_rps)


def build_sources(settings: Settings, dynamodb: Any) -> Sources:
    """HTTP clients of the enabled sources: one session and one pace per host."""
    agent = user_agent(__version__, settings.contact)
    policy = RetryPolicy(
        max_attempts=settings.max_attempts,
        backoff_base_seconds=settings.backoff_base_seconds,
        backoff_cap_seconds=settings.backoff_cap_seconds,
    )
    timeouts = Timeouts(settings.connect_timeout_seconds, settings.read_timeout_seconds)

    def client(
        source: str, base_url: str, params: Mapping[str, str] | None = None
    ) -> UpstreamClient:
        return UpstreamClient(
            source,
            base_url,
            new_session(agent),
            pacer=pacer_for(settings, dynamodb, base_url),
            policy=policy,
            timeouts=timeouts,
            default_params=params,
            rng=random.Random(),
        )

    sources = Sources()
    if OPENLIBRARY in settings.enrichment_sources:
        sources.openlibrary = OpenLibraryClient(client(OPENLIBRARY, settings.openlibrary_base_url))
    if GOOGLE_BOOKS in settings.enrichment_sources:
        key = settings.google_books_api_key
        sources.google_books = GoogleBooksClient(
            client(GOOGLE_BOOKS, settings.google_books_base_url, {"key": key} if key else None)
        )
    return sources


def decode_task(body: str) -> BookTask:
    """A book task whose ids are safe to use in storage keys, or PoisonMessage."""
    try:
        task = task_decoder.decode(body)
        parse_job_id(task.job_id)
    except (msgspec.DecodeError, InvalidJobId) as exc:
        raise PoisonMessage(f"not a usable book.task.v1: {exc}") from exc
    if not BOOK_ID_PATTERN.match(task.book_id):
        raise PoisonMessage(f"not a usable book id: {task.book_id!r:.80}")
    return task


def receive_count(record: SQSRecord) -> int:
    try:
        return max(1, int(record.attributes.approximate_receive_count))
    except (KeyError, TypeError, ValueError):
        return 1


@dataclasses.dataclass
class BatchReport:
    """What a batch did, for metrics and logs."""

    recorded: Counter[str] = dataclasses.field(default_factory=Counter)  # by status
    duplicates: int = 0
    poison: int = 0
    left_for_retry: int = 0
    deferred: int = 0  # sent again for a later slot of the deployment's pace
    ended_by_deadline: int = 0  # recorded failed: another attempt would end after the deadline
    signals_sent: int = 0
    dropped_for_missing_job: int = 0
    enrichment: EnrichmentReport = dataclasses.field(default_factory=EnrichmentReport)


class BatchWork:
    """The decoded, enriched and recorded batch, and the per-record handler the BatchProcessor
    calls: it returns (or raises) the outcome `prepare` decided for that record."""

    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps
        self.report = BatchReport()
        self.jobs_touched: set[str] = set()
        self.left_for_retry: list[tuple[SQSRecord, int]] = []  # (record, seconds until retry)
        self._to_defer: list[tuple[SQSRecord, int]] = []  # (record, seconds until a free slot)
        self._tasks: dict[str, BookTask | PoisonMessage] = {}
        self._verdicts: dict[str, str | Exception] = {}  # by message id: returned or raised
        self._already_recorded: set[tuple[str, str]] = set()
        self._deadlines: dict[str, dt.datetime] = {}  # by job id
        self._outcomes: dict[str, LookupOutcome] = {}
        # How long an attempt may take: this invocation's time when it started.
        self._attempt_seconds = float(_DEFAULT_REMAINING_MILLIS) / 1000

    def prepare(self, records: list[dict[str, Any]], context: Any) -> None:
        """Decodes the batch, enriches the books no earlier delivery recorded, and records
        every decided book (one transaction per job): each record's verdict is then known."""
        deps = self.deps
        sqs_records = [SQSRecord(raw) for raw in records]
        for record in sqs_records:
            try:
                self._tasks[record.message_id] = decode_task(record.body)
            except PoisonMessage as exc:
                self._tasks[record.message_id] = exc
        remaining = (
            context.get_remaining_time_in_millis()
            if context is not None
            else _DEFAULT_REMAINING_MILLIS
        )
        self._attempt_seconds = remaining / 1000
        tasks = [t for t in self._tasks.values() if isinstance(t, BookTask)]
        self._already_recorded, self._deadlines = self._read_jobs(tasks)
        to_enrich = [t for t in tasks if (t.job_id, t.book_id) not in self._already_recorded]
        if deps.settings.enrichment_enabled and to_enrich:
            state = InvocationState(Deadline.from_remaining_millis(remaining))
            try:
                self._outcomes, self.report.enrichment = enrich(
                    (BookIdentity.of(t) for t in to_enrich),
                    sources=deps.sources,
                    cache=deps.cache,
                    state=state,
                    now=deps.clock(),
                )
            except Exception:  # each record then fails alone (or ends failed on its last try)
                logger.exception("enrichment of the batch failed unexpectedly")
        self._decide_and_record(sqs_records)

    def handle_record(self, record: SQSRecord) -> str:
        if record.message_id not in self._verdicts:  # not in the records the batch was built on
            self._decide_and_record([record])
        verdict = self._verdicts[record.message_id]
        if isinstance(verdict, Exception):
            raise verdict
        return verdict

    def _decide_and_record(self, records: list[SQSRecord]) -> None:
        """Decides each record's result, then records the decided books with one transaction
        per job. A book's first decided copy in the batch is recorded; later copies are
        duplicates that share its fate. Poison messages and books left for retry stay out."""
        copies: dict[tuple[str, str], list[str]] = {}  # message ids of each decided book
        decided: dict[str, list[BookResult]] = {}  # by job, one result per book
        for record in records:
            message_id = record.message_id
            task = self._tasks.get(message_id)
            if task is None:
                try:
                    task = self._tasks[message_id] = decode_task(record.body)
                except PoisonMessage as exc:
                    task = self._tasks[message_id] = exc
            if isinstance(task, PoisonMessage):
                self.report.poison += 1
                logger.warning(
                    "unusable message", extra={"message_id": message_id, "error": str(task)}
                )
                self._verdicts[message_id] = task
                continue
            book = (task.job_id, task.book_id)
            if book in self._already_recorded:
                self.report.duplicates += 1
                self.jobs_touched.add(task.job_id)
                self._verdicts[message_id] = ALREADY_RECORDED
                continue
            if book in copies:
                copies[book].append(message_id)
                continue
            attempt = receive_count(record)
            try:
                result = self._result_for(task, attempt)
            except Deferral as deferral:
                self._to_defer.append((record, deferral.seconds))
                self._verdicts[message_id] = deferral
                continue
            except EnrichmentIncomplete as exc:
                self.left_for_retry.append((record, exc.retry_in))
                self._verdicts[message_id] = exc
                continue
            except Exception as exc:  # this record fails alone
                logger.exception(
                    "no result for the book",
                    extra={"job_id": task.job_id, "book_id": task.book_id},
                )
                self._verdicts[message_id] = exc
                continue
            copies[book] = [message_id]
            decided.setdefault(task.job_id, []).append(result)
        for job_id, results in decided.items():
            for start in range(0, len(results), MAX_BOOKS_PER_TRANSACTION):
                self._record(job_id, results[start : start + MAX_BOOKS_PER_TRANSACTION], copies)
        self._defer()

    def _defer(self) -> None:
        """Books that only waited for the deployment's pace go back to the queue as new
        messages, delayed until their host has a free slot (a new message starts its receive
        count again). A book that cannot be sent again is left for retry after that delay."""
        pending, self._to_defer = self._to_defer, []
        by_queue: dict[str, list[tuple[SQSRecord, int]]] = {}
        for record, seconds in pending:
            by_queue.setdefault(record.event_source_arn, []).append((record, seconds))
        for queue_arn, entries in by_queue.items():
            for start in range(0, len(entries), 10):
                part = entries[start : start + 10]
                sent = self._send_again(queue_arn, part)
                for record, seconds in part:
                    if record.message_id in sent:
                        self.report.deferred += 1
                        self._verdicts[record.message_id] = DEFERRED
                    else:  # on its last receive, the queue's redrive takes it to the DLQ
                        self.report.left_for_retry += 1
                        self.left_for_retry.append((record, seconds))
                        self._verdicts[record.message_id] = EnrichmentIncomplete(
                            "waiting for a free slot of the upstream pace", seconds
                        )

    def _send_again(self, queue_arn: str, part: list[tuple[SQSRecord, int]]) -> set[str]:
        """The message ids of `part` whose copies the queue accepted."""
        try:
            queue_url = queue_url_from_arn(self.deps.sqs, queue_arn)
            response = self.deps.sqs.send_message_batch(
                QueueUrl=queue_url,
                Entries=[
                    {
                        "Id": str(index),
                        "MessageBody": record.body,
                        "DelaySeconds": min(_MAX_DELAY_SECONDS, seconds),
                    }
                    for index, (record, seconds) in enumerate(part)
                ],
            )
        except (ClientError, BotoCoreError, ValueError):
            logger.warning("could not send paced books again", exc_info=True)
            return set()
        accepted = {int(entry["Id"]) for entry in response.get("Successful", [])}
        return {record.message_id for index, (record, _) in enumerate(part) if index in accepted}

    def _record(
        self, job_id: str, results: list[BookResult], copies: dict[tuple[str, str], list[str]]
    ) -> None:
        """One transaction for these books of one job; sets the verdict of each copy."""
        try:
            settings = self.deps.settings
            recorded = record_results(
                self.deps.dynamodb,
                settings.jobs_table,
                job_id,
                results,
                self.deps.clock(),
                retention=dt.timedelta(days=settings.job_retention_days),
            )
        except JobNotFound:
            # The orchestrator creates the job item before it sends a task, so the item is
            # gone: the reader deleted the job, or it expired. Retrying cannot help, and the
            # DLQ would keep the reader's titles after their delete: the tasks are dropped.
            logger.warning(
                "no job item (deleted or expired): its tasks are dropped",
                extra={"job_id": job_id, "tasks": len(results)},
            )
            self.report.dropped_for_missing_job += len(results)
            for result in results:
                for message_id in copies[(job_id, result.book_id)]:
                    self._verdicts[message_id] = JOB_GONE
            return
        except Exception as exc:  # these records fail: retried, then the DLQ
            logger.exception(
                "recording the books of a job failed",
                extra={"job_id": job_id, "books": len(results)},
            )
            for result in results:
                for message_id in copies[(job_id, result.book_id)]:
                    self._verdicts[message_id] = exc
            return
        self.jobs_touched.add(job_id)
        for result in results:
            first, *later = copies[(job_id, result.book_id)]
            if recorded[result.book_id] is Recorded.NEW:
                self.report.recorded[result.status.value] += 1
                self._verdicts[first] = result.status.value
            else:
                self.report.duplicates += 1
                self._verdicts[first] = ALREADY_RECORDED
            for message_id in later:
                self.report.duplicates += 1
                self._verdicts[message_id] = ALREADY_RECORDED

    def _result_for(self, task: BookTask, attempt: int) -> BookResult:
        settings = self.deps.settings
        common: dict[str, Any] = {
            "job_id": task.job_id,
            "book_id": task.book_id,
            "attempt": attempt,
            "processed_at": self.deps.clock(),
        }
        if not settings.enrichment_enabled:
            return BookResult(status=EnrichmentStatus.SKIPPED, reason=ENRICHMENT_DISABLED, **common)
        outcome = self._outcomes.get(BookIdentity.of(task).key)
        if outcome is None:  # the batch's enrichment crashed (logged): retry, or fail at last
            outcome = LookupOutcome(unavailable=(("enrichment", "internal error"),))
        if outcome.paced_for is not None:
            # Only the deployment's pace kept a source from answering: the book waits for its
            # host's next free slot (as a new message, so that waiting costs no attempt),
            # unless that would bring its result after the job's deadline.
            retry_in = max(1, math.ceil(outcome.paced_for))
            if not self._after_deadline(task.job_id, retry_in):
                self._log_retry(
                    "book deferred for the upstream pace", task, attempt, retry_in, outcome
                )
                raise Deferral(outcome.reason(), retry_in)
            if outcome.status == "unavailable":
                self.report.ended_by_deadline += 1
                return BookResult(
                    status=EnrichmentStatus.FAILED,
                    reason="no free slot of the upstream pace before the job's deadline: "
                    f"{outcome.reason()}",
                    **common,
                )
        if outcome.status == "found":  # what the sources gave (by the deadline, when paced)
            fields = merge(outcome.records)
            return BookResult(
                status=EnrichmentStatus.ENRICHED, **dataclasses.asdict(fields), **common
            )
        if outcome.status == "not_found":
            return BookResult(status=EnrichmentStatus.NOT_FOUND, reason=outcome.reason(), **common)
        if attempt >= settings.max_receive_count:
            return BookResult(
                status=EnrichmentStatus.FAILED,
                reason=f"still failing on attempt {attempt} of {settings.max_receive_count}: "
                f"{outcome.reason()}",
                **common,
            )
        retry_in = redelivery_delay(attempt, settings.redelivery_base_seconds)
        if self._after_deadline(task.job_id, retry_in):
            self.report.ended_by_deadline += 1
            return BookResult(
                status=EnrichmentStatus.FAILED,
                reason=f"still failing on attempt {attempt}, and another attempt would end "
                f"after the job's deadline: {outcome.reason()}",
                **common,
            )
        self._log_retry("book left for another delivery", task, attempt, retry_in, outcome)
        self.report.left_for_retry += 1
        raise EnrichmentIncomplete(outcome.reason(), retry_in)

    def _log_retry(
        self, message: str, task: BookTask, attempt: int, retry_in: int, outcome: LookupOutcome
    ) -> None:
        logger.info(
            message,
            extra={
                "job_id": task.job_id,
                "book_id": task.book_id,
                "attempt": attempt,
                "retry_in": retry_in,
                "reason": outcome.reason(),
            },
        )

    def _after_deadline(self, job_id: str, retry_in: float) -> bool:
        """Could another attempt, `retry_in` seconds from now, end after the job's deadline?
        Its result would come too late: the job would close with the book missing. Counted: the
        delay, the mapping's batching window, one attempt's time (this invocation's) waiting
        behind the batches in flight, and one for the attempt itself."""
        deadline = self._deadlines.get(job_id)
        if deadline is None:
            return False
        seconds = retry_in + PROCESSOR_MAPPING.batching_window_seconds + 2 * self._attempt_seconds
        return self.deps.clock() + dt.timedelta(seconds=seconds) > deadline

    def _read_jobs(
        self, tasks: list[BookTask]
    ) -> tuple[set[tuple[str, str]], dict[str, dt.datetime]]:
        """Books of the batch that an earlier delivery already recorded, so that a redelivered
        batch costs no upstream request, and the deadlines of the batch's jobs (BatchGetItem,
        100 keys per call). A failed read only skips the shortcut and the deadline rule; the
        transaction's condition remains the guard."""
        jobs = list(dict.fromkeys(t.job_id for t in tasks))
        keys = [storage.job_key(job_id) for job_id in jobs] + [
            storage.book_key(j, b) for j, b in dict.fromkeys((t.job_id, t.book_id) for t in tasks)
        ]
        found: set[tuple[str, str]] = set()
        deadlines: dict[str, dt.datetime] = {}
        table = self.deps.settings.jobs_table
        for start in range(0, len(keys), 100):
            request = {
                table: {
                    "Keys": keys[start : start + 100],
                    "ProjectionExpression": "#pk, #sk, #deadline",
                    "ExpressionAttributeNames": {
                        "#pk": PARTITION_KEY,
                        "#sk": SORT_KEY,
                        "#deadline": OPEN_JOBS_SORT_KEY,
                    },
                    "ConsistentRead": True,
                }
            }
            try:
                response = self.deps.dynamodb.batch_get_item(RequestItems=request)
            except (ClientError, BotoCoreError):
                logger.warning("could not check for recorded books", exc_info=True)
                continue
            for item in response.get("Responses", {}).get(table, []):
                job_id = item[PARTITION_KEY]["S"].removeprefix(storage.JOB_PK_PREFIX)
                sort_key = item[SORT_KEY]["S"]
                if sort_key == storage.JOB_SK:
                    deadline = item.get(OPEN_JOBS_SORT_KEY, {}).get("S")
                    if deadline:
                        deadlines[job_id] = storage.parse_timestamp(deadline)
                else:
                    found.add((job_id, storage.book_id_of_sk(sort_key)))
        return found, deadlines

    def schedule_redeliveries(self) -> None:
        """Books left for retry come back after their delay (`redelivery_delay`, or the pace's
        next free slot) instead of the queue's visibility timeout. Best effort: if this fails,
        the visibility timeout applies; so it does to a delay of 0."""
        by_queue: dict[str, list[dict[str, Any]]] = {}
        for index, (record, seconds) in enumerate(self.left_for_retry):
            if seconds <= 0:
                continue
            by_queue.setdefault(record.event_source_arn, []).append(
                {
                    "Id": str(index),
                    "ReceiptHandle": record.receipt_handle,
                    "VisibilityTimeout": min(_MAX_VISIBILITY_SECONDS, seconds),
                }
            )
        for queue_arn, entries in by_queue.items():
            try:
                queue_url = queue_url_from_arn(self.deps.sqs, queue_arn)
                for start in range(0, len(entries), 10):
                    self.deps.sqs.change_message_visibility_batch(
                        QueueUrl=queue_url, Entries=entries[start : start + 10]
                    )
            except (ClientError, BotoCoreError, ValueError):
                logger.warning(
                    "could not schedule redeliveries", extra={"queue": queue_arn}, exc_info=True
                )

    def signal_completed_jobs(self) -> None:
        """The jobs this batch finished get a completion signal now; the aggregator's schedule
        catches any signal lost here."""
        settings = self.deps.settings
        for job_id in sorted(self.jobs_touched):
            try:
                job = read_job(self.deps.dynamodb, settings.jobs_table, job_id)
                if job is not None and is_fully_accounted(job):
                    send_completion_signal(
                        self.deps.sqs, settings.completion_queue_url, job_id, self.deps.clock()
                    )
                    self.report.signals_sent += 1
            except (ClientError, BotoCoreError):
                logger.exception("completion signal not sent", extra={"job_id": job_id})


def process_batch(
    event: dict[str, Any], context: Any, deps: Dependencies, processor: BatchProcessor
) -> tuple[PartialItemFailureResponse, BatchReport]:
    """Processes an SQS event; returns the partial batch response and what happened."""
    records = event.get("Records") if isinstance(event, dict) else None
    work = BatchWork(deps)
    work.prepare(records if isinstance(records, list) else [], context)
    response = process_partial_response(
        event=event, record_handler=work.handle_record, processor=processor, context=context
    )
    work.schedule_redeliveries()
    work.signal_completed_jobs()
    return response, work.report
