"""The HTTP API under a bounded burst, over loopback: does it keep its error shape, and lose no job?

    with LocalPipeline(out_dir, RunOptions(aws="server", offline=True)) as pipeline:
        report = run_burst(pipeline, BurstConfig(clients=32, jobs=20))

`LoopbackGateway` plays API Gateway on 127.0.0.1: each HTTP request becomes a payload-2.0
event for the unchanged API function (local_runtime.api_flow.LocalApi), whose answer goes back
as HTTP. A burst is `clients` threads at once, each a reader's browser that creates a job,
uploads its export with the presigned form (a real multipart POST to the emulated S3) and
follows it, mixed with requests a client gets wrong (an id that is not one, an unknown job, a
delete without its token, a route that does not exist, a dashboard asked for too early). Then
every job is followed to its end.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import random
import statistics
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from local_runtime.api_flow import LocalApi
from local_runtime.pipeline import LocalPipeline
from tests.support.chaos import tasks_in_dlq
from tests.support.exports import synthetic_export

FINAL = {"COMPLETE", "PARTIAL", "FAILED"}


class LoopbackGateway:
    """API Gateway on a loopback port in front of a LocalApi; a context manager."""

    def __init__(self, api: LocalApi) -> None:
        self.api = api
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> LoopbackGateway:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(api: LocalApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            path = self.path.split("?", 1)[0]
            response = api.request(
                self.command, path, headers=dict(self.headers.items()), body=body
            )
            self.send_response(response.status)
            for name, value in response.headers.items():
                if name not in ("content-length", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.wire_body)))
            self.end_headers()
            self.wfile.write(response.wire_body)

        do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_OPTIONS = _serve  # noqa: N815

    return Handler


@dataclasses.dataclass(frozen=True)
class BurstConfig:
    clients: int = 32  # at once
    jobs: int = 20  # created, uploaded and followed
    books: int = 40  # rows per export
    mistakes_per_job: int = 8  # requests a client gets wrong, beside each job's own
    polls_per_job: int = 4
    seed: int = 1
    finish_within_seconds: float = 120.0


@dataclasses.dataclass
class BurstReport:
    requests: int
    seconds: float  # the burst itself
    statuses: Counter[int]
    latencies: list[float]
    bad_error_shapes: list[str]
    server_errors: list[str]
    jobs_created: int
    jobs_final: Counter[str]
    jobs_lost: list[str]  # not final in time, or a book neither stored nor in the DLQ
    finished_seconds: float  # from the start of the burst until every job was final

    @property
    def passed(self) -> bool:
        return not (self.bad_error_shapes or self.server_errors or self.jobs_lost)

    def text(self) -> str:
        latencies = sorted(self.latencies)
        p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else 0.0
        return "\n".join(
            [
                f"API burst: {'PASSED' if self.passed else 'FAILED'}",
                f"  requests                 {self.requests} in {self.seconds:.1f} s "
                f"({self.requests / self.seconds:.0f}/s)",
                "  by status                "
                + ", ".join(f"{status} {n}" for status, n in sorted(self.statuses.items())),
                f"  latency                  median {statistics.median(latencies) * 1000:.0f} ms, "
                f"95th percentile {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms",
                f"  5xx answers              {len(self.server_errors)} (must be 0)",
                f"  errors not in the shape  {len(self.bad_error_shapes)} (must be 0)",
                f"  jobs                     {self.jobs_created} created and uploaded; "
                + ", ".join(f"{n} {status}" for status, n in sorted(self.jobs_final.items())),
                f"  jobs lost                {len(self.jobs_lost)} (must be 0)",
                f"  every job final after    {self.finished_seconds:.1f} s",
            ]
        )


class _Client:
    """What the burst's clients share: a session, and every answer they got."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.latencies: list[float] = []
        self.bad_shapes: list[str] = []
        self.server_errors: list[str] = []
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.trust_env = False  # loopback: never through a proxy
        return session

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        started = time.perf_counter()
        response = self._session().request(method, self.base_url + path, timeout=60, **kwargs)
        elapsed = time.perf_counter() - started
        problem = _shape_problem(response)
        with self.lock:
            self.statuses[response.status_code] += 1
            self.latencies.append(elapsed)
            if response.status_code >= 500:
                self.server_errors.append(
                    f"{method} {path}: {response.status_code} {response.text[:200]}"
                )
            elif problem:
                self.bad_shapes.append(f"{method} {path}: {problem}")
        return response


def _shape_problem(response: requests.Response) -> str | None:
    if response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        return f"not JSON: {response.text[:100]!r}"
    if (
        not isinstance(body, dict)
        or set(body) != {"error"}
        or not isinstance(body["error"], dict)
        or set(body["error"]) != {"code", "message"}
        or not isinstance(body["error"]["code"], str)
    ):
        return f"not the error shape: {json.dumps(body)[:100]}"
    return None


def run_burst(pipeline: LocalPipeline, config: BurstConfig) -> BurstReport:
    """The burst against an open LocalPipeline (its workers started), with the server emulator
    (the uploads are HTTP POSTs to it)."""
    rng = random.Random(config.seed)
    exports = [
        synthetic_export(config.books, seed=config.seed * 1000 + n) for n in range(config.jobs)
    ]
    with LocalApi(pipeline) as api, LoopbackGateway(api) as gateway:
        client = _Client(gateway.base_url)
        created: list[str] = []
        export_of: dict[str, int] = {}
        created_lock = threading.Lock()

        def reader(number: int) -> None:
            response = client.call("POST", "/jobs")
            if response.status_code != 201:
                return
            job = response.json()
            with created_lock:
                created.append(job["job_id"])
                export_of[job["job_id"]] = number
            api.upload(job["upload"], exports[number].data)
            for _ in range(config.polls_per_job):
                client.call("GET", f"/jobs/{job['job_id']}")
                client.call("GET", f"/jobs/{job['job_id']}/dashboard")

        def mistake(kind: str) -> None:
            some_job = rng.choice(created) if created else str(uuid.uuid4())
            if kind == "not an id":
                client.call("GET", "/jobs/not-a-job-id")
            elif kind == "unknown job":
                client.call("GET", f"/jobs/{uuid.uuid4()}")
            elif kind == "no token":
                client.call("DELETE", f"/jobs/{some_job}")
            elif kind == "wrong token":
                client.call("DELETE", f"/jobs/{some_job}", headers={"Authorization": "Bearer x"})
            elif kind == "no route":
                client.call("PUT", "/jobs")
            else:
                client.call(
                    "GET", f"/jobs/{some_job}/dashboard", headers={"Accept-Encoding": "gzip"}
                )

        kinds = ["not an id", "unknown job", "no token", "wrong token", "no route", "dashboard"]
        work: list[tuple[Any, Any]] = [(reader, n) for n in range(config.jobs)]
        work += [(mistake, rng.choice(kinds)) for _ in range(config.jobs * config.mistakes_per_job)]
        rng.shuffle(work)
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(max_workers=config.clients) as pool:
            for future in [pool.submit(task, argument) for task, argument in work]:
                future.result()
        burst_seconds = time.perf_counter() - started

        books = {job_id: len(exports[number].books) for job_id, number in export_of.items()}
        final, lost = _follow(pipeline, client, books, config)
        finished = time.perf_counter() - started
    return BurstReport(
        requests=sum(client.statuses.values()),
        seconds=burst_seconds,
        statuses=client.statuses,
        latencies=client.latencies,
        bad_error_shapes=client.bad_shapes,
        server_errors=client.server_errors,
        jobs_created=len(created),
        jobs_final=final,
        jobs_lost=lost,
        finished_seconds=finished,
    )


def _follow(
    pipeline: LocalPipeline, client: _Client, books: dict[str, int], config: BurstConfig
) -> tuple[Counter[str], list[str]]:
    """Every job's final status, and the jobs lost: not final in time, or with a book neither
    stored nor in the task queue's dead-letter queue (where an operator can redrive it)."""
    give_up = time.perf_counter() + config.finish_within_seconds
    statuses: dict[str, str] = {}
    while time.perf_counter() < give_up:
        for job_id in books:
            if statuses.get(job_id) not in FINAL:
                statuses[job_id] = client.call("GET", f"/jobs/{job_id}").json()["status"]
        if all(statuses.get(job_id) in FINAL for job_id in books):
            break
        time.sleep(0.5)
    in_dlq = tasks_in_dlq(pipeline)
    lost = []
    for job_id, expected in books.items():
        if statuses.get(job_id) not in ("COMPLETE", "PARTIAL"):
            lost.append(f"{job_id}: {statuses.get(job_id)}")
            continue
        dashboard = client.call("GET", f"/jobs/{job_id}/dashboard").json()
        missing = set(dashboard["missing_book_ids"]) - {
            book for job, book in in_dlq if job == job_id
        }
        if dashboard["counts"]["total"] != expected or missing:
            lost.append(
                f"{job_id}: {dashboard['counts']}, missing without a task in the DLQ: {sorted(missing)[:5]}"
            )
    return Counter(statuses.values()), lost
