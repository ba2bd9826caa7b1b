"""The local runtime's choices that do not need the services: names, clocks, probes, viewer."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import socket

import pytest

from contracts import layout
from contracts.messages import JobStatus
from local_runtime import netcheck
from local_runtime.cli import ProgressPrinter
from local_runtime.clocks import PACED_START_INTERVAL_FACTOR
from local_runtime.emulator import scoped_environ
from local_runtime.pipeline import (
    DEFAULT_FILE_NAME,
    JobProgress,
    RunOptions,
    enabled_sources,
    estimate_books,
    is_loopback_url,
    resolve_clocks,
    safe_file_name,
)
from local_runtime.service_environment import function_environment
from local_runtime.viewer import render_viewer
from services.book_processor.pacing import ARRIVAL_JITTER_SECONDS


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("goodreads_library_export.csv", "goodreads_library_export.csv"),
        ("/home/me/exports/my export.csv", "my export.csv"),
        ("C:\\Users\\me\\export.csv", "export.csv"),
        ("../../etc/passwd", "passwd"),
        ("..", DEFAULT_FILE_NAME),
        ("", DEFAULT_FILE_NAME),
        ("bad\nname.csv", "bad_name.csv"),
        ("x" * 300 + ".csv", "x" * 255),
    ],
)
def test_uploads_are_named_by_a_plain_file_name(given: str, expected: str) -> None:
    assert safe_file_name(given) == expected


def test_books_are_estimated_by_csv_records_not_lines() -> None:
    export = b'Book Id,Title,My Review\n1,A,"line one\nline two"\n2,B,\n'

    assert estimate_books(export) == 2
    assert estimate_books(b"\xff\xfe not utf-8") == 0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ["openlibrary", "google_books"]),
        ("", []),
        ("OpenLibrary", ["openlibrary"]),
        ("google_books, openlibrary", ["google_books", "openlibrary"]),
    ],
)
def test_enabled_sources_are_read_as_the_processor_reads_them(
    value: str | None, expected: list[str]
) -> None:
    assert enabled_sources({"ENRICHMENT_SOURCES": value}) == expected


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8080", True),
        ("http://localhost:1", True),
        ("http://[::1]:9", True),
        ("https://openlibrary.org", False),
        ("https://10.0.0.1", False),
    ],
)
def test_loopback_urls_are_recognised(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


def test_local_upstreams_get_short_clocks_and_no_pace() -> None:
    clocks = resolve_clocks(RunOptions(), remote_upstream=False, expected_books=564)

    assert clocks.processor_timeout_seconds == 5
    # No message of a batch comes back while its invocation may run: timeout + window.
    window = layout.PROCESSOR_MAPPING.batching_window_seconds
    assert clocks.visibility_timeout_seconds == 5 + window
    assert clocks.deadline_seconds == 60
    assert clocks.upstream_max_rps == "0"
    assert clocks.run_timeout_seconds > clocks.deadline_seconds
    # Four redeliveries (base x 1, 2, 4, 8) fit in half the deadline.
    assert 15 * float(clocks.redelivery_base_seconds) <= clocks.deadline_seconds / 2


def test_a_library_too_large_for_the_local_minute_gets_a_longer_deadline() -> None:
    clocks = resolve_clocks(RunOptions(), remote_upstream=False, expected_books=100_000)

    assert clocks.deadline_seconds == 5000  # 20 books a second
    assert clocks.run_timeout_seconds > clocks.deadline_seconds


def test_the_real_apis_are_paced_at_three_per_second_per_host_for_the_whole_run() -> None:
    small = resolve_clocks(RunOptions(concurrency=4), remote_upstream=True, expected_books=10)
    large = resolve_clocks(RunOptions(concurrency=16), remote_upstream=True, expected_books=5000)

    assert small.upstream_max_rps == large.upstream_max_rps == "3"  # whatever the concurrency
    assert small.processor_timeout_seconds == layout.BOOK_PROCESSOR.timeout_seconds
    # Room for one request per book to each host at the pace (one start every 1.25/3 s).
    assert small.deadline_seconds == 120 + int(10 * 1.25 / 3) == 124
    assert large.deadline_seconds == 120 + int(5000 * 1.25 / 3) == 2203


def test_the_paced_deadline_counts_the_processors_interval_between_starts() -> None:
    assert PACED_START_INTERVAL_FACTOR == 1 + ARRIVAL_JITTER_SECONDS


def test_a_local_upstream_given_a_rate_gets_the_clocks_of_the_real_apis() -> None:
    paced = resolve_clocks(RunOptions(upstream_rps=3), remote_upstream=False, expected_books=564)
    real = resolve_clocks(RunOptions(), remote_upstream=True, expected_books=564)
    unpaced = resolve_clocks(RunOptions(upstream_rps=0), remote_upstream=True, expected_books=9)

    assert paced == real
    assert (unpaced.upstream_max_rps, unpaced.processor_timeout_seconds) == ("0", 5)


def test_the_rate_comes_from_upstream_max_rps_when_no_option_sets_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("UPSTREAM_MAX_RPS", "1.5")
    options = RunOptions(
        openlibrary_base_url="http://127.0.0.1:9", google_books_base_url="http://127.0.0.1:9"
    )

    from_env = function_environment(
        dataclasses.replace(options, check_network=False), expected_books=100
    )
    from_option = function_environment(
        dataclasses.replace(options, check_network=False, upstream_rps=2), expected_books=100
    )

    assert from_env.variables["UPSTREAM_MAX_RPS"] == "1.5"
    assert from_env.clocks.processor_timeout_seconds == layout.BOOK_PROCESSOR.timeout_seconds
    assert from_option.variables["UPSTREAM_MAX_RPS"] == "2"


def test_explicit_clocks_win_and_the_processor_timeout_cannot_exceed_the_visibility() -> None:
    options = RunOptions(deadline_seconds=7, visibility_timeout_seconds=4)
    clocks = resolve_clocks(options, remote_upstream=True, expected_books=1000)

    assert (clocks.deadline_seconds, clocks.visibility_timeout_seconds) == (7, 4)
    assert clocks.processor_timeout_seconds == 4 - layout.PROCESSOR_MAPPING.batching_window_seconds
    with pytest.raises(ValueError, match="visibility"):
        resolve_clocks(
            RunOptions(visibility_timeout_seconds=2, processor_timeout_seconds=3),
            remote_upstream=False,
            expected_books=0,
        )


def test_a_listening_source_is_reachable_and_a_closed_port_is_not() -> None:
    with socket.socket() as listening, socket.socket() as closed:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        open_url = "http://127.0.0.1:%d" % listening.getsockname()[1]
        closed_url = "http://127.0.0.1:%d" % closed.getsockname()[1]

        results = netcheck.probe_sources({"openlibrary": open_url, "google_books": closed_url})

    assert [(r.source, r.reachable) for r in results] == [
        ("openlibrary", True),
        ("google_books", False),
    ]
    assert "refused" in results[1].detail


def test_the_probe_goes_to_the_proxy_when_one_applies() -> None:
    with socket.socket() as proxy:
        proxy.bind(("127.0.0.1", 0))
        proxy.listen()
        proxy_url = "http://127.0.0.1:%d" % proxy.getsockname()[1]
        with scoped_environ({"HTTPS_PROXY": proxy_url, "https_proxy": proxy_url, "NO_PROXY": ""}):
            result = netcheck.probe("openlibrary", "https://unresolvable.invalid")

    assert result.reachable


def test_the_viewer_embeds_the_dashboard_as_inert_data() -> None:
    hostile = '</script><script>alert("x")</script><img src=x onerror=alert(1)>&amp;'
    dashboard = json.dumps({"books": [{"title": hostile}]}).encode()

    page = render_viewer(dashboard)

    data = re.search(
        r'<script type="application/json" id="dashboard-data">(.*?)</script>', page, re.S
    )
    assert data is not None
    assert "<" not in data.group(1) and ">" not in data.group(1) and "&" not in data.group(1)
    assert json.loads(data.group(1)) == json.loads(dashboard)
    assert page.count("<script") == 2  # the data and the app's own script, nothing injected
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None
    directives = dict(part.strip().split(" ", 1) for part in policy.group(1).split(";"))
    assert directives["default-src"] == "'none'"
    assert re.fullmatch(r"'sha256-[A-Za-z0-9+/]{43}='", directives["script-src"])
    assert "unsafe" not in policy.group(1)


def _progress(done: int, failed: int = 0) -> JobProgress:
    return JobProgress(
        job_id="j", status=JobStatus.QUEUED, total=40, succeeded=done - failed, failed=failed,
        elapsed_seconds=2.5,
    )  # fmt: skip


def test_progress_is_a_line_per_update_when_stderr_is_not_a_terminal() -> None:
    stream = io.StringIO()
    printer = ProgressPrinter(stream, in_place=False, interval_seconds=0)

    printer(_progress(10))
    printer(_progress(25, failed=2))
    printer.finish()

    assert stream.getvalue().splitlines() == [
        "QUEUED   10/40 books done    2.5 s",
        "QUEUED   25/40 books done, 2 not enriched    2.5 s",
    ]


def test_progress_redraws_one_line_on_a_terminal() -> None:
    stream = io.StringIO()
    printer = ProgressPrinter(stream, in_place=True, interval_seconds=0)

    printer(_progress(25, failed=2))
    printer(_progress(40))
    printer.finish()

    assert stream.getvalue().count("\r") == 2
    assert stream.getvalue().endswith("\n") and stream.getvalue().count("\n") == 1
