"""The Lambda entry point and its configuration."""

from __future__ import annotations

import json

import boto3
import pytest

from local_runtime.resources import ServiceEnvironment
from services.book_processor import handler
from services.book_processor.settings import Settings, SettingsError, parse_sources
from tests.book_processor.support import TaskQueue, context, job_record, new_job
from tests.support.jobs import task_for
from tests.support.upstream_server import FixtureBook

Env = tuple[boto3.Session, ServiceEnvironment]


def test_the_handler_returns_the_failed_records_and_publishes_metrics(
    processor_env: Env,
    queue: TaskQueue,
    fixture_books: dict[str, FixtureBook],
    capsys: pytest.CaptureFixture[str],
) -> None:
    job_id = new_job(*processor_env, total=2)
    queue.send(
        [task_for(fixture_books["dune"], job_id), task_for(fixture_books["sapiens"], job_id)]
    )
    queue.send(["definitely not a task"])
    messages = queue.receive()

    response = handler.lambda_handler(queue.event(messages), context())

    poison = next(m["MessageId"] for m in messages if m["Body"] == "definitely not a task")
    assert response == {"batchItemFailures": [{"itemIdentifier": poison}]}
    assert job_record(*processor_env, job_id).succeeded == 2
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert len(emf) == 1
    (directive,) = emf[0]["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "GoodreadsStats"
    figures = {k: v for k, v in emf[0].items() if k != "_aws"}
    assert figures["BooksEnriched"] == [2.0] and figures["PoisonMessages"] == [1.0]
    assert figures["CompletionSignals"] == [1.0]
    assert figures["service"] == "book_processor"


def test_dependencies_are_built_once_per_configuration(processor_env: Env) -> None:
    assert handler.dependencies() is handler.dependencies()


def test_sources_default_to_both_and_an_empty_value_switches_enrichment_off() -> None:
    assert parse_sources(None) == ("openlibrary", "google_books")
    assert parse_sources("") == ()
    assert parse_sources(" Google_Books , openlibrary,google_books") == (
        "google_books",
        "openlibrary",
    )
    with pytest.raises(SettingsError, match="unknown source 'amazon'"):
        parse_sources("openlibrary,amazon")


def test_settings_come_from_the_environment_with_the_real_apis_as_defaults() -> None:
    base = {"JOBS_TABLE": "jobs", "CACHE_TABLE": "cache", "COMPLETION_QUEUE_URL": "https://q"}

    settings = Settings.from_environment(base)

    assert settings.openlibrary_base_url == "https://openlibrary.org"
    assert settings.google_books_base_url == "https://www.googleapis.com"
    assert settings.max_receive_count == 5
    # Open Library's rate for the whole deployment: 1/s for an anonymous client, 3/s for one
    # that names a contact in its User-Agent.
    assert settings.upstream_max_rps == 1.0
    assert Settings.from_environment({**base, "CONTACT": "ops@example.org"}).upstream_max_rps == 3
    assert settings.enrichment_enabled
    secret = Settings.from_environment({**base, "GOOGLE_BOOKS_API_KEY": "k-secret"})
    assert secret.google_books_api_key == "k-secret" and "k-secret" not in repr(secret)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MAX_RECEIVE_COUNT", "0", "at least 1"),
        ("UPSTREAM_MAX_RPS", "fast", "must be a number"),
        ("OPENLIBRARY_BASE_URL", "file:///etc/passwd", "http"),
        ("JOBS_TABLE", "", "JOBS_TABLE is not set"),
    ],
)
def test_an_unusable_setting_fails_loudly(name: str, value: str, message: str) -> None:
    env = {"JOBS_TABLE": "jobs", "CACHE_TABLE": "cache", "COMPLETION_QUEUE_URL": "https://q"}
    with pytest.raises(SettingsError, match=message):
        Settings.from_environment({**env, name: value})
