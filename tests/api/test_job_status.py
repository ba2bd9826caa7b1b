"""GET /jobs/{id}: where the job is, with progress, warnings and the error of a FAILED job."""

from __future__ import annotations

import pytest

from contracts.messages import JobStatus, RowWarning
from contracts.storage import new_job_id, upload_key
from services.api.jobs import Clients
from tests.api.support import (
    START,
    ApiClient,
    AwsFixture,
    error_of,
    put_job,
    put_object,
    settings_for,
)
from tests.support.aws_requests import ForbiddenClient
from tests.support.clocks import Clock

VIEW_FIELDS = {
    "job_id",
    "status",
    "progress",
    "rejected",
    "missing",
    "warnings_count",
    "warnings",
    "error",
    "created_at",
    "updated_at",
    "finished_at",
    "upload_expires_at",
}

NOT_JOB_IDS = [
    "not-a-uuid",
    "6F9619FF-8B86-4D01-B42D-00CF4FC964FF",  # upper case: not the canonical form
    "6f9619ff8b864d01b42d00cf4fc964ff",  # no hyphens
    "{6f9619ff-8b86-4d01-b42d-00cf4fc964ff}",
    "6f9619ff-8b86-4d01-b42d-00cf4fc964ff0",
    "..%2F..%2Fdashboards",
    "x" * 5000,
]


def test_a_job_being_processed_shows_its_progress(api: ApiClient, aws: AwsFixture) -> None:
    job_id = new_job_id()
    put_job(aws, job_id, status=JobStatus.QUEUED, total=120, succeeded=40, failed=2, enriched=31)

    response = api.request("GET", f"/jobs/{job_id}")

    assert response.status == 200
    view = response.json()
    assert set(view) == VIEW_FIELDS
    assert view["job_id"] == job_id and view["status"] == "QUEUED"
    assert view["progress"] == {"succeeded": 40, "failed": 2, "total": 120, "enriched": 31}
    assert view["error"] is None and view["finished_at"] is None


def test_warnings_are_listed_with_their_rows(api: ApiClient, aws: AwsFixture) -> None:
    job_id = new_job_id()
    warning = RowWarning(row_number=7, column="Date Read", message="not a date: 31/02/2020")
    put_job(aws, job_id, status=JobStatus.COMPLETE, total=3, succeeded=3, warnings=(warning,))

    view = api.request("GET", f"/jobs/{job_id}").json()

    assert view["status"] == "COMPLETE" and view["warnings_count"] == 1
    assert view["warnings"] == [
        {"row_number": 7, "column": "Date Read", "message": "not a date: 31/02/2020"}
    ]


def test_a_failed_job_shows_why(api: ApiClient, aws: AwsFixture) -> None:
    job_id = new_job_id()
    message = "This file uses semicolons; export it again from Goodreads."
    put_job(aws, job_id, status=JobStatus.FAILED, total=0, error=message)

    view = api.request("GET", f"/jobs/{job_id}").json()

    assert (view["status"], view["error"]) == ("FAILED", message)
    assert set(view) == VIEW_FIELDS


def test_an_unknown_job_is_not_found(api: ApiClient) -> None:
    response = api.request("GET", f"/jobs/{new_job_id()}")
    assert response.status == 404 and error_of(response) == "not_found"


@pytest.mark.parametrize("job_id", NOT_JOB_IDS)
def test_an_id_that_is_not_a_uuid_is_refused_before_any_aws_call(
    aws: AwsFixture, job_id: str
) -> None:
    untouchable = ApiClient(
        settings_for(aws[1]),
        Clients(ForbiddenClient("s3"), ForbiddenClient("dynamodb")),
        Clock(START),
    )
    for path in (f"/jobs/{job_id}", f"/jobs/{job_id}/dashboard"):
        response = untouchable.request("GET", path)
        assert response.status == 400 and error_of(response) == "invalid_job_id"
    response = untouchable.request("DELETE", f"/jobs/{job_id}", headers={"Authorization": "x"})
    assert response.status == 400 and error_of(response) == "invalid_job_id"


def test_before_the_upload_the_job_awaits_it_then_shows_it_uploaded(
    api: ApiClient, aws: AwsFixture
) -> None:
    created = api.create_job()
    job_id = created["job_id"]
    view = api.request("GET", f"/jobs/{job_id}").json()
    assert set(view) == VIEW_FIELDS
    assert view["status"] == "AWAITING_UPLOAD"
    assert view["progress"] == {"succeeded": 0, "failed": 0, "total": 0, "enriched": 0}
    assert view["created_at"] == "2025-03-01T12:00:00Z"

    put_object(aws, upload_key(job_id, "goodreads_library_export.csv"))
    assert api.request("GET", f"/jobs/{job_id}").json()["status"] == "UPLOADED"

    put_job(aws, job_id, status=JobStatus.RECEIVED, total=0)  # the orchestrator starts
    view = api.request("GET", f"/jobs/{job_id}").json()
    assert view["status"] == "RECEIVED" and view["upload_expires_at"] is None


def test_a_job_never_uploaded_expires_after_the_form_and_its_grace_period(
    api: ApiClient, clock: Clock
) -> None:
    job_id = api.create_job()["job_id"]
    settings = api.settings

    clock.advance(settings.upload_url_seconds + settings.upload_grace_seconds)
    assert api.request("GET", f"/jobs/{job_id}").json()["status"] == "AWAITING_UPLOAD"
    clock.advance(1)
    assert api.request("GET", f"/jobs/{job_id}").json()["status"] == "UPLOAD_EXPIRED"


def test_an_unknown_route_or_method_answers_with_the_same_error_shape(api: ApiClient) -> None:
    for method, path in (("GET", "/"), ("PUT", f"/jobs/{new_job_id()}"), ("GET", "/jobs")):
        response = api.request(method, path)
        assert response.status == 404 and error_of(response) == "route_not_found"


def test_responses_are_never_cached(api: ApiClient) -> None:
    job_id = api.create_job()["job_id"]
    for path in (f"/jobs/{job_id}", f"/jobs/{new_job_id()}", "/nowhere"):
        assert api.request("GET", path).headers["cache-control"] == "no-store"
