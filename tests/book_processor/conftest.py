"""Fixtures of the book processor's tests: the deployment on moto plus the upstream APIs on
loopback, and the environment that points the processor at both."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from local_runtime.resources import ServiceEnvironment
from tests.book_processor.support import TaskQueue
from tests.support.upstream_server import FixtureBook, UpstreamServer, load_fixture_books


@pytest.fixture(scope="session")
def fixture_books() -> dict[str, FixtureBook]:
    return load_fixture_books()


@pytest.fixture
def upstream(fixture_books: dict[str, FixtureBook]) -> Iterator[UpstreamServer]:
    with UpstreamServer(fixture_books.values()) as server:
        yield server


@pytest.fixture
def processor_env(
    aws: tuple[boto3.Session, ServiceEnvironment],
    upstream: UpstreamServer,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[boto3.Session, ServiceEnvironment]:
    """moto resources and the processor's environment: the loopback APIs, quick retries, no
    rate cap (politeness has its own tests), a contact for the User-Agent."""
    for name, value in upstream.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CONTACT", "ops@example.org")
    monkeypatch.setenv("UPSTREAM_MAX_RPS", "0")
    monkeypatch.setenv("UPSTREAM_BACKOFF_BASE_SECONDS", "0.01")
    monkeypatch.setenv("UPSTREAM_READ_TIMEOUT_SECONDS", "0.5")
    monkeypatch.delenv("ENRICHMENT_SOURCES", raising=False)
    monkeypatch.delenv("GOOGLE_BOOKS_API_KEY", raising=False)
    return aws


@pytest.fixture
def queue(processor_env: tuple[boto3.Session, ServiceEnvironment]) -> TaskQueue:
    return TaskQueue(*processor_env)
