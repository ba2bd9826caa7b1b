"""One run of the whole pipeline on this machine, usable as a library and by the CLI.

    outcome = run_pipeline(Path("export.csv"), Path("out"), RunOptions(concurrency=8))

starts an embedded AWS (moto), creates the deployment's resources, cold-starts the three
services' unchanged handlers with the environment Lambda would give them, uploads the CSV
and plays the parts AWS plays around the code (S3 notification, SQS event source mappings,
the schedule) until the job is final, then writes the dashboard JSON to the output directory.

The parts, by concern: `options` (RunOptions), `clocks` (a run's timeouts and deadline),
`service_environment` (the functions' variables), `log_capture` (pipeline.log), `deployment`
(the lifecycle of the local deployment: emulator, resources, functions, event sources, upload)
and `monitor` (following a job to its outcome).
"""

from __future__ import annotations

from pathlib import Path

from contracts.messages import JobRecord
from local_runtime.clocks import Clocks, estimate_books, resolve_clocks
from local_runtime.deployment import LOG_FILE, LocalDeployment, safe_file_name
from local_runtime.monitor import (
    DASHBOARD_FILE,
    JobMonitor,
    JobProgress,
    ProgressCallback,
    RunOutcome,
    RunTimings,
)
from local_runtime.options import DEFAULT_FILE_NAME, RunOptions
from local_runtime.service_environment import ALL_SOURCES, enabled_sources, is_loopback_url

__all__ = [
    "ALL_SOURCES",
    "DASHBOARD_FILE",
    "DEFAULT_FILE_NAME",
    "LOG_FILE",
    "Clocks",
    "JobProgress",
    "LocalPipeline",
    "ProgressCallback",
    "RunOptions",
    "RunOutcome",
    "RunTimings",
    "enabled_sources",
    "estimate_books",
    "is_loopback_url",
    "resolve_clocks",
    "run_pipeline",
    "safe_file_name",
]


class LocalPipeline(LocalDeployment):
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
        super().__init__(out_dir, options, expected_books=expected_books)
        self.monitor = JobMonitor(self)

    def read_job(self, job_id: str) -> JobRecord | None:
        return self.monitor.read_job(job_id)

    def wait(self, job_id: str, progress: ProgressCallback | None = None) -> RunOutcome:
        """Follows the job until it is final, then writes its dashboard to the output dir."""
        return self.monitor.wait(job_id, progress)


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
