"""The clocks of a local run: visibility timeout, deadline, redelivery and rate, scaled so that
retries, the dead-letter queue and a PARTIAL job happen within a run."""

from __future__ import annotations

import csv as _csv
import dataclasses
import io

from local_runtime.options import RunOptions


@dataclasses.dataclass(frozen=True)
class Clocks:
    """The timing settings of one run, resolved from RunOptions and what the run talks to."""

    visibility_timeout_seconds: int
    processor_timeout_seconds: float
    deadline_seconds: int
    run_timeout_seconds: float
    upstream_max_rps: str | None  # None: the processor's own default or the caller's value
    redelivery_base_seconds: str  # a book left for retry returns after base x 2^(attempt-1)


# Local upstreams (tests, benchmarks) or none: retries and deadlines within seconds.
LOCAL_VISIBILITY_TIMEOUT_SECONDS = 5
LOCAL_DEADLINE_SECONDS = 60
# ... and for a library too large to finish in that minute, 20 books a second (about a tenth of
# what one offline run does on two cores: benchmarks/large_export_bench.py), so that a 100,000
# book export is not PARTIAL by default.
LOCAL_DEADLINE_SECONDS_PER_BOOK = 0.05
# The real APIs: an invocation may wait for its rate limit; a deadline that grows with the
# library (about 1.5 s per book at 3 requests per second per host).
REMOTE_VISIBILITY_TIMEOUT_SECONDS = 60
REMOTE_DEADLINE_BASE_SECONDS = 120
REMOTE_DEADLINE_SECONDS_PER_BOOK = 1.5
POLITE_REQUESTS_PER_SECOND = 3.0  # per host, for the whole run
REDELIVERIES_PER_DEADLINE = 30


def resolve_clocks(options: RunOptions, *, remote_upstream: bool, expected_books: int) -> Clocks:
    if remote_upstream:
        visibility = options.visibility_timeout_seconds or REMOTE_VISIBILITY_TIMEOUT_SECONDS
        deadline = options.deadline_seconds or int(
            REMOTE_DEADLINE_BASE_SECONDS + REMOTE_DEADLINE_SECONDS_PER_BOOK * expected_books
        )
        rps: str | None = f"{POLITE_REQUESTS_PER_SECOND / options.concurrency:.3f}"
    else:
        visibility = options.visibility_timeout_seconds or LOCAL_VISIBILITY_TIMEOUT_SECONDS
        deadline = options.deadline_seconds or max(
            LOCAL_DEADLINE_SECONDS, int(LOCAL_DEADLINE_SECONDS_PER_BOOK * expected_books)
        )
        rps = "0"  # no cap: a server on this machine needs no politeness
    processor_timeout = options.processor_timeout_seconds or float(visibility)
    if processor_timeout > visibility:
        # Lambda refuses a mapping whose function timeout exceeds the visibility timeout.
        raise ValueError("the processor timeout cannot exceed the task queue's visibility timeout")
    run_timeout = options.run_timeout_seconds or deadline + max(
        60.0, 3 * options.schedule_seconds, 2.0 * visibility
    )
    return Clocks(
        visibility_timeout_seconds=visibility,
        processor_timeout_seconds=processor_timeout,
        deadline_seconds=deadline,
        run_timeout_seconds=run_timeout,
        upstream_max_rps=rps,
        # The processor's own ratio (30 s for a 15-minute deadline): its four redeliveries
        # take at most half the deadline, so failing books end "failed", not "missing".
        redelivery_base_seconds=f"{deadline / REDELIVERIES_PER_DEADLINE:.3f}",
    )


def estimate_books(csv: bytes) -> int:
    """Data rows of an export (records, not lines: reviews span lines); 0 if unreadable."""
    try:
        text = csv.decode("utf-8-sig")
    except UnicodeDecodeError:
        return 0
    try:
        return max(0, sum(1 for _ in _csv.reader(io.StringIO(text))) - 1)
    except _csv.Error:
        return 0
