"""POST /jobs: a job id, a delete token shown once, and a presigned POST straight to S3."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid

import requests

from contracts.layout import SORT_KEY
from contracts.storage import ACCESS_SK, upload_key
from tests.api.support import (
    START,
    ApiClient,
    AwsFixture,
    api_client,
    decoded_policy,
    object_keys,
    table_items,
)

FIFTY_MIB = 52_428_800


def test_a_new_job_has_a_random_uuid_awaits_its_upload_and_is_located(api: ApiClient) -> None:
    response = api.request("POST", "/jobs")

    assert response.status == 201
    created = response.json()
    job_id = created["job_id"]
    assert str(uuid.UUID(job_id)) == job_id and uuid.UUID(job_id).version == 4
    assert created["status"] == "AWAITING_UPLOAD"
    assert response.headers["location"] == created["job_url"] == f"/jobs/{job_id}"
    assert created["dashboard_url"] == f"/jobs/{job_id}/dashboard"
    status = api.request("GET", f"/jobs/{job_id}")
    assert status.status == 200
    assert status.json()["status"] == "AWAITING_UPLOAD"
    assert status.json()["upload_expires_at"] == "2025-03-01T12:05:00Z"


def test_each_job_gets_its_own_id_token_and_upload_key(api: ApiClient) -> None:
    first, second = api.create_job(), api.create_job()

    assert first["job_id"] != second["job_id"]
    assert first["delete_token"] != second["delete_token"]
    assert first["upload"]["fields"]["key"] != second["upload"]["fields"]["key"]


def test_the_upload_policy_pins_the_jobs_exact_key_the_size_the_type_and_a_short_expiry(
    api: ApiClient, aws: AwsFixture
) -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    created = api.create_job()
    after = dt.datetime.now(dt.UTC)
    form = created["upload"]
    policy = decoded_policy(form)

    key = upload_key(created["job_id"], "goodreads_library_export.csv")
    conditions = policy["conditions"]
    assert {"bucket": aws[1].data_bucket} in conditions
    assert {"key": key} in conditions
    assert ["content-length-range", 1, FIFTY_MIB] in conditions
    assert {"Content-Type": "text/csv"} in conditions
    # Nothing is left open: no starts-with condition, every other condition is the signature's.
    assert not [c for c in conditions if isinstance(c, list) and c[0] == "starts-with"]
    signature_fields = {"x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-security-token"}
    others = [c for c in conditions if isinstance(c, dict) and not set(c) <= signature_fields]
    assert sorted(others, key=str) == sorted(
        [{"bucket": aws[1].data_bucket}, {"key": key}, {"Content-Type": "text/csv"}], key=str
    )
    assert {"x-amz-algorithm": "AWS4-HMAC-SHA256"} in conditions  # SigV4, not SigV2
    expiration = dt.datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=dt.UTC
    )
    assert before + dt.timedelta(seconds=300) <= expiration <= after + dt.timedelta(seconds=300)

    assert form["method"] == "POST" and form["file_field"] == "file"
    assert form["fields"]["key"] == key and form["fields"]["Content-Type"] == "text/csv"
    assert form["content_type"] == "text/csv" and form["max_bytes"] == FIFTY_MIB
    assert form["expires_at"] == (START + dt.timedelta(seconds=300)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert aws[1].data_bucket in form["url"] and form["url"].startswith("https://")


def test_the_upload_form_expiry_follows_the_setting(aws: AwsFixture) -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    created = api_client(aws, upload_url_seconds=120).create_job()
    after = dt.datetime.now(dt.UTC)

    policy = decoded_policy(created["upload"])
    expiration = dt.datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=dt.UTC
    )
    assert before + dt.timedelta(seconds=120) <= expiration <= after + dt.timedelta(seconds=120)
    assert created["upload"]["expires_at"] == "2025-03-01T12:02:00Z"


def test_the_delete_token_is_returned_once_and_only_its_hash_is_stored(
    api: ApiClient, aws: AwsFixture
) -> None:
    created = api.create_job()
    token = created["delete_token"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # 32 random bytes, URL-safe base64

    items = table_items(aws)
    assert [item[SORT_KEY] for item in items] == [ACCESS_SK]
    assert items[0]["token_sha256"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(items)
    status = api.request("GET", f"/jobs/{created['job_id']}")
    assert token.encode() not in status.body


def test_the_browser_form_post_stores_the_export_under_the_jobs_key(
    api: ApiClient, aws: AwsFixture
) -> None:
    created = api.create_job()
    form = created["upload"]
    csv = b"Book Id,Title,Author\n1,Dune,Frank Herbert\n"

    response = requests.post(
        form["url"],
        data=form["fields"],
        files={form["file_field"]: ("my export.csv", csv, "text/csv")},
        timeout=10,
    )

    assert response.status_code == 204
    key = form["fields"]["key"]
    assert object_keys(aws) == {key}
    stored = aws[0].client("s3").get_object(Bucket=aws[1].data_bucket, Key=key)
    assert stored["Body"].read() == csv and stored["ContentType"] == "text/csv"
    assert api.request("GET", f"/jobs/{created['job_id']}").json()["status"] == "UPLOADED"


def test_a_request_body_is_ignored_nothing_is_parsed(api: ApiClient) -> None:
    response = api.request("POST", "/jobs", body=b"\x00\xff not json", headers={"x": "y"})
    assert response.status == 201
