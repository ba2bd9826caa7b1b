"""The AWS emulator's server process: it serves AWS's APIs and ends with its parent."""

from __future__ import annotations

import os
import subprocess
import sys

import boto3

from local_runtime.emulator import ServerEmulator, scoped_environ


def test_the_server_process_serves_aws_and_exits_when_its_parent_lets_go() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}
    server = subprocess.Popen(
        [sys.executable, "-m", "local_runtime.moto_server"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    try:
        assert server.stdout is not None and server.stdin is not None
        endpoint = server.stdout.readline().decode().strip()
        assert endpoint.startswith("http://127.0.0.1:")
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - moto's
        )
        s3.create_bucket(Bucket="served")
        assert [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]] == ["served"]

        server.stdin.close()  # what happens when the parent exits, however it exits

        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_each_run_starts_from_an_empty_aws() -> None:
    emulator = ServerEmulator()
    with scoped_environ(emulator.environment()):
        emulator.start()
        sqs = boto3.client("sqs")
        sqs.create_queue(QueueName="left-over")
        emulator.stop()

        emulator.start()
        assert sqs.list_queues().get("QueueUrls", []) == []
        emulator.stop()
