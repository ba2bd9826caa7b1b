"""The HTTP API of a local deployment: what API Gateway and the reader's browser do around it.

    with LocalPipeline(out_dir, RunOptions(aws="server")) as pipeline, LocalApi(pipeline) as api:
        pipeline.start_workers()
        created = api.request("POST", "/jobs").json()
        api.upload(created["upload"], csv_bytes)       # the browser's form POST, then S3's event
        api.request("GET", f"/jobs/{created['job_id']}").json()

The API function is the unchanged `services.api.handler`, cold-started with the deployment's
environment. Requests reach it as API Gateway HTTP API (payload format 2.0) events; the upload
goes to the emulated S3 as a real multipart form POST (over a socket with the "server"
emulator), and the ObjectCreated notification S3 would send is delivered to the orchestrator.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import gzip
import json
import re
import urllib.parse
import uuid
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import requests

from local_runtime.emulator import scoped_environ
from local_runtime.event_sources import notify_object_created
from local_runtime.functions import ORCHESTRATOR, Invocation, LocalFunction, new_environment_loader
from local_runtime.lambda_events import ACCOUNT, REGION
from local_runtime.pipeline import LocalPipeline
from services.api import handler as api_handler

API = "api"
# Each execution environment loads its own instance by name; the import above is the same
# module, so that the build sees the dependency.
API_HANDLER_MODULE = api_handler.__name__
API_ID = "localapi"
# API Gateway gives up on an integration after 30 s; the function's timeout stays below.
API_FUNCTION_TIMEOUT_SECONDS = 29.0

# The routes as the HTTP API declares them (route key templates), most specific first.
_ROUTES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^/jobs/(?P<id>[^/]+)/dashboard$"), "/jobs/{id}/dashboard"),
    (re.compile(r"^/jobs/(?P<id>[^/]+)$"), "/jobs/{id}"),
    (re.compile(r"^/jobs$"), "/jobs"),
)


def http_api_event(
    method: str,
    path: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: str | bytes | None = None,
    query: Mapping[str, str] | None = None,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """The event API Gateway HTTP API sends a Lambda integration (payload format 2.0) for one
    request on the `$default` stage: headers lower-cased, path parameters from the route."""
    method = method.upper()
    lowered = {name.lower(): value for name, value in (headers or {}).items()}
    route_key = "$default"
    path_parameters: dict[str, str] | None = None
    for pattern, template in _ROUTES:
        match = pattern.match(path)
        if match:
            route_key = f"{method} {template}"
            path_parameters = {
                name: urllib.parse.unquote(v) for name, v in match.groupdict().items()
            }
            break
    now = dt.datetime.now(dt.UTC)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": urllib.parse.urlencode(query or {}),
        "headers": {"host": f"{API_ID}.execute-api.{REGION}.amazonaws.com", **lowered},
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": API_ID,
            "domainName": f"{API_ID}.execute-api.{REGION}.amazonaws.com",
            "domainPrefix": API_ID,
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", "local"),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = dict(query)
    if path_parameters:
        event["pathParameters"] = path_parameters
    if isinstance(body, bytes):
        event["body"] = base64.b64encode(body).decode()
        event["isBase64Encoded"] = True
    elif body is not None:
        event["body"] = body
    return event


@dataclasses.dataclass(frozen=True)
class ApiResponse:
    """What an HTTP client gets: status, headers (lower-case names) and the decoded body."""

    status: int
    headers: dict[str, str]
    body: bytes  # base64 and gzip undone, as a client library would
    wire_body: bytes  # as sent (still gzip-compressed when Content-Encoding says so)

    def json(self) -> Any:
        return json.loads(self.body)


def api_response(result: Mapping[str, Any]) -> ApiResponse:
    """API Gateway's reading of a payload-2.0 Lambda response (an object with statusCode)."""
    raw = result.get("body") or ""
    wire = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    headers = {
        str(name).lower(): str(value) for name, value in (result.get("headers") or {}).items()
    }
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[str(name).lower()] = ", ".join(str(value) for value in values)
    body = gzip.decompress(wire) if headers.get("content-encoding") == "gzip" else wire
    return ApiResponse(status=int(result["statusCode"]), headers=headers, body=body, wire_body=wire)


def _gateway_error(invocation: Invocation) -> ApiResponse:
    """A function error or timeout: API Gateway answers on its own."""
    status = 503 if invocation.timed_out else 500
    message = b"Service Unavailable" if invocation.timed_out else b"Internal Server Error"
    body = b'{"message":"' + message + b'"}'
    return ApiResponse(status, {"content-type": "application/json"}, body, body)


class LocalApi:
    """The API function of an open LocalPipeline, with API Gateway's and S3's parts.

    `allowed_origins` and `environment` become the function's ALLOWED_ORIGINS and further
    variables for as long as the context is entered.
    """

    def __init__(
        self,
        pipeline: LocalPipeline,
        *,
        allowed_origins: tuple[str, ...] = (),
        environment: Mapping[str, str] | None = None,
    ) -> None:
        self.pipeline = pipeline
        self._environment = {"ALLOWED_ORIGINS": ",".join(allowed_origins), **(environment or {})}
        self._scope: Any = None
        self.function: LocalFunction | None = None
        self.uploads: list[Invocation] = []  # the orchestrator's invocation for each upload

    def __enter__(self) -> LocalApi:
        self._scope = scoped_environ(self._environment)
        self._scope.__enter__()
        try:
            load = new_environment_loader(API_HANDLER_MODULE)
            self.function = LocalFunction(
                API, load(), API_FUNCTION_TIMEOUT_SECONDS, new_environment=load
            )
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._scope is not None:
            self._scope.__exit__(exc_type, exc, traceback)
            self._scope = None

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: str | bytes | None = None,
        query: Mapping[str, str] | None = None,
    ) -> ApiResponse:
        if self.function is None:
            raise RuntimeError("enter the LocalApi context first")
        invocation = self.function.invoke(
            http_api_event(method, path, headers=headers, body=body, query=query)
        )
        if not invocation.succeeded or not isinstance(invocation.response, Mapping):
            return _gateway_error(invocation)
        return api_response(invocation.response)

    def upload(
        self, form: Mapping[str, Any], data: bytes, file_name: str = "export.csv"
    ) -> requests.Response:
        """The browser's part: POST the form's fields, then the file, to the form's URL. If S3
        stored it, S3's part follows: the ObjectCreated notification to the orchestrator."""
        fields = dict(form["fields"])
        response = requests.post(
            str(form["url"]),
            data=fields,
            files={str(form.get("file_field", "file")): (file_name, data, fields["Content-Type"])},
            timeout=30,
        )
        if response.status_code in (200, 201, 204):
            self.uploads.append(
                notify_object_created(
                    self.pipeline.functions[ORCHESTRATOR],
                    bucket=self.pipeline.environment.data_bucket,
                    key=fields["key"],
                    size=len(data),
                )
            )
        return response
