"""goodreads-stats: a Goodreads export in, a dashboard JSON out, on this machine.

    goodreads-stats goodreads_library_export.csv --out stats/
    goodreads-stats serve            (the web app in a browser: local_runtime/serve.py)

Runs the real orchestrator, book processor and aggregator against an AWS emulator (moto) that
it starts itself, by default as a server in a child process. Exit code 0 when the job is COMPLETE or PARTIAL, 1 when it FAILED (with the
orchestrator's message), 2 when the run itself could not finish.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TextIO

from botocore.exceptions import BotoCoreError, ClientError

from contracts.messages import JobStatus
from local_runtime import serve
from local_runtime.arguments import add_deployment_arguments, positive_float, positive_int
from local_runtime.pipeline import (
    JobProgress,
    LocalPipeline,
    RunOptions,
    RunOutcome,
    estimate_books,
)
from local_runtime.viewer import ViewerUnavailable, write_viewer

PROGRAM = "goodreads-stats"


class ProgressPrinter:
    """Books done, failed, total and elapsed time, about once per second.

    On a terminal the line is redrawn in place; otherwise (--progress into a file or a pipe)
    each update is its own line.
    """

    def __init__(self, stream: TextIO, *, in_place: bool, interval_seconds: float = 1.0) -> None:
        self._stream = stream
        self._in_place = in_place
        self._interval = interval_seconds
        self._last_printed = float("-inf")
        self._last_line = ""
        self._width = 0

    def __call__(self, progress: JobProgress) -> None:
        now = time.monotonic()
        if now - self._last_printed < self._interval:
            return
        self._last_printed = now
        line = format_progress(progress)
        if line == self._last_line and not self._in_place:
            return
        self._last_line = line
        if self._in_place:
            self._stream.write("\r" + line.ljust(self._width))
            self._width = max(self._width, len(line))
        else:
            self._stream.write(line + "\n")
        self._stream.flush()

    def finish(self) -> None:
        if self._in_place and self._width:
            self._stream.write("\n")
            self._stream.flush()


def format_progress(progress: JobProgress) -> str:
    status = progress.status.value if progress.status else "STARTING"
    failed = f", {progress.failed} not enriched" if progress.failed else ""
    return (
        f"{status:<8} {progress.done}/{progress.total} books done{failed}"
        f"  {progress.elapsed_seconds:5.1f} s"
    )


def format_summary(outcome: RunOutcome) -> list[str]:
    """The end-of-run report for a job that produced a dashboard."""
    dashboard = outcome.dashboard
    elapsed = outcome.timings.finished_seconds or outcome.timings.total_seconds
    lines = [f"{outcome.status} in {elapsed:.1f} s (job {outcome.job_id})"]
    if dashboard is not None:
        counts = dashboard.counts
        summary = dashboard.summary
        detail = f"{counts.enriched} enriched, {counts.not_enriched} not enriched"
        if counts.missing:
            detail += f" (of which {counts.missing} missing)"
        if counts.rejected:
            detail += f"; {counts.rejected} rows rejected"
        lines.append(f"  books       {counts.total} ({detail})")
        years = ""
        if summary.reading_years:
            first, last = summary.reading_years[0], summary.reading_years[-1]
            years = f", {first}" if first == last else f", {first}-{last}"
        lines.append(
            f"  read        {summary.books_read} books, {summary.pages_read:,} pages{years}"
        )
        lines.append(f"  enrichment  {summary.enrichment_coverage:.1%} coverage")
        if dashboard.missing_book_ids:
            shown = ", ".join(dashboard.missing_book_ids[:5])
            more = len(dashboard.missing_book_ids) - 5
            lines.append(
                f"  missing     no result by the deadline: {shown}"
                + (f" and {more} more" if more > 0 else "")
            )
    lines.append(f"  dashboard   {outcome.dashboard_path}")
    return lines


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description=(
            "Turn a Goodreads library export into a dashboard JSON, running the whole "
            "serverless pipeline on this machine against an embedded AWS emulator. "
            "`goodreads-stats serve` serves the web app instead (see `serve --help`)."
        ),
    )
    parser.add_argument("export", type=Path, help="the Goodreads export CSV")
    parser.add_argument(
        "--out", type=Path, required=True, help="directory for dashboard.json and the logs"
    )
    add_deployment_arguments(
        parser,
        paced_deadline="120 plus 1.25 / the rate per book: room for one request per book to each host",
        unpaced_deadline="60, or 0.05 per book when that is more",
    )
    parser.add_argument(
        "--schedule-seconds",
        type=positive_float,
        default=5.0,
        help="period of the aggregator's sweep (default 5; one minute in AWS)",
    )
    parser.add_argument(
        "--visibility-timeout",
        type=positive_int,
        default=None,
        help=(
            "the task queue's visibility timeout: a batch whose invocation crashed comes back "
            "after it; the processor's timeout is what remains after the batching window "
            "(default: the processor's timeout, 5 s unpaced and 60 s paced, plus the window)"
        ),
    )
    parser.add_argument(
        "--progress",
        action="store_true",
        help="report progress on stderr even when it is not a terminal",
    )
    parser.add_argument(
        "--aws",
        choices=("server", "in-process"),
        default="server",
        help="moto's server in a child process on a loopback port (default: it works on a "
        "core of its own) or moto inside this process",
    )
    parser.add_argument(
        "--no-html", action="store_true", help="do not write the dashboard.html viewer"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        return serve.main(argv[1:])
    args = build_parser().parse_args(argv)
    stdout, stderr = sys.stdout, sys.stderr
    try:
        data = args.export.read_bytes()
    except OSError as exc:
        print(f"{PROGRAM}: cannot read {args.export}: {exc.strerror or exc}", file=stderr)
        return 2
    options = RunOptions(
        concurrency=args.concurrency,
        upstream_rps=args.upstream_rps,
        schedule_seconds=args.schedule_seconds,
        deadline_seconds=args.deadline_seconds,
        visibility_timeout_seconds=args.visibility_timeout,
        offline=args.offline,
        aws=args.aws,
        service_log_level=args.log_level,
    )
    show_progress = args.progress or stderr.isatty()
    printer = ProgressPrinter(stderr, in_place=stderr.isatty()) if show_progress else None
    try:
        with LocalPipeline(args.out, options, expected_books=estimate_books(data)) as pipeline:
            for notice in pipeline.notices:
                print(f"{PROGRAM}: notice: {notice}", file=stderr)
            pipeline.start_workers()
            job_id = pipeline.submit(data, args.export.name)
            try:
                outcome = pipeline.wait(job_id, printer)
            finally:
                if printer is not None:
                    printer.finish()
    except KeyboardInterrupt:
        print(f"{PROGRAM}: interrupted", file=stderr)
        return 130
    except ValueError as exc:  # a setting that cannot work, found before anything ran
        print(f"{PROGRAM}: {exc}", file=stderr)
        return 2
    except (BotoCoreError, ClientError) as exc:  # before OSError: some botocore errors are one
        print(f"{PROGRAM}: the embedded AWS (moto) failed: {exc}", file=stderr)
        return 2
    except OSError as exc:
        if exc.filename is None:  # not a file: a socket, a process
            print(f"{PROGRAM}: {exc}", file=stderr)
        else:  # the output directory cannot be created or written
            print(f"{PROGRAM}: {exc.filename}: {exc.strerror or exc}", file=stderr)
        return 2

    if outcome.status is JobStatus.FAILED:
        print(f"{PROGRAM}: the job FAILED: {outcome.error}", file=stderr)
        return outcome.exit_code
    if outcome.exit_code != 0:
        print(f"{PROGRAM}: error: {outcome.error}", file=stderr)
        return outcome.exit_code
    if outcome.error:  # a dashboard was written but does not decode: say so, keep exit 0
        print(f"{PROGRAM}: warning: {outcome.error}", file=stderr)
    viewer: Path | None = None
    if not args.no_html and outcome.dashboard_path is not None:
        try:
            viewer = write_viewer(outcome.dashboard_path.parent)
        except ViewerUnavailable as exc:  # the JSON is complete without the page: say so
            print(f"{PROGRAM}: notice: no dashboard.html: {exc}", file=stderr)
    for line in format_summary(outcome):
        print(line, file=stdout)
    if viewer is not None:
        print(f"  page        {viewer}", file=stdout)
    if outcome.log_file is not None:
        print(f"  logs        {outcome.log_file}", file=stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
