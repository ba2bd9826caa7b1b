"""The API's configuration, read from its environment (contracts/settings.py)."""

from __future__ import annotations

import dataclasses
import os
import urllib.parse
from collections.abc import Mapping

from contracts.layout import JOB_RETENTION_DAYS
from contracts.settings import SettingsError, SettingsReader, is_loopback_host

__all__ = ["Settings", "SettingsError", "parse_allowed_origins"]

DEFAULT_UPLOAD_URL_SECONDS = 300
DEFAULT_UPLOAD_GRACE_SECONDS = 900
DEFAULT_DASHBOARD_URL_SECONDS = 60
# Lambda's synchronous response is at most 6 MB (6,291,456 bytes) with its headers: a dashboard
# whose body in the response (base64 of gzip, or JSON-escaped text) is larger goes out as a
# presigned GET instead.
DEFAULT_DASHBOARD_INLINE_MAX_BYTES = 5_000_000
DEFAULT_JOB_RETENTION_DAYS = JOB_RETENTION_DAYS
# Lambda retries an asynchronous event for up to six hours by default; a job still RECEIVED
# after that (plus the orchestrator's timeout), or an upload that has no job item by then, will
# not be picked up again (its notification went to the failed-uploads DLQ).
DEFAULT_RECEIVED_STALE_SECONDS = 6 * 3600 + 1800


ORIGINS = "ALLOWED_ORIGINS"


def parse_allowed_origins(text: str) -> tuple[str, ...]:
    """Comma-separated exact origins: https://host[:port], or http:// on a loopback host for
    local development. No wildcard, no path: CORS compares origins as exact strings."""
    origins: list[str] = []
    for part in text.split(","):
        origin = part.strip()
        if not origin:
            continue
        if "*" in origin:
            raise SettingsError(
                f"ALLOWED_ORIGINS takes exact origins, not wildcards: {origin!r}", ORIGINS
            )
        parsed = urllib.parse.urlsplit(origin)
        exact = f"{parsed.scheme}://{parsed.netloc}"
        if not parsed.hostname or origin != exact or parsed.netloc != parsed.netloc.lower():
            raise SettingsError(
                f"ALLOWED_ORIGINS entries are origins like https://app.example.com "
                f"(lower-case, no path or trailing slash): {origin!r}",
                ORIGINS,
            )
        if parsed.scheme != "https" and not (
            parsed.scheme == "http" and is_loopback_host(parsed.hostname)
        ):
            raise SettingsError(
                f"ALLOWED_ORIGINS must be https (http only on loopback): {origin!r}", ORIGINS
            )
        if origin not in origins:
            origins.append(origin)
    return tuple(origins)


@dataclasses.dataclass(frozen=True)
class Settings:
    data_bucket: str
    jobs_table: str
    allowed_origins: tuple[str, ...] = ()  # empty: no CORS headers at all (same-origin only)
    upload_url_seconds: int = DEFAULT_UPLOAD_URL_SECONDS  # lifetime of the presigned POST
    # After the form expires, how long an upload that started in time may still be arriving or
    # waiting for the orchestrator: a job without upload is only "expired" after both.
    upload_grace_seconds: int = DEFAULT_UPLOAD_GRACE_SECONDS
    dashboard_url_seconds: int = DEFAULT_DASHBOARD_URL_SECONDS  # lifetime of a presigned GET
    dashboard_inline_max_bytes: int = DEFAULT_DASHBOARD_INLINE_MAX_BYTES
    job_retention_days: int = DEFAULT_JOB_RETENTION_DAYS  # as the orchestrator's job item
    received_stale_seconds: int = DEFAULT_RECEIVED_STALE_SECONDS

    @classmethod
    def from_environment(cls, env: Mapping[str, str] = os.environ) -> Settings:
        read = SettingsReader(env)
        settings = cls(
            data_bucket=read.required("DATA_BUCKET"),
            jobs_table=read.required("JOBS_TABLE"),
            allowed_origins=parse_allowed_origins(read.text(ORIGINS) or ""),
            upload_url_seconds=read.integer("UPLOAD_URL_SECONDS", DEFAULT_UPLOAD_URL_SECONDS),
            upload_grace_seconds=read.integer(
                "UPLOAD_GRACE_SECONDS", DEFAULT_UPLOAD_GRACE_SECONDS, minimum=0
            ),
            dashboard_url_seconds=read.integer(
                "DASHBOARD_URL_SECONDS", DEFAULT_DASHBOARD_URL_SECONDS
            ),
            dashboard_inline_max_bytes=read.integer(
                "DASHBOARD_INLINE_MAX_BYTES", DEFAULT_DASHBOARD_INLINE_MAX_BYTES, minimum=0
            ),
            job_retention_days=read.integer("JOB_RETENTION_DAYS", DEFAULT_JOB_RETENTION_DAYS),
            received_stale_seconds=read.integer(
                "RECEIVED_STALE_SECONDS", DEFAULT_RECEIVED_STALE_SECONDS
            ),
        )
        read.finish()
        return settings
