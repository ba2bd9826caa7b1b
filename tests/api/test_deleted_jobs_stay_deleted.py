"""A deleted job never comes back: S3 may deliver an upload's ObjectCreated notification twice,
and Lambda retries the orchestrator's asynchronous invocation for hours. A notification that
arrives after the reader's DELETE, or while it runs, must create no job item and queue no book.

The API and the orchestrator run here against the same moto account, as deployed."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import requests

from contracts.messages import JobStatus
from contracts.storage import ACCESS_SK, dashboard_key, upload_key
from local_runtime.lambda_events import s3_object_created_event
from services.aggregator.store import Claim
from services.aggregator.store import JobStore as AggregatorJobStore
from services.orchestrator import orchestrate
from services.orchestrator.settings import Settings as OrchestratorSettings
from tests.api.support import (
    ApiClient,
    AwsFixture,
    access_item,
    assert_tombstone,
    bearer,
    error_of,
    object_keys,
    partition_keys,
    put_object,
)
from tests.support.exports import synthetic_export

Notify = Callable[[], list[orchestrate.JobOutcome]]


def _upload_through_the_form(created: dict[str, Any], data: bytes) -> None:
    """The reader's browser posts the presigned form to S3."""
    form = created["upload"]
    response = requests.post(
        form["url"],
        data=form["fields"],
        files={form["file_field"]: ("export.csv", data, "text/csv")},
        timeout=10,
    )
    assert response.status_code == 204, response.text


def _notifier(aws: AwsFixture, job_id: str, size: int) -> Notify:
    """Delivers the upload's ObjectCreated notification to the orchestrator (again)."""
    _, env = aws
    settings = OrchestratorSettings.from_environment()
    clients = orchestrate.Clients.from_session(aws[0], settings)
    event = s3_object_created_event(env.data_bucket, upload_key(job_id), size)
    return lambda: orchestrate.handle_event(event, settings, clients)


def _queued_tasks(aws: AwsFixture) -> int:
    """Drains the task queue: how many book tasks were on it."""
    sqs, url = aws[0].client("sqs"), aws[1].task_queue_url
    count = 0
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        count += len(messages)
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return count


def _close_at_its_deadline(aws: AwsFixture, job_id: str) -> None:
    """What the aggregator does with a job whose books did not all come in: PARTIAL."""
    store = AggregatorJobStore(aws[0].client("dynamodb"), aws[1].jobs_table)
    now = dt.datetime.now(dt.UTC)
    claim = store.claim(job_id, now=now, lease_seconds=60)
    assert isinstance(claim, Claim), claim
    put_object(aws, dashboard_key(job_id), b'{"type":"dashboard.v1"}')
    finished = store.finish(
        job_id,
        claim.owner,
        status=JobStatus.PARTIAL,
        missing=claim.record.total,
        dashboard_key=dashboard_key(job_id),
        now=now,
    )
    assert finished


def test_a_notification_delivered_again_after_the_delete_brings_nothing_back(
    api: ApiClient, aws: AwsFixture
) -> None:
    created = api.create_job()
    job_id, token = created["job_id"], created["delete_token"]
    export = synthetic_export(4, seed=7).data
    _upload_through_the_form(created, export)
    notify = _notifier(aws, job_id, len(export))
    (first,) = notify()
    assert first.status == JobStatus.QUEUED.value and first.total == 4
    assert _queued_tasks(aws) == 4
    _close_at_its_deadline(aws, job_id)
    assert api.request("DELETE", f"/jobs/{job_id}", headers=bearer(token)).status == 204

    (again,) = notify()  # S3's duplicate, or Lambda's retry of the first invocation

    assert again.status == orchestrate.REJECTED
    assert partition_keys(aws, job_id) == {ACCESS_SK}  # the tombstone, no job item
    assert_tombstone(aws, job_id, deleted_at=api.clock.now)
    assert _queued_tasks(aws) == 0
    assert object_keys(aws, job_id) == set()
    missing = api.request("GET", f"/jobs/{job_id}")
    assert missing.status == 404 and error_of(missing) == "not_found"
    assert api.request("GET", f"/jobs/{job_id}/dashboard").status == 404
    assert api.request("DELETE", f"/jobs/{job_id}", headers=bearer(token)).status == 404


class _NotifyBeforeUploadDelete:
    """An S3 client that lets the notification reach the orchestrator at the worst moment:
    the delete has started (ACCESS has `deleting_at`) but the upload is still there."""

    def __init__(self, s3: Any, notify: Notify) -> None:
        self._s3 = s3
        self._notify = notify
        self.outcomes: list[orchestrate.JobOutcome] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)

    def delete_objects(self, **kwargs: Any) -> Any:
        keys = [item["Key"] for item in kwargs["Delete"]["Objects"]]
        if not self.outcomes and any(key.startswith("uploads/") for key in keys):
            self.outcomes.extend(self._notify())
        return self._s3.delete_objects(**kwargs)


def _stalled_upload(api: ApiClient, aws: AwsFixture) -> tuple[str, str, Notify]:
    """An upload whose notification never turned into a job (all its attempts failed), old
    enough to be deleted: the orchestrator would still run it if the notification came."""
    created = api.create_job()
    job_id, token = created["job_id"], created["delete_token"]
    export = synthetic_export(3, seed=11).data
    _upload_through_the_form(created, export)
    session, env = aws
    uploaded_at = session.client("s3").head_object(Bucket=env.data_bucket, Key=upload_key(job_id))[
        "LastModified"
    ]
    api.clock.now = uploaded_at + dt.timedelta(seconds=api.settings.received_stale_seconds + 1)
    return job_id, token, _notifier(aws, job_id, len(export))


def test_a_notification_arriving_while_the_delete_runs_is_refused(
    api: ApiClient, aws: AwsFixture
) -> None:
    job_id, token, notify = _stalled_upload(api, aws)
    s3 = _NotifyBeforeUploadDelete(api.clients.s3, notify)
    deleting = ApiClient(api.settings, dataclasses.replace(api.clients, s3=s3), api.clock)

    response = deleting.request("DELETE", f"/jobs/{job_id}", headers=bearer(token))

    assert [outcome.status for outcome in s3.outcomes] == [orchestrate.REJECTED]
    assert response.status == 204
    assert_tombstone(aws, job_id, deleted_at=api.clock.now)
    assert object_keys(aws, job_id) == set()
    assert _queued_tasks(aws) == 0


class _UploadDeleteFails:
    """An S3 client whose first DeleteObjects fails (the function crashed right after the
    delete was marked)."""

    def __init__(self, s3: Any) -> None:
        self._s3 = s3
        self.failed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)

    def delete_objects(self, **kwargs: Any) -> Any:
        if not self.failed:
            self.failed = True
            raise ConnectionError("the network went away")
        return self._s3.delete_objects(**kwargs)


def test_a_notification_after_a_delete_stopped_half_way_is_refused_and_the_retry_finishes(
    api: ApiClient, aws: AwsFixture
) -> None:
    job_id, token, notify = _stalled_upload(api, aws)
    crashing = ApiClient(
        api.settings,
        dataclasses.replace(api.clients, s3=_UploadDeleteFails(api.clients.s3)),
        api.clock,
    )
    assert crashing.request("DELETE", f"/jobs/{job_id}", headers=bearer(token)).status == 500
    assert object_keys(aws, job_id) == {upload_key(job_id)}  # the upload is still there
    assert "deleting_at" in access_item(aws, job_id)

    (outcome,) = notify()

    assert outcome.status == orchestrate.REJECTED
    assert partition_keys(aws, job_id) == {ACCESS_SK} and _queued_tasks(aws) == 0
    assert api.request("GET", f"/jobs/{job_id}").status == 404
    assert crashing.request("DELETE", f"/jobs/{job_id}", headers=bearer(token)).status == 204
    assert_tombstone(aws, job_id, deleted_at=api.clock.now)
    assert object_keys(aws, job_id) == set()


def test_without_a_delete_the_same_notification_still_starts_the_job(
    api: ApiClient, aws: AwsFixture
) -> None:
    """The control: what the tests above refuse is the delete's doing, not the setup's."""
    job_id, _, notify = _stalled_upload(api, aws)

    (outcome,) = notify()

    assert outcome.status == JobStatus.QUEUED.value and _queued_tasks(aws) == 3
    assert partition_keys(aws, job_id) == {ACCESS_SK, "JOB"}
