"""One SQS batch of book tasks: decoded, enriched and recorded together, settled per record.

The whole batch is looked at first, because that is what makes it cheap: one cache read, one
Open Library search for every ISBN, concurrent requests, and one transaction per job for the
books whose result is decided. Each record's outcome is decided in that pass; the per-record
handler the BatchProcessor calls then returns or raises it, so every record still succeeds or
fails alone in the partial batch response, and SQS delivers a failed one again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
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
from contracts.layout import PARTITION_KEY, SORT_KEY
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
    RateLimiter,
    RetryPolicy,
    Timeouts,
    UpstreamClient,
    new_session,
    user_agent,
)

logger = Logger(service="book_processor", child=True)

ENRICHMENT_DISABLED = "enrichment disabled"
ALREADY_RECORDED = "already recorded"
JOB_GONE = "job gone"  # its job item no longer exists: the task is dropped


class PoisonMessage(ValueError):
    """A body that is not a usable book task: no delivery will ever succeed (ends in the DLQ)."""


class EnrichmentIncomplete(Exception):
    """The sources could not answer in this delivery; SQS delivers the message again."""


# SQS refuses visibility timeouts above 12 hours.
_MAX_VISIBILITY_SECONDS = 12 * 3600


def redelivery_delay(attempt: int, base_seconds: float) -> int:
    """Seconds until a book left for retry is delivered again: exponential in the attempt,
    with jitter so that the books of one failing batch do not return together."""
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
            sources=build_sources(settings),
        )


def build_sources(settings: Settings) -> Sources:
    """HTTP clients of the enabled sources: one session and one rate limiter per host."""
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
            limiter=RateLimiter(settings.upstream_max_rps),
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
        self.left_for_retry: list[tuple[SQSRecord, int]] = []  # (record, attempt)
        self._tasks: dict[str, BookTask | PoisonMessage] = {}
        self._verdicts: dict[str, str | Exception] = {}  # by message id: returned or raised
        self._already_recorded: set[tuple[str, str]] = set()
        self._outcomes: dict[str, LookupOutcome] = {}

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
        tasks = [t for t in self._tasks.values() if isinstance(t, BookTask)]
        self._already_recorded = self._recorded_books(tasks)
        to_enrich = [t for t in tasks if (t.job_id, t.book_id) not in self._already_recorded]
        if deps.settings.enrichment_enabled and to_enrich:
            remaining = context.get_remaining_time_in_millis() if context is not None else 60_000
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
            except EnrichmentIncomplete as exc:
                self.left_for_retry.append((record, attempt))
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
        if outcome.status == "found":
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
        self.report.left_for_retry += 1
        logger.info(
            "book left for another delivery",
            extra={
                "job_id": task.job_id,
                "book_id": task.book_id,
                "attempt": attempt,
                "reason": outcome.reason(),
            },
        )
        raise EnrichmentIncomplete(outcome.reason())

    def _recorded_books(self, tasks: list[BookTask]) -> set[tuple[str, str]]:
        """Books of the batch that an earlier delivery already recorded (one BatchGetItem):
        a redelivered batch costs no upstream request. A failed read only skips the shortcut;
        the transaction's condition remains the guard."""
        keys = list(dict.fromkeys((t.job_id, t.book_id) for t in tasks))
        found: set[tuple[str, str]] = set()
        table = self.deps.settings.jobs_table
        for start in range(0, len(keys), 100):
            request = {
                table: {
                    "Keys": [storage.book_key(j, b) for j, b in keys[start : start + 100]],
                    "ProjectionExpression": "#pk, #sk",
                    "ExpressionAttributeNames": {"#pk": PARTITION_KEY, "#sk": SORT_KEY},
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
                book_id = storage.book_id_of_sk(item[SORT_KEY]["S"])
                found.add((job_id, book_id))
        return found

    def schedule_redeliveries(self) -> None:
        """Books left for retry come back after a growing delay instead of the queue's
        visibility timeout. Best effort: if this fails, the visibility timeout applies."""
        base = self.deps.settings.redelivery_base_seconds
        if base <= 0:
            return
        by_queue: dict[str, list[dict[str, Any]]] = {}
        for index, (record, attempt) in enumerate(self.left_for_retry):
            by_queue.setdefault(record.event_source_arn, []).append(
                {
                    "Id": str(index),
                    "ReceiptHandle": record.receipt_handle,
                    "VisibilityTimeout": redelivery_delay(attempt, base),
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
