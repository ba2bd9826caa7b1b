"""The Lambda entry point: event in, small dict out, the job id on every log line."""

from __future__ import annotations

import io
import json

import boto3
import pytest

from contracts.storage import new_job_id, upload_key
from local_runtime.lambda_events import LambdaContext, s3_object_created_event
from local_runtime.resources import ServiceEnvironment
from services.orchestrator import handler
from tests.support.exports import synthetic_export

AwsFixture = tuple[boto3.Session, ServiceEnvironment]


def _upload(aws: AwsFixture, data: bytes) -> tuple[str, str]:
    job_id = new_job_id()
    key = upload_key(job_id, "my library.csv")
    aws[0].client("s3").put_object(Bucket=aws[1].data_bucket, Key=key, Body=data)
    return job_id, key


def test_an_upload_notification_returns_the_job_outcome(aws: AwsFixture) -> None:
    job_id, key = _upload(aws, synthetic_export(21, seed=51).data)
    response = handler.lambda_handler(
        s3_object_created_event(aws[1].data_bucket, key, 1), LambdaContext("orchestrator")
    )
    assert response == {"job_id": job_id, "status": "QUEUED", "total": 21, "error": None}


def test_a_bad_file_returns_failed_with_the_error(aws: AwsFixture) -> None:
    job_id, _ = _upload(aws, b"Title;Author\nT;A\n")
    response = handler.lambda_handler({"job_id": job_id}, LambdaContext("orchestrator"))
    assert response["status"] == "FAILED" and response["total"] == 0
    assert "semicolons" in response["error"]


def test_a_bad_job_id_is_rejected_without_raising(aws: AwsFixture) -> None:
    response = handler.lambda_handler({"job_id": "x"}, LambdaContext("orchestrator"))
    assert response["status"] == "REJECTED" and response["job_id"] is None


@pytest.fixture
def log_stream(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """Where the Powertools logger writes, instead of the stdout it found at import."""
    stream = io.StringIO()
    monkeypatch.setattr(handler.logger.registered_handler, "stream", stream)
    return stream


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


def test_every_log_line_of_a_job_carries_its_job_id(
    aws: AwsFixture, log_stream: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    job_id, key = _upload(aws, synthetic_export(5, seed=52).data)
    handler.lambda_handler(
        s3_object_created_event(aws[1].data_bucket, key, 1), LambdaContext("orchestrator")
    )
    lines = _lines(log_stream)
    assert [line["message"] for line in lines] == ["export parsed", "job queued"]
    assert all(line["job_id"] == job_id for line in lines)
    assert "BooksQueued" in capsys.readouterr().out  # the metrics line (EMF)


def test_a_later_invocation_does_not_inherit_the_previous_job_id(
    aws: AwsFixture, log_stream: io.StringIO
) -> None:
    _, key = _upload(aws, synthetic_export(2, seed=53).data)
    handler.lambda_handler(
        s3_object_created_event(aws[1].data_bucket, key, 1), LambdaContext("orchestrator")
    )
    log_stream.truncate(0)
    log_stream.seek(0)
    handler.lambda_handler({"job_id": "not-a-uuid"}, LambdaContext("orchestrator"))
    lines = _lines(log_stream)
    assert [line["message"] for line in lines] == ["invocation rejected"]
    assert "job_id" not in lines[0]
