"""The clocks of a local run: visibility timeout, deadline, redelivery and rate, scaled so that
retries, the dead-letter queue and a PARTIAL job happen within a run.

An unpaced run (local upstreams, no `--upstream-rps`) gets short clocks. A paced run (the real
APIs, or any upstream given a rate) gets the clocks a paced deployment needs: invocations that
may wait for their host's slots, and a deadline that grows with the library at the pace's rate.
"""

from __future__ import annotations

import csv as _csv
import dataclasses
import io
import math

from contracts import layout
from local_runtime.options import RunOptions


@dataclasses.dataclass(frozen=True)
class Clocks:
    """The timing settings of one run, resolved from RunOptions and what the run talks to."""

    visibility_timeout_seconds: int
    processor_timeout_seconds: float
    deadline_seconds: int
    run_timeout_seconds: float
    upstream_max_rps: str  # UPSTREAM_MAX_RPS: per host, for the whole run; "0": no pace
    redelivery_base_seconds: str  # a book left for retry returns after base x 2^(attempt-1)


# Unpaced (local upstreams, tests, benchmarks) or no enrichment: retries and deadlines within
# seconds.
LOCAL_PROCESSOR_TIMEOUT_SECONDS = 5
LOCAL_DEADLINE_SECONDS = 60
# ... and for a library too large to finish in that minute, 20 books a second (about a tenth of
# what one offline run does on two cores: benchmarks/large_export_bench.py), so that a 100,000
# book export is not PARTIAL by default.
LOCAL_DEADLINE_SECONDS_PER_BOOK = 0.05
# Paced: an invocation may wait for its hosts' slots up to its timeout (the processor's in AWS);
# the deadline grows with the library at the pace's rate, allowing PACED_REQUESTS_PER_BOOK
# requests per book to each host (a cold library needs about a third of that).
PACED_PROCESSOR_TIMEOUT_SECONDS = layout.BOOK_PROCESSOR.timeout_seconds
PACED_DEADLINE_BASE_SECONDS = 120
PACED_REQUESTS_PER_BOOK = 1.0
# The pace starts a request every 1.25 / rate seconds (book_processor's ARRIVAL_JITTER_SECONDS).
PACED_START_INTERVAL_FACTOR = 1.25
POLITE_REQUESTS_PER_SECOND = 3.0  # per host, for the whole run: Open Library's rate
REDELIVERIES_PER_DEADLINE = 30


def default_upstream_rps(*, remote_upstream: bool) -> float:
    """3 per second for the real APIs (Open Library's rate for an identified client); none
    for upstreams on this machine."""
    return POLITE_REQUESTS_PER_SECOND if remote_upstream else 0.0


def paced_deadline_seconds(expected_books: int, upstream_rps: float) -> int:
    """Room for PACED_REQUESTS_PER_BOOK requests per book to a host at the pace's rate."""
    per_book = PACED_REQUESTS_PER_BOOK * PACED_START_INTERVAL_FACTOR / upstream_rps
    return int(PACED_DEADLINE_BASE_SECONDS + per_book * expected_books)


def resolve_clocks(
    options: RunOptions,
    *,
    remote_upstream: bool,
    expected_books: int,
    upstream_rps: float | None = None,
) -> Clocks:
    """`upstream_rps`: the run's rate per host (None: the options', else the default).

    The task queue's visibility timeout is the processor's timeout plus the batching window
    (AWS's rule has six times the timeout: a crashed batch would come back after minutes), so
    that no message of a batch returns while its invocation may still run; given a visibility
    timeout, the processor's timeout is what remains of it after the window."""
    if upstream_rps is None:
        upstream_rps = options.upstream_rps
    if upstream_rps is None:
        upstream_rps = default_upstream_rps(remote_upstream=remote_upstream)
    window = processor_batching_window_seconds(options)
    if upstream_rps > 0:
        default_timeout = float(PACED_PROCESSOR_TIMEOUT_SECONDS)
        deadline = options.deadline_seconds or paced_deadline_seconds(expected_books, upstream_rps)
    else:
        default_timeout = float(LOCAL_PROCESSOR_TIMEOUT_SECONDS)
        deadline = options.deadline_seconds or max(
            LOCAL_DEADLINE_SECONDS, int(LOCAL_DEADLINE_SECONDS_PER_BOOK * expected_books)
        )
    if options.visibility_timeout_seconds:
        visibility = options.visibility_timeout_seconds
        processor_timeout = options.processor_timeout_seconds or max(1.0, visibility - window)
    else:
        processor_timeout = options.processor_timeout_seconds or default_timeout
        visibility = math.ceil(processor_timeout + window)
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
        upstream_max_rps=f"{upstream_rps:g}",
        # The processor's own ratio (30 s for a 15-minute deadline): its four redeliveries
        # take at most half the deadline, so failing books end "failed", not "missing".
        redelivery_base_seconds=f"{deadline / REDELIVERIES_PER_DEADLINE:.3f}",
    )


def processor_batching_window_seconds(options: RunOptions) -> float:
    """The processor's mapping's batching window: the options', else the deployed one."""
    if options.processor_batching_window_seconds is not None:
        return options.processor_batching_window_seconds
    return float(layout.PROCESSOR_MAPPING.batching_window_seconds)


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
