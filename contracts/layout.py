"""The deployment's layout, defined once: what the services, the local runtime and infra must
agree on.

Storage keys and attribute names, the tables and their index, how long a job's data lives, the
queues (visibility, retention, dead-letter queue, receive count), the functions' timeouts and
the event source mappings. The services read and write by these names (`contracts.storage`
builds keys from them), infra's CDK app deploys these resources, and the local runtime creates
the same resources on its emulator; tests hold the three to this module.

Standard library only: infra's resolve (the CDK app) imports this module too, without the
services' dependencies.
"""

from __future__ import annotations

import dataclasses
from typing import Final

# --- S3: one private bucket -------------------------------------------------------------------
UPLOAD_PREFIX: Final = "uploads/"  # uploads/{job_id}/{file name}: the reader's CSV
INTERMEDIATE_PREFIX: Final = "jobs/"  # jobs/{job_id}/manifest.json: the orchestrator's
DASHBOARD_PREFIX: Final = "dashboards/"  # dashboards/{job_id}/dashboard.json: the aggregator's

# --- DynamoDB: names of keys and attributes ---------------------------------------------------
PARTITION_KEY: Final = "pk"
SORT_KEY: Final = "sk"
TTL_ATTRIBUTE: Final = "expires_at"  # epoch seconds; both tables' TTL attribute

# The jobs table: pk=JOB#{job_id} holds the job item (sk=JOB), the HTTP API's ACCESS item and
# one item per book result (sk=BOOK#{book_id}).
JOB_PK_PREFIX: Final = "JOB#"
JOB_SK: Final = "JOB"
ACCESS_SK: Final = "ACCESS"
BOOK_SK_PREFIX: Final = "BOOK#"
# A book result item: the encoded BookResult and whether it counts as succeeded or failed.
RESULT_ATTRIBUTE: Final = "result"
OUTCOME_ATTRIBUTE: Final = "outcome"
# Set on the ACCESS item when the reader's delete starts, and kept (a tombstone) after it.
ACCESS_DELETING_AT: Final = "deleting_at"
# The sparse index of open jobs: only jobs still QUEUED carry `open_shard`.
OPEN_JOBS_INDEX: Final = "open-jobs"
OPEN_JOBS_PARTITION_KEY: Final = "open_shard"
OPEN_JOBS_SORT_KEY: Final = "deadline"
OPEN_SHARD: Final = "OPEN"  # the one value of `open_shard`
# The aggregator's claim on a job item.
LEASE_OWNER_ATTRIBUTE: Final = "lease_owner"
LEASE_UNTIL_ATTRIBUTE: Final = "lease_until"
# The cache table: pk is the book's identity, `entry` the cached lookups.
CACHE_ENTRY_ATTRIBUTE: Final = "entry"
# The cache table also holds the deployment's pace towards each upstream host: one item,
# pk = pace#{host}, whose `next_slot_ms` is the host's next free request start (epoch ms).
PACER_PK_PREFIX: Final = "pace#"
PACER_NEXT_SLOT_ATTRIBUTE: Final = "next_slot_ms"

# --- How long things live ---------------------------------------------------------------------
# A job's items expire by TTL after this (the job item, its book results, the API's ACCESS
# item), and the bucket's lifecycle keeps the job's upload and manifest as long. The services'
# default for JOB_RETENTION_DAYS.
JOB_RETENTION_DAYS: Final = 30
# The dashboard lives a day longer: while the job item lives the API can serve and delete it;
# after that no one could do either, so it must not outlive it by more.
DASHBOARD_RETENTION_DAYS: Final = JOB_RETENTION_DAYS + 1


@dataclasses.dataclass(frozen=True)
class Index:
    """A global secondary index; its keys are strings."""

    name: str
    partition_key: str
    sort_key: str
    projection: str = "KEYS_ONLY"


@dataclasses.dataclass(frozen=True)
class Table:
    """An on-demand table whose key attributes are strings, with a TTL attribute."""

    logical_id: str  # the construct id in infra
    name_suffix: str  # the local runtime's table name: {prefix}-{name_suffix}
    partition_key: str
    sort_key: str | None
    ttl_attribute: str = TTL_ATTRIBUTE
    indexes: tuple[Index, ...] = ()

    @property
    def key_attributes(self) -> tuple[str, ...]:
        """Every attribute a key of the table or of an index names, in declaration order."""
        names = [self.partition_key] + ([self.sort_key] if self.sort_key else [])
        for index in self.indexes:
            names += [index.partition_key, index.sort_key]
        return tuple(dict.fromkeys(names))


JOBS_TABLE: Final = Table(
    logical_id="Jobs",
    name_suffix="jobs",
    partition_key=PARTITION_KEY,
    sort_key=SORT_KEY,
    indexes=(Index(OPEN_JOBS_INDEX, OPEN_JOBS_PARTITION_KEY, OPEN_JOBS_SORT_KEY),),
)
CACHE_TABLE: Final = Table(
    logical_id="Cache", name_suffix="cache", partition_key=PARTITION_KEY, sort_key=None
)
TABLES: Final = (JOBS_TABLE, CACHE_TABLE)

# --- Functions --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Function:
    name: str  # the service: services/{name}/
    timeout_seconds: int


# Why each timeout is what it is: infra/goodreads_stats_infra/pipeline_stack.py (with memory).
ORCHESTRATOR: Final = Function("orchestrator", 120)
BOOK_PROCESSOR: Final = Function("book_processor", 60)
AGGREGATOR: Final = Function("aggregator", 60)
API: Final = Function("api", 60)
FUNCTIONS: Final = (ORCHESTRATOR, BOOK_PROCESSOR, AGGREGATOR, API)

# --- Queues -----------------------------------------------------------------------------------
# AWS's guidance for a queue that Lambda consumes: a visibility timeout of six times the
# function's timeout (room for retries of a throttled or failed batch) plus the mapping's
# batching window.
VISIBILITY_TO_TIMEOUT_RATIO: Final = 6
# Every receive counts, throttled ones included: fewer than 5 would send healthy messages to
# the dead-letter queue. The book processor's last attempt is the one with this receive count.
MAX_RECEIVE_COUNT: Final = 5
SOURCE_RETENTION_DAYS: Final = 4
# A message keeps its first enqueue time in the DLQ: a longer retention than the source's
# leaves days to look at it and redrive it.
DLQ_RETENTION_DAYS: Final = 14
DAY_SECONDS: Final = 24 * 3600
SQS_BATCH_SIZE: Final = 10  # above 10 Lambda requires a batching window of its own
# The book processor's batch: the books one invocation enriches together. Open Library is asked
# per invocation, in bulk (one search for the batch's ISBNs, one Books API request for its
# search misses, one search per ten books without an ISBN), so a larger batch costs fewer
# requests per book; 100 books keep each bulk request's URL under 2 KB, fill the batches of a
# fresh job at once (its tasks are all queued within a second), and leave a batch's paced
# requests (about 20 per host for 100 books) time within the processor's 60 s even when
# several run at once. benchmarks/paced_enrichment_bench.py --matrix shows the choice.
PROCESSOR_BATCH_SIZE: Final = 100
# Above ten messages Lambda requires a window of at least 1 s. It gathers the books of a fresh
# job at once; retried and deferred books come back one by one (each with its own delay), and
# waiting up to 2 s gathers them into fuller batches at a cost of at most 2 s of latency.
PROCESSOR_BATCHING_WINDOW_SECONDS: Final = 2


@dataclasses.dataclass(frozen=True)
class DeadLetterQueue:
    logical_id: str
    name_suffix: str
    retention_days: int = DLQ_RETENTION_DAYS


@dataclasses.dataclass(frozen=True)
class Queue:
    """A queue that a function consumes through an event source mapping, with its DLQ."""

    logical_id: str
    name_suffix: str
    consumer: Function
    dead_letter: DeadLetterQueue
    batching_window_seconds: int = 0  # the consuming mapping's
    retention_days: int = SOURCE_RETENTION_DAYS
    max_receive_count: int = MAX_RECEIVE_COUNT

    @property
    def visibility_timeout_seconds(self) -> int:
        return visibility_timeout_seconds(
            self.consumer.timeout_seconds, self.batching_window_seconds
        )


def visibility_timeout_seconds(
    consumer_timeout_seconds: float, batching_window_seconds: int
) -> int:
    """The visibility timeout of a queue whose consumer has this timeout and batching window."""
    return int(VISIBILITY_TO_TIMEOUT_RATIO * consumer_timeout_seconds + batching_window_seconds)


TASK_QUEUE: Final = Queue(
    logical_id="Tasks",
    name_suffix="tasks",
    consumer=BOOK_PROCESSOR,
    dead_letter=DeadLetterQueue("TasksDlq", "tasks-dlq"),
    batching_window_seconds=PROCESSOR_BATCHING_WINDOW_SECONDS,
)
COMPLETION_QUEUE: Final = Queue(
    logical_id="Completions",
    name_suffix="completions",
    consumer=AGGREGATOR,
    dead_letter=DeadLetterQueue("CompletionsDlq", "completions-dlq"),
)
WORK_QUEUES: Final = (TASK_QUEUE, COMPLETION_QUEUE)
# S3 invokes the orchestrator asynchronously: an upload whose event still fails after Lambda's
# retries lands here (the orchestrator's on-failure destination) instead of vanishing.
FAILED_UPLOADS_QUEUE: Final = DeadLetterQueue("FailedUploads", "failed-uploads")


@dataclasses.dataclass(frozen=True)
class EventSourceMapping:
    """How a function consumes its queue; failures are reported per message
    (ReportBatchItemFailures: without it Lambda deletes a batch's failed messages too)."""

    queue: Queue
    batch_size: int = SQS_BATCH_SIZE
    report_batch_item_failures: bool = True

    def __post_init__(self) -> None:
        if self.batch_size > SQS_BATCH_SIZE and self.batching_window_seconds < 1:
            raise ValueError("Lambda needs a batching window of 1 s or more above 10 messages")

    @property
    def function(self) -> Function:
        return self.queue.consumer

    @property
    def batching_window_seconds(self) -> int:
        return self.queue.batching_window_seconds


PROCESSOR_MAPPING: Final = EventSourceMapping(TASK_QUEUE, batch_size=PROCESSOR_BATCH_SIZE)
AGGREGATOR_MAPPING: Final = EventSourceMapping(COMPLETION_QUEUE)
EVENT_SOURCE_MAPPINGS: Final = (PROCESSOR_MAPPING, AGGREGATOR_MAPPING)
