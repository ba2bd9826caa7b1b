"""The routes: Powertools' resolver for API Gateway HTTP API (payload v2) events.

    POST   /jobs                  create a job and its upload form (201)
    GET    /jobs/{id}             status and progress
    GET    /jobs/{id}/dashboard   the dashboard (200), or 202 while it runs
    DELETE /jobs/{id}             everything of the job, with its delete token (204)

Every id is checked (a canonical lower-case UUID) before any AWS call.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import msgspec
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.metrics import MetricUnit

from contracts.storage import InvalidJobId, parse_job_id
from services.api.access import bearer_token
from services.api.errors import ApiError, ErrorCode
from services.api.jobs import (
    PENDING_DASHBOARD_RETRY_AFTER_SECONDS,
    Clients,
    Clock,
    InlineDashboard,
    JobsApi,
    PendingDashboard,
    utc_now,
)
from services.api.settings import Settings
from services.api.views import ErrorBody, ErrorDetail

# A child of the handler's logger: the keys appended here (job_id) appear on every line.
logger = Logger(service="api", child=True)
metrics = Metrics(namespace="GoodreadsStats", service="api")

JSON = "application/json"
CORS_MAX_AGE_SECONDS = 600
# Access-Control-Allow-Origin echoes the request's origin: caches key on it.
VARY = "Origin"
# The dashboard's body (gzip or not, inline or 303) also depends on Accept-Encoding.
VARY_ENCODING = "Origin, Accept-Encoding"


def encode_json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def cors_config(allowed_origins: tuple[str, ...]) -> CORSConfig | None:
    """Only the configured origins get CORS headers; none configured means no CORS at all
    (Powertools' default origin is "*", so it must never be built without origins)."""
    if not allowed_origins:
        return None
    return CORSConfig(
        allow_origin=allowed_origins[0],
        extra_origins=list(allowed_origins[1:]),
        allow_headers=["Authorization", "Content-Type"],
        expose_headers=["Location", "Retry-After"],
        max_age=CORS_MAX_AGE_SECONDS,
    )


def respond(
    status: int,
    body: Any,
    *,
    content_type: str | None = JSON,
    headers: Mapping[str, str] | None = None,
) -> Response[Any]:
    """Every response, successful or not, goes out with these headers."""
    return Response(
        status_code=status,
        content_type=content_type,
        body=body,
        headers={
            # Job states change and dashboards are personal: no shared or browser cache.
            "Cache-Control": "no-store",
            "Vary": VARY,
            **(headers or {}),
        },
    )


def error_response(error: ApiError) -> Response[Any]:
    body = ErrorBody(error=ErrorDetail(code=error.code.value, message=error.message))
    return respond(error.status, encode_json(body), headers=error.headers)


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether `Accept-Encoding` allows gzip. As RFC 9110 (12.5.3) says, the most specific
    entry decides: `gzip` (or its alias `x-gzip`) over `*`; a quality of 0 refuses."""
    explicit: float | None = None
    wildcard: float | None = None
    for part in (accept_encoding or "").lower().split(","):
        coding, *params = (piece.strip() for piece in part.split(";"))
        if coding not in ("gzip", "x-gzip", "*"):
            continue
        quality = _quality(params)
        if coding == "*":
            wildcard = quality if wildcard is None else max(wildcard, quality)
        else:
            explicit = quality if explicit is None else max(explicit, quality)
    decisive = explicit if explicit is not None else wildcard
    return decisive is not None and decisive > 0


def _quality(params: list[str]) -> float:
    """The `q` weight of an Accept-Encoding entry: 1 without one, 0 if unreadable."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip() == "q":
            try:
                quality = float(value.strip())
            except ValueError:
                return 0.0
            return quality if 0.0 <= quality <= 1.0 else 0.0
    return 1.0


def inline_response(dashboard: InlineDashboard) -> Response[Any]:
    """The stored JSON as it is, never decoded and re-encoded; compressed here rather than by
    Powertools, because whether it fits in Lambda's response depends on the compressed size."""
    if not dashboard.gzipped:
        return respond(200, dashboard.body.decode("utf-8"), headers={"Vary": VARY_ENCODING})
    response = respond(
        200,
        base64.b64encode(dashboard.body).decode(),
        headers={"Content-Encoding": "gzip", "Vary": VARY_ENCODING},
    )
    response.base64_encoded = True
    return response


def _valid_job_id(value: str) -> str:
    try:
        return parse_job_id(value)
    except InvalidJobId:
        raise ApiError(
            400,
            ErrorCode.INVALID_JOB_ID,
            "a job id is a lower-case UUID like the one POST /jobs returned",
        ) from None


def build_app(settings: Settings, clients: Clients, now: Clock = utc_now) -> APIGatewayHttpResolver:
    api = JobsApi(settings, clients, now)
    app = APIGatewayHttpResolver(cors=cors_config(settings.allowed_origins), serializer=encode_json)

    @app.post("/jobs")
    def create_job() -> Response[Any]:
        created = api.create_job()
        logger.append_keys(job_id=created.job_id)
        metrics.add_metric(name="JobsCreated", unit=MetricUnit.Count, value=1)
        return respond(201, created, headers={"Location": created.job_url})

    @app.get("/jobs/<job_id>")
    def get_job(job_id: str) -> Response[Any]:
        job_id = _valid_job_id(job_id)
        logger.append_keys(job_id=job_id)
        return respond(200, api.job_state(job_id).view)

    @app.get("/jobs/<job_id>/dashboard")
    def get_dashboard(job_id: str) -> Response[Any]:
        job_id = _valid_job_id(job_id)
        logger.append_keys(job_id=job_id)
        accept_encoding = app.current_event.headers.get("accept-encoding")
        outcome = api.dashboard(job_id, accepts_gzip=accepts_gzip(accept_encoding))
        if isinstance(outcome, InlineDashboard):
            return inline_response(outcome)
        if isinstance(outcome, PendingDashboard):
            retry_after = str(PENDING_DASHBOARD_RETRY_AFTER_SECONDS)
            return respond(202, outcome.view, headers={"Retry-After": retry_after})
        # Too large to return through Lambda: See Other, at a short-lived presigned GET.
        # Whether it fits inline depends on Accept-Encoding (gzip), so this answer does too.
        headers = {"Location": outcome.dashboard_url, "Vary": VARY_ENCODING}
        return respond(303, outcome, headers=headers)

    @app.delete("/jobs/<job_id>")
    def delete_job(job_id: str) -> Response[Any]:
        job_id = _valid_job_id(job_id)
        logger.append_keys(job_id=job_id)
        token = bearer_token(app.current_event.headers.get("authorization"))
        api.delete_job(job_id, token)
        metrics.add_metric(name="JobsDeleted", unit=MetricUnit.Count, value=1)
        return respond(204, "", content_type=None)

    def handle_api_error(error: ApiError) -> Response[Any]:
        if error.status >= 500:
            logger.error("request failed", extra={"code": error.code.value})
        else:
            logger.info("request refused", extra={"status": error.status, "code": error.code.value})
        return error_response(error)

    @app.not_found
    def handle_not_found(_: NotFoundError) -> Response[Any]:
        event = app.current_event
        message = f"no route {event.http_method} {event.path}"
        return error_response(ApiError(404, ErrorCode.ROUTE_NOT_FOUND, message[:200]))

    def handle_unexpected(error: Exception) -> Response[Any]:
        logger.exception("unexpected error")
        return error_response(
            ApiError(500, ErrorCode.INTERNAL_ERROR, "something went wrong; try again later")
        )

    # Registered by call: the decorator form is untyped to mypy.
    app.exception_handler(ApiError)(handle_api_error)
    app.exception_handler(Exception)(handle_unexpected)
    return app
