"""Deployment settings: typed, validated, read from CDK context (cdk.json or `cdk -c key=value`)."""

from __future__ import annotations

import dataclasses
from typing import Final

from constructs import Node

from infra.goodreads_stats_infra.assets import DEFAULT_DIST_DIR, LambdaAssets

DEFAULT_PROCESSOR_MAX_CONCURRENCY: Final = 5
DEFAULT_JOB_DEADLINE_SECONDS: Final = 900
DEFAULT_AGGREGATION_LEASE_SECONDS: Final = 300

# The context keys an operator may set; README.md explains them and cdk.json holds defaults.
CONTEXT_KEYS: Final = (
    "distDir",
    "processorMaxConcurrency",
    "upstreamMaxRps",
    "enrichmentSources",
    "contact",
    "googleBooksApiKey",
    "jobDeadlineSeconds",
    "aggregationLeaseSeconds",
    "alarmEmail",
)


@dataclasses.dataclass(frozen=True)
class PipelineSettings:
    """Everything a deployment may vary; the rest is fixed in the constructs."""

    lambda_assets: LambdaAssets
    processor_max_concurrency: int = DEFAULT_PROCESSOR_MAX_CONCURRENCY
    upstream_max_rps: float | None = None  # None: the service's own default
    enrichment_sources: str | None = None  # None: the service's default; "" skips enrichment
    contact: str | None = None
    google_books_api_key: str | None = None
    job_deadline_seconds: int = DEFAULT_JOB_DEADLINE_SECONDS
    aggregation_lease_seconds: int = DEFAULT_AGGREGATION_LEASE_SECONDS
    alarm_email: str | None = None

    def __post_init__(self) -> None:
        # Lambda's own bounds for ScalingConfig.MaximumConcurrency.
        if not 2 <= self.processor_max_concurrency <= 1000:
            raise ValueError("processorMaxConcurrency must be between 2 and 1000")
        if self.upstream_max_rps is not None and not self.upstream_max_rps > 0:
            raise ValueError("upstreamMaxRps must be a positive number")
        if self.job_deadline_seconds < 60:
            raise ValueError("jobDeadlineSeconds must be at least 60")
        if self.aggregation_lease_seconds < 60:
            raise ValueError("aggregationLeaseSeconds must be at least 60")

    @classmethod
    def from_context(cls, node: Node) -> PipelineSettings:
        """Reads CONTEXT_KEYS; values given with `-c` arrive as strings, cdk.json ones typed."""

        def text(key: str) -> str | None:
            value = node.try_get_context(key)
            return None if value is None else str(value).strip()

        def optional_text(key: str) -> str | None:
            return text(key) or None  # an empty value means "not set"

        def integer(key: str, default: int | None) -> int | None:
            value = optional_text(key)
            if value is None:
                return default
            try:
                return int(value)
            except ValueError as exc:
                raise ValueError(f"context {key} must be an integer, got {value!r}") from exc

        def number(key: str) -> float | None:
            value = optional_text(key)
            if value is None:
                return None
            try:
                return float(value)
            except ValueError as exc:
                raise ValueError(f"context {key} must be a number, got {value!r}") from exc

        def required_integer(key: str, default: int) -> int:
            value = integer(key, default)
            assert value is not None
            return value

        return cls(
            lambda_assets=LambdaAssets.from_dist_dir(optional_text("distDir") or DEFAULT_DIST_DIR),
            processor_max_concurrency=required_integer(
                "processorMaxConcurrency", DEFAULT_PROCESSOR_MAX_CONCURRENCY
            ),
            upstream_max_rps=number("upstreamMaxRps"),
            enrichment_sources=text("enrichmentSources"),
            contact=optional_text("contact"),
            google_books_api_key=optional_text("googleBooksApiKey"),
            job_deadline_seconds=required_integer(
                "jobDeadlineSeconds", DEFAULT_JOB_DEADLINE_SECONDS
            ),
            aggregation_lease_seconds=required_integer(
                "aggregationLeaseSeconds", DEFAULT_AGGREGATION_LEASE_SECONDS
            ),
            alarm_email=optional_text("alarmEmail"),
        )
