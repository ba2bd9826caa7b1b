"""Triggers that fire at the same time: each job is still aggregated exactly once."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

from contracts.messages import JobStatus
from services.aggregator.fan_in import (
    Aggregation,
    Outcome,
    aggregate_if_due,
    aggregate_job,
    sweep_open_jobs,
)
from services.aggregator.store import Claim
from tests.aggregator import job_storage
from tests.aggregator.library import BOOKS, CREATED_AT, MISSING_IDS, RESULTS, manifest
from tests.support.aws_requests import RequestCounter
from tests.support.clocks import Clock

QUEUED_AT = CREATED_AT + dt.timedelta(minutes=1)
THREADS = 8


def _race(runs: list[Callable[[], Any]]) -> list[Any]:
    """Starts every run at the same moment and returns what each returned (or raised)."""
    barrier = threading.Barrier(len(runs))
    returned: list[Any] = [None] * len(runs)

    def start(index: int) -> None:
        barrier.wait()
        try:
            returned[index] = runs[index]()
        except Exception as error:  # a run that raises is a failed test, reported below
            returned[index] = error

    threads = [threading.Thread(target=start, args=(i,)) for i in range(len(runs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return returned


def _ready_job(aws: Any) -> str:
    session, env = aws
    books = tuple(book for book in BOOKS if book.book_id not in MISSING_IDS)
    job_manifest = manifest(books)
    job_storage.put_queued_job(session, env, job_manifest, queued_at=QUEUED_AT)
    for result in RESULTS:
        job_storage.store_result(session, env, result)
    return job_manifest.job_id


def test_simultaneous_signals_aggregate_a_job_once(aws: Any) -> None:
    session, env = aws
    job_id = _ready_job(aws)
    s3 = session.client("s3")
    counter = RequestCounter(s3)
    deps = job_storage.dependencies(session, Clock(QUEUED_AT + dt.timedelta(minutes=2)), s3=s3)

    returned = _race([lambda: aggregate_job(job_id, deps)] * THREADS)

    assert all(isinstance(value, Aggregation) for value in returned), returned
    outcomes = [value.outcome for value in returned]
    assert outcomes.count(Outcome.COMPLETE) == 1
    assert set(outcomes) <= {Outcome.COMPLETE, Outcome.CLAIMED_ELSEWHERE, Outcome.ALREADY_FINAL}
    assert counter.of("PutObject") == 1
    assert job_storage.job_record(session, env, job_id).status == JobStatus.COMPLETE


def test_signals_direct_invocations_and_sweeps_together_aggregate_a_job_once(aws: Any) -> None:
    session, env = aws
    job_id = _ready_job(aws)
    s3 = session.client("s3")
    counter = RequestCounter(s3)
    deps = job_storage.dependencies(session, Clock(QUEUED_AT + dt.timedelta(minutes=2)), s3=s3)

    def sweep() -> list[Aggregation]:
        return sweep_open_jobs(deps).aggregations

    runs: list[Callable[[], Any]] = [
        lambda: aggregate_job(job_id, deps),
        lambda: aggregate_if_due(job_id, deps),
        sweep,
    ] * 3
    returned = _race(runs)

    assert not [value for value in returned if isinstance(value, Exception)], returned
    aggregations = [
        aggregation
        for value in returned
        for aggregation in (value if isinstance(value, list) else [value])
    ]
    assert [a.outcome for a in aggregations].count(Outcome.COMPLETE) == 1
    assert counter.of("PutObject") == 1
    record = job_storage.job_record(session, env, job_id)
    assert record.status == JobStatus.COMPLETE
    assert job_id not in job_storage.open_job_ids(session, env)


def test_a_lease_expired_while_runs_race_is_taken_by_exactly_one_of_them(aws: Any) -> None:
    session, env = aws
    job_id = _ready_job(aws)
    clock = Clock(QUEUED_AT + dt.timedelta(minutes=2))
    deps = job_storage.dependencies(session, clock)
    stale = deps.jobs.claim(job_id, now=clock.now, lease_seconds=deps.settings.lease_seconds)
    assert isinstance(stale, Claim)  # a run that claimed and then crashed
    clock.advance(deps.settings.lease_seconds + 1)
    s3 = session.client("s3")
    counter = RequestCounter(s3)
    racing = job_storage.dependencies(session, clock, s3=s3)

    returned = _race([lambda: aggregate_job(job_id, racing)] * THREADS)

    outcomes = [value.outcome for value in returned]
    assert outcomes.count(Outcome.COMPLETE) == 1, outcomes
    assert counter.of("PutObject") == 1
    assert job_storage.job_record(session, env, job_id).status == JobStatus.COMPLETE
