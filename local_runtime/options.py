"""How a local run differs from a deployment in AWS: the options of `LocalPipeline`."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

from contracts import layout, storage
from local_runtime.emulator import EmulatorKind
from local_runtime.faults import FaultPlan

DEFAULT_FILE_NAME = storage.UPLOAD_FILE_NAME


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """How the local deployment differs from the AWS one: shorter clocks, bounded concurrency.

    Values left as None are chosen for the run: short clocks when the enrichment sources are
    on this machine (or off) and unpaced, and clocks that leave room for the pace when the run
    is paced: always against the real APIs (3 requests per second per host for the whole run,
    as Open Library asks), and against local ones given `upstream_rps`.
    """

    concurrency: int = 4  # concurrent book processor invocations (MaximumConcurrency)
    # Requests per second per upstream host for the whole run (UPSTREAM_MAX_RPS, shared by every
    # invocation through the cache table); None: 3 for the real APIs, unlimited for loopback
    # ones (0 is unlimited).
    upstream_rps: float | None = None
    # The processor's event source mapping; None: contracts/layout.py's, as deployed.
    processor_batch_size: int | None = None
    processor_batching_window_seconds: float | None = None
    schedule_seconds: float = 5.0  # the aggregator's sweep; one minute in AWS
    deadline_seconds: int | None = None  # JOB_DEADLINE_SECONDS: then missing books -> PARTIAL
    visibility_timeout_seconds: int | None = None  # the task queue's; failed books return after
    processor_timeout_seconds: float | None = None  # default: the visibility timeout
    function_timeout_seconds: float = layout.AGGREGATOR.timeout_seconds  # the aggregator's
    # The orchestrator's, as deployed: it parses the file and sends every book's task.
    orchestrator_timeout_seconds: float = layout.ORCHESTRATOR.timeout_seconds
    max_receive_count: int = layout.MAX_RECEIVE_COUNT
    # A crashed aggregation is re-claimed after it. It must outlive the aggregator's timeout, as
    # infra requires: an aggregation that outlives its lease is done again, and a 100,000-book
    # one (about 90 s on a loaded two-core machine) never finished under the 15 s this was.
    aggregation_lease_seconds: int = 2 * layout.AGGREGATOR.timeout_seconds
    offline: bool = False  # ENRICHMENT_SOURCES="": no upstream requests, books "skipped"
    check_network: bool = True  # probe the sources first; none reachable means offline
    openlibrary_base_url: str | None = None  # default: OPENLIBRARY_BASE_URL or the real API
    google_books_base_url: str | None = None
    environment: Mapping[str, str] = dataclasses.field(default_factory=dict)  # more service env
    # moto's server in a child process: AWS's work runs on another core than the functions'.
    aws: EmulatorKind = "server"
    run_timeout_seconds: float | None = None  # default: the deadline plus a minute
    monitor_interval_seconds: float = 0.25
    log_file: Path | None = None  # service and runtime logs; default OUT_DIR/pipeline.log
    capture_logs: bool = True
    service_log_level: str = "INFO"
    # Crashes and duplicate deliveries to inject (local_runtime/faults.py): chaos runs only.
    faults: FaultPlan | None = None
