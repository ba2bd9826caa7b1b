"""A 100,000-row export (the orchestrator's limit) through the whole local pipeline, offline.

    python -m benchmarks.large_export_bench [--rows 100000] [--aws server] [-- COMMAND OPTIONS]

(from the repository root, in a CPython 3.13 environment with the python-default resolve's
requirements; `./pants run benchmarks/large_export_bench.py -- ARGS` runs the same)

Runs the command a reader runs, `python -m local_runtime.cli EXPORT --out DIR --offline`, as a
child process on a synthetic export (tests/support/exports.py), with the command's defaults
unless options follow `--`. Prints the job's status and books, the wall time, and the peak
resident memory of the command's process and of the AWS emulator's process (sampled from
/proc every 0.2 s; Linux only). Exits 1 unless the job is COMPLETE with every row a book or a
rejected row.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from contracts.codec import dashboard_decoder
from tests.support.exports import synthetic_export


class PeakMemory:
    """Peak resident memory of a process and of each of its children, sampled from /proc."""

    def __init__(self, pid: int, interval_seconds: float = 0.2) -> None:
        self.pid = pid
        self.peaks: dict[int, int] = {}  # pid -> peak kB
        self.names: dict[int, str] = {}
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in [self.pid, *self._children(self.pid)]:
                kilobytes, name = self._resident(pid)
                if kilobytes:
                    self.peaks[pid] = max(self.peaks.get(pid, 0), kilobytes)
                    self.names.setdefault(pid, name)
            self._stop.wait(self._interval)

    @staticmethod
    def _children(pid: int) -> list[int]:
        try:
            text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        except OSError:
            return []
        return [int(child) for child in text.split()]

    @staticmethod
    def _resident(pid: int) -> tuple[int, str]:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            return 0, ""
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]), command.strip()
        return 0, command.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=100)
    parser.add_argument("command_options", nargs="*", help="options of the command, after --")
    args = parser.parse_args()

    generated = time.perf_counter()
    # A tenth of the books reviewed keeps 100,000 rows under the 50 MB limit (the generator's
    # default share of reviews makes them 63 MB; see the orchestrator's README).
    export = synthetic_export(args.rows, seed=args.seed, reject_rate=0.001, review_rate=0.1)
    generated = time.perf_counter() - generated
    with tempfile.TemporaryDirectory(prefix="large-export-") as work:
        path = Path(work) / "goodreads_library_export.csv"
        path.write_bytes(export.data)
        out = Path(work) / "out"
        command = [
            sys.executable,
            "-m",
            "local_runtime.cli",
            str(path),
            "--out",
            str(out),
            "--offline",
            "--no-html",
            *args.command_options,
        ]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        started = time.perf_counter()
        child = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )  # noqa: S603
        with PeakMemory(child.pid) as memory:
            stdout, stderr = child.communicate()
        wall = time.perf_counter() - started
        dashboard = (
            dashboard_decoder.decode((out / "dashboard.json").read_bytes())
            if (out / "dashboard.json").exists()
            else None
        )

    print(
        f"large export: {args.rows:,} rows ({len(export.data) / 1e6:.1f} MB, generated in "
        f"{generated:.1f} s), offline, command options {args.command_options or 'default'}"
    )
    print(f"  exit code                  {child.returncode}")
    for line in stdout.decode().splitlines():
        print(f"  | {line}")
    for line in stderr.decode().splitlines()[-5:]:
        print(f"  stderr: {line}")
    print(f"  wall time                  {wall:.1f} s (command start to exit)")
    print(
        "  load average               {:.2f} {:.2f} {:.2f} (1, 5, 15 min, at the end)".format(
            *os.getloadavg()
        )
    )
    for pid, peak in sorted(memory.peaks.items()):
        role = (
            "command"
            if pid == child.pid
            else "AWS emulator" if "moto_server" in memory.names[pid] else memory.names[pid][:40]
        )
        print(f"  peak RSS, {role:<16} {peak / 1024:,.0f} MB")
    print(
        f"  peak RSS, both             {sum(memory.peaks.values()) / 1024:,.0f} MB (upper bound: peaks may not coincide)"
    )
    expected = len(export.books) + len(export.rejected_row_numbers)
    ok = (
        dashboard is not None
        and dashboard.status == "COMPLETE"
        and dashboard.counts.total + dashboard.counts.rejected == expected
    )
    if dashboard is not None:
        counts = dashboard.counts
        print(
            f"  dashboard                  {dashboard.status}: {counts.total:,} books, "
            f"{counts.missing:,} missing, {counts.rejected} rejected rows (of {expected:,} rows)"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
