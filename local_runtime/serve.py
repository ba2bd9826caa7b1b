"""goodreads-stats serve: the web app and the HTTP API on 127.0.0.1, for a browser.

    goodreads-stats serve [--port 8000] [--offline]

Starts the local deployment (the embedded AWS, the three services, the event source mappings
and the schedule, as `goodreads-stats EXPORT.csv` does) and, in front of it, what CloudFront
serves in AWS (local_runtime/web_server.py): the upload page, each job's progress, its
dashboard, share and delete. Prints the URL; Ctrl-C stops everything it started. Nothing is
kept: the emulator holds jobs in memory, and they end with it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Final

from local_runtime.arguments import add_deployment_arguments
from local_runtime.options import RunOptions
from local_runtime.pipeline import LocalPipeline
from local_runtime.web_server import SiteNotBuilt, WebServer

PROGRAM: Final = "goodreads-stats serve"
# The deadline is one setting for every job, as JOB_DEADLINE_SECONDS is in AWS. Paced (always
# against the real APIs) it is sized for a library of this many books (900 s, AWS's default, at
# 3 requests/s per host: 120 s + 1,872 x 1.25 / 3 s); unpaced, the local clocks' 60 s, or 0.05 s
# per book of that library when more (93 s).
DEADLINE_LIBRARY_BOOKS: Final = 1872


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description=(
            "Serve the web app and the HTTP API on this machine, against an embedded AWS "
            "emulator: upload an export in a browser, follow it, read its dashboard."
        ),
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=8000, help="port to listen on (default 8000; 0 picks one)"
    )
    add_deployment_arguments(
        parser,
        paced_deadline="900 at 3 requests/s, AWS's default, and longer at a lower rate",
        unpaced_deadline="93",
    )
    parser.add_argument(
        "--logs",
        type=Path,
        default=None,
        help="directory for pipeline.log (default: a temporary one, removed at exit)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    stdout, stderr = sys.stdout, sys.stderr
    options = RunOptions(
        concurrency=args.concurrency,
        upstream_rps=args.upstream_rps,
        deadline_seconds=args.deadline_seconds,
        offline=args.offline,
        aws="server",
        service_log_level=args.log_level,
    )
    with tempfile.TemporaryDirectory(prefix="goodreads-stats-serve-") as temporary:
        logs = args.logs or Path(temporary)
        try:
            with LocalPipeline(logs, options, expected_books=DEADLINE_LIBRARY_BOOKS) as pipeline:
                for notice in pipeline.notices:
                    print(f"{PROGRAM}: notice: {notice}", file=stderr)
                pipeline.start_workers()
                with WebServer(pipeline, host=args.host, port=args.port) as server:
                    print(f"goodreads-stats is serving on {server.url}", file=stdout, flush=True)
                    print(f"  logs        {logs / 'pipeline.log'}", file=stdout, flush=True)
                    print(
                        "  Ctrl-C stops it, and everything it holds is gone.",
                        file=stdout,
                        flush=True,
                    )
                    server.serve_forever()
        except KeyboardInterrupt:
            print(f"{PROGRAM}: stopped", file=stderr)
            return 0
        except SiteNotBuilt as exc:
            print(f"{PROGRAM}: {exc}", file=stderr)
            return 2
        except ValueError as exc:  # a setting that cannot work, found before anything ran
            print(f"{PROGRAM}: {exc}", file=stderr)
            return 2
        except OSError as exc:  # the port is taken, or the log directory cannot be written
            print(f"{PROGRAM}: {exc.strerror or exc}", file=stderr)
            return 2
    return 0
