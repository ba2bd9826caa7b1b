"""Messages on the queues and in storage, version 1.

Evolution rules (see README.md): a new field gets a default; a breaking change is a new struct
with a new tag (``book.task.v2``) decoded beside the old one until the old one is drained.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Literal

import msgspec

from contracts.books import Book

TAG_FIELD = "type"


class JobStatus(enum.StrEnum):
    RECEIVED = "RECEIVED"  # upload seen, CSV being parsed
    QUEUED = "QUEUED"  # every book sent to the task queue; processing in progress
    COMPLETE = "COMPLETE"  # every book accounted for, dashboard written
    PARTIAL = "PARTIAL"  # deadline passed with books missing, dashboard written anyway
    FAILED = "FAILED"  # the file could not be used (or could not be queued); see `error`

    @property
    def is_final(self) -> bool:
        return self in (JobStatus.COMPLETE, JobStatus.PARTIAL, JobStatus.FAILED)


class EnrichmentStatus(enum.StrEnum):
    ENRICHED = "enriched"  # at least one source matched
    NOT_FOUND = "not_found"  # every source answered, none knew the book
    FAILED = "failed"  # sources kept failing up to the last allowed attempt
    SKIPPED = "skipped"  # enrichment switched off (offline run)


class BookTask(msgspec.Struct, frozen=True, kw_only=True, tag="book.task.v1", tag_field=TAG_FIELD):
    """Enrich one book: what the book processor needs, nothing more (the manifest has the rest)."""

    job_id: str
    book_id: str
    title: str
    author: str
    isbn13: str | None = None
    isbn10: str | None = None
    queued_at: dt.datetime


class BookResult(
    msgspec.Struct, frozen=True, kw_only=True, tag="book.result.v1", tag_field=TAG_FIELD
):
    """What enrichment found for one book of one job. Stored once per (job_id, book_id)."""

    job_id: str
    book_id: str
    status: EnrichmentStatus
    reason: str | None = None  # why not enriched, for readers and operators
    sources: tuple[str, ...] = ()  # "openlibrary", "google_books" that contributed
    pages: int | None = None
    first_publish_year: int | None = None
    genres: tuple[str, ...] = ()  # canonical taxonomy names
    fiction: Literal["fiction", "nonfiction"] | None = None
    raw_subjects: tuple[str, ...] = ()  # as the sources gave them, deduplicated
    cover_url: str | None = None  # always https
    openlibrary_work: str | None = None  # "/works/OL…W"
    google_volume_id: str | None = None
    attempt: int = 1  # SQS ApproximateReceiveCount of the delivery that produced it
    processed_at: dt.datetime


class RowWarning(msgspec.Struct, frozen=True, kw_only=True):
    """A row problem that was fixed or nulled; the row was kept."""

    row_number: int
    column: str | None
    message: str


class RejectedRow(msgspec.Struct, frozen=True, kw_only=True):
    """A row that could not become a book, with the reason."""

    row_number: int
    reason: str


class JobManifest(
    msgspec.Struct, frozen=True, kw_only=True, tag="job.manifest.v1", tag_field=TAG_FIELD
):
    """Everything the export said, written once by the orchestrator before anything is queued."""

    job_id: str
    source_key: str
    created_at: dt.datetime
    header_variant: str  # "31", "24", "23" or "custom"
    books: tuple[Book, ...]
    rejected: tuple[RejectedRow, ...] = ()
    warnings: tuple[RowWarning, ...] = ()


class JobRecord(
    msgspec.Struct, frozen=True, kw_only=True, tag="job.record.v1", tag_field=TAG_FIELD
):
    """The job's status and progress as readers and operators see it."""

    job_id: str
    status: JobStatus
    source_key: str
    created_at: dt.datetime
    updated_at: dt.datetime
    total: int = 0
    succeeded: int = 0
    failed: int = 0
    rejected: int = 0
    warnings_count: int = 0
    warnings: tuple[RowWarning, ...] = ()  # the first ones; the manifest holds all
    error: str | None = None  # why the job FAILED, in words a reader can act on
    manifest_key: str | None = None
    dashboard_key: str | None = None
    queued_at: dt.datetime | None = None
    deadline: dt.datetime | None = None  # after this, missing books make the job PARTIAL
    finished_at: dt.datetime | None = None
    missing: int = 0
    enriched: int = 0  # of the succeeded books, those enrichment found (a reader's "so far")


class CompletionSignal(
    msgspec.Struct, frozen=True, kw_only=True, tag="job.completion.v1", tag_field=TAG_FIELD
):
    """Sent by the book processor when a job's last book is accounted for. Safe to repeat."""

    job_id: str
    signalled_at: dt.datetime
