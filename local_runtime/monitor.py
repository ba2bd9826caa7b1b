"""Following a job of a local deployment until it is final, and what came of it: its record,
its dashboard (written to the output directory) and the run's figures."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import botocore.exceptions

from contracts import storage
from contracts.codec import DecodeError, dashboard_decoder
from contracts.dashboard import Dashboard
from contracts.messages import JobRecord, JobStatus
from local_runtime.functions import AGGREGATOR, FunctionStats, Invocation

if TYPE_CHECKING:
    from local_runtime.deployment import LocalDeployment

DASHBOARD_FILE = "dashboard.json"


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


class JobMonitor:
    """Reads a deployment's jobs as a reader's client would, and reports how a run went."""

    def __init__(self, deployment: LocalDeployment) -> None:
        self.deployment = deployment

    def read_job(self, job_id: str) -> JobRecord | None:
        item = self.deployment.dynamodb.get_item(
            TableName=self.deployment.environment.jobs_table,
            Key=storage.job_key(job_id),
            ConsistentRead=True,
        ).get("Item")
        return None if item is None else storage.job_record_from_item(item)

    def wait(self, job_id: str, progress: ProgressCallback | None = None) -> RunOutcome:
        """Follows the job until it is final, then writes its dashboard to the output dir."""
        self.deployment.start_workers()
        interval = self.deployment.options.monitor_interval_seconds
        deadline = time.monotonic() + self.deployment.running_clocks.run_timeout_seconds
        accounted_at: float | None = None
        record: JobRecord | None = None
        aggregations = self.deployment.functions[AGGREGATOR].stats.invocations
        while True:
            record = self.read_job(job_id)
            now = time.monotonic()
            submission = self.deployment.submissions.get(job_id)
            never_queued = record is None or record.status == JobStatus.RECEIVED
            if submission is not None and not submission.succeeded and never_queued:
                # S3's asynchronous invocation gave up before the job was queued: nothing will
                # move it on.
                error = self._orchestrator_error(submission)
                return self._outcome(job_id, record, error, accounted_at=accounted_at)
            if record is not None:
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
                    f"the job did not finish within {self.deployment.running_clocks.run_timeout_seconds:.0f} s "
                    f"(status {record.status if record else 'unknown'}); see {self._log_hint()}",
                    accounted_at=accounted_at,
                )
            # The aggregator makes a job COMPLETE or PARTIAL: read it again as soon as an
            # invocation of it ends, else after `interval` (progress, or a FAILED orchestration).
            aggregations = self.deployment.functions[AGGREGATOR].wait_for_invocations(
                aggregations, interval
            )

        if record.status == JobStatus.FAILED:
            message = record.error or "the job failed without a message"
            return self._outcome(job_id, record, message, accounted_at=accounted_at)
        return self._collect_dashboard(job_id, record, accounted_at)

    def _collect_dashboard(
        self, job_id: str, record: JobRecord, accounted_at: float | None
    ) -> RunOutcome:
        key = record.dashboard_key or storage.dashboard_key(job_id)
        s3 = self.deployment.s3
        give_up = time.monotonic() + 10.0
        while True:
            try:
                response = s3.get_object(Bucket=self.deployment.environment.data_bucket, Key=key)
                body: bytes = response["Body"].read()
                break
            except botocore.exceptions.ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                if code not in ("NoSuchKey", "404") or time.monotonic() > give_up:
                    return self._outcome(
                        job_id,
                        record,
                        f"the job is {record.status} but its dashboard s3://"
                        f"{self.deployment.environment.data_bucket}/{key} cannot be read ({code})",
                        accounted_at=accounted_at,
                    )
                time.sleep(0.1)
        path = self.deployment.out_dir / DASHBOARD_FILE
        temporary = path.with_suffix(".json.tmp")
        temporary.write_bytes(body)
        temporary.replace(path)
        finished = time.monotonic() - self.deployment.started_at
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

    def _progress(self, job_id: str, record: JobRecord) -> JobProgress:
        return JobProgress(
            job_id=job_id,
            status=record.status,
            total=record.total,
            succeeded=record.succeeded,
            failed=record.failed,
            elapsed_seconds=time.monotonic() - self.deployment.started_at,
        )

    def _orchestrator_error(self, invocation: Invocation) -> str:
        if invocation.timed_out:
            return "the orchestrator timed out three times; the job was not started"
        return (
            f"the orchestrator failed three times ({type(invocation.error).__name__}: "
            f"{invocation.error}); the job was not started"
        )

    def _log_hint(self) -> str:
        return str(self.deployment.logs.path) if self.deployment.logs else "the service logs"

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
            notices=tuple(self.deployment.notices),
            timings=RunTimings(
                setup_seconds=self.deployment.setup_seconds,
                submitted_seconds=self.deployment.submitted_seconds,
                all_books_accounted_seconds=(
                    None if accounted_at is None else accounted_at - self.deployment.started_at
                ),
                finished_seconds=finished,
                total_seconds=now - self.deployment.started_at,
            ),
            aws_calls=self.deployment.aws_counter.by_caller(),
            aws_operations=self.deployment.aws_counter.by_operation(),
            functions={
                name: dataclasses.replace(function.stats)
                for name, function in self.deployment.functions.items()
            },
            log_file=self.deployment.logs.path if self.deployment.logs else None,
        )


def _accounted(record: JobRecord) -> int:
    return record.succeeded + record.failed
