"""From an upload to a queued job: the orchestrator's logic, in plain functions.

For one upload (`run_job`):
  1. create the job item (RECEIVED) unless it exists; a job already QUEUED or final is left
     alone, one stuck in RECEIVED (a crashed run) is done again;
  2. read and parse the CSV; a file that cannot be used makes the job FAILED, nothing queued;
  3. write the manifest (every book, rejected row and warning) to S3, and the totals and the
     first warnings to the job item, before anything is queued;
  4. send one BookTask per book; if some cannot be sent the job is FAILED with the reason,
     otherwise it becomes QUEUED with its deadline.
Re-running a crashed job may send some books twice: harmless, results are keyed by job and
book downstream.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote_plus

import msgspec
from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from contracts.codec import encode
from contracts.messages import CompletionSignal, JobManifest, JobRecord, JobStatus, RowWarning
from contracts.storage import (
    InvalidJobId,
    job_id_from_upload_key,
    manifest_key,
    parse_job_id,
    upload_prefix,
)
from services.orchestrator.fanout import send_tasks, task_entries
from services.orchestrator.jobs import JobDeleted, JobStore
from services.orchestrator.parser import (
    MAX_FILE_BYTES,
    ExportRejected,
    file_too_large_message,
    parse_export,
)
from services.orchestrator.settings import Settings

# The same logger as the handler's (same service): keys appended here appear on every line.
logger = Logger(service="orchestrator")

# The job item keeps the first warnings (the manifest keeps them all), at most this many and
# this many bytes of JSON: the item must stay far below DynamoDB's 400 KB, whatever the file.
RECORD_WARNINGS = 100
RECORD_WARNINGS_BYTES = 32 * 1024
# A reason longer than this is cut: it is stored on the job item and shown to the reader.
MAX_ERROR_CHARACTERS = 2_000
REJECTED = "REJECTED"  # an event that never became a job (not a JobStatus: nothing is stored)


@dataclasses.dataclass(frozen=True)
class Clients:
    s3: Any
    sqs: Any
    jobs: JobStore

    @classmethod
    def from_session(cls, session: Any, settings: Settings) -> Clients:
        return cls(
            s3=session.client("s3"),
            sqs=session.client("sqs"),
            jobs=JobStore(session.client("dynamodb"), settings.jobs_table),
        )


@dataclasses.dataclass(frozen=True)
class JobOutcome:
    job_id: str | None
    status: str  # a JobStatus, or REJECTED for an event that never became a job
    total: int = 0
    error: str | None = None

    def as_response(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "status": self.status,
            "total": self.total,
            "error": self.error,
        }

    @classmethod
    def of(cls, record: JobRecord) -> JobOutcome:
        return cls(record.job_id, record.status.value, record.total, record.error)


@dataclasses.dataclass(frozen=True)
class Upload:
    job_id: str
    key: str


class EventRejected(Exception):
    """The event names no usable upload; nothing was read or stored."""

    def __init__(self, message: str, job_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.job_id = job_id


Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def handle_event(
    event: Mapping[str, Any], settings: Settings, clients: Clients, now: Clock = utc_now
) -> list[JobOutcome]:
    """Every upload the event names, run as a job (S3 sends one record per event)."""
    if "Records" in event:
        outcomes = []
        for record in event["Records"]:
            logger.remove_keys(["job_id"])  # the previous record's job is not this one's
            try:
                upload = upload_from_s3_record(record, settings)
            except EventRejected as rejected:
                logger.warning("event rejected", extra={"reason": rejected.message})
                outcomes.append(JobOutcome(rejected.job_id, REJECTED, error=rejected.message))
                continue
            outcomes.append(run_job(upload, settings, clients, now))
        return outcomes
    if "job_id" in event:
        try:
            upload = find_upload(event["job_id"], settings, clients.s3)
        except EventRejected as rejected:
            logger.warning("invocation rejected", extra={"reason": rejected.message})
            return [JobOutcome(rejected.job_id, REJECTED, error=rejected.message)]
        return [run_job(upload, settings, clients, now)]
    return [JobOutcome(None, REJECTED, error='not an S3 notification nor {"job_id": …}')]


def upload_from_s3_record(record: Mapping[str, Any], settings: Settings) -> Upload:
    """The upload of an S3 ObjectCreated record; the key is checked before any S3 call."""
    try:
        event_name = record["eventName"]
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])  # keys arrive URL-encoded
    except (KeyError, TypeError) as exc:
        raise EventRejected(f"not an S3 notification record (missing {exc})") from None
    if not str(event_name).startswith("ObjectCreated:"):
        raise EventRejected(f"not an ObjectCreated event: {event_name!r:.80}")
    if bucket != settings.data_bucket:
        raise EventRejected(f"upload in an unexpected bucket: {bucket!r:.80}")
    try:
        job_id = job_id_from_upload_key(key)
    except InvalidJobId as invalid:
        raise EventRejected(str(invalid)) from None
    return Upload(job_id=job_id, key=key)


def find_upload(job_id: object, settings: Settings, s3: Any) -> Upload:
    """The single object under uploads/{job_id}/, for a direct invocation."""
    try:
        valid_id = parse_job_id(job_id)  # before any S3 call
    except InvalidJobId as invalid:
        raise EventRejected(str(invalid)) from None
    prefix = upload_prefix(valid_id)
    listing = s3.list_objects_v2(Bucket=settings.data_bucket, Prefix=prefix, MaxKeys=2)
    keys = [item["Key"] for item in listing.get("Contents", [])]
    if not keys:
        raise EventRejected(f"no upload found under {prefix}", valid_id)
    if len(keys) > 1:
        raise EventRejected(f"more than one upload under {prefix}; expected exactly one", valid_id)
    try:
        return Upload(job_id=job_id_from_upload_key(keys[0]), key=keys[0])
    except InvalidJobId as invalid:
        raise EventRejected(str(invalid), valid_id) from None


def run_job(
    upload: Upload, settings: Settings, clients: Clients, now: Clock = utc_now
) -> JobOutcome:
    logger.append_keys(job_id=upload.job_id)
    created_at = now()
    record = JobRecord(
        job_id=upload.job_id,
        status=JobStatus.RECEIVED,
        source_key=upload.key,
        created_at=created_at,
        updated_at=created_at,
        # Should every attempt of this function fail, the aggregator's sweep ends the job
        # FAILED at this deadline; once the job is QUEUED, its deadline starts again.
        deadline=created_at + dt.timedelta(seconds=settings.job_deadline_seconds),
    )
    retention = dt.timedelta(days=settings.job_retention_days)
    try:
        existing = clients.jobs.create(record, expires_at=created_at + retention)
    except JobDeleted as deleted:
        # A late or repeated notification of an upload the reader has since deleted.
        logger.info("job deleted by its reader; the notification is ignored")
        return JobOutcome(upload.job_id, REJECTED, error=str(deleted))
    if existing is not None:
        if existing.status != JobStatus.RECEIVED or existing.source_key != upload.key:
            logger.info(
                "job already exists; nothing to do",
                extra={"status": existing.status.value, "source_key": existing.source_key},
            )
            return JobOutcome.of(existing)
        logger.info("job found in RECEIVED (an earlier run stopped): running it again")
        record = existing

    try:
        parsed = parse_export(
            read_upload(clients.s3, settings.data_bucket, upload.key),
            uploaded_on=record.created_at.astimezone(dt.UTC).date(),
        )
    except ExportRejected as rejected:
        logger.info("file rejected", extra={"error": rejected.message})
        return _fail(clients.jobs, record, rejected.message, now)

    manifest = JobManifest(
        job_id=record.job_id,
        source_key=record.source_key,
        created_at=record.created_at,
        header_variant=parsed.header_variant,
        books=tuple(parsed.books),
        rejected=tuple(parsed.rejected),
        warnings=tuple(parsed.warnings),
    )
    clients.s3.put_object(
        Bucket=settings.data_bucket,
        Key=manifest_key(record.job_id),
        Body=encode(manifest),
        ContentType="application/json",
    )
    del manifest
    record = msgspec.structs.replace(
        record,
        updated_at=now(),
        total=len(parsed.books),
        rejected=len(parsed.rejected),
        warnings_count=len(parsed.warnings),
        warnings=record_warnings(parsed.warnings),
        manifest_key=manifest_key(record.job_id),
    )
    try:
        updated = clients.jobs.update(record, expected=JobStatus.RECEIVED)
    except ClientError as refusal:
        if not _is_refused_write(refusal):
            raise
        # Nothing the file holds should make the item too large, but if it ever does, the job
        # must end with a reason rather than stay RECEIVED while every retry fails the same way.
        logger.error("the job's record could not be written", extra={"error": str(refusal)})
        unwritable = msgspec.structs.replace(record, warnings=())
        return _fail(clients.jobs, unwritable, UNWRITABLE_RECORD, now)
    if updated is None:
        return _current(clients.jobs, record)
    logger.info(
        "export parsed",
        extra={
            "total": record.total,
            "rejected": record.rejected,
            "warnings_count": record.warnings_count,
        },
    )

    queued_at = now()
    result = send_tasks(
        clients.sqs,
        settings.task_queue_url,
        task_entries(record.job_id, parsed.books, queued_at),
        max_workers=settings.fanout_workers,
    )
    if result.failed:
        codes = sorted({failure.code for failure in result.failed})
        logger.error(
            "books could not be queued",
            extra={"failed": len(result.failed), "codes": codes, "sent": result.sent},
        )
        error = (
            f"{len(result.failed)} of {record.total} books could not be queued "
            f"({', '.join(codes)}). Nothing is wrong with your file: upload it again later."
        )
        return _fail(clients.jobs, record, error, now)

    record = msgspec.structs.replace(
        record,
        status=JobStatus.QUEUED,
        updated_at=now(),
        queued_at=queued_at,
        deadline=queued_at + dt.timedelta(seconds=settings.job_deadline_seconds),
    )
    queued = clients.jobs.update(record, expected=JobStatus.RECEIVED)
    if queued is None:
        return _current(clients.jobs, record)
    logger.info("job queued", extra={"total": record.total})
    if queued.succeeded + queued.failed >= queued.total:
        # Every book was accounted for before the job turned QUEUED (an empty library, or a
        # processor faster than this function): the processor's signals came too early for
        # the aggregator, so signal now rather than wait for the schedule.
        signal = CompletionSignal(job_id=queued.job_id, signalled_at=now())
        clients.sqs.send_message(
            QueueUrl=settings.completion_queue_url, MessageBody=encode(signal).decode()
        )
    return JobOutcome.of(record)


UNWRITABLE_RECORD = (
    "The job's summary could not be stored (the database refused it as too large or "
    "malformed), so the job stopped before any book was queued. This is a fault of the "
    "service, not of your file; the file's warnings are in the job's manifest."
)


def record_warnings(warnings: list[RowWarning]) -> tuple[RowWarning, ...]:
    """The first warnings, as many as fit in RECORD_WARNINGS and RECORD_WARNINGS_BYTES."""
    kept: list[RowWarning] = []
    size = 0
    for warning in warnings[:RECORD_WARNINGS]:
        size += len(encode(warning))
        if size > RECORD_WARNINGS_BYTES:
            break
        kept.append(warning)
    return tuple(kept)


def _is_refused_write(error: ClientError) -> bool:
    """DynamoDB refused the item itself (too large, malformed): retrying cannot help."""
    return bool(error.response.get("Error", {}).get("Code") == "ValidationException")


def read_upload(s3: Any, bucket: str, key: str) -> bytes:
    """The uploaded file, refusing one over the size limit without reading it."""
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            raise ExportRejected(
                "The uploaded file is gone (it was deleted before it could be read). "
                "Upload it again."
            ) from None
        raise
    body = response["Body"]
    try:
        size = int(response.get("ContentLength", 0))
        if size > MAX_FILE_BYTES:
            raise ExportRejected(file_too_large_message(size))
        data: bytes = body.read(MAX_FILE_BYTES + 1)
    finally:
        body.close()
    return data


def _fail(jobs: JobStore, record: JobRecord, error: str, now: Clock) -> JobOutcome:
    moment = now()
    if len(error) > MAX_ERROR_CHARACTERS:
        error = error[: MAX_ERROR_CHARACTERS - 1] + "…"
    failed = msgspec.structs.replace(
        record, status=JobStatus.FAILED, error=error, updated_at=moment, finished_at=moment
    )
    if jobs.update(failed, expected=JobStatus.RECEIVED) is None:
        return _current(jobs, record)
    return JobOutcome.of(failed)


def _current(jobs: JobStore, record: JobRecord) -> JobOutcome:
    """Another invocation moved the job on first: report where it is now."""
    current = jobs.get(record.job_id)
    logger.info("job moved on by another invocation")
    return JobOutcome.of(current if current is not None else record)
