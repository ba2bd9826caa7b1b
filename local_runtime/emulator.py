"""The AWS the services talk to on one machine: moto, as a server in a child process on a
loopback port (the default), or in-process.

Either way the services build their boto3 clients from the environment as they do in Lambda;
the runtime only decides which environment they see (fake credentials, region, endpoint).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import select
import subprocess
import sys
import tempfile
import threading
import urllib.request
from collections.abc import Iterator, Mapping
from typing import Any, Literal, Protocol

import boto3

from local_runtime import moto_server
from local_runtime.emulator_fixes import apply_client_fixes, apply_emulator_fixes
from local_runtime.lambda_events import REGION

EmulatorKind = Literal["in-process", "server"]

# Credentials and config that must not come from the developer's machine: a run must never
# reach real AWS, whatever ~/.aws or the shell says.
_ISOLATED_AWS_ENV: dict[str, str | None] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_PROFILE": None,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_ENDPOINT_URL": None,
    "AWS_ENDPOINT_URL_S3": None,
    "AWS_ENDPOINT_URL_SQS": None,
    "AWS_ENDPOINT_URL_DYNAMODB": None,
}

_LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


def loopback_no_proxy() -> str:
    """NO_PROXY with the loopback hosts added: a corporate proxy must not see emulator traffic."""
    current = [part for part in os.environ.get("NO_PROXY", "").split(",") if part]
    return ",".join(current + [host for host in _LOOPBACK_HOSTS if host not in current])


class AwsEmulator(Protocol):
    """A running emulator: the environment that points boto3 at it, and a way to stop it."""

    kind: EmulatorKind

    def launch(self) -> None:
        """Begins starting in the background (what takes time), so that other work overlaps."""
        ...

    def environment(self) -> dict[str, str | None]: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


class InProcessEmulator:
    """moto's `mock_aws`: botocore requests are answered inside the process, no sockets.

    The interception is process-wide (every boto3 client, whenever created), and moto starts
    from an empty state each time it is started.
    """

    kind: EmulatorKind = "in-process"

    def __init__(self) -> None:
        from moto import mock_aws

        self._mock = mock_aws()

    def launch(self) -> None:
        pass  # nothing to wait for

    def environment(self) -> dict[str, str | None]:
        return dict(_ISOLATED_AWS_ENV)

    def start(self) -> None:
        apply_emulator_fixes()
        self._mock.start()

    def stop(self) -> None:
        self._mock.stop()


class _SharedMotoServer:
    """One moto server per process, in a child process on a loopback port, reset between runs.

    Services may keep boto3 clients for the life of the process (as a warm Lambda does), and
    those clients remember their endpoint; a single server keeps them valid across runs.
    """

    STARTUP_TIMEOUT_SECONDS = 60.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._endpoint: str | None = None  # known once the server has said it is serving
        self._process: subprocess.Popen[bytes] | None = None
        self._errors: Any = None

    def launch(self) -> None:
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._endpoint = None
                self._process = self._spawn()

    def endpoint(self) -> str:
        self.launch()
        with self._lock:
            assert self._process is not None
            if self._endpoint is None:
                self._endpoint = self._wait_until_serving(self._process)
            return self._endpoint

    def _spawn(self) -> subprocess.Popen[bytes]:
        # The child imports what this process imports (a pex, a Pants sandbox, a checkout).
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}
        self._errors = tempfile.TemporaryFile()  # what the server says if it cannot start
        process = subprocess.Popen(
            [sys.executable, "-m", moto_server.__name__],  # noqa: S603 - a fixed module
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            env=env,
        )
        atexit.register(self._stop, process)
        return process

    def _wait_until_serving(self, process: subprocess.Popen[bytes]) -> str:
        assert process.stdout is not None
        ready = select.select([process.stdout], [], [], self.STARTUP_TIMEOUT_SECONDS)[0]
        line = process.stdout.readline().decode().strip() if ready else ""
        if line.startswith("http://127.0.0.1:"):
            return line
        process.kill()
        process.wait()
        self._errors.seek(0)
        said = self._errors.read().decode(errors="replace").strip()[-2000:] or line
        raise RuntimeError(
            f"the AWS emulator (moto server) did not start (exit code {process.returncode})"
            + (f": {said}" if said else "")
        )

    @staticmethod
    def _stop(process: subprocess.Popen[bytes]) -> None:
        if process.stdin is not None:
            process.stdin.close()  # the server's signal to end
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def reset(self) -> None:
        url = f"{self.endpoint()}/moto-api/reset"  # always http://127.0.0.1:<port>
        request = urllib.request.Request(url, method="POST")  # noqa: S310
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=10) as response:
            response.read()


_shared_server = _SharedMotoServer()


def server_process_id() -> int | None:
    """The moto server's process, if one runs (for measurements)."""
    process = _shared_server._process
    return process.pid if process is not None and process.poll() is None else None


class ServerEmulator:
    """moto's server in a child process on 127.0.0.1: the services reach it over HTTP through
    AWS_ENDPOINT_URL, and its work runs beside theirs instead of taking turns with them."""

    kind: EmulatorKind = "server"

    def launch(self) -> None:
        _shared_server.launch()
        apply_client_fixes()  # moto's own fixes are applied in its process

    def environment(self) -> dict[str, str | None]:
        env = dict(_ISOLATED_AWS_ENV)
        env["AWS_ENDPOINT_URL"] = _shared_server.endpoint()
        env["NO_PROXY"] = loopback_no_proxy()
        env["no_proxy"] = env["NO_PROXY"]
        return env

    def start(self) -> None:
        _shared_server.reset()

    def stop(self) -> None:
        _shared_server.reset()


def make_emulator(kind: EmulatorKind) -> AwsEmulator:
    if kind == "in-process":
        return InProcessEmulator()
    if kind == "server":
        return ServerEmulator()
    raise ValueError(f"unknown AWS emulator {kind!r}: use 'in-process' or 'server'")


@contextlib.contextmanager
def scoped_environ(changes: Mapping[str, str | None]) -> Iterator[None]:
    """Sets (or, for None, removes) variables for the duration of the block, then restores."""
    saved = {name: os.environ.get(name) for name in changes}
    try:
        for name, value in changes.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, previous in saved.items():
            if previous is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = previous


def fresh_default_session() -> boto3.Session:
    """Replaces boto3's default session so that it reads the current environment.

    Creating one client per service here also loads botocore's components once, on one
    thread: lazy loading from many threads at once is a known botocore race that a real,
    single-threaded Lambda environment never meets.
    """
    boto3.setup_default_session(region_name=REGION)
    session = boto3.DEFAULT_SESSION
    assert session is not None
    for service in ("s3", "sqs", "dynamodb"):
        session.client(service)  # type: ignore[call-overload]
    return session
