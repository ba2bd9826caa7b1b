"""One run of the whole pipeline on this machine, usable as a library and by the CLI.

    outcome = run_pipeline(Path("export.csv"), Path("out"), RunOptions(concurrency=8))

starts an embedded AWS (moto), creates the deployment's resources, cold-starts the three
services' unchanged handlers with the environment Lambda would give them, uploads the CSV
and plays the parts AWS plays around the code (S3 notification, SQS event source mappings,
the schedule) until the job is final, then writes the dashboard JSON to the output directory.
"""

from __future__ import annotations

import contextlib
import csv as _csv
import dataclasses
import io
import ipaddress
import logging
import os
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
import botocore.exceptions

from contracts import storage
from contracts.codec import DecodeError, dashboard_decoder
from contracts.dashboard import Dashboard
from contracts.messages import JobRecord, JobStatus
from local_runtime import instrumentation, netcheck
from local_runtime.emulator import (
    EmulatorKind,
    fresh_default_session,
    loopback_no_proxy,
    make_emulator,
    scoped_environ,
)
from local_runtime.event_sources import Schedule, SqsEventSourceMapping, notify_object_created
from local_runtime.functions import (
    AGGREGATOR,
    BOOK_PROCESSOR,
    HANDLER_MODULES,
    ORCHESTRATOR,
    FunctionStats,
    Invocation,
    LocalFunction,
    cold_start_handlers,
    new_environment_loader,
    warm_up_handler_imports,
)
from local_runtime.lambda_events import REGION
from local_runtime.resources import PROCESSOR_TIMEOUT_SECONDS, create_resources

log = logging.getLogger("local_runtime")

DASHBOARD_FILE = "dashboard.json"
LOG_FILE = "pipeline.log"
DEFAULT_FILE_NAME = "goodreads_library_export.csv"
ALL_SOURCES = ("openlibrary", "google_books")

# A run is one deployment with fixed resource names and the process environment: one at a time.
_one_run_at_a_time = threading.Lock()


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """How the local deployment differs from the AWS one: shorter clocks, bounded concurrency.

    Values left as None are chosen for the run: short clocks when the enrichment sources are
    on this machine (or off), and for the real APIs clocks that leave room for their rate
    limits (3 requests per second per host for the whole run, as Open Library asks).
    """

    concurrency: int = 4  # concurrent book processor invocations (MaximumConcurrency)
    schedule_seconds: float = 5.0  # the aggregator's sweep; one minute in AWS
    deadline_seconds: int | None = None  # JOB_DEADLINE_SECONDS: then missing books -> PARTIAL
    visibility_timeout_seconds: int | None = None  # the task queue's; failed books return after
    processor_timeout_seconds: float | None = None  # default: the visibility timeout
    function_timeout_seconds: float = PROCESSOR_TIMEOUT_SECONDS  # orchestrator and aggregator
    max_receive_count: int = 5
    aggregation_lease_seconds: int = 15  # a crashed aggregation is re-claimed after it
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
        deadline = options.deadline_seconds or LOCAL_DEADLINE_SECONDS
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


def is_loopback_url(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclasses.dataclass(frozen=True)
class JobProgress:
    job_id: str
    status: JobStatus | None
    total: int
    succeeded: int
    failed: int
    elapsed_seconds: float

    @property
    def done(self) -> int:
        return self.succeeded + self.failed


@dataclasses.dataclass(frozen=True)
class RunTimings:
    setup_seconds: float  # emulator, resources and cold start
    submitted_seconds: float  # upload and orchestrator done, from the start of the run
    all_books_accounted_seconds: float | None  # the job's counters first reached its total
    finished_seconds: float | None  # job final and dashboard written
    total_seconds: float

    @property
    def dashboard_after_last_book_seconds(self) -> float | None:
        if self.finished_seconds is None or self.all_books_accounted_seconds is None:
            return None
        return self.finished_seconds - self.all_books_accounted_seconds


@dataclasses.dataclass(frozen=True)
class RunOutcome:
    job_id: str | None
    status: JobStatus | None  # None when the job never started or the run timed out early
    error: str | None  # the orchestrator's message for FAILED, or why the run did not finish
    record: JobRecord | None
    dashboard: Dashboard | None
    dashboard_path: Path | None
    notices: tuple[str, ...]
    timings: RunTimings
    aws_calls: dict[str, int]  # by caller: each function, and "runtime" for what AWS does
    aws_operations: dict[str, dict[str, int]]  # by caller, then operation
    functions: dict[str, FunctionStats]
    log_file: Path | None

    @property
    def exit_code(self) -> int:
        """0 for COMPLETE and PARTIAL, 1 for FAILED, 2 when the run itself went wrong."""
        if self.status in (JobStatus.COMPLETE, JobStatus.PARTIAL) and self.dashboard_path:
            return 0
        if self.status == JobStatus.FAILED:
            return 1
        return 2


ProgressCallback = Callable[[JobProgress], None]


def safe_file_name(name: str) -> str:
    """The object name under uploads/{job id}/: a plain file name, never a path."""
    base = re.split(r"[/\\]", name)[-1]
    base = "".join("_" if ord(char) < 32 or char == "\x7f" else char for char in base)[:255]
    return base if base.strip(". ") else DEFAULT_FILE_NAME


def enabled_sources(environment: Mapping[str, str | None]) -> list[str]:
    """The sources the processor will use, read as it reads ENRICHMENT_SOURCES."""
    value = environment.get("ENRICHMENT_SOURCES")
    if value is None:
        return list(ALL_SOURCES)
    return [part.strip().lower() for part in value.split(",") if part.strip()]


class _LogCapture:
    """Sends the runtime's and the services' logs to a file for the duration of a run.

    Powertools loggers write to the stdout they found at import; the terminal is for
    progress and the summary, so their handlers are pointed at the file and restored after.
    """

    def __init__(self, path: Path, service_level: str) -> None:
        self.path = path
        self._service_level = service_level
        self._stream = path.open("a", encoding="utf-8", buffering=1)
        self._handler = logging.StreamHandler(self._stream)
        self._handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s %(threadName)s %(message)s")
        )
        self._redirected: list[tuple[logging.StreamHandler[Any], Any]] = []
        self._levels: list[tuple[logging.Logger, int]] = []
        self._runtime_level = log.level
        log.setLevel(logging.INFO)
        logging.getLogger().addHandler(self._handler)
        # Library warnings (Powertools warns about empty metrics) belong in the log too.
        logging.captureWarnings(True)

    def redirect_service_loggers(self) -> None:
        for logger in list(logging.Logger.manager.loggerDict.values()):
            if not isinstance(logger, logging.Logger) or not getattr(logger, "init", False):
                continue  # only Powertools loggers mark themselves "init"
            self._levels.append((logger, logger.level))
            logger.setLevel(self._service_level)
            for handler in logger.handlers:
                if isinstance(handler, logging.StreamHandler) and handler.stream is not None:
                    previous = handler.setStream(self._stream)
                    self._redirected.append((handler, previous))

    def close(self) -> None:
        for handler, previous in reversed(self._redirected):
            handler.setStream(previous)
        for logger, level in reversed(self._levels):
            logger.setLevel(level)
        logging.getLogger().removeHandler(self._handler)
        logging.captureWarnings(False)
        log.setLevel(self._runtime_level)
        self._stream.close()


class LocalPipeline:
    """A local deployment for one or more jobs, entered as a context manager.

    Staged so that tests can act between the steps:

        with LocalPipeline(out_dir, options) as pipeline:
            pipeline.start_workers()
            job_id = pipeline.submit(csv_bytes)
            outcome = pipeline.wait(job_id)
    """

    def __init__(
        self, out_dir: Path, options: RunOptions | None = None, *, expected_books: int = 0
    ) -> None:
        """`expected_books` sizes the default deadline when enriching from the real APIs."""
        self.out_dir = Path(out_dir)
        self.options = options or RunOptions()
        self.expected_books = expected_books
        self.clocks: Clocks | None = None
        self.notices: list[str] = []
        self.aws_counter = instrumentation.AwsCallCounter()
        self.queue_activity = instrumentation.QueueActivity()
        self._stack = contextlib.ExitStack()
        self._stop = threading.Event()
        self._started = 0.0
        self._setup_seconds = 0.0
        self._submitted_seconds = 0.0
        self._submissions: dict[str, Invocation] = {}
        self._workers_started = False
        self._logs: _LogCapture | None = None
        self.session: Any = None
        self._s3: Any = None
        self._dynamodb: Any = None
        self.environment: Any = None
        self.functions: dict[str, LocalFunction] = {}

    # --- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> LocalPipeline:
        if not _one_run_at_a_time.acquire(blocking=False):
            raise RuntimeError("another local pipeline is running in this process")
        self._stack.callback(_one_run_at_a_time.release)
        try:
            self._open()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stack.close()

    def _open(self) -> None:
        self._started = time.monotonic()
        options = self.options
        self.out_dir.mkdir(parents=True, exist_ok=True)
        if options.capture_logs:
            self._logs = _LogCapture(
                options.log_file or self.out_dir / LOG_FILE, options.service_log_level
            )
            self._stack.callback(self._logs.close)

        emulator = make_emulator(options.aws)
        emulator.launch()  # a server takes a while to start: the work below overlaps it
        service_env = self._service_environment()
        warm_up_handler_imports()
        self._stack.enter_context(scoped_environ(emulator.environment()))
        emulator.start()
        self._stack.callback(emulator.stop)
        instrumentation.install(self.aws_counter, self.queue_activity)
        self._stack.callback(instrumentation.install, None)

        self.session = boto3.Session(region_name=REGION)
        self.session._session.set_default_client_config(
            # The pollers of both mappings share one SQS client.
            instrumentation.runtime_client_config(concurrent_calls=options.concurrency + 2)
        )
        self._s3 = self.session.client("s3")
        self.environment = create_resources(
            self.session,
            task_visibility_timeout=self._clocks.visibility_timeout_seconds,
            max_receive_count=options.max_receive_count,
        )
        self._dynamodb = self.session.client(
            "dynamodb", config=instrumentation.runtime_client_config()
        )
        self._stack.enter_context(scoped_environ({**self.environment.as_env(), **service_env}))
        self._stack.callback(setattr, boto3, "DEFAULT_SESSION", boto3.DEFAULT_SESSION)
        fresh_default_session()
        handlers, restore_modules = cold_start_handlers()
        self._stack.callback(restore_modules)
        if self._logs is not None:
            self._logs.redirect_service_loggers()
        timeouts = {
            ORCHESTRATOR: options.function_timeout_seconds,
            BOOK_PROCESSOR: self._clocks.processor_timeout_seconds,
            AGGREGATOR: options.function_timeout_seconds,
        }
        self.functions = {
            name: LocalFunction(
                name,
                handler,
                timeouts[name],
                new_environment=new_environment_loader(HANDLER_MODULES[name]),
            )
            for name, handler in handlers.items()
        }
        # Stopping is registered last so that it runs first: workers end before AWS does.
        self._stack.callback(self._stop_workers)
        self._setup_seconds = time.monotonic() - self._started
        log.info(
            "local deployment ready in %.2f s (aws %s, concurrency %d)",
            self._setup_seconds,
            options.aws,
            options.concurrency,
        )

    @property
    def _clocks(self) -> Clocks:
        if self.clocks is None:
            raise RuntimeError("the pipeline is not open")
        return self.clocks

    def _service_environment(self) -> dict[str, str | None]:
        """What the functions' configuration would say, with local clocks and endpoints."""
        options = self.options
        env: dict[str, str | None] = {
            "AGGREGATION_LEASE_SECONDS": str(options.aggregation_lease_seconds),
            "NO_PROXY": loopback_no_proxy(),
            # Nothing to send metrics or traces to; EMF lines would land on the terminal.
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_NAMESPACE": os.environ.get(
                "POWERTOOLS_METRICS_NAMESPACE", "goodreads-stats"
            ),
        }
        env["no_proxy"] = env["NO_PROXY"]
        if options.openlibrary_base_url:
            env["OPENLIBRARY_BASE_URL"] = options.openlibrary_base_url
        if options.google_books_base_url:
            env["GOOGLE_BOOKS_BASE_URL"] = options.google_books_base_url
        env.update(options.environment)
        requested = enabled_sources({**os.environ, **env})
        unknown = [source for source in requested if source not in ALL_SOURCES]
        if unknown:
            raise ValueError(
                f"ENRICHMENT_SOURCES names unknown sources {', '.join(unknown)} "
                f"(known: {', '.join(ALL_SOURCES)})"
            )
        if options.offline:
            env["ENRICHMENT_SOURCES"] = ""
        elif options.check_network:
            self._check_network(env)

        merged: dict[str, str | None] = {**os.environ, **env}
        deadline_from_env = merged.get("JOB_DEADLINE_SECONDS")
        if options.deadline_seconds is None and deadline_from_env:
            try:
                options = dataclasses.replace(options, deadline_seconds=int(deadline_from_env))
            except ValueError:
                raise ValueError(
                    f"JOB_DEADLINE_SECONDS must be whole seconds, got {deadline_from_env!r}"
                ) from None
        remote = any(not is_loopback_url(_base_url(source, merged)) for source in _sources(merged))
        self.clocks = resolve_clocks(
            options, remote_upstream=remote, expected_books=self.expected_books
        )
        env["JOB_DEADLINE_SECONDS"] = str(self.clocks.deadline_seconds)
        if "UPSTREAM_MAX_RPS" not in merged and self.clocks.upstream_max_rps is not None:
            env["UPSTREAM_MAX_RPS"] = self.clocks.upstream_max_rps
        if "REDELIVERY_BASE_SECONDS" not in merged:
            env["REDELIVERY_BASE_SECONDS"] = self.clocks.redelivery_base_seconds
        if remote and not merged.get("CONTACT"):
            self._notice(
                "set CONTACT to an e-mail address or URL: Open Library asks API clients to "
                "identify themselves in the User-Agent."
            )
        return env

    def _notice(self, text: str) -> None:
        self.notices.append(text)
        log.warning("%s", text)

    def _check_network(self, env: dict[str, str | None]) -> None:
        merged: dict[str, str | None] = {**os.environ, **env}
        sources = _sources(merged)
        if not sources:
            return
        results = netcheck.probe_sources({source: _base_url(source, merged) for source in sources})
        unreachable = [result for result in results if not result.reachable]
        if not unreachable:
            return
        reasons = "; ".join(f"{result.url}: {result.detail}" for result in unreachable)
        if len(unreachable) == len(results):
            env["ENRICHMENT_SOURCES"] = ""
            self._notice(
                f"no network: cannot reach the enrichment sources ({reasons}). Enrichment is "
                "skipped and every book is marked not enriched; the statistics from the export "
                "itself are complete. Use --offline to skip this check."
            )
        else:
            self._notice(
                f"cannot reach {reasons}; books that only it could enrich are marked not enriched."
            )

    def start_workers(self) -> None:
        """Starts what AWS runs around the functions: the two SQS mappings and the schedule."""
        if self._workers_started:
            return
        self._workers_started = True
        sqs = self.session.client("sqs")
        self._task_mapping = SqsEventSourceMapping(
            sqs=sqs,
            queue_url=self.environment.task_queue_url,
            function=self.functions[BOOK_PROCESSOR],
            concurrency=self.options.concurrency,
            stop=self._stop,
            activity=self.queue_activity,
        )
        self._completion_mapping = SqsEventSourceMapping(
            sqs=sqs,
            queue_url=self.environment.completion_queue_url,
            function=self.functions[AGGREGATOR],
            concurrency=1,
            stop=self._stop,
            activity=self.queue_activity,
        )
        self._schedule = Schedule(
            function=self.functions[AGGREGATOR],
            interval_seconds=self.options.schedule_seconds,
            stop=self._stop,
        )
        self._task_mapping.start()
        self._completion_mapping.start()
        self._schedule.start()

    def _stop_workers(self) -> None:
        self._stop.set()
        self.queue_activity.interrupt()
        if not self._workers_started:
            return
        grace = self._clocks.processor_timeout_seconds + 5.0
        self._task_mapping.join(grace)
        self._completion_mapping.join(self.options.function_timeout_seconds)
        self._schedule.join(self.options.function_timeout_seconds)

    # --- jobs ----------------------------------------------------------------------------------

    def submit(self, csv: bytes, file_name: str = DEFAULT_FILE_NAME) -> str:
        """Uploads an export as the reader's browser would, then delivers the S3 notification.

        Returns the new job id. The orchestrator runs on this thread; its failure (after the
        two retries of an asynchronous invocation) is reported by `wait`.
        """
        job_id = storage.new_job_id()
        key = storage.upload_key(job_id, safe_file_name(file_name))
        self._s3.put_object(
            Bucket=self.environment.data_bucket, Key=key, Body=csv, ContentType="text/csv"
        )
        self._submissions[job_id] = notify_object_created(
            self.functions[ORCHESTRATOR],
            bucket=self.environment.data_bucket,
            key=key,
            size=len(csv),
        )
        self._submitted_seconds = time.monotonic() - self._started
        return job_id

    def read_job(self, job_id: str) -> JobRecord | None:
        item = self._dynamodb.get_item(
            TableName=self.environment.jobs_table, Key=storage.job_key(job_id), ConsistentRead=True
        ).get("Item")
        return None if item is None else storage.job_record_from_item(item)

    def wait(self, job_id: str, progress: ProgressCallback | None = None) -> RunOutcome:
        """Follows the job until it is final, then writes its dashboard to the output dir."""
        self.start_workers()
        interval = self.options.monitor_interval_seconds
        deadline = time.monotonic() + self._clocks.run_timeout_seconds
        accounted_at: float | None = None
        record: JobRecord | None = None
        aggregations = self.functions[AGGREGATOR].stats.invocations
        while True:
            record = self.read_job(job_id)
            now = time.monotonic()
            if record is None:
                submission = self._submissions.get(job_id)
                if submission is not None and not submission.succeeded:
                    return self._outcome(job_id, None, self._orchestrator_error(submission))
            else:
                if progress is not None:
                    progress(self._progress(job_id, record))
                if accounted_at is None and record.total and _accounted(record) >= record.total:
                    accounted_at = now
                if record.status.is_final:
                    break
            if now > deadline:
                return self._outcome(
                    job_id,
                    record,
                    f"the job did not finish within {self._clocks.run_timeout_seconds:.0f} s "
                    f"(status {record.status if record else 'unknown'}); see {self._log_hint()}",
                    accounted_at=accounted_at,
                )
            # The aggregator makes a job COMPLETE or PARTIAL: read it again as soon as an
            # invocation of it ends, else after `interval` (progress, or a FAILED orchestration).
            aggregations = self.functions[AGGREGATOR].wait_for_invocations(aggregations, interval)

        if record.status == JobStatus.FAILED:
            message = record.error or "the job failed without a message"
            return self._outcome(job_id, record, message, accounted_at=accounted_at)
        return self._collect_dashboard(job_id, record, accounted_at)

    def _collect_dashboard(
        self, job_id: str, record: JobRecord, accounted_at: float | None
    ) -> RunOutcome:
        key = record.dashboard_key or storage.dashboard_key(job_id)
        s3 = self._s3
        give_up = time.monotonic() + 10.0
        while True:
            try:
                response = s3.get_object(Bucket=self.environment.data_bucket, Key=key)
                body: bytes = response["Body"].read()
                break
            except botocore.exceptions.ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                if code not in ("NoSuchKey", "404") or time.monotonic() > give_up:
                    return self._outcome(
                        job_id,
                        record,
                        f"the job is {record.status} but its dashboard s3://"
                        f"{self.environment.data_bucket}/{key} cannot be read ({code})",
                        accounted_at=accounted_at,
                    )
                time.sleep(0.1)
        path = self.out_dir / DASHBOARD_FILE
        temporary = path.with_suffix(".json.tmp")
        temporary.write_bytes(body)
        temporary.replace(path)
        finished = time.monotonic() - self._started
        dashboard: Dashboard | None = None
        error: str | None = None
        try:
            dashboard = dashboard_decoder.decode(body)
        except (DecodeError, ValueError) as exc:
            error = f"the dashboard does not match dashboard.v1: {exc}"
        return self._outcome(
            job_id,
            record,
            error,
            dashboard=dashboard,
            dashboard_path=path,
            accounted_at=accounted_at,
            finished=finished,
        )

    # --- reporting -----------------------------------------------------------------------------

    def _progress(self, job_id: str, record: JobRecord) -> JobProgress:
        return JobProgress(
            job_id=job_id,
            status=record.status,
            total=record.total,
            succeeded=record.succeeded,
            failed=record.failed,
            elapsed_seconds=time.monotonic() - self._started,
        )

    def _orchestrator_error(self, invocation: Invocation) -> str:
        if invocation.timed_out:
            return "the orchestrator timed out three times; the job was not started"
        return (
            f"the orchestrator failed three times ({type(invocation.error).__name__}: "
            f"{invocation.error}); the job was not started"
        )

    def _log_hint(self) -> str:
        return str(self._logs.path) if self._logs else "the service logs"

    def _outcome(
        self,
        job_id: str,
        record: JobRecord | None,
        error: str | None,
        *,
        dashboard: Dashboard | None = None,
        dashboard_path: Path | None = None,
        accounted_at: float | None = None,
        finished: float | None = None,
    ) -> RunOutcome:
        now = time.monotonic()
        return RunOutcome(
            job_id=job_id,
            status=record.status if record is not None and record.status.is_final else None,
            error=error,
            record=record,
            dashboard=dashboard,
            dashboard_path=dashboard_path,
            notices=tuple(self.notices),
            timings=RunTimings(
                setup_seconds=self._setup_seconds,
                submitted_seconds=self._submitted_seconds,
                all_books_accounted_seconds=(
                    None if accounted_at is None else accounted_at - self._started
                ),
                finished_seconds=finished,
                total_seconds=now - self._started,
            ),
            aws_calls=self.aws_counter.by_caller(),
            aws_operations=self.aws_counter.by_operation(),
            functions={
                name: dataclasses.replace(function.stats)
                for name, function in self.functions.items()
            },
            log_file=self._logs.path if self._logs else None,
        )


def _accounted(record: JobRecord) -> int:
    return record.succeeded + record.failed


def _sources(environment: Mapping[str, str | None]) -> list[str]:
    return [source for source in enabled_sources(environment) if source in ALL_SOURCES]


def _base_url(source: str, environment: Mapping[str, str | None]) -> str:
    return (
        environment.get(netcheck.BASE_URL_VARIABLES[source]) or netcheck.DEFAULT_BASE_URLS[source]
    )


def run_pipeline(
    csv: Path | bytes,
    out_dir: Path,
    options: RunOptions | None = None,
    *,
    file_name: str | None = None,
    progress: ProgressCallback | None = None,
) -> RunOutcome:
    """Runs one export through the whole pipeline and writes OUT_DIR/dashboard.json."""
    if isinstance(csv, Path):
        data = csv.read_bytes()
        name = file_name or csv.name
    else:
        data = csv
        name = file_name or DEFAULT_FILE_NAME
    with LocalPipeline(out_dir, options, expected_books=estimate_books(data)) as pipeline:
        pipeline.start_workers()
        job_id = pipeline.submit(data, name)
        return pipeline.wait(job_id, progress)
