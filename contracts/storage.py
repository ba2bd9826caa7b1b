"""Where the pipeline keeps things: one definition of every key and table layout.

S3 (one private bucket):
  uploads/{job_id}/{file name}        the reader's CSV; its ObjectCreated event starts a job
  jobs/{job_id}/manifest.json         JobManifest, written once by the orchestrator
  dashboards/{job_id}/dashboard.json  Dashboard, written once by the aggregator

DynamoDB jobs table (partition key `pk`, sort key `sk`, TTL attribute `expires_at`):
  pk=JOB#{job_id} sk=JOB           the job record: status, counters, lease, deadline
  pk=JOB#{job_id} sk=BOOK#{book_id} one per accounted book: the BookResult (written once,
                                    in the same transaction as the counter it bumps)
  pk=JOB#{job_id} sk=ACCESS        the HTTP API's own: the delete token's hash and the upload
                                    window (services/api/README.md); the orchestrator only
                                    checks that no delete has started (ACCESS_DELETING_AT)
  GSI `open-jobs` (pk `open_shard`, sk `deadline`): sparse; only jobs still QUEUED carry
  `open_shard`, so the aggregator's sweep reads open jobs without scanning.

DynamoDB cache table (partition key `pk`, TTL attribute `expires_at`): enrichment shared by
all jobs, keyed by ISBN-13 or by normalised title and author.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import re
import uuid
from typing import Any

import msgspec

from contracts.messages import JobRecord, JobStatus

UPLOAD_PREFIX = "uploads/"
JOB_PK_PREFIX = "JOB#"
JOB_SK = "JOB"
ACCESS_SK = "ACCESS"  # the HTTP API's item beside the job item
# Set on the ACCESS item when the reader's delete starts, and kept (a tombstone) after it: no
# job item is created again for a job that was deleted (a late or repeated S3 notification).
ACCESS_DELETING_AT = "deleting_at"
BOOK_SK_PREFIX = "BOOK#"
OPEN_JOBS_INDEX = "open-jobs"
OPEN_SHARD = "OPEN"

_UPLOAD_KEY = re.compile(r"^uploads/([0-9a-f-]{36})/[^/]{1,255}$")


class InvalidJobId(ValueError):
    pass


def parse_job_id(value: object) -> str:
    """A job id is a canonical lower-case UUID; anything else is refused before any I/O."""
    if not isinstance(value, str) or len(value) != 36:
        raise InvalidJobId(f"job id must be a UUID, got {value!r:.80}")
    try:
        parsed = uuid.UUID(value)
    except ValueError as exc:
        raise InvalidJobId(f"job id must be a UUID, got {value!r:.80}") from exc
    if str(parsed) != value:
        raise InvalidJobId(f"job id must be a canonical lower-case UUID, got {value!r:.80}")
    return value


def new_job_id() -> str:
    """122 random bits: job ids are unguessable, so knowing one is the capability to read it."""
    return str(uuid.uuid4())


def job_id_from_upload_key(key: str) -> str:
    match = _UPLOAD_KEY.match(key)
    if match is None:
        raise InvalidJobId(f"not an upload key (uploads/<job id>/<file name>): {key!r:.200}")
    return parse_job_id(match.group(1))


def upload_prefix(job_id: str) -> str:
    """Everything a reader uploaded for the job."""
    return f"{UPLOAD_PREFIX}{parse_job_id(job_id)}/"


def intermediate_prefix(job_id: str) -> str:
    """The pipeline's own files of the job (the manifest)."""
    return f"jobs/{parse_job_id(job_id)}/"


def dashboard_prefix(job_id: str) -> str:
    return f"dashboards/{parse_job_id(job_id)}/"


def upload_key(job_id: str, file_name: str = "goodreads_library_export.csv") -> str:
    return f"{upload_prefix(job_id)}{file_name}"


def manifest_key(job_id: str) -> str:
    return f"{intermediate_prefix(job_id)}manifest.json"


def dashboard_key(job_id: str) -> str:
    return f"{dashboard_prefix(job_id)}dashboard.json"


def job_pk(job_id: str) -> str:
    return f"{JOB_PK_PREFIX}{job_id}"


def book_sk(book_id: str) -> str:
    return f"{BOOK_SK_PREFIX}{book_id}"


# --- The job item ----------------------------------------------------------------------------
# Every JobRecord field is a top-level attribute of the job item, so counters can be bumped with
# ADD and conditions can read `status`, `lease_until` and `deadline` directly. Timestamps use a
# fixed-width UTC format so that they also sort as strings (the open-jobs index sorts by
# deadline). Values are plain Python types for boto3's resource API (numbers come back as
# Decimal; `job_record_from_item` accepts either).

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_JOB_ITEM_BOOKKEEPING = (
    "pk",
    "sk",
    "open_shard",
    "lease_owner",
    "lease_until",
    "expires_at",
    "type",
)


def format_timestamp(moment: dt.datetime) -> str:
    """UTC, microseconds, always the same width: sorts as text in time order."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(dt.UTC).strftime(TIMESTAMP_FORMAT)


def parse_timestamp(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=dt.UTC)


def job_record_to_item(record: JobRecord) -> dict[str, Any]:
    """The DynamoDB item of a job record (without lease bookkeeping)."""
    item: dict[str, Any] = {"pk": job_pk(record.job_id), "sk": JOB_SK}
    for field in msgspec.structs.fields(record):
        value = getattr(record, field.name)
        if value is None:
            continue  # absent attributes read back as the struct's default
        if isinstance(value, dt.datetime):
            item[field.name] = format_timestamp(value)
        elif field.name == "warnings":
            item[field.name] = msgspec.json.encode(value).decode()
        elif isinstance(value, enum.Enum):
            item[field.name] = value.value
        else:
            item[field.name] = value
    if record.status == JobStatus.QUEUED:
        item["open_shard"] = OPEN_SHARD
    return item


def job_record_from_item(item: dict[str, Any]) -> JobRecord:
    data: dict[str, Any] = {}
    timestamp_fields = {
        f.name for f in msgspec.structs.fields(JobRecord) if "datetime" in str(f.type)
    }
    for name, value in item.items():
        if name in _JOB_ITEM_BOOKKEEPING:
            continue
        if name in timestamp_fields and isinstance(value, str):
            data[name] = parse_timestamp(value)
        elif name == "warnings":
            data[name] = msgspec.json.decode(value)
        elif isinstance(value, decimal.Decimal):
            data[name] = int(value)
        else:
            data[name] = value
    return msgspec.convert(data, JobRecord, strict=False)
