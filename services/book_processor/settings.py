"""Configuration of the book processor, read once per cold start from the environment."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

OPENLIBRARY = "openlibrary"
GOOGLE_BOOKS = "google_books"
KNOWN_SOURCES = (OPENLIBRARY, GOOGLE_BOOKS)

DEFAULT_OPENLIBRARY_BASE_URL = "https://openlibrary.org"
DEFAULT_GOOGLE_BOOKS_BASE_URL = "https://www.googleapis.com"
# Two concurrent invocations (the smallest ESM MaximumConcurrency) x 1.5 = 3 requests/s per
# host, the rate Open Library grants identified clients. See README.md, "Politeness".
DEFAULT_UPSTREAM_MAX_RPS = 1.5
DEFAULT_REDELIVERY_BASE_SECONDS = 30.0


class SettingsError(ValueError):
    """The environment is unusable: the function must fail loudly, not process books wrongly."""


@dataclasses.dataclass(frozen=True)
class Settings:
    jobs_table: str
    cache_table: str
    completion_queue_url: str
    max_receive_count: int = 5
    enrichment_sources: tuple[str, ...] = KNOWN_SOURCES
    openlibrary_base_url: str = DEFAULT_OPENLIBRARY_BASE_URL
    google_books_base_url: str = DEFAULT_GOOGLE_BOOKS_BASE_URL
    google_books_api_key: str | None = dataclasses.field(default=None, repr=False)
    contact: str | None = None
    upstream_max_rps: float = DEFAULT_UPSTREAM_MAX_RPS
    connect_timeout_seconds: float = 3.05
    read_timeout_seconds: float = 10.0
    max_attempts: int = 4
    backoff_base_seconds: float = 0.25
    backoff_cap_seconds: float = 8.0
    # A book whose sources could not answer comes back after base x 2^(attempt-1) seconds
    # (30, 60, 120, 240: all five attempts fit the 15-minute job deadline), not after the
    # queue's visibility timeout. 0 leaves retries to the visibility timeout.
    redelivery_base_seconds: float = DEFAULT_REDELIVERY_BASE_SECONDS

    @property
    def enrichment_enabled(self) -> bool:
        return bool(self.enrichment_sources)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        return cls(
            jobs_table=_required(env, "JOBS_TABLE"),
            cache_table=_required(env, "CACHE_TABLE"),
            completion_queue_url=_required(env, "COMPLETION_QUEUE_URL"),
            max_receive_count=_number(env, "MAX_RECEIVE_COUNT", 5, int, minimum=1),
            enrichment_sources=parse_sources(env.get("ENRICHMENT_SOURCES")),
            openlibrary_base_url=_base_url(
                env, "OPENLIBRARY_BASE_URL", DEFAULT_OPENLIBRARY_BASE_URL
            ),
            google_books_base_url=_base_url(
                env, "GOOGLE_BOOKS_BASE_URL", DEFAULT_GOOGLE_BOOKS_BASE_URL
            ),
            google_books_api_key=env.get("GOOGLE_BOOKS_API_KEY") or None,
            contact=(env.get("CONTACT") or "").strip() or None,
            upstream_max_rps=_number(
                env, "UPSTREAM_MAX_RPS", DEFAULT_UPSTREAM_MAX_RPS, float, minimum=0.0
            ),
            connect_timeout_seconds=_number(
                env, "UPSTREAM_CONNECT_TIMEOUT_SECONDS", 3.05, float, minimum=0.001
            ),
            read_timeout_seconds=_number(
                env, "UPSTREAM_READ_TIMEOUT_SECONDS", 10.0, float, minimum=0.001
            ),
            max_attempts=_number(env, "UPSTREAM_MAX_ATTEMPTS", 4, int, minimum=1),
            backoff_base_seconds=_number(
                env, "UPSTREAM_BACKOFF_BASE_SECONDS", 0.25, float, minimum=0.0
            ),
            backoff_cap_seconds=_number(
                env, "UPSTREAM_BACKOFF_CAP_SECONDS", 8.0, float, minimum=0.0
            ),
            redelivery_base_seconds=_number(
                env,
                "REDELIVERY_BASE_SECONDS",
                DEFAULT_REDELIVERY_BASE_SECONDS,
                float,
                minimum=0.0,
            ),
        )


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
                f"ENRICHMENT_SOURCES: unknown source {name!r} (known: {', '.join(KNOWN_SOURCES)})"
            )
        if name not in sources:
            sources.append(name)
    return tuple(sources)


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name} is not set")
    return value


def _base_url(env: Mapping[str, str], name: str, default: str) -> str:
    value = (env.get(name) or default).strip().rstrip("/")
    if not value.startswith(("https://", "http://")):
        raise SettingsError(f"{name} must be an http(s) URL, got {value!r:.100}")
    return value


def _number[
    N: (int, float)
](env: Mapping[str, str], name: str, default: N, kind: type[N], *, minimum: float) -> N:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, got {raw!r:.40}") from exc
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value
