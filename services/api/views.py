"""The JSON the API answers with. Field names are stable: every field is always present
(null when it does not apply), so clients can rely on the shape whatever the job's state."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Literal

import msgspec

from contracts.messages import JobRecord, JobStatus, RowWarning


class ApiStatus(enum.StrEnum):
    """The pipeline's JobStatus, preceded by what the API knows before the job item exists."""

    AWAITING_UPLOAD = "AWAITING_UPLOAD"  # the upload form is issued, nothing uploaded yet
    UPLOADED = "UPLOADED"  # the file is in S3, the orchestrator has not started on it yet
    UPLOAD_EXPIRED = "UPLOAD_EXPIRED"  # the form expired and nothing was uploaded
    RECEIVED = JobStatus.RECEIVED.value
    QUEUED = JobStatus.QUEUED.value
    COMPLETE = JobStatus.COMPLETE.value
    PARTIAL = JobStatus.PARTIAL.value
    FAILED = JobStatus.FAILED.value


class Progress(msgspec.Struct, frozen=True, kw_only=True):
    succeeded: int  # books processed (enriched or not)
    failed: int  # books whose processing failed for good
    total: int  # books in the export (0 until the file is parsed)
    enriched: int  # of the succeeded books, those the sources knew


class JobView(msgspec.Struct, frozen=True, kw_only=True):
    job_id: str
    status: ApiStatus
    progress: Progress
    rejected: int  # rows that could not become books
    missing: int  # books without a result at the deadline (PARTIAL)
    warnings_count: int
    warnings: tuple[RowWarning, ...]  # the first ones
    error: str | None  # why the job FAILED
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    finished_at: dt.datetime | None
    upload_expires_at: dt.datetime | None  # until the upload form is valid (API-created jobs)

    @classmethod
    def of_record(cls, record: JobRecord, upload_expires_at: dt.datetime | None) -> JobView:
        return cls(
            job_id=record.job_id,
            status=ApiStatus(record.status.value),
            progress=Progress(
                succeeded=record.succeeded,
                failed=record.failed,
                total=record.total,
                enriched=record.enriched,
            ),
            rejected=record.rejected,
            missing=record.missing,
            warnings_count=record.warnings_count,
            warnings=record.warnings,
            error=record.error,
            created_at=record.created_at,
            updated_at=record.updated_at,
            finished_at=record.finished_at,
            upload_expires_at=upload_expires_at,
        )

    @classmethod
    def before_processing(
        cls, job_id: str, status: ApiStatus, created_at: dt.datetime, upload_expires_at: dt.datetime
    ) -> JobView:
        return cls(
            job_id=job_id,
            status=status,
            progress=Progress(succeeded=0, failed=0, total=0, enriched=0),
            rejected=0,
            missing=0,
            warnings_count=0,
            warnings=(),
            error=None,
            created_at=created_at,
            updated_at=created_at,
            finished_at=None,
            upload_expires_at=upload_expires_at,
        )


class UploadForm(msgspec.Struct, frozen=True, kw_only=True):
    """A browser form post to S3: every field, then the file last, as `file`."""

    method: Literal["POST"] = "POST"
    url: str
    fields: dict[str, str]
    file_field: Literal["file"] = "file"
    content_type: str  # also in `fields`; S3 refuses any other
    max_bytes: int
    expires_at: dt.datetime


class CreatedJob(msgspec.Struct, frozen=True, kw_only=True):
    job_id: str
    status: ApiStatus
    delete_token: str  # shown once; only its hash is stored
    upload: UploadForm
    job_url: str
    dashboard_url: str


class DashboardLink(msgspec.Struct, frozen=True, kw_only=True):
    """For a dashboard too large to return inline: a short-lived presigned GET."""

    job_id: str
    status: ApiStatus
    dashboard_url: str
    expires_at: dt.datetime


class ErrorDetail(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    message: str


class ErrorBody(msgspec.Struct, frozen=True, kw_only=True):
    error: ErrorDetail
