"""GET /jobs/{id}/dashboard: the dashboard of a finished job, 202 while it runs, 409 when
there will be none, 404 for an unknown job; a large dashboard through a presigned GET."""

from __future__ import annotations

import dataclasses
import json
import urllib.parse
from typing import Any

import pytest
import requests

from contracts.messages import JobStatus
from contracts.storage import dashboard_key, new_job_id, upload_key
from services.api.app import accepts_gzip
from tests.api.support import (
    ApiClient,
    AwsFixture,
    api_client,
    assert_tombstone,
    bearer,
    error_of,
    put_job,
    put_object,
)
from tests.support.clocks import Clock

# As the aggregator stores it; the API passes the bytes on unchanged (non-ASCII included).
DASHBOARD = (
    '{"type":"dashboard.v1","job_id":"%s","status":"COMPLETE",'
    '"books":[{"title":"Der Zauberberg","author":"Thomas Mann"},{"title":"百年孤独"}]}'
)


def _finished_job(aws: AwsFixture, status: JobStatus = JobStatus.COMPLETE) -> tuple[str, bytes]:
    job_id = new_job_id()
    put_job(aws, job_id, status=status, total=2, succeeded=2)
    body = (DASHBOARD % job_id).encode()
    put_object(aws, dashboard_key(job_id), body)
    return job_id, body


@pytest.mark.parametrize("status", [JobStatus.COMPLETE, JobStatus.PARTIAL])
def test_a_finished_job_returns_its_dashboard_as_stored(
    api: ApiClient, aws: AwsFixture, status: JobStatus
) -> None:
    job_id, body = _finished_job(aws, status)

    response = api.request("GET", f"/jobs/{job_id}/dashboard")

    assert response.status == 200
    assert response.headers["content-type"] == "application/json"
    assert response.body == body
    assert "content-encoding" not in response.headers
    assert response.headers["vary"] == "Origin, Accept-Encoding"


def test_a_client_that_accepts_gzip_gets_the_dashboard_compressed(
    api: ApiClient, aws: AwsFixture
) -> None:
    job_id, body = _finished_job(aws)

    response = api.request(
        "GET", f"/jobs/{job_id}/dashboard", headers={"Accept-Encoding": "gzip, deflate, br"}
    )

    assert response.status == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.wire_body != body and response.body == body
    # A shared cache must not hand the compressed body to a client that did not ask for it.
    assert response.headers["vary"] == "Origin, Accept-Encoding"


@pytest.mark.parametrize(
    ("accept_encoding", "gzip_allowed"),
    [
        (None, False),
        ("", False),
        ("identity", False),
        ("br, deflate", False),
        ("gzip", True),
        ("GZip;Q=0.5", True),
        ("x-gzip", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("*", True),
        ("br, *;q=0.1", True),
        ("gzip;q=0", False),
        ("gzip;q=0.000, *", False),  # the explicit refusal wins over the wildcard
        ("gzip, *;q=0", True),  # and an explicit gzip wins over refusing everything else
        ("*;q=0, gzip;q=0.3", True),
        ("*;q=0", False),
        ("gzip;q=abc", False),
        ("gzip;q=2", False),
        ("gzipped", False),
    ],
)
def test_gzip_is_used_when_the_most_specific_accept_encoding_entry_allows_it(
    accept_encoding: str | None, gzip_allowed: bool
) -> None:
    assert accepts_gzip(accept_encoding) is gzip_allowed


def test_an_explicit_gzip_wins_over_a_wildcard_refusal(api: ApiClient, aws: AwsFixture) -> None:
    job_id, body = _finished_job(aws)

    response = api.request(
        "GET", f"/jobs/{job_id}/dashboard", headers={"Accept-Encoding": "*;q=0, gzip"}
    )

    assert response.status == 200 and response.headers["content-encoding"] == "gzip"
    assert response.body == body


@pytest.mark.parametrize(("status", "succeeded"), [(JobStatus.RECEIVED, 0), (JobStatus.QUEUED, 1)])
def test_a_running_job_answers_202_with_its_progress(
    api: ApiClient, aws: AwsFixture, status: JobStatus, succeeded: int
) -> None:
    job_id = new_job_id()
    put_job(aws, job_id, status=status, total=3, succeeded=succeeded)

    response = api.request("GET", f"/jobs/{job_id}/dashboard")

    assert response.status == 202
    assert response.headers["retry-after"] == "5"
    view = response.json()
    assert view["status"] == status.value
    assert view["progress"] == {"succeeded": succeeded, "failed": 0, "total": 3, "enriched": 0}


def test_a_job_awaiting_its_upload_answers_202(api: ApiClient) -> None:
    job_id = api.create_job()["job_id"]
    response = api.request("GET", f"/jobs/{job_id}/dashboard")
    assert response.status == 202 and response.json()["status"] == "AWAITING_UPLOAD"


def test_a_failed_job_answers_409_with_its_error(api: ApiClient, aws: AwsFixture) -> None:
    job_id = new_job_id()
    message = "The file has no Title column: is it a Goodreads export?"
    put_job(aws, job_id, status=JobStatus.FAILED, total=0, error=message)

    response = api.request("GET", f"/jobs/{job_id}/dashboard")

    assert response.status == 409 and error_of(response) == "job_failed"
    assert response.json()["error"]["message"] == message


def test_a_job_never_uploaded_answers_409_once_its_form_has_expired(
    api: ApiClient, clock: Clock
) -> None:
    job_id = api.create_job()["job_id"]
    clock.advance(api.settings.upload_url_seconds + api.settings.upload_grace_seconds + 1)

    response = api.request("GET", f"/jobs/{job_id}/dashboard")

    assert response.status == 409 and error_of(response) == "upload_expired"


def test_an_unknown_job_has_no_dashboard(api: ApiClient) -> None:
    response = api.request("GET", f"/jobs/{new_job_id()}/dashboard")
    assert response.status == 404 and error_of(response) == "not_found"


def test_a_dashboard_too_large_to_return_is_a_short_lived_presigned_get(
    aws: AwsFixture,
) -> None:
    job_id, body = _finished_job(aws)
    api = api_client(aws, dashboard_inline_max_bytes=len(body) - 1, dashboard_url_seconds=60)

    response = api.request("GET", f"/jobs/{job_id}/dashboard")

    assert response.status == 303
    assert response.headers["vary"] == "Origin, Accept-Encoding"  # gzip might have fitted
    link = response.json()
    assert set(link) == {"job_id", "status", "dashboard_url", "expires_at"}
    assert response.headers["location"] == link["dashboard_url"]
    url = urllib.parse.urlsplit(link["dashboard_url"])
    query = urllib.parse.parse_qs(url.query)
    assert url.path.endswith(dashboard_key(job_id))
    assert query["X-Amz-Expires"] == ["60"] and query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert link["expires_at"] == "2025-03-01T12:01:00Z"
    fetched = requests.get(link["dashboard_url"], timeout=10)
    assert fetched.status_code == 200 and fetched.content == body


def _escaped_size(body: bytes) -> int:
    """The body's size inside Lambda's JSON response (python3.13: ensure_ascii=False)."""
    return len(json.dumps(body.decode(), ensure_ascii=False).encode())


def test_the_inline_limit_counts_the_body_as_lambda_returns_it(aws: AwsFixture) -> None:
    job_id, body = _finished_job(aws)
    at_limit = api_client(aws, dashboard_inline_max_bytes=_escaped_size(body))
    below = api_client(aws, dashboard_inline_max_bytes=_escaped_size(body) - 1)

    inline = at_limit.request("GET", f"/jobs/{job_id}/dashboard")
    assert inline.status == 200 and inline.body == body
    assert below.request("GET", f"/jobs/{job_id}/dashboard").status == 303


def test_a_dashboard_too_large_as_text_is_returned_inline_to_a_gzip_client(
    aws: AwsFixture,
) -> None:
    job_id = new_job_id()
    put_job(aws, job_id, status=JobStatus.COMPLETE, total=2000, succeeded=2000)
    books = ",".join(f'{{"title":"Book {n}","author":"Author {n % 50}"}}' for n in range(2000))
    body = f'{{"type":"dashboard.v1","books":[{books}]}}'.encode()
    put_object(aws, dashboard_key(job_id), body)
    api = api_client(aws, dashboard_inline_max_bytes=len(body) // 4)

    compressed = api.request(
        "GET", f"/jobs/{job_id}/dashboard", headers={"Accept-Encoding": "br, gzip"}
    )
    plain = api.request("GET", f"/jobs/{job_id}/dashboard")
    refused_gzip = api.request(
        "GET", f"/jobs/{job_id}/dashboard", headers={"Accept-Encoding": "gzip;q=0, br"}
    )

    assert compressed.status == 200 and compressed.body == body
    assert compressed.headers["content-encoding"] == "gzip"
    assert len(compressed.wire_body) < len(body) // 4
    assert plain.status == 303 and refused_gzip.status == 303


def test_a_finished_job_whose_dashboard_is_gone_is_a_server_error(
    api: ApiClient, aws: AwsFixture
) -> None:
    job_id = new_job_id()
    put_job(aws, job_id, status=JobStatus.COMPLETE, total=1, succeeded=1)

    response = api.request("GET", f"/jobs/{job_id}/dashboard")

    assert response.status == 500 and error_of(response) == "dashboard_unavailable"


class _DeleteBeforeDashboardRead:
    """An S3 client under which the reader's DELETE runs completely between the route's read of
    the job and its read of the dashboard."""

    def __init__(self, s3: Any, delete: Any) -> None:
        self._s3 = s3
        self._delete = delete
        self.deleted = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)

    def get_object(self, **kwargs: Any) -> Any:
        if not self.deleted and kwargs["Key"].startswith("dashboards/"):
            self.deleted = True
            assert self._delete().status == 204
        return self._s3.get_object(**kwargs)


def test_a_dashboard_deleted_while_it_is_being_fetched_is_not_found_not_a_server_error(
    api: ApiClient, aws: AwsFixture
) -> None:
    created = api.create_job()
    job_id, token = created["job_id"], created["delete_token"]
    put_object(aws, upload_key(job_id))
    put_job(aws, job_id, status=JobStatus.COMPLETE, total=2, succeeded=2)
    put_object(aws, dashboard_key(job_id), (DASHBOARD % job_id).encode())
    s3 = _DeleteBeforeDashboardRead(
        api.clients.s3, lambda: api.request("DELETE", f"/jobs/{job_id}", headers=bearer(token))
    )
    racing = ApiClient(api.settings, dataclasses.replace(api.clients, s3=s3), api.clock)

    response = racing.request("GET", f"/jobs/{job_id}/dashboard")

    assert s3.deleted
    assert response.status == 404 and error_of(response) == "not_found"
    assert_tombstone(aws, job_id, deleted_at=api.clock.now)
