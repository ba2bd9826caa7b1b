"""CORS: only the configured origins get CORS headers, on preflights, answers and errors."""

from __future__ import annotations

import pytest

from contracts.storage import new_job_id
from tests.api.support import (
    ALLOWED_ORIGIN,
    OTHER_ALLOWED_ORIGIN,
    ApiClient,
    AwsFixture,
    api_client,
)

CORS_HEADERS = {
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-allow-credentials",
    "access-control-expose-headers",
    "access-control-max-age",
}


def _preflight(api: ApiClient, origin: str, method: str = "DELETE") -> dict[str, str]:
    response = api.request(
        "OPTIONS",
        f"/jobs/{new_job_id()}",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert response.status == 204
    return response.headers


@pytest.mark.parametrize("origin", [ALLOWED_ORIGIN, OTHER_ALLOWED_ORIGIN])
def test_a_preflight_from_a_configured_origin_allows_the_routes_methods_and_token_header(
    api: ApiClient, origin: str
) -> None:
    headers = _preflight(api, origin)

    assert headers["access-control-allow-origin"] == origin
    methods = {method.strip() for method in headers["access-control-allow-methods"].split(",")}
    assert {"GET", "POST", "DELETE", "OPTIONS"} <= methods
    allowed = {name.strip().lower() for name in headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed
    assert headers["access-control-max-age"] == "600"
    assert "access-control-allow-credentials" not in headers  # the token is a header, no cookies


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example.com",
        "http://app.example.com",  # same host, another scheme
        "https://app.example.com:8443",  # another port
        "https://app.example.com.evil.example",
        "https://app.example.com/",
        "null",
        "*",
    ],
)
def test_any_other_origin_gets_no_cors_headers(api: ApiClient, origin: str) -> None:
    # Powertools answers every preflight with the routes' methods; without
    # Access-Control-Allow-Origin the browser fails the preflight all the same, and the methods
    # are no secret (README). Nothing else, above all no origin and no allowed headers.
    preflight = _preflight(api, origin)
    assert CORS_HEADERS & set(preflight) == {"access-control-allow-methods"}
    created = api.request("POST", "/jobs", headers={"Origin": origin})
    assert created.status == 201  # CORS is for browsers to enforce; the request still works
    assert not CORS_HEADERS & set(created.headers)


def test_answers_and_errors_to_a_configured_origin_carry_cors_headers(api: ApiClient) -> None:
    origin = {"Origin": ALLOWED_ORIGIN}
    created = api.request("POST", "/jobs", headers=origin)
    missing = api.request("GET", f"/jobs/{new_job_id()}", headers=origin)
    invalid = api.request("GET", "/jobs/nope/dashboard", headers=origin)

    for response in (created, missing, invalid):
        assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
        assert response.headers["vary"] == "Origin"
    # Browsers only show scripts the headers listed here.
    exposed = {name.strip() for name in created.headers["access-control-expose-headers"].split(",")}
    assert exposed == {"Location", "Retry-After"}


def test_without_configured_origins_there_is_no_cors_at_all(aws: AwsFixture) -> None:
    api = api_client(aws, allowed_origins=())
    preflight = api.request(
        "OPTIONS",
        "/jobs",
        headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    created = api.request("POST", "/jobs", headers={"Origin": ALLOWED_ORIGIN})

    assert preflight.status == 404
    assert not CORS_HEADERS & set(preflight.headers)
    assert created.status == 201 and not CORS_HEADERS & set(created.headers)
