"""The Lambda entry point: configured from its environment, answers API Gateway v2 events."""

from __future__ import annotations

import datetime as dt
import importlib
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from contracts import storage
from contracts.storage import format_timestamp, new_job_id
from local_runtime.api_flow import api_response, http_api_event
from local_runtime.lambda_events import LambdaContext
from services.api import handler
from tests.api.support import ALLOWED_ORIGIN, AwsFixture, bearer, error_of


@pytest.fixture(autouse=True)
def fresh_cold_start(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test is a new cold start, configured as infra configures the function."""
    monkeypatch.setenv("ALLOWED_ORIGINS", ALLOWED_ORIGIN)
    handler.dependencies_for.cache_clear()
    yield
    handler.dependencies_for.cache_clear()


@pytest.fixture
def log_stream(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    stream = io.StringIO()
    monkeypatch.setattr(handler.logger.registered_handler, "stream", stream)
    return stream


def _call(method: str, path: str, **kwargs: Any) -> Any:
    event = http_api_event(method, path, **kwargs)
    return api_response(handler.lambda_handler(event, LambdaContext("goodreads-stats-api")))


def test_a_job_is_created_and_read_through_the_handler(aws: AwsFixture) -> None:
    created = _call("POST", "/jobs", headers={"Origin": ALLOWED_ORIGIN})
    assert created.status == 201
    assert created.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    job_id = created.json()["job_id"]
    assert aws[1].data_bucket in created.json()["upload"]["url"]

    status = _call("GET", f"/jobs/{job_id}")
    assert status.status == 200 and status.json()["status"] == "AWAITING_UPLOAD"


def test_log_lines_carry_the_job_id_and_the_api_request_id(
    aws: AwsFixture, log_stream: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    job_id = new_job_id()
    event = http_api_event("GET", f"/jobs/{job_id}")
    handler.lambda_handler(event, LambdaContext("goodreads-stats-api"))

    lines = [json.loads(line) for line in log_stream.getvalue().splitlines() if line]
    refused = [line for line in lines if line["message"] == "request refused"]
    assert refused and refused[0]["job_id"] == job_id
    assert refused[0]["correlation_id"] == event["requestContext"]["requestId"]


def test_an_aws_failure_is_a_500_with_the_error_shape_and_no_detail(aws: AwsFixture) -> None:
    aws[0].client("dynamodb").delete_table(TableName=aws[1].jobs_table)

    response = _call("GET", f"/jobs/{new_job_id()}")

    assert response.status == 500 and error_of(response) == "internal_error"
    assert b"ResourceNotFound" not in response.body


def test_a_missing_setting_fails_the_invocation(
    aws: AwsFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JOBS_TABLE")
    with pytest.raises(ValueError, match="JOBS_TABLE"):
        _call("GET", f"/jobs/{new_job_id()}")


@pytest.fixture
def event_logging_requested(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A cold start with POWERTOOLS_LOGGER_LOG_EVENT=true in the function's environment (the
    decorator reads it when the module is imported)."""
    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "true")
    importlib.reload(handler)
    yield
    monkeypatch.delenv("POWERTOOLS_LOGGER_LOG_EVENT")
    importlib.reload(handler)


def _expire_upload_window(aws: AwsFixture, job_id: str) -> None:
    session, env = aws
    session.client("dynamodb").update_item(
        TableName=env.jobs_table,
        Key=storage.access_key(job_id),
        UpdateExpression="SET upload_expires_at = :past",
        ExpressionAttributeValues={
            ":past": {"S": format_timestamp(dt.datetime.now(dt.UTC) - dt.timedelta(days=1))}
        },
    )


def test_the_delete_token_never_reaches_the_logs_even_if_event_logging_is_requested(
    aws: AwsFixture,
    event_logging_requested: None,
    log_stream: io.StringIO,
    capsys: pytest.CaptureFixture[str],
) -> None:
    created = _call("POST", "/jobs")
    job_id, token = created.json()["job_id"], created.json()["delete_token"]
    refused = _call("DELETE", f"/jobs/{job_id}", headers=bearer(token))
    _expire_upload_window(aws, job_id)
    deleted = _call("DELETE", f"/jobs/{job_id}", headers=bearer(token))

    assert (created.status, refused.status, deleted.status) == (201, 409, 204)
    logged = log_stream.getvalue()
    messages = [json.loads(line)["message"] for line in logged.splitlines() if line]
    assert {"job created", "request refused", "job deleted"} <= set(messages)
    assert token not in logged
    printed = capsys.readouterr()
    assert token not in printed.out and token not in printed.err
