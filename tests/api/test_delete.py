"""DELETE /jobs/{id}: with the delete token, everything of the job goes (upload, intermediates,
dashboard, every item of its partition but a tombstone without the token); without it nothing
does. Refused while the pipeline may still write for the job, so that nothing comes back after
a delete."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from contracts import storage
from contracts.layout import PARTITION_KEY, SORT_KEY
from contracts.messages import BookResult, EnrichmentStatus, JobStatus
from contracts.storage import (
    ACCESS_SK,
    dashboard_key,
    manifest_key,
    new_job_id,
    upload_key,
)
from services.api import deletion
from services.api.access import AccessStore
from services.book_processor.progress import JobNotFound, record_results
from tests.api.support import (
    START,
    ApiClient,
    AwsFixture,
    access_item,
    assert_tombstone,
    bearer,
    error_of,
    object_keys,
    partition_keys,
    put_book_results,
    put_job,
    put_object,
    put_pipeline_objects,
    table_items,
)
from tests.support.clocks import Clock


def _finished_job(api: ApiClient, aws: AwsFixture, books: int = 30) -> tuple[str, str]:
    """A job created through the API and run to COMPLETE: every kind of item and object."""
    created = api.create_job()
    job_id = created["job_id"]
    put_pipeline_objects(aws, job_id)
    put_job(aws, job_id, status=JobStatus.COMPLETE, total=books, succeeded=books)
    put_book_results(aws, job_id, books)
    return job_id, created["delete_token"]


def _everything(aws: AwsFixture) -> tuple[list[dict[str, Any]], set[str]]:
    items = sorted(table_items(aws), key=lambda item: (item[PARTITION_KEY], item[SORT_KEY]))
    return items, object_keys(aws)


def test_a_finished_job_is_deleted_with_its_token_and_nothing_of_it_remains(
    api: ApiClient, aws: AwsFixture
) -> None:
    other_job, _ = _finished_job(api, aws, books=3)
    job_id, token = _finished_job(api, aws)
    assert len(partition_keys(aws, job_id)) == 32 and len(object_keys(aws, job_id)) == 4
    others = _everything(aws)[1] - object_keys(aws, job_id)

    response = api.request("DELETE", f"/jobs/{job_id}", headers=bearer(token))

    assert response.status == 204 and response.body == b""
    assert_tombstone(aws, job_id, deleted_at=START)
    assert object_keys(aws, job_id) == set()
    assert api.request("GET", f"/jobs/{job_id}").status == 404
    assert api.request("GET", f"/jobs/{job_id}/dashboard").status == 404
    # The other job is untouched.
    assert len(partition_keys(aws, other_job)) == 5 and object_keys(aws) == others


def test_deleting_again_finds_nothing_and_leaves_the_tombstone_as_it_was(
    api: ApiClient, aws: AwsFixture, clock: Clock
) -> None:
    job_id, token = _finished_job(api, aws, books=1)
    assert api.request("DELETE", f"/jobs/{job_id}", headers=bearer(token)).status == 204
    tombstone = access_item(aws, job_id)
    clock.advance(3600)

    # A client that lost the 204 and sends the request again can take 404 as done.
    again = api.request("DELETE", f"/jobs/{job_id}", headers=bearer(token))

    assert again.status == 404 and error_of(again) == "not_found"
    assert access_item(aws, job_id) == tombstone


def test_the_tombstone_outlives_notifications_even_when_the_job_is_deleted_late(
    api: ApiClient, aws: AwsFixture, clock: Clock
) -> None:
    job_id, token = _finished_job(api, aws, books=1)
    created_ttl = int(access_item(aws, job_id)["expires_at"])
    clock.advance(api.settings.job_retention_days * 86400)  # the last day of the job

    assert api.request("DELETE", f"/jobs/{job_id}", headers=bearer(token)).status == 204

    assert_tombstone(aws, job_id, deleted_at=clock.now)
    assert int(access_item(aws, job_id)["expires_at"]) > created_ttl


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer not-the-token"},
        {"Authorization": "Bearer OTHER"},  # another job's valid token
        {"Authorization": "Basic TOKEN"},
        {"X-Delete-Token": "TOKEN"},  # the right token in a header the API does not read
        {"Authorization": "Bearer TOKEN_"},
        {"Authorization": "Bearer " + "A" * 43},
    ],
)
def test_a_missing_or_wrong_token_is_forbidden_and_deletes_nothing(
    api: ApiClient, aws: AwsFixture, headers: dict[str, str]
) -> None:
    job_id, token = _finished_job(api, aws, books=2)
    other_token = api.create_job()["delete_token"]
    headers = {
        name: value.replace("TOKEN", token).replace("OTHER", other_token)
        for name, value in headers.items()
    }
    before = _everything(aws)

    response = api.request("DELETE", f"/jobs/{job_id}", headers=headers)

    assert response.status == 403 and error_of(response) == "forbidden"
    assert _everything(aws) == before


def test_the_bearer_scheme_is_case_insensitive(api: ApiClient, aws: AwsFixture) -> None:
    job_id, token = _finished_job(api, aws, books=1)
    response = api.request(
        "DELETE", f"/jobs/{job_id}", headers={"authorization": f"bearer {token}"}
    )
    assert response.status == 204


def test_an_unknown_job_is_not_found(api: ApiClient) -> None:
    token = api.create_job()["delete_token"]
    response = api.request("DELETE", f"/jobs/{new_job_id()}", headers=bearer(token))
    assert response.status == 404 and error_of(response) == "not_found"


def test_a_job_not_created_through_the_api_cannot_be_deleted(
    api: ApiClient, aws: AwsFixture
) -> None:
    job_id = new_job_id()  # uploaded straight to S3: no delete token was ever issued
    put_job(aws, job_id, status=JobStatus.COMPLETE, total=1, succeeded=1)
    put_pipeline_objects(aws, job_id)
    before = _everything(aws)

    response = api.request("DELETE", f"/jobs/{job_id}", headers=bearer("A" * 43))

    assert response.status == 403 and _everything(aws) == before


@pytest.mark.parametrize("status", [JobStatus.RECEIVED, JobStatus.QUEUED])
def test_a_running_job_is_refused_until_it_has_finished(
    api: ApiClient, aws: AwsFixture, status: JobStatus
) -> None:
    created = api.create_job()
    job_id, token = created["job_id"], created["delete_token"]
    put_object(aws, upload_key(job_id, "goodreads_library_export.csv"))
    put_job(aws, job_id, status=status, total=3, succeeded=1)
    before = _everything(aws)

    response = api.request("DELETE", f"/jobs/{job_id}", headers=bearer(token))

    assert response.status == 409 and error_of(response) == "job_running"
    assert response.headers["retry-after"] == "30"
    assert _everything(aws) == before


def test_a_job_stuck_in_received_past_every_retry_can_be_deleted(
    api: ApiClient, aws: AwsFixture, clock: Clock
) -> None:
    created = api.create_job()
    job_id, token = created["job_id"], created["delete_token"]
    put_object(aws, upload_key(job_id, "goodreads_library_export.csv"))
    put_job(aws, job_id, status=JobStatus.RECEIVED, total=0, updated_at=START)
    clock.advance(api.settings.received_stale_seconds + 1)

    response = api.request("DELETE", f"/jobs/{job_id}", headers=bearer(token))

    assert response.status == 204
    assert_tombstone(aws, job_id, deleted_at=clock.now)
    assert object_keys(aws, job_id) == set()


def test_an_upload_the_orchestrator_has_not_started_on_is_refused(
    api: ApiClient, aws: AwsFixture
) -> None:
    created = api.create_job()
    job_id, token = created["job_id"], created["delete_token"]
    put_object(aws, upload_key(job_id, "goodreads_library_export.csv"))

    response = api.request("DELETE", f"/jobs/{job_id}", headers=bearer(token))

    assert response.status == 409 and error_of(response) == "job_running"
    assert object_keys(aws, job_id) == {upload_key(job_id, "goodreads_library_export.csv")}


def test_an_upload_that_never_became_a_job_can_be_deleted_once_past_every_retry(
    api: ApiClient, aws: AwsFixture, clock: Clock
) -> None:
    """Its notification failed every attempt (it went to the failed-uploads DLQ): no job item
    will ever come, so the reader must not be told "job_running" for ever."""
    created = api.create_job()
    job_id, token = created["job_id"], created["delete_token"]
    key = upload_key(job_id)
    put_object(aws, key)
    session, env = aws
    uploaded_at = session.client("s3").head_object(Bucket=env.data_bucket, Key=key)["LastModified"]
    stale = dt.timedelta(seconds=api.settings.received_stale_seconds)

    clock.now = uploaded_at + stale - dt.timedelta(seconds=1)
    still_running = api.request("DELETE", f"/jobs/{job_id}", headers=bearer(token))
    assert still_running.status == 409 and error_of(still_running) == "job_running"
    assert object_keys(aws, job_id) == {key}

    clock.now = uploaded_at + stale + dt.timedelta(seconds=1)
    response = api.request("DELETE", f"/jobs/{job_id}", headers=bearer(token))

    assert response.status == 204
    assert object_keys(aws, job_id) == set()
    assert_tombstone(aws, job_id, deleted_at=clock.now)


def test_a_job_awaiting_its_upload_is_deletable_once_the_form_can_no_longer_be_used(
    api: ApiClient, aws: AwsFixture, clock: Clock
) -> None:
    created = api.create_job()
    job_id, token = created["job_id"], created["delete_token"]
    window = api.settings.upload_url_seconds + api.settings.upload_grace_seconds
    clock.advance(window - 100)

    refused = api.request("DELETE", f"/jobs/{job_id}", headers=bearer(token))

    assert refused.status == 409 and error_of(refused) == "upload_window_open"
    assert refused.headers["retry-after"] == "101"
    assert partition_keys(aws, job_id) == {ACCESS_SK}
    assert "deleting_at" not in access_item(aws, job_id)

    clock.advance(101)
    assert api.request("DELETE", f"/jobs/{job_id}", headers=bearer(token)).status == 204
    assert_tombstone(aws, job_id, deleted_at=clock.now)


class _FailingDashboardDeletes:
    """An S3 client whose DeleteObjects fails for dashboards/ the first time (a crash)."""

    def __init__(self, s3: Any) -> None:
        self._s3 = s3
        self.failed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)

    def delete_objects(self, **kwargs: Any) -> Any:
        keys = [item["Key"] for item in kwargs["Delete"]["Objects"]]
        if not self.failed and any(key.startswith("dashboards/") for key in keys):
            self.failed = True
            raise ConnectionError("the network went away")
        return self._s3.delete_objects(**kwargs)


def test_a_delete_that_stopped_half_way_is_finished_by_sending_it_again(
    api: ApiClient, aws: AwsFixture
) -> None:
    job_id, token = _finished_job(api, aws, books=4)
    failing = ApiClient(
        api.settings,
        dataclasses.replace(api.clients, s3=_FailingDashboardDeletes(api.clients.s3)),
        api.clock,
    )

    first = failing.request("DELETE", f"/jobs/{job_id}", headers=bearer(token))

    assert first.status == 500 and error_of(first) == "internal_error"
    # Half-way: the upload and the job's items are gone, the dashboard and the token remain.
    assert object_keys(aws, job_id) == {dashboard_key(job_id)}
    assert partition_keys(aws, job_id) == {ACCESS_SK}
    assert "token_sha256" in access_item(aws, job_id)
    assert api.request("GET", f"/jobs/{job_id}").status == 404  # gone for readers already

    second = failing.request("DELETE", f"/jobs/{job_id}", headers=bearer(token))

    assert second.status == 204
    assert object_keys(aws, job_id) == set()
    assert_tombstone(aws, job_id, deleted_at=START)


def test_a_book_result_arriving_after_the_delete_is_refused_not_stored(
    api: ApiClient, aws: AwsFixture
) -> None:
    job_id, token = _finished_job(api, aws, books=2)
    assert api.request("DELETE", f"/jobs/{job_id}", headers=bearer(token)).status == 204
    late = BookResult(
        job_id=job_id, book_id="gr-late", status=EnrichmentStatus.SKIPPED, processed_at=START
    )

    with pytest.raises(JobNotFound):
        record_results(
            aws[0].client("dynamodb"), aws[1].jobs_table, job_id, [late], dt.datetime.now(dt.UTC)
        )

    assert partition_keys(aws, job_id) == {ACCESS_SK}


def test_deletion_goes_through_every_page_of_objects_and_items(aws: AwsFixture) -> None:
    session, env = aws
    job_id = new_job_id()
    put_book_results(aws, job_id, 12)
    for number in range(6):
        put_object(aws, f"jobs/{job_id}/part-{number:04}.json")
    put_object(aws, manifest_key(job_id))
    dynamodb = session.client("dynamodb")
    s3 = session.client("s3")

    assert (
        deletion.delete_partition(dynamodb, env.jobs_table, job_id, keep=frozenset(), page_size=5)
        == 12
    )
    assert deletion.delete_prefix(s3, env.data_bucket, f"jobs/{job_id}/", page_size=3) == 7
    assert partition_keys(aws, job_id) == set() and object_keys(aws, job_id) == set()


def test_a_delete_racing_one_that_finished_first_leaves_the_tombstone_alone(
    api: ApiClient, aws: AwsFixture
) -> None:
    store = AccessStore(api.clients.dynamodb, api.settings.jobs_table)
    job_id = api.create_job()["job_id"]
    assert store.mark_deleting(job_id, START) is True
    store.tombstone(job_id, START, expires_at=START + dt.timedelta(days=7))  # finished first
    tombstone = access_item(aws, job_id)

    assert store.mark_deleting(job_id, START + dt.timedelta(seconds=1)) is False
    assert access_item(aws, job_id) == tombstone


def test_neither_marking_nor_tombstoning_recreates_an_access_item_that_expired(
    api: ApiClient, aws: AwsFixture
) -> None:
    store = AccessStore(api.clients.dynamodb, api.settings.jobs_table)
    job_id = api.create_job()["job_id"]
    api.clients.dynamodb.delete_item(  # its TTL
        TableName=api.settings.jobs_table, Key=storage.access_key(job_id)
    )

    assert store.mark_deleting(job_id, START) is False
    store.tombstone(job_id, START, expires_at=START + dt.timedelta(days=7))
    assert partition_keys(aws, job_id) == set()


class _ThrottledClient:
    """The first BatchWriteItem processes ten requests and returns the rest unprocessed."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls = 0

    def query(self, **kwargs: Any) -> Any:
        return self._client.query(**kwargs)

    def batch_write_item(self, RequestItems: dict[str, list[Any]]) -> dict[str, Any]:  # noqa: N803
        self.calls += 1
        if self.calls > 1:
            return dict(self._client.batch_write_item(RequestItems=RequestItems))
        ((table, requests),) = RequestItems.items()
        self._client.batch_write_item(RequestItems={table: requests[:10]})
        return {"UnprocessedItems": {table: requests[10:]}}


def test_deletes_dynamodb_left_unprocessed_are_sent_again(aws: AwsFixture) -> None:
    session, env = aws
    job_id = new_job_id()
    put_book_results(aws, job_id, 25)
    throttled = _ThrottledClient(session.client("dynamodb"))

    assert (
        deletion.delete_partition(throttled, env.jobs_table, job_id, keep=frozenset(), workers=1)
        == 25
    )
    assert throttled.calls == 2 and partition_keys(aws, job_id) == set()
