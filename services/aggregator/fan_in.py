"""Fan-in: each job aggregated exactly once, whichever triggers fire and however often.

Both triggers (the completion signal and the one-minute sweep) may fire repeatedly and at the
same time. A run claims the job with a conditional write and a lease; a run that loses the
claim returns without doing anything. The dashboard is written before the job is marked
final, so a crash in between leaves the job claimable once the lease expires, and the next
run rewrites the same dashboard.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger

from contracts import storage
from contracts.messages import JobRecord, JobStatus
from services.aggregator.settings import Settings
from services.aggregator.stats import build_dashboard
from services.aggregator.store import BlobStore, Claim, ClaimRefusal, JobStore

logger = Logger(service="aggregator", child=True)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclasses.dataclass(frozen=True)
class AggregatorDependencies:
    jobs: JobStore
    blobs: BlobStore
    settings: Settings
    clock: Callable[[], dt.datetime] = utc_now

    @classmethod
    def create(
        cls,
        settings: Settings,
        *,
        dynamodb: Any,
        s3: Any,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> AggregatorDependencies:
        return cls(
            jobs=JobStore(dynamodb=dynamodb, table=settings.jobs_table),
            blobs=BlobStore(s3=s3, bucket=settings.data_bucket),
            settings=settings,
            clock=clock,
        )


class Outcome(enum.StrEnum):
    COMPLETE = "complete"  # aggregated: every book accounted for
    PARTIAL = "partial"  # aggregated at the deadline with books missing
    NOT_READY = "not_ready"  # books still outstanding and the deadline not reached
    NOT_FOUND = "not_found"
    NOT_QUEUED = "not_queued"  # the orchestrator has not finished queueing it
    ALREADY_FINAL = "already_final"  # another run aggregated it (or it FAILED)
    CLAIMED_ELSEWHERE = "claimed_elsewhere"  # another run holds the lease
    LEASE_LOST = "lease_lost"  # this run outlived its lease; the run that took over finishes
    NEVER_QUEUED = "never_queued"  # still RECEIVED at its deadline: ended FAILED


# Every attempt of the orchestrator failed (S3's notification went to the failed-uploads queue).
NEVER_QUEUED = (
    "The file could not be processed: every attempt to read it and queue its books failed, "
    "so the job stopped. This is a fault of the service, not necessarily of your file: "
    "upload it again."
)


_REFUSALS = {
    ClaimRefusal.NOT_FOUND: Outcome.NOT_FOUND,
    ClaimRefusal.NOT_QUEUED: Outcome.NOT_QUEUED,
    ClaimRefusal.ALREADY_FINAL: Outcome.ALREADY_FINAL,
    ClaimRefusal.LEASED: Outcome.CLAIMED_ELSEWHERE,
}


@dataclasses.dataclass(frozen=True)
class Aggregation:
    job_id: str
    outcome: Outcome
    missing_book_ids: tuple[str, ...] = ()


def job_deadline(record: JobRecord, settings: Settings) -> dt.datetime:
    """The job's deadline; for an item without one, the default after queueing."""
    if record.deadline is not None:
        return record.deadline
    started = record.queued_at or record.created_at
    return started + dt.timedelta(seconds=settings.default_deadline_seconds)


def is_due(record: JobRecord, now: dt.datetime, settings: Settings) -> bool:
    """Every book accounted for (a zero-book job at once), or the deadline reached."""
    accounted = record.succeeded + record.failed >= record.total
    return accounted or now >= job_deadline(record, settings)


def aggregate_job(job_id: str, deps: AggregatorDependencies) -> Aggregation:
    """Claims the job and, if it is due, writes its dashboard and final status.

    This is the completion signal's path: the claim itself returns the job's counters
    (strongly consistent), so a signalled job costs no extra read."""
    job_id = storage.parse_job_id(job_id)
    now = deps.clock()
    claim = deps.jobs.claim(job_id, now=now, lease_seconds=deps.settings.lease_seconds)
    if not isinstance(claim, Claim):
        outcome = _REFUSALS[claim.reason]
        logger.info("job not claimed", extra={"job_id": job_id, "outcome": outcome.value})
        return Aggregation(job_id=job_id, outcome=outcome)
    if not is_due(claim.record, now, deps.settings):
        deps.jobs.release(job_id, claim.owner)
        logger.info("job not due yet", extra={"job_id": job_id})
        return Aggregation(job_id=job_id, outcome=Outcome.NOT_READY)
    return _aggregate_claimed(job_id, claim, deps)


def aggregate_if_due(job_id: str, deps: AggregatorDependencies) -> Aggregation:
    """Reads the job first and claims it only when it is due (the sweep's and a direct
    invocation's path), so that looking at an unfinished job never holds a lease that would
    turn a completion signal away."""
    job_id = storage.parse_job_id(job_id)
    record = deps.jobs.get_job(job_id)
    if record is None:
        return Aggregation(job_id=job_id, outcome=Outcome.NOT_FOUND)
    if record.status.is_final:
        return Aggregation(job_id=job_id, outcome=Outcome.ALREADY_FINAL)
    if record.status != JobStatus.QUEUED:
        return Aggregation(job_id=job_id, outcome=Outcome.NOT_QUEUED)
    if not is_due(record, deps.clock(), deps.settings):
        return Aggregation(job_id=job_id, outcome=Outcome.NOT_READY)
    return aggregate_job(job_id, deps)


def _aggregate_claimed(job_id: str, claim: Claim, deps: AggregatorDependencies) -> Aggregation:
    manifest = deps.blobs.manifest(job_id)
    results, unusable = deps.jobs.book_results(job_id)
    dashboard = build_dashboard(manifest, results, generated_at=deps.clock())
    # The dashboard first: the job is final only once its dashboard exists.
    key = deps.blobs.put_dashboard(dashboard)
    finished = deps.jobs.finish(
        job_id,
        claim.owner,
        status=dashboard.status,
        missing=dashboard.counts.missing,
        dashboard_key=key,
        now=deps.clock(),
    )
    if not finished:
        logger.warning("lease lost before the job was finished", extra={"job_id": job_id})
        return Aggregation(job_id=job_id, outcome=Outcome.LEASE_LOST)
    outcome = Outcome.COMPLETE if dashboard.status == JobStatus.COMPLETE else Outcome.PARTIAL
    logger.info(
        "job aggregated",
        extra={
            "job_id": job_id,
            "status": dashboard.status.value,
            "books": dashboard.counts.total,
            "missing": dashboard.counts.missing,
            "unusable_results": unusable,
        },
    )
    return Aggregation(job_id=job_id, outcome=outcome, missing_book_ids=dashboard.missing_book_ids)


def _fail_never_queued(job_id: str, deps: AggregatorDependencies) -> Aggregation | None:
    """A job still RECEIVED at its deadline will never be queued: it ends FAILED."""
    if not deps.jobs.fail_never_queued(job_id, now=deps.clock(), error=NEVER_QUEUED):
        return None
    logger.warning("job never queued by its deadline: FAILED", extra={"job_id": job_id})
    return Aggregation(job_id=job_id, outcome=Outcome.NEVER_QUEUED)


@dataclasses.dataclass
class SweepReport:
    aggregations: list[Aggregation] = dataclasses.field(default_factory=list)
    failed_job_ids: list[str] = dataclasses.field(default_factory=list)
    deferred: int = 0  # open jobs left for the next sweep because time ran out

    def outcome_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for aggregation in self.aggregations:
            counts[aggregation.outcome.value] = counts.get(aggregation.outcome.value, 0) + 1
        return counts


def sweep_open_jobs(
    deps: AggregatorDependencies,
    *,
    has_time_left: Callable[[], bool] = lambda: True,
    page_size: int | None = None,
) -> SweepReport:
    """Aggregates every open job that is due. A job whose deadline has passed is claimed at
    once (the index's sort key already says it is due); the others are read first. A job
    still RECEIVED at its deadline (its orchestrator failed on every attempt) ends FAILED. One job's
    failure does not stop the sweep; it is reported for the caller to raise."""
    report = SweepReport()
    for job_id, deadline in deps.jobs.open_jobs(page_size=page_size):
        if not has_time_left():
            report.deferred += 1
            continue
        try:
            past_deadline = bool(deadline) and deadline <= storage.format_timestamp(deps.clock())
            aggregation = (
                aggregate_job(job_id, deps) if past_deadline else aggregate_if_due(job_id, deps)
            )
            if past_deadline and aggregation.outcome == Outcome.NOT_QUEUED:
                aggregation = _fail_never_queued(job_id, deps) or aggregation
        except Exception:
            logger.exception("aggregation failed", extra={"job_id": job_id})
            report.failed_job_ids.append(job_id)
            continue
        report.aggregations.append(aggregation)
    return report
