"""The whole flow on one machine, as a reader's browser drives it: create a job through the
API, POST the export to S3 with the presigned form (a real HTTP request to the emulator), let
the pipeline process it, poll the job, fetch the dashboard, then delete everything, and make
sure that S3 delivering the upload's notification once more brings nothing back."""

from __future__ import annotations

import time
from pathlib import Path

from contracts.codec import dashboard_decoder
from contracts.layout import SORT_KEY
from contracts.messages import JobStatus
from contracts.storage import ACCESS_SK, job_pk
from local_runtime.api_flow import ApiResponse, LocalApi
from local_runtime.event_sources import notify_object_created
from local_runtime.functions import ORCHESTRATOR
from local_runtime.pipeline import LocalPipeline, RunOptions
from tests.api.support import ALLOWED_ORIGIN
from tests.support.samples import CC0_EXPORT

EXPORT = CC0_EXPORT
FINAL = {status.value for status in JobStatus if status.is_final}


def _poll_until_final(api: LocalApi, job_id: str, give_up_after: float = 60.0) -> list[str]:
    """GET /jobs/{id} as a page would, every quarter second; the statuses it saw."""
    seen: list[str] = []
    stop = time.monotonic() + give_up_after
    while time.monotonic() < stop:
        response = api.request("GET", f"/jobs/{job_id}", headers={"Origin": ALLOWED_ORIGIN})
        assert response.status == 200, response.body
        status = response.json()["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in FINAL:
            return seen
        time.sleep(0.25)
    raise AssertionError(f"the job did not finish; statuses seen: {seen}")


def _dashboard(api: LocalApi, job_id: str) -> ApiResponse:
    return api.request(
        "GET",
        f"/jobs/{job_id}/dashboard",
        headers={"Accept-Encoding": "gzip", "Origin": ALLOWED_ORIGIN},
    )


def test_create_upload_process_poll_fetch_and_delete(tmp_path: Path) -> None:
    options = RunOptions(aws="server", offline=True, concurrency=2, schedule_seconds=1.0)
    with (
        LocalPipeline(tmp_path, options) as pipeline,
        LocalApi(pipeline, allowed_origins=(ALLOWED_ORIGIN,)) as api,
    ):
        pipeline.start_workers()
        created = api.request("POST", "/jobs", headers={"Origin": ALLOWED_ORIGIN})
        assert created.status == 201
        assert created.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
        job = created.json()
        job_id, token, form = job["job_id"], job["delete_token"], job["upload"]
        assert form["url"].startswith("http://127.0.0.1:")  # the emulator, over a socket
        assert _dashboard(api, job_id).status == 202

        uploaded = api.upload(form, EXPORT.read_bytes(), file_name=EXPORT.name)
        assert uploaded.status_code == 204
        assert api.uploads[-1].succeeded  # the orchestrator took the S3 notification

        statuses = _poll_until_final(api, job_id)
        assert statuses[-1] == "COMPLETE", statuses
        view = api.request("GET", f"/jobs/{job_id}").json()
        assert view["progress"]["total"] > 50
        assert view["progress"]["succeeded"] == view["progress"]["total"]

        fetched = _dashboard(api, job_id)
        assert fetched.status == 200 and fetched.headers["content-encoding"] == "gzip"
        dashboard = dashboard_decoder.decode(fetched.body)
        assert dashboard.job_id == job_id and dashboard.status == JobStatus.COMPLETE
        assert dashboard.counts.total == view["progress"]["total"] == len(dashboard.books)

        wrong = api.request("DELETE", f"/jobs/{job_id}", headers={"Authorization": "Bearer x"})
        assert wrong.status == 403
        assert _dashboard(api, job_id).status == 200

        deleted = api.request(
            "DELETE", f"/jobs/{job_id}", headers={"Authorization": f"Bearer {token}"}
        )
        assert deleted.status == 204
        # S3 delivers the upload's notification once more (it may, at least once).
        bucket = pipeline.environment.data_bucket
        duplicate = notify_object_created(
            pipeline.functions[ORCHESTRATOR], bucket=bucket, key=form["fields"]["key"], size=1
        )
        assert duplicate.succeeded and duplicate.response["status"] == "REJECTED"
        assert api.request("GET", f"/jobs/{job_id}").status == 404
        assert _dashboard(api, job_id).status == 404
        listing = pipeline.session.client("s3").list_objects_v2(Bucket=bucket)
        assert [item["Key"] for item in listing.get("Contents", [])] == []
        items = (
            pipeline.session.client("dynamodb")
            .query(
                TableName=pipeline.environment.jobs_table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": job_pk(job_id)}},
                ConsistentRead=True,
            )
            .get("Items")
        )
        # Only the tombstone: no token, no job item, no book.
        assert [item[SORT_KEY]["S"] for item in items] == [ACCESS_SK]
        assert "token_sha256" not in items[0] and "deleting_at" in items[0]
