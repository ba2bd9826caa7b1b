"""`goodreads-stats serve` as a reader runs it: it prints the URL it serves on, answers there,
and Ctrl-C stops it and everything it started (the emulator's process among them)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

STARTUP_SECONDS = 60


def _children(pid: int) -> set[int]:
    """Every descendant of a process, from /proc (Linux)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_serve_prints_its_url_serves_the_app_and_stops_everything_on_ctrl_c(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "local_runtime.cli", "serve", "--port", "0", "--offline",
         "--logs", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + STARTUP_SECONDS
        line = ""
        while "serving on" not in line and time.monotonic() < deadline:
            line = process.stdout.readline()
            assert line or process.poll() is None, process.stderr.read() if process.stderr else ""
        url = line.rsplit(" ", 1)[-1].strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
            assert response.status == 200
            assert "Content-Security-Policy" in response.headers
        with urllib.request.urlopen(  # noqa: S310 - loopback
            urllib.request.Request(f"{url}api/jobs", method="POST"), timeout=10
        ) as response:
            assert response.status == 201  # the API function, behind the same origin
        started = _children(process.pid)
        assert started, "the emulator runs in a process of its own"

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "stopped" in (process.stderr.read() if process.stderr else "")
    time.sleep(0.5)  # a child that exits with its parent may take a moment to be reaped
    assert [pid for pid in started if _alive(pid)] == []
    try:
        urllib.request.urlopen(url, timeout=2)  # noqa: S310 - loopback
    except OSError:
        pass
    else:
        raise AssertionError("the server still answers after Ctrl-C")
