"""A reduced chaos run (benchmarks/chaos.py runs the full one): jobs through the whole local
pipeline while upstream requests fail, invocations crash and deliveries repeat, then an audit
of every book (tests/support/chaos.py)."""

from __future__ import annotations

from pathlib import Path

from tests.support.chaos import ChaosConfig, run_chaos


def test_under_chaos_no_book_is_lost_or_counted_twice_and_every_job_ends_by_its_deadline(
    tmp_path: Path,
) -> None:
    config = ChaosConfig(
        jobs=3,
        books=80,
        seed=1414,
        upstream_fault_rate=0.2,
        crash_rate=0.25,
        duplicate_rate=0.2,
        notification_duplicate_rate=1.0,
        deadline_seconds=45,
    )

    report = run_chaos(config, tmp_path)

    assert report.lost == 0, report.text()
    assert report.duplicated == 0, report.text()
    assert report.terminal_share == 1.0, report.text()
    assert report.books == sum(job.books for job in report.jobs) > 200
    kinds = set(report.faults)
    assert "S3 notification sent twice at once" in kinds
    assert any(kind.startswith("book_processor crash") for kind in kinds), report.text()
    assert any(kind in kinds for kind in ("hang", "5xx", "429 with Retry-After")), report.text()
