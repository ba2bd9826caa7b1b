"""A test client for the API app, and the pipeline's items and objects as the other services
write them (through contracts.storage), so that each route meets every state of a job."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import boto3

from contracts import storage
from contracts.layout import ACCESS_DELETING_AT, PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE
from contracts.messages import BookResult, EnrichmentStatus, JobRecord, JobStatus, RowWarning
from contracts.storage import ACCESS_SK, dashboard_key, manifest_key, new_job_id, upload_key
from local_runtime.api_flow import ApiResponse, api_response, http_api_event
from local_runtime.lambda_events import LambdaContext
from local_runtime.resources import ServiceEnvironment
from services.api.app import build_app
from services.api.jobs import Clients
from services.api.settings import Settings
from tests.support import jobs
from tests.support.clocks import Clock

AwsFixture = tuple[boto3.Session, ServiceEnvironment]

ALLOWED_ORIGIN = "https://app.example.com"
OTHER_ALLOWED_ORIGIN = "https://beta.example.com"
START = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


@dataclasses.dataclass
class ApiClient:
    """Sends API Gateway HTTP API events to an app built like the handler builds it."""

    settings: Settings
    clients: Clients
    clock: Clock

    def __post_init__(self) -> None:
        self.app = build_app(self.settings, self.clients, self.clock)

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: str | bytes | None = None,
    ) -> ApiResponse:
        event = http_api_event(method, path, headers=headers, body=body)
        context: Any = LambdaContext("api")  # the attributes Lambda's context has; not its class
        return api_response(self.app.resolve(event, context))

    def create_job(self) -> dict[str, Any]:
        response = self.request("POST", "/jobs")
        assert response.status == 201, response.body
        created: dict[str, Any] = response.json()
        return created


def settings_for(env: ServiceEnvironment, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_bucket": env.data_bucket,
        "jobs_table": env.jobs_table,
        "allowed_origins": (ALLOWED_ORIGIN, OTHER_ALLOWED_ORIGIN),
    }
    values.update(overrides)
    return Settings(**values)


def api_client(aws: AwsFixture, clock: Clock | None = None, **overrides: Any) -> ApiClient:
    session, env = aws
    settings = settings_for(env, **overrides)
    return ApiClient(settings, Clients.from_session(session, settings), clock or Clock(START))


def error_of(response: ApiResponse) -> str:
    """The error code, checking the error shape on the way."""
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert response.headers["content-type"] == "application/json"
    code: str = body["error"]["code"]
    return code


def decoded_policy(form: Mapping[str, Any]) -> dict[str, Any]:
    policy: dict[str, Any] = json.loads(base64.b64decode(form["fields"]["policy"]))
    return policy


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- what the other services leave behind ---------------------------------------------------


def put_job(
    aws: AwsFixture,
    job_id: str | None = None,
    *,
    status: JobStatus = JobStatus.QUEUED,
    total: int = 3,
    succeeded: int = 0,
    failed: int = 0,
    enriched: int = 0,
    error: str | None = None,
    updated_at: dt.datetime = START,
    warnings: tuple[RowWarning, ...] = (),
) -> JobRecord:
    """The job item as the orchestrator (and the book processor's counters) leave it."""
    session, env = aws
    job_id = job_id or new_job_id()
    record = JobRecord(
        job_id=job_id,
        status=status,
        source_key=upload_key(job_id),
        created_at=START,
        updated_at=updated_at,
        total=total,
        succeeded=succeeded,
        failed=failed,
        enriched=enriched,
        warnings_count=len(warnings),
        warnings=warnings,
        error=error,
        manifest_key=manifest_key(job_id),
        dashboard_key=(
            dashboard_key(job_id) if status in (JobStatus.COMPLETE, JobStatus.PARTIAL) else None
        ),
        finished_at=updated_at if status.is_final else None,
    )
    return jobs.put_job_record(session, env, record, expires_at=START + dt.timedelta(days=30))


def put_book_results(aws: AwsFixture, job_id: str, count: int) -> None:
    """Result items (without touching the job item's counters)."""
    results = (
        BookResult(
            job_id=job_id,
            book_id=f"gr-{number}",
            status=EnrichmentStatus.SKIPPED,
            processed_at=START,
        )
        for number in range(count)
    )
    jobs.put_results(*aws, results, count=False)


def put_object(aws: AwsFixture, key: str, body: bytes = b"x") -> None:
    session, env = aws
    session.client("s3").put_object(Bucket=env.data_bucket, Key=key, Body=body)


def put_pipeline_objects(aws: AwsFixture, job_id: str, dashboard: bytes = b"{}") -> None:
    """Upload, manifest and dashboard of a finished job, plus another intermediate."""
    put_object(aws, upload_key(job_id), b"Title,Author\nT,A\n")
    put_object(aws, manifest_key(job_id), b"{}")
    put_object(aws, f"jobs/{job_id}/scratch/part-0001.json", b"{}")
    put_object(aws, dashboard_key(job_id), dashboard)


def partition_keys(aws: AwsFixture, job_id: str) -> set[str]:
    return jobs.partition_sort_keys(*aws, job_id)


def object_keys(aws: AwsFixture, job_id: str | None = None) -> set[str]:
    session, env = aws
    paginator = session.client("s3").get_paginator("list_objects_v2")
    keys = {
        item["Key"]
        for page in paginator.paginate(Bucket=env.data_bucket)
        for item in page.get("Contents", [])
    }
    return keys if job_id is None else {key for key in keys if job_id in key}


def _plain(item: storage.Item) -> dict[str, Any]:
    return {name: storage.plain_value(value) for name, value in item.items()}


def table_items(aws: AwsFixture) -> list[dict[str, Any]]:
    """Every item of the jobs table, as plain values."""
    session, env = aws
    paginator = session.client("dynamodb").get_paginator("scan")
    return [
        _plain(item)
        for page in paginator.paginate(TableName=env.jobs_table, ConsistentRead=True)
        for item in page["Items"]
    ]


def access_item(aws: AwsFixture, job_id: str) -> dict[str, Any]:
    """The API's ACCESS item of the job, as plain values (it must exist)."""
    session, env = aws
    item: storage.Item | None = (
        session.client("dynamodb")
        .get_item(TableName=env.jobs_table, Key=storage.access_key(job_id), ConsistentRead=True)
        .get("Item")
    )
    assert item is not None, f"no ACCESS item for {job_id}"
    return _plain(item)


def assert_tombstone(aws: AwsFixture, job_id: str, deleted_at: dt.datetime) -> None:
    """All that a finished delete leaves: the ACCESS item, without the token or the upload
    form, still marked `deleting_at` (so the orchestrator creates nothing), kept at least a
    week after the delete (longer than any duplicate or retried notification of the upload)."""
    assert partition_keys(aws, job_id) == {ACCESS_SK}
    item = access_item(aws, job_id)
    assert set(item) == {
        PARTITION_KEY,
        SORT_KEY,
        "created_at",
        ACCESS_DELETING_AT,
        "deleted_at",
        TTL_ATTRIBUTE,
    }
    assert item["deleted_at"] == deleted_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert int(item[TTL_ATTRIBUTE]) >= (deleted_at + dt.timedelta(days=7)).timestamp()
