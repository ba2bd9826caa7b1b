"""The whole pipeline on one machine: the real services, an embedded AWS and a loopback upstream.

Each test runs a job from upload to dashboard through `local_runtime` and checks the dashboard
the reader would get against what the export and the upstream catalogue imply.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contracts.codec import dashboard_decoder, task_decoder
from contracts.messages import JobStatus
from local_runtime import cli
from local_runtime.pipeline import LocalPipeline, RunOptions, run_pipeline
from tests.support.catalogue import Catalogue, catalogue_for
from tests.support.exports import SyntheticExport, synthetic_export
from tests.support.upstream_server import Api, Fault, UpstreamServer, unreachable_base_url

_SERVICE_MODULES = ("services.orchestrator.parser", "services.book_processor.handler")


@pytest.fixture(scope="module")
def library() -> SyntheticExport:
    return synthetic_export(300, seed=11, reject_rate=0.02)


@pytest.fixture(scope="module")
def catalogue(library: SyntheticExport) -> Catalogue:
    return catalogue_for(library.books)


@pytest.fixture
def upstream(catalogue: Catalogue) -> Iterator[UpstreamServer]:
    with UpstreamServer(catalogue.fixtures) as server:
        yield server


def _options(upstream: UpstreamServer, **overrides: Any) -> RunOptions:
    settings: dict[str, Any] = {
        "concurrency": 8,
        "schedule_seconds": 1.0,
        "openlibrary_base_url": upstream.openlibrary_base_url,
        "google_books_base_url": upstream.google_books_base_url,
    }
    settings.update(overrides)
    return RunOptions(**settings)


def test_an_export_of_several_hundred_books_becomes_the_expected_dashboard(
    library: SyntheticExport, catalogue: Catalogue, upstream: UpstreamServer, tmp_path: Path
) -> None:
    outcome = run_pipeline(library.data, tmp_path, _options(upstream))

    assert (outcome.status, outcome.error, outcome.exit_code) == (JobStatus.COMPLETE, None, 0)
    written = (tmp_path / "dashboard.json").read_bytes()
    dashboard = dashboard_decoder.decode(written)
    assert dashboard == outcome.dashboard
    assert dashboard.job_id == outcome.job_id and dashboard.status == JobStatus.COMPLETE

    by_id = {book.book_id: book for book in dashboard.books}
    expected = {book.book_id: book for book in library.books}
    assert len(dashboard.books) == len(by_id) == len(expected)  # each book once, none invented
    assert by_id.keys() == expected.keys()
    assert dashboard.counts.total == len(expected)
    assert dashboard.counts.rejected == len(library.rejected_row_numbers) > 0
    assert dashboard.missing_book_ids == ()

    enriched = {book_id for book_id, book in by_id.items() if book.enrichment == "enriched"}
    not_found = {book_id for book_id, book in by_id.items() if book.enrichment == "not_found"}
    assert enriched == catalogue.known.keys()
    assert not_found == catalogue.unknown
    assert dashboard.counts.enriched == len(enriched)
    assert dashboard.summary.enrichment_coverage == pytest.approx(
        len(enriched) / len(expected), abs=1e-4
    )
    for book_id, genre in catalogue.known.items():
        if expected[book_id].isbn13:  # found by ISBN: the catalogue entry of this very book
            assert genre in by_id[book_id].genres, by_id[book_id]
            assert by_id[book_id].pages is not None
    for book_id, book in by_id.items():
        assert (book.title, book.exclusive_shelf) == (
            expected[book_id].title,
            expected[book_id].exclusive_shelf,
        )
    assert outcome.functions["book_processor"].timeouts == 0


def _divert_one_task_to_the_dlq(pipeline: LocalPipeline) -> str:
    """What five crashed deliveries of one book would do: its task ends in the DLQ unprocessed."""
    sqs = pipeline.session.client("sqs")
    env = pipeline.environment
    message = sqs.receive_message(QueueUrl=env.task_queue_url, MaxNumberOfMessages=1)["Messages"][0]
    sqs.send_message(QueueUrl=env.task_dlq_url, MessageBody=message["Body"])
    sqs.delete_message(QueueUrl=env.task_queue_url, ReceiptHandle=message["ReceiptHandle"])
    return task_decoder.decode(message["Body"]).book_id


def _dlq_bodies(pipeline: LocalPipeline) -> list[str]:
    sqs = pipeline.session.client("sqs")
    bodies: list[str] = []
    while messages := sqs.receive_message(
        QueueUrl=pipeline.environment.task_dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=60
    ).get("Messages", []):
        bodies.extend(message["Body"] for message in messages)
    return bodies


def test_faults_and_poison_messages_end_partial_with_every_book_accounted_for(
    catalogue: Catalogue, upstream: UpstreamServer, tmp_path: Path
) -> None:
    library = synthetic_export(40, seed=5)
    catalogue = catalogue_for(library.books)
    upstream.clear_books()
    upstream.add_books(catalogue.fixtures)
    # Open Library never answers; Google Books stumbles, then answers.
    upstream.inject(Fault.server_error(503), api=Api.OPENLIBRARY)
    upstream.inject(Fault.too_many_requests("1"), api=Api.GOOGLE_BOOKS, times=3)
    upstream.inject(Fault.drop_connection(), api=Api.GOOGLE_BOOKS, times=2)
    options = _options(
        upstream,
        concurrency=4,
        # The poison message's five receives, 3 s apart, end before the deadline: the
        # processor's 2 s, and a batching window of 1 s.
        visibility_timeout_seconds=3,
        processor_batching_window_seconds=1,
        deadline_seconds=20,
        environment={"UPSTREAM_MAX_ATTEMPTS": "2"},
    )

    with LocalPipeline(tmp_path, options) as pipeline:
        job_id = pipeline.submit(library.data)
        missing_book = _divert_one_task_to_the_dlq(pipeline)
        poison = "{not json: a message no decoder can read"
        pipeline.session.client("sqs").send_message(
            QueueUrl=pipeline.environment.task_queue_url, MessageBody=poison
        )
        pipeline.start_workers()
        outcome = pipeline.wait(job_id)
        dlq = _dlq_bodies(pipeline)

    assert (outcome.status, outcome.exit_code) == (JobStatus.PARTIAL, 0)
    dashboard = outcome.dashboard
    assert dashboard is not None
    assert dashboard.missing_book_ids == (missing_book,)
    assert dashboard.counts.missing == 1
    by_id = {book.book_id: book for book in dashboard.books}
    assert by_id.keys() == {book.book_id for book in library.books}
    assert len(dashboard.books) == dashboard.counts.total == len(library.books)
    assert dashboard.counts.enriched + dashboard.counts.not_enriched == dashboard.counts.total
    for book_id, book in by_id.items():
        if book_id == missing_book:
            assert book.enrichment == "missing"
        elif book_id in catalogue.known:
            assert book.enrichment == "enriched", book  # Google Books answered in the end
        else:
            # Unknown to Google, and Open Library never answered: failed on the last attempt.
            assert book.enrichment == "failed", book
            assert book.enrichment_reason
    assert poison in dlq
    assert outcome.functions["book_processor"].invocations > 0


def test_a_file_that_is_not_an_export_fails_with_the_orchestrators_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "notes.csv"
    export.write_text("shopping list,quantity\nbread,1\n")

    exit_code = cli.main([str(export), "--out", str(tmp_path / "out"), "--offline"])

    assert exit_code == 1
    stderr = capsys.readouterr().err
    assert "FAILED" in stderr
    assert "missing required columns" in stderr
    assert not (tmp_path / "out" / "dashboard.json").exists()


def test_the_command_writes_the_dashboard_and_summarises_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    library = synthetic_export(25, seed=2)
    export = tmp_path / "goodreads_library_export.csv"
    export.write_bytes(library.data)
    out = tmp_path / "stats"
    modules_before = {name: sys.modules.get(name) for name in _SERVICE_MODULES}

    exit_code = cli.main([str(export), "--out", str(out), "--offline", "--concurrency", "2"])

    assert exit_code == 0
    # The run's cold start does not replace the service modules the rest of the process uses.
    assert {name: sys.modules.get(name) for name in _SERVICE_MODULES} == modules_before
    dashboard = dashboard_decoder.decode((out / "dashboard.json").read_bytes())
    assert dashboard.status == JobStatus.COMPLETE
    assert {book.enrichment for book in dashboard.books} == {"skipped"}
    stdout = capsys.readouterr().out
    assert stdout.startswith("COMPLETE in ")
    assert f"books       {len(library.books)} " in stdout
    assert str(out / "dashboard.json") in stdout
    assert (out / "dashboard.html").is_file()
    assert (out / "pipeline.log").stat().st_size > 0


def test_without_network_the_run_finishes_promptly_with_books_not_enriched_and_a_notice(
    tmp_path: Path,
) -> None:
    library = synthetic_export(20, seed=4)
    nowhere = unreachable_base_url()

    outcome = run_pipeline(
        library.data,
        tmp_path,
        RunOptions(openlibrary_base_url=nowhere, google_books_base_url=nowhere),
    )

    assert outcome.status == JobStatus.COMPLETE
    assert outcome.dashboard is not None
    assert {book.enrichment for book in outcome.dashboard.books} == {"skipped"}
    assert any("no network" in notice for notice in outcome.notices)


def test_unreachable_sources_fail_fast_and_books_end_failed_without_the_probe(
    tmp_path: Path,
) -> None:
    library = synthetic_export(20, seed=6)
    nowhere = unreachable_base_url()

    outcome = run_pipeline(
        library.data,
        tmp_path,
        RunOptions(
            openlibrary_base_url=nowhere,
            google_books_base_url=nowhere,
            check_network=False,
            visibility_timeout_seconds=5,  # the processor's 3 s (after the batching window)
            max_receive_count=2,
            schedule_seconds=1.0,
        ),
    )

    assert outcome.status == JobStatus.COMPLETE
    assert outcome.dashboard is not None
    reasons = {book.enrichment_reason or "" for book in outcome.dashboard.books}
    assert {book.enrichment for book in outcome.dashboard.books} == {"failed"}
    assert all("refused" in reason for reason in reasons), reasons
    assert outcome.functions["book_processor"].timeouts == 0


def test_the_pipeline_also_runs_against_motos_server_on_a_loopback_port(tmp_path: Path) -> None:
    library = synthetic_export(15, seed=8)

    outcome = run_pipeline(library.data, tmp_path, RunOptions(offline=True, aws="server"))

    assert outcome.status == JobStatus.COMPLETE
    assert outcome.dashboard is not None
    assert outcome.dashboard.counts.total == len(library.books)
    assert json.loads((tmp_path / "dashboard.json").read_bytes())["job_id"] == outcome.job_id


def test_the_deadline_comes_from_job_deadline_seconds_when_no_flag_sets_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOB_DEADLINE_SECONDS", "42")

    outcome = run_pipeline(synthetic_export(5, seed=9).data, tmp_path, RunOptions(offline=True))

    record = outcome.record
    assert record is not None and record.deadline and record.queued_at
    assert (record.deadline - record.queued_at).total_seconds() == 42


def test_an_unknown_enrichment_source_is_refused_before_anything_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENRICHMENT_SOURCES", "openlibrary,goodreads")
    export = tmp_path / "export.csv"
    export.write_bytes(synthetic_export(3, seed=1).data)

    assert cli.main([str(export), "--out", str(tmp_path / "out")]) == 2
    assert "unknown sources goodreads" in capsys.readouterr().err
