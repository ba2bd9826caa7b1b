"""The HTTP API under a bounded burst over loopback (benchmarks/api_burst.py runs a larger one):
every answer keeps the error shape, nothing a client does gets a 5xx, and no job is lost."""

from __future__ import annotations

from pathlib import Path

from local_runtime.pipeline import LocalPipeline, RunOptions
from tests.support.api_burst import BurstConfig, run_burst


def test_a_burst_of_requests_keeps_the_error_shape_and_loses_no_job(tmp_path: Path) -> None:
    options = RunOptions(
        aws="server",
        offline=True,
        concurrency=4,
        schedule_seconds=1.0,
        visibility_timeout_seconds=30,
    )
    with LocalPipeline(tmp_path, options) as pipeline:
        pipeline.start_workers()
        report = run_burst(pipeline, BurstConfig(clients=24, jobs=10, books=20, seed=3))

    assert report.server_errors == [], report.text()
    assert report.bad_error_shapes == [], report.text()
    assert report.jobs_lost == [], report.text()
    assert report.jobs_created == 10 and report.jobs_final == {"COMPLETE": 10}
    assert report.requests >= 150
    assert {400, 403, 404}.issubset(report.statuses), report.text()
