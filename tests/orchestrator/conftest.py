"""Fixtures of the orchestrator tests: settings, clients and helpers on the moto `aws` fixture."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from contracts.storage import new_job_id, upload_key
from local_runtime.resources import ServiceEnvironment
from services.orchestrator.orchestrate import Clients, Upload
from services.orchestrator.settings import Settings


@pytest.fixture
def settings(aws: tuple[boto3.Session, ServiceEnvironment]) -> Settings:
    return Settings.from_environment()


@pytest.fixture
def clients(aws: tuple[boto3.Session, ServiceEnvironment], settings: Settings) -> Clients:
    return Clients.from_session(aws[0], settings)


@pytest.fixture
def upload(
    aws: tuple[boto3.Session, ServiceEnvironment],
) -> Callable[..., Upload]:
    """Puts a file under uploads/{new job id}/ as the reader's browser would."""
    session, env = aws
    s3 = session.client("s3")

    def put(data: bytes, file_name: str = "goodreads_library_export.csv") -> Upload:
        job_id = new_job_id()
        key = upload_key(job_id, file_name)
        s3.put_object(Bucket=env.data_bucket, Key=key, Body=data)
        return Upload(job_id=job_id, key=key)

    return put


@pytest.fixture
def queued_bodies(aws: tuple[boto3.Session, ServiceEnvironment]) -> Callable[[], list[str]]:
    """Drains the task queue: the body of every message on it."""
    session, env = aws
    sqs = session.client("sqs")

    def drain() -> list[str]:
        bodies: list[str] = []
        while True:
            messages: list[Any] = sqs.receive_message(
                QueueUrl=env.task_queue_url, MaxNumberOfMessages=10
            ).get("Messages", [])
            if not messages:
                return bodies
            bodies.extend(message["Body"] for message in messages)

    return drain
