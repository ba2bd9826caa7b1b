"""The book processor's configuration, read from its environment (contracts/settings.py)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from contracts.layout import JOB_RETENTION_DAYS, MAX_RECEIVE_COUNT
from contracts.settings import SettingsError, SettingsReader

__all__ = ["Settings", "SettingsError", "parse_sources"]

OPENLIBRARY = "openlibrary"
GOOGLE_BOOKS = "google_books"
KNOWN_SOURCES = (OPENLIBRARY, GOOGLE_BOOKS)

DEFAULT_OPENLIBRARY_BASE_URL = "https://openlibrary.org"
DEFAULT_GOOGLE_BOOKS_BASE_URL = "https://www.googleapis.com"
# Requests per second per upstream host for the whole deployment (pacing.py): the rate Open
# Library grants a client that identifies itself (CONTACT in the User-Agent), or an anonymous
# one. See README.md, "Pacing".
IDENTIFIED_CLIENT_RPS = 3.0
ANONYMOUS_CLIENT_RPS = 1.0
DEFAULT_REDELIVERY_BASE_SECONDS = 30.0


@dataclasses.dataclass(frozen=True)
class Settings:
    jobs_table: str
    cache_table: str
    completion_queue_url: str
    max_receive_count: int = MAX_RECEIVE_COUNT
    enrichment_sources: tuple[str, ...] = KNOWN_SOURCES
    openlibrary_base_url: str = DEFAULT_OPENLIBRARY_BASE_URL
    google_books_base_url: str = DEFAULT_GOOGLE_BOOKS_BASE_URL
    google_books_api_key: str | None = dataclasses.field(default=None, repr=False)
    contact: str | None = None
    upstream_max_rps: float = ANONYMOUS_CLIENT_RPS  # 0: no pace (hosts on this machine)
    connect_timeout_seconds: float = 3.05
    read_timeout_seconds: float = 10.0
    max_attempts: int = 4
    backoff_base_seconds: float = 0.25
    backoff_cap_seconds: float = 8.0
    # A book whose sources could not answer comes back after base x 2^(attempt-1) seconds
    # (30, 60, 120, 240: all five attempts fit the 15-minute job deadline), not after the
    # queue's visibility timeout. 0 leaves retries to the visibility timeout.
    redelivery_base_seconds: float = DEFAULT_REDELIVERY_BASE_SECONDS
    # Result items expire (TTL) this long after they are written: with their job.
    job_retention_days: int = JOB_RETENTION_DAYS

    @property
    def enrichment_enabled(self) -> bool:
        return bool(self.enrichment_sources)

    @classmethod
    def from_environment(cls, env: Mapping[str, str] = os.environ) -> Settings:
        read = SettingsReader(env)
        contact = read.text("CONTACT")
        settings = cls(
            jobs_table=read.required("JOBS_TABLE"),
            cache_table=read.required("CACHE_TABLE"),
            completion_queue_url=read.required("COMPLETION_QUEUE_URL"),
            max_receive_count=read.integer("MAX_RECEIVE_COUNT", MAX_RECEIVE_COUNT),
            enrichment_sources=parse_sources(env.get("ENRICHMENT_SOURCES")),
            openlibrary_base_url=read.url("OPENLIBRARY_BASE_URL", DEFAULT_OPENLIBRARY_BASE_URL),
            google_books_base_url=read.url("GOOGLE_BOOKS_BASE_URL", DEFAULT_GOOGLE_BOOKS_BASE_URL),
            google_books_api_key=read.text("GOOGLE_BOOKS_API_KEY"),
            contact=contact,
            upstream_max_rps=read.number(
                "UPSTREAM_MAX_RPS", IDENTIFIED_CLIENT_RPS if contact else ANONYMOUS_CLIENT_RPS
            ),
            connect_timeout_seconds=read.number(
                "UPSTREAM_CONNECT_TIMEOUT_SECONDS", 3.05, minimum=0.001
            ),
            read_timeout_seconds=read.number("UPSTREAM_READ_TIMEOUT_SECONDS", 10.0, minimum=0.001),
            max_attempts=read.integer("UPSTREAM_MAX_ATTEMPTS", 4),
            backoff_base_seconds=read.number("UPSTREAM_BACKOFF_BASE_SECONDS", 0.25),
            backoff_cap_seconds=read.number("UPSTREAM_BACKOFF_CAP_SECONDS", 8.0),
            redelivery_base_seconds=read.number(
                "REDELIVERY_BASE_SECONDS", DEFAULT_REDELIVERY_BASE_SECONDS
            ),
            job_retention_days=read.integer("JOB_RETENTION_DAYS", JOB_RETENTION_DAYS),
        )
        read.finish()
        return settings


def parse_sources(value: str | None) -> tuple[str, ...]:
    """`None` (unset) means every source; an empty string switches enrichment off."""
    if value is None:
        return KNOWN_SOURCES
    sources: list[str] = []
    for part in value.split(","):
        name = part.strip().lower()
        if not name:
            continue
        if name not in KNOWN_SOURCES:
            raise SettingsError(
                f"ENRICHMENT_SOURCES: unknown source {name!r} (known: {', '.join(KNOWN_SOURCES)})",
                "ENRICHMENT_SOURCES",
            )
        if name not in sources:
            sources.append(name)
    return tuple(sources)
