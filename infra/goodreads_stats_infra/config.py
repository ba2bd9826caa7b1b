"""Deployment settings: typed, validated, read from CDK context (cdk.json or `cdk -c key=value`)."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any, Final
from urllib.parse import urlsplit

from constructs import Node

from infra.goodreads_stats_infra.assets import DEFAULT_DIST_DIR, BuildArtifacts

DEFAULT_ENVIRONMENT: Final = "dev"
PRODUCTION_ENVIRONMENT: Final = "prod"  # the one environment whose data outlives its stacks
# Part of the stack names (GoodreadsStats-<name>-Data): CloudFormation allows letters, digits
# and hyphens; lower case keeps the names of the resources derived from them predictable.
_ENVIRONMENT_NAME: Final = re.compile(r"[a-z][a-z0-9-]{0,19}")

DEFAULT_PROCESSOR_MAX_CONCURRENCY: Final = 5
DEFAULT_JOB_DEADLINE_SECONDS: Final = 900
DEFAULT_AGGREGATION_LEASE_SECONDS: Final = 300
# The HTTP API's stage throttling, shared by every client (HTTP APIs have no per-client limit).
# A reader's page asks about once per 5 s while a job runs (the API's Retry-After), so 20
# requests/s serve about a hundred readers waiting at once, far above this app's audience, while
# capping what a flood can cost and how much of the account's Lambda concurrency the public API
# can take from the pipeline (about 2 instances at ~100 ms a request). A burst of 50 absorbs a few
# pages loading together.
DEFAULT_API_RATE_LIMIT: Final = 20.0
DEFAULT_API_BURST_LIMIT: Final = 50
# API Gateway's default account-level quota per region: a stage limit above it has no effect.
MAX_API_RATE_LIMIT: Final = 10_000.0
MAX_API_BURST_LIMIT: Final = 5_000

# Open Library's limit for one client, per second: 3 when it identifies itself (a contact in the
# User-Agent), 1 otherwise. The deployment's processors share it through one schedule per host
# (services/book_processor/pacing.py), whatever their number.
IDENTIFIED_CLIENT_RPS: Final = 3.0
ANONYMOUS_CLIENT_RPS: Final = 1.0

# The context keys an operator may set; README.md explains them and cdk.json holds defaults.
CONTEXT_KEYS: Final = (
    "environment",
    "allowedOrigins",
    "contact",
    "distDir",
    "processorMaxConcurrency",
    "upstreamMaxRps",
    "enrichmentSources",
    "googleBooksApiKey",
    "jobDeadlineSeconds",
    "aggregationLeaseSeconds",
    "apiRateLimit",
    "apiBurstLimit",
    "alarmEmail",
)


class SettingsError(ValueError):
    """A context value the deployment cannot use; the message says which and why."""


@dataclasses.dataclass(frozen=True)
class PipelineSettings:
    """Everything a deployment may vary; the rest is fixed in the constructs."""

    artifacts: BuildArtifacts
    environment: str = DEFAULT_ENVIRONMENT
    # Web origins (https://host[:port]) whose pages may upload to the bucket with a presigned
    # POST; the HTTP API's CORS uses the same list. Empty: no browser may.
    allowed_origins: tuple[str, ...] = ()
    processor_max_concurrency: int = DEFAULT_PROCESSOR_MAX_CONCURRENCY
    upstream_max_rps: float | None = None  # None: Open Library's limit for this client
    enrichment_sources: str | None = None  # None: the service's default; "" skips enrichment
    contact: str | None = None
    google_books_api_key: str | None = None
    job_deadline_seconds: int = DEFAULT_JOB_DEADLINE_SECONDS
    aggregation_lease_seconds: int = DEFAULT_AGGREGATION_LEASE_SECONDS
    api_rate_limit: float = DEFAULT_API_RATE_LIMIT  # requests/s, steady, all clients together
    api_burst_limit: int = DEFAULT_API_BURST_LIMIT  # most requests at once (the bucket size)
    alarm_email: str | None = None

    def __post_init__(self) -> None:
        if not _ENVIRONMENT_NAME.fullmatch(self.environment):
            raise SettingsError(
                "environment must be 1-20 lower-case letters, digits or hyphens, starting with "
                f"a letter (it names the stacks), got {self.environment!r}"
            )
        for origin in self.allowed_origins:
            _check_origin(origin)
        # Lambda's own bounds for ScalingConfig.MaximumConcurrency.
        if not 2 <= self.processor_max_concurrency <= 1000:
            raise SettingsError("processorMaxConcurrency must be between 2 and 1000")
        if self.upstream_max_rps is not None and not self.upstream_max_rps > 0:
            raise SettingsError("upstreamMaxRps must be a positive number")
        if self.job_deadline_seconds < 60:
            raise SettingsError("jobDeadlineSeconds must be at least 60")
        if self.aggregation_lease_seconds < 60:
            raise SettingsError("aggregationLeaseSeconds must be at least 60")
        if not 0 < self.api_rate_limit <= MAX_API_RATE_LIMIT:
            raise SettingsError(f"apiRateLimit must be above 0 and at most {MAX_API_RATE_LIMIT:g}")
        if not 1 <= self.api_burst_limit <= MAX_API_BURST_LIMIT:
            raise SettingsError(f"apiBurstLimit must be between 1 and {MAX_API_BURST_LIMIT}")

    @property
    def is_production(self) -> bool:
        """Production keeps its bucket and tables when its stacks are deleted."""
        return self.environment == PRODUCTION_ENVIRONMENT

    @property
    def upstream_max_rps_for_deployment(self) -> float:
        """UPSTREAM_MAX_RPS, requests per second per upstream host for the whole deployment
        (every processor instance takes its starts from one shared schedule): the operator's
        value, else Open Library's limit for this client."""
        if self.upstream_max_rps is not None:
            return self.upstream_max_rps
        return IDENTIFIED_CLIENT_RPS if self.contact else ANONYMOUS_CLIENT_RPS

    @classmethod
    def from_context(cls, node: Node) -> PipelineSettings:
        """Reads CONTEXT_KEYS; values given with `-c` arrive as strings, cdk.json ones typed."""

        def text(key: str) -> str | None:
            value = node.try_get_context(key)
            return None if value is None else str(value).strip()

        def optional_text(key: str) -> str | None:
            return text(key) or None  # an empty value means "not set"

        def integer(key: str, default: int) -> int:
            value = optional_text(key)
            if value is None:
                return default
            try:
                return int(value)
            except ValueError as exc:
                raise SettingsError(f"context {key} must be an integer, got {value!r}") from exc

        def number(key: str) -> float | None:
            value = optional_text(key)
            if value is None:
                return None
            try:
                return float(value)
            except ValueError as exc:
                raise SettingsError(f"context {key} must be a number, got {value!r}") from exc

        return cls(
            artifacts=BuildArtifacts.from_dist_dir(optional_text("distDir") or DEFAULT_DIST_DIR),
            environment=optional_text("environment") or DEFAULT_ENVIRONMENT,
            allowed_origins=origins_from_context(node.try_get_context("allowedOrigins")),
            processor_max_concurrency=integer(
                "processorMaxConcurrency", DEFAULT_PROCESSOR_MAX_CONCURRENCY
            ),
            upstream_max_rps=number("upstreamMaxRps"),
            enrichment_sources=text("enrichmentSources"),
            contact=optional_text("contact"),
            google_books_api_key=optional_text("googleBooksApiKey"),
            job_deadline_seconds=integer("jobDeadlineSeconds", DEFAULT_JOB_DEADLINE_SECONDS),
            aggregation_lease_seconds=integer(
                "aggregationLeaseSeconds", DEFAULT_AGGREGATION_LEASE_SECONDS
            ),
            api_rate_limit=_or_default(number("apiRateLimit"), DEFAULT_API_RATE_LIMIT),
            api_burst_limit=integer("apiBurstLimit", DEFAULT_API_BURST_LIMIT),
            alarm_email=optional_text("alarmEmail"),
        )


def _or_default(value: float | None, default: float) -> float:
    return default if value is None else value


def origins_from_context(value: Any) -> tuple[str, ...]:
    """A list (cdk.json), or a string (`-c`): comma-separated, or a JSON list."""
    if value is None:
        return ()
    items: Any
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            try:
                items = json.loads(stripped)
            except ValueError as exc:
                raise SettingsError(
                    f"context allowedOrigins: {value!r} is not a JSON list"
                ) from exc
        else:
            items = stripped.split(",")
    else:
        items = value
    if not isinstance(items, list):
        raise SettingsError(f"context allowedOrigins must be a list of origins, got {value!r}")
    origins = tuple(str(item).strip() for item in items)
    return tuple(dict.fromkeys(origin for origin in origins if origin))  # ordered, no repeats


def _check_origin(origin: str) -> None:
    """An origin exactly as a browser sends it: https, a host, an optional port, nothing else.
    No wildcards: a presigned POST from any page is what the list exists to prevent."""
    problem = f"allowedOrigins: {origin!r} is not an https origin like https://app.example.org"
    try:
        parts = urlsplit(origin)
        port = parts.port  # raises on a malformed port
    except ValueError as exc:
        raise SettingsError(problem) from exc
    well_formed = (
        parts.scheme == "https"
        and bool(parts.hostname)
        and "*" not in origin
        and parts.username is None
        and parts.path == ""
        and not parts.query
        and not parts.fragment
        and origin == f"https://{parts.hostname}" + ("" if port is None else f":{port}")
    )
    if not well_formed:
        raise SettingsError(problem)
