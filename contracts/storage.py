"""Where the pipeline keeps things: keys and items built from the layout (contracts/layout.py).

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
  GSI `open-jobs` (pk `open_shard`, sk `deadline`): sparse; only jobs still RECEIVED or QUEUED
  carry `open_shard`, so the aggregator's sweep reads open jobs without scanning.

DynamoDB cache table (partition key `pk`, TTL attribute `expires_at`): enrichment shared by
all jobs, keyed by ISBN-13 or by normalised title and author.

Every service reads and writes items through a low-level boto3 DynamoDB client, so items here
are in DynamoDB's AttributeValue form (`{"S": "…"}`, `{"N": "…"}`); `attribute_value` and
`plain_value` convert the simple types this layout uses.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import uuid
from collections.abc import Mapping
from typing import Any

import msgspec

from contracts.layout import (
    ACCESS_DELETING_AT,
    ACCESS_SK,
    BOOK_SK_PREFIX,
    DASHBOARD_PREFIX,
    INTERMEDIATE_PREFIX,
    JOB_PK_PREFIX,
    JOB_SK,
    LEASE_OWNER_ATTRIBUTE,
    LEASE_UNTIL_ATTRIBUTE,
    OPEN_JOBS_INDEX,
    OPEN_JOBS_PARTITION_KEY,
    OPEN_SHARD,
    PARTITION_KEY,
    SORT_KEY,
    TTL_ATTRIBUTE,
    UPLOAD_PREFIX,
)
from contracts.messages import JobRecord, JobStatus

__all__ = [  # the layout's names that callers reach through this module
    "ACCESS_DELETING_AT",
    "ACCESS_SK",
    "BOOK_SK_PREFIX",
    "JOB_PK_PREFIX",
    "JOB_SK",
    "OPEN_JOBS_INDEX",
    "OPEN_SHARD",
    "UPLOAD_PREFIX",
]

AttributeValue = dict[str, Any]  # {"S": "…"}, {"N": "…"}, {"BOOL": …}, {"L": […]}, {"M": {…}}
Item = dict[str, AttributeValue]

_UPLOAD_KEY = re.compile(rf"^{re.escape(UPLOAD_PREFIX)}([0-9a-f-]{{36}})/[^/]{{1,255}}$")
# The name the HTTP API's upload form gives the reader's file (any name is accepted).
UPLOAD_FILE_NAME = "goodreads_library_export.csv"
# The largest upload: the API's form refuses more, the orchestrator refuses more unread.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


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
    return f"{INTERMEDIATE_PREFIX}{parse_job_id(job_id)}/"


def dashboard_prefix(job_id: str) -> str:
    return f"{DASHBOARD_PREFIX}{parse_job_id(job_id)}/"


def upload_key(job_id: str, file_name: str = UPLOAD_FILE_NAME) -> str:
    return f"{upload_prefix(job_id)}{file_name}"


def manifest_key(job_id: str) -> str:
    return f"{intermediate_prefix(job_id)}manifest.json"


def dashboard_key(job_id: str) -> str:
    return f"{dashboard_prefix(job_id)}dashboard.json"


def job_pk(job_id: str) -> str:
    return f"{JOB_PK_PREFIX}{job_id}"


def book_sk(book_id: str) -> str:
    return f"{BOOK_SK_PREFIX}{book_id}"


def job_id_of_pk(pk: str) -> str:
    """The job id of a partition key (JOB#{job_id}); InvalidJobId for anything else."""
    if not pk.startswith(JOB_PK_PREFIX):
        raise InvalidJobId(f"not a job's partition key: {pk!r:.80}")
    return parse_job_id(pk.removeprefix(JOB_PK_PREFIX))


def book_id_of_sk(sk: str) -> str:
    """The book id of a result item's sort key (BOOK#{book_id})."""
    return sk.removeprefix(BOOK_SK_PREFIX)


# --- Keys and values in DynamoDB's AttributeValue form -----------------------------------------


def job_key(job_id: str) -> Item:
    """The job item's key."""
    return {PARTITION_KEY: {"S": job_pk(job_id)}, SORT_KEY: {"S": JOB_SK}}


def access_key(job_id: str) -> Item:
    """The HTTP API's ACCESS item's key."""
    return {PARTITION_KEY: {"S": job_pk(job_id)}, SORT_KEY: {"S": ACCESS_SK}}


def book_key(job_id: str, book_id: str) -> Item:
    """A book result item's key."""
    return {PARTITION_KEY: {"S": job_pk(job_id)}, SORT_KEY: {"S": book_sk(book_id)}}


def cache_key(identity: str) -> Item:
    """A cache entry's key (the book's identity: isbn13#… or ta#…)."""
    return {PARTITION_KEY: {"S": identity}}


def expires_at(moment: dt.datetime) -> AttributeValue:
    """The TTL attribute's value for `moment`: whole epoch seconds."""
    return {"N": str(int(moment.timestamp()))}


def attribute_value(value: Any) -> AttributeValue:
    """A plain value as DynamoDB stores it: str, int, bool, None, lists and str-keyed dicts."""
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if value is None:
        return {"NULL": True}
    if isinstance(value, list | tuple):
        return {"L": [attribute_value(member) for member in value]}
    if isinstance(value, Mapping):
        return {"M": {str(name): attribute_value(member) for name, member in value.items()}}
    raise TypeError(f"no DynamoDB attribute value for {type(value).__name__}")


def plain_value(attribute: AttributeValue) -> Any:
    """The plain value of an attribute (numbers as int, or float when not whole)."""
    ((kind, value),) = attribute.items()
    if kind == "S" or kind == "BOOL":
        return value
    if kind == "N":
        return int(value) if value.lstrip("-").isdigit() else float(value)
    if kind == "NULL":
        return None
    if kind == "L":
        return [plain_value(member) for member in value]
    if kind == "M":
        return {name: plain_value(member) for name, member in value.items()}
    raise TypeError(f"no plain value for a DynamoDB {kind} attribute")


# --- The job item ----------------------------------------------------------------------------
# Every JobRecord field is a top-level attribute of the job item, so counters can be bumped with
# ADD and conditions can read `status`, `lease_until` and `deadline` directly. Timestamps use a
# fixed-width UTC format so that they also sort as strings (the open-jobs index sorts by
# deadline).

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# Jobs the aggregator's sweep watches until their deadline: QUEUED ones to aggregate, and
# RECEIVED ones, which end FAILED if their orchestrator never queued them by then.
OPEN_STATUSES = frozenset({JobStatus.RECEIVED, JobStatus.QUEUED})
_JOB_ITEM_BOOKKEEPING = (
    PARTITION_KEY,
    SORT_KEY,
    OPEN_JOBS_PARTITION_KEY,
    LEASE_OWNER_ATTRIBUTE,
    LEASE_UNTIL_ATTRIBUTE,
    TTL_ATTRIBUTE,
    "type",
)


def format_timestamp(moment: dt.datetime) -> str:
    """UTC, microseconds, always the same width: sorts as text in time order. The year is
    written with four digits by hand: strftime's %Y writes year 999 as "999"."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    utc = moment.astimezone(dt.UTC)
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S.%f}Z"


def parse_timestamp(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=dt.UTC)


def job_record_to_item(record: JobRecord) -> Item:
    """The DynamoDB item of a job record (without lease bookkeeping or TTL)."""
    item: Item = job_key(record.job_id)
    for field in msgspec.structs.fields(record):
        value = getattr(record, field.name)
        if value is None:
            continue  # absent attributes read back as the struct's default
        if isinstance(value, dt.datetime):
            item[field.name] = {"S": format_timestamp(value)}
        elif field.name == "warnings":
            item[field.name] = {"S": msgspec.json.encode(value).decode()}
        elif isinstance(value, enum.Enum):
            item[field.name] = {"S": value.value}
        else:
            item[field.name] = attribute_value(value)
    if record.status in OPEN_STATUSES:
        item[OPEN_JOBS_PARTITION_KEY] = {"S": OPEN_SHARD}
    return item


_TIMESTAMP_FIELDS = frozenset(
    f.name for f in msgspec.structs.fields(JobRecord) if "datetime" in str(f.type)
)


def job_record_from_item(item: Mapping[str, AttributeValue]) -> JobRecord:
    """The job record of a DynamoDB job item (as GetItem, Query or UpdateItem return it)."""
    data: dict[str, Any] = {}
    for name, attribute in item.items():
        if name in _JOB_ITEM_BOOKKEEPING:
            continue
        value = plain_value(attribute)
        if name in _TIMESTAMP_FIELDS and isinstance(value, str):
            data[name] = parse_timestamp(value)
        elif name == "warnings":
            data[name] = msgspec.json.decode(value)
        else:
            data[name] = value
    return msgspec.convert(data, JobRecord, strict=False)
