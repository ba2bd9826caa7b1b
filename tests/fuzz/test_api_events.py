"""The HTTP API function, for any event of the HTTP API's shape (payload format 2.0).

Whatever the method, path, headers, query or body, the unchanged handler
(`services.api.handler.lambda_handler`, against moto with jobs in every state) answers a 2xx,
3xx or 4xx, never a 5xx: nothing a client sends is the server's fault. Every 4xx has the
documented error shape, `{"error": {"code", "message"}}` (services/api/README.md).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from contracts.messages import JobStatus
from contracts.storage import dashboard_key, new_job_id
from local_runtime.api_flow import http_api_event
from local_runtime.lambda_events import LambdaContext
from local_runtime.resources import ServiceEnvironment
from services.api import handler
from tests.api.support import ALLOWED_ORIGIN, put_job, put_object
from tests.fuzz.profiles import examples

AwsFixture = tuple[boto3.Session, ServiceEnvironment]


@pytest.fixture
def job_ids(aws: AwsFixture, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Jobs in every state the routes tell apart, and one created through the API itself."""
    monkeypatch.setenv("ALLOWED_ORIGINS", ALLOWED_ORIGIN)
    handler.dependencies_for.cache_clear()  # this test's moto and settings
    ids = []
    for status in JobStatus:
        record = put_job(
            aws,
            status=status,
            error="bad file" if status == "FAILED" else None,
            total=3,
            succeeded=2,
            failed=1,
            enriched=1,  # the book processor's counter beside succeeded and failed
        )
        ids.append(record.job_id)
        if record.dashboard_key:
            put_object(aws, dashboard_key(record.job_id), b'{"type": "dashboard.v1"}')
    created = _invoke(http_api_event("POST", "/jobs"))
    ids.append(json.loads(created["body"])["job_id"])
    ids.append(new_job_id())  # no such job
    yield ids
    handler.dependencies_for.cache_clear()


def _invoke(event: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = handler.lambda_handler(event, LambdaContext("api"))
    return response


SEGMENTS = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", ".", "..", "%", "%2F", "%00", "jobs", "dashboard", "😀", " "]),
    st.from_regex(r"[0-9a-fA-F-]{30,40}", fullmatch=True),
)
HEADER_NAMES = st.sampled_from(
    [
        "authorization",
        "accept-encoding",
        "origin",
        "content-type",
        "content-length",
        "access-control-request-method",
        "x-forwarded-for",
        "cookie",
    ]
) | st.text(min_size=1, max_size=12)
HEADER_VALUES = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "Bearer ",
            "Bearer x",
            "bearer  " + "A" * 43,
            "Basic dXNlcjpwYXNz",
            "gzip;q=0, *",
            "gzip;q=abc",
            "br;q=1.5, gzip;q=-1",
            ALLOWED_ORIGIN,
            "null",
        ]
    ),
)


@st.composite
def api_events(draw: st.DrawFn, job_ids: list[str]) -> dict[str, Any]:
    """Mostly the routes, with real job ids (every state) or anything else in place of an id;
    sometimes any path at all. Any headers, query and body."""
    method = draw(st.sampled_from(["GET", "GET", "DELETE", "POST", "PUT", "OPTIONS", "HEAD"]))
    # Hypothesis leans to the simplest draw (0): make that the route with a real job.
    job = draw(SEGMENTS) if draw(st.integers(0, 3)) == 3 else draw(st.sampled_from(job_ids))
    shapes = [
        f"/jobs/{job}",
        f"/jobs/{job}/dashboard",
        "/jobs",
        f"/jobs/{job}",
        f"/jobs/{job}/dashboard",
        f"/jobs/{job}/",
        f"/jobs//{job}",
        f"/jobs/{urllib.parse.quote(job)}/dashboard",
    ]
    if draw(st.integers(0, 4)) < 4:
        path = draw(st.sampled_from(shapes))
    else:
        path = "/" + "/".join(draw(st.lists(SEGMENTS, max_size=4)))
    headers = draw(st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=4))
    body = draw(st.none() | st.text(max_size=200) | st.binary(max_size=100))
    query = draw(st.dictionaries(st.text(max_size=8), st.text(max_size=20), max_size=3))
    event = http_api_event(method, path, headers=headers, body=body, query=query)
    if draw(st.booleans()) and isinstance(body, str):
        event["isBase64Encoded"] = True  # a body that claims base64 and is not
    return event


@examples(300, suppress=(HealthCheck.function_scoped_fixture,))
@given(data=st.data())
def test_any_event_gets_a_2xx_3xx_or_4xx_and_every_4xx_has_the_error_shape(
    job_ids: list[str], data: st.DataObject
) -> None:
    event = data.draw(api_events(job_ids))

    response = _invoke(event)

    status = response["statusCode"]
    assert 200 <= status < 500, (status, response.get("body"))
    readable = response.get("body") and not response.get("isBase64Encoded")
    if status == 200 and event["requestContext"]["http"]["method"] == "GET" and readable:
        body = json.loads(response["body"])
        if isinstance(body, dict) and "progress" in body:  # a job's view: its counts agree
            progress = body["progress"]
            assert set(progress) == {"succeeded", "failed", "total", "enriched"}
            assert progress["enriched"] <= progress["succeeded"] <= progress["total"]
    if status >= 400:
        headers = {name.lower(): value for name, value in response["headers"].items()}
        assert headers["content-type"] == "application/json"
        body = json.loads(response["body"])
        assert set(body) == {"error"}
        assert set(body["error"]) == {"code", "message"}
        assert isinstance(body["error"]["code"], str) and body["error"]["code"]
        assert isinstance(body["error"]["message"], str)
