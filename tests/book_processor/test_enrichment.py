"""Enrichment of a batch: request economy, the shared cache, source selection, concurrency and
what each upstream fault does to a book."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import boto3
import pytest

from contracts import storage
from contracts.messages import BookTask, EnrichmentStatus
from local_runtime.resources import ServiceEnvironment
from services.book_processor.enrichment import BookIdentity, LookupOutcome, enrich
from services.book_processor.processing import Dependencies
from services.book_processor.upstream import Deadline, InvocationState
from tests.book_processor.support import (
    TEN_BOOKS,
    TaskQueue,
    dependencies,
    job_record,
    new_job,
    plain_task,
    run_batch,
    stored_results,
)
from tests.support.jobs import task_for
from tests.support.upstream_server import Api, Fault, FixtureBook, UpstreamServer

Env = tuple[boto3.Session, ServiceEnvironment]
NOW = dt.datetime(2024, 11, 28, 12, 0, tzinfo=dt.UTC)


def tasks_for(books: dict[str, FixtureBook], names: list[str], job_id: str = "j") -> list[BookTask]:
    return [task_for(books[name], job_id) for name in names]


def run_enrich(
    deps: Dependencies, tasks: list[BookTask], now: dt.datetime = NOW
) -> dict[str, LookupOutcome]:
    outcomes, _ = enrich(
        [BookIdentity.of(t) for t in tasks],
        sources=deps.sources,
        cache=deps.cache,
        state=InvocationState(Deadline(30)),
        now=now,
    )
    return {key.split("#", 1)[1]: outcome for key, outcome in outcomes.items()}


def cache_item(session: boto3.Session, env: ServiceEnvironment, key: str) -> dict[str, Any] | None:
    client: Any = session.client("dynamodb")
    item: dict[str, Any] | None = client.get_item(
        TableName=env.cache_table, Key=storage.cache_key(key)
    ).get("Item")
    return item


def test_a_cold_batch_costs_at_most_one_request_per_book_and_one_search_for_all_isbns(
    processor_env: Env, upstream: UpstreamServer, fixture_books: dict[str, FixtureBook]
) -> None:
    outcomes = run_enrich(dependencies(), tasks_for(fixture_books, TEN_BOOKS))

    assert {o.status for o in outcomes.values()} == {"found"}
    assert upstream.request_count() <= len(TEN_BOOKS)
    searches = [r for r in upstream.requests if r.path == "/search.json"]
    assert len(searches) == 1
    query = searches[0].param("q") or ""
    assert query.startswith("isbn:(") and query.count(" OR ") == 9
    assert "subject" in (searches[0].param("fields") or "").split(",")


def test_google_books_is_asked_only_for_books_open_library_left_without_genres_or_pages(
    processor_env: Env, upstream: UpstreamServer, fixture_books: dict[str, FixtureBook]
) -> None:
    outcomes = run_enrich(dependencies(), tasks_for(fixture_books, TEN_BOOKS))

    asked = sorted(r.param("q") or "" for r in upstream.requests if r.api == Api.GOOGLE_BOOKS)
    # Curmudgeon's Guide: Open Library has no subjects for it; Facing Reality: Open Library
    # does not know it. Human Diversity is missing from the search index, but the Books API
    # gives its edition's pages and its work's subjects: Google is not asked.
    assert asked == ["isbn:9780804141444", "isbn:9781641771979"]
    curmudgeon = outcomes["9780804141444"]
    assert [r.source for r in curmudgeon.records] == ["openlibrary", "google_books"]
    assert [r.source for r in outcomes["9781538744017"].records] == ["openlibrary"]


def test_a_search_document_without_pages_is_completed_by_its_edition_not_by_google(
    processor_env: Env, upstream: UpstreamServer, fixture_books: dict[str, FixtureBook]
) -> None:
    harry_potter = fixture_books["harry-potter-philosophers-stone"]
    doc = {
        k: v for k, v in (harry_potter.search_doc or {}).items() if k != "number_of_pages_median"
    }
    upstream.clear_books()
    upstream.add_book(dataclasses.replace(harry_potter, search_doc=doc))

    outcome = run_enrich(dependencies(), tasks_for(fixture_books, [harry_potter.name]))[
        "9780747532699"
    ]

    assert [r.path for r in upstream.requests] == ["/search.json", "/api/books"]
    (record,) = outcome.records
    assert record.pages == 223  # the edition's
    assert record.openlibrary_work == doc["key"]  # the search document's facts stay first


def test_isbns_missing_from_the_search_index_are_found_through_the_books_api_in_one_request(
    processor_env: Env, upstream: UpstreamServer, fixture_books: dict[str, FixtureBook]
) -> None:
    outcomes = run_enrich(
        dependencies(), tasks_for(fixture_books, ["human-diversity", "facing-reality", "dune"])
    )

    openlibrary = [r for r in upstream.requests if r.api == Api.OPENLIBRARY]
    assert [r.path for r in openlibrary] == ["/search.json", "/api/books"]
    books_api = openlibrary[1]
    assert books_api.param("bibkeys") == "ISBN:9781538744017,ISBN:9781641771979"
    assert (books_api.param("format"), books_api.param("jscmd")) == ("json", "data")
    record = outcomes["9781538744017"].records[0]
    assert (record.source, record.pages, record.first_publish_year) == ("openlibrary", 528, 2020)
    assert record.cover_url == "https://covers.openlibrary.org/b/id/9348831-M.jpg"
    assert "Human genetics" in record.subjects  # its work's subjects
    assert record.openlibrary_work is None  # the Books API names no work
    assert outcomes["9781641771979"].answered == ("openlibrary", "google_books")


def test_a_second_job_over_the_same_books_makes_no_upstream_request(
    processor_env: Env,
    queue: TaskQueue,
    upstream: UpstreamServer,
    fixture_books: dict[str, FixtureBook],
) -> None:
    first_job = new_job(*processor_env, total=10)
    queue.send(tasks_for(fixture_books, TEN_BOOKS, first_job))
    run_batch(queue, queue.receive())
    upstream.reset_log()

    second_job = new_job(*processor_env, total=10)
    queue.send(tasks_for(fixture_books, TEN_BOOKS, second_job))
    _, report = run_batch(queue, queue.receive())

    assert upstream.request_count() == 0
    assert (report.enrichment.cache_hits, report.enrichment.cache_misses) == (10, 0)
    first = stored_results(*processor_env, first_job)
    second = stored_results(*processor_env, second_job)
    assert {k: (r.genres, r.pages, r.cover_url) for k, r in first.items()} == {
        k: (r.genres, r.pages, r.cover_url) for k, r in second.items()
    }


def test_not_found_is_cached_too_but_for_a_shorter_time(
    processor_env: Env, upstream: UpstreamServer, fixture_books: dict[str, FixtureBook]
) -> None:
    session, env = processor_env
    deps = dependencies()
    unknown = plain_task("j", "nobody", "Unheard Of", "Nobody", isbn13="9780000000002")

    run_enrich(deps, [unknown, task_for(fixture_books["dune"], "j")])
    upstream.reset_log()
    again = run_enrich(deps, [unknown])

    assert again["9780000000002"].status == "not_found"
    assert upstream.request_count() == 0
    negative = cache_item(session, env, "isbn13#9780000000002")
    positive = cache_item(session, env, "isbn13#9780441172719")
    assert negative is not None and positive is not None
    negative_days = (int(negative["expires_at"]["N"]) - NOW.timestamp()) / 86400
    positive_days = (int(positive["expires_at"]["N"]) - NOW.timestamp()) / 86400
    assert negative_days == 3 and positive_days == 30


def test_an_expired_cache_entry_is_ignored_even_before_dynamodb_deletes_it(
    processor_env: Env, upstream: UpstreamServer, fixture_books: dict[str, FixtureBook]
) -> None:
    deps = dependencies()
    dune = [task_for(fixture_books["dune"], "j")]
    run_enrich(deps, dune, now=NOW)
    upstream.reset_log()

    run_enrich(deps, dune, now=NOW + dt.timedelta(days=31))

    assert [r.path for r in upstream.requests] == ["/search.json"]


def test_books_without_an_isbn_are_cached_by_normalised_title_and_author(
    processor_env: Env, upstream: UpstreamServer, fixture_books: dict[str, FixtureBook]
) -> None:
    session, env = processor_env
    meditations = plain_task("j", "m", "Meditations ", "Marcus  Aurelius")

    outcome = run_enrich(dependencies(), [meditations])["meditations|marcus aurelius"]

    assert outcome.records[0].openlibrary_work == "/works/OL1095428W"
    search = upstream.requests[0]
    assert search.param("q") == '(title:"Meditations" AND author:"Marcus Aurelius")'
    assert cache_item(session, env, "ta#meditations|marcus aurelius") is not None


def test_books_without_an_isbn_share_one_fielded_search_and_only_its_misses_are_asked_alone(
    processor_env: Env, upstream: UpstreamServer, fixture_books: dict[str, FixtureBook]
) -> None:
    tasks = [
        plain_task("j", "m", "Meditations", "Marcus Aurelius"),
        plain_task("j", "h", "The Hobbit (Middle-earth, #0)", "J.R.R. Tolkien"),
        plain_task("j", "d", 'A "Quoted" Diary', "A. Nonymous"),
    ]

    outcomes = run_enrich(dependencies(), tasks)

    openlibrary = [r for r in upstream.requests if r.api == Api.OPENLIBRARY]
    assert openlibrary[0].param("q") == (
        '(title:"Meditations" AND author:"Marcus Aurelius") OR '
        '(title:"The Hobbit" AND author:"J.R.R. Tolkien") OR '
        '(title:"A Quoted Diary" AND author:"A. Nonymous")'
    )
    # The fielded search's behaviour upstream is unverified: its miss is asked on its own.
    assert [(r.param("title"), r.param("author")) for r in openlibrary[1:]] == [
        ('A "Quoted" Diary', "A. Nonymous")
    ]
    assert outcomes["the hobbit|j r r tolkien"].status == "found"
    assert outcomes["a quoted diary|a nonymous"].status == "not_found"


def test_a_failed_fielded_search_falls_back_to_one_search_per_book(
    processor_env: Env,
    upstream: UpstreamServer,
    fixture_books: dict[str, FixtureBook],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("UPSTREAM_MAX_ATTEMPTS", "1")
    upstream.inject(Fault.server_error(500), api=Api.OPENLIBRARY, path="/search.json", times=1)

    outcome = run_enrich(dependencies(), [plain_task("j", "m", "Meditations", "Marcus Aurelius")])[
        "meditations|marcus aurelius"
    ]

    assert [r.status for r in upstream.requests if r.api == Api.OPENLIBRARY] == [500, 200]
    assert outcome.status == "found" and outcome.records[0].source == "openlibrary"


def test_an_isbn10_is_looked_up_and_cached_as_its_isbn13(
    processor_env: Env, upstream: UpstreamServer
) -> None:
    session, env = processor_env
    task = BookTask(
        job_id="j",
        book_id="d",
        title="Dune",
        author="Frank Herbert",
        isbn10="0441172717",
        queued_at=NOW,
    )

    assert run_enrich(dependencies(), [task])["9780441172719"].status == "found"
    assert upstream.requests[0].param("q") == "isbn:9780441172719"
    assert cache_item(session, env, "isbn13#9780441172719") is not None


def test_a_batch_is_enriched_concurrently(
    processor_env: Env,
    upstream: UpstreamServer,
    fixture_books: dict[str, FixtureBook],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ENRICHMENT_SOURCES", "google_books")  # ten independent lookups
    upstream.set_latency(0.1)

    run_enrich(dependencies(), tasks_for(fixture_books, TEN_BOOKS))

    # One query per book (a loaded machine may add a retry after a read timeout).
    assert len({request.param("q") for request in upstream.requests}) == 10
    assert upstream.peak_in_flight >= 2  # one at a time would never exceed 1


def test_only_the_configured_sources_are_asked(
    processor_env: Env,
    upstream: UpstreamServer,
    fixture_books: dict[str, FixtureBook],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ENRICHMENT_SOURCES", "openlibrary")

    outcomes = run_enrich(dependencies(), tasks_for(fixture_books, ["facing-reality", "dune"]))

    assert upstream.request_count(api=Api.GOOGLE_BOOKS) == 0
    assert outcomes["9781641771979"].status == "not_found"
    assert outcomes["9781641771979"].reason() == "not found in openlibrary"


def test_a_cached_answer_from_fewer_sources_is_not_trusted_when_it_lacks_genres(
    processor_env: Env,
    upstream: UpstreamServer,
    fixture_books: dict[str, FixtureBook],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ENRICHMENT_SOURCES", "openlibrary")
    run_enrich(dependencies(), tasks_for(fixture_books, ["facing-reality", "dune"]))
    monkeypatch.setenv("ENRICHMENT_SOURCES", "openlibrary,google_books")
    upstream.reset_log()

    outcomes = run_enrich(dependencies(), tasks_for(fixture_books, ["facing-reality", "dune"]))

    assert outcomes["9781641771979"].status == "found"  # Google was asked this time
    assert outcomes["9780441172719"].from_cache  # Dune's genres came from Open Library
    assert upstream.request_count(api=Api.GOOGLE_BOOKS) == 1
    assert not any("9780441172719" in str(r.query) + r.path for r in upstream.requests)


def test_an_answer_with_an_unavailable_source_is_kept_a_day_and_only_that_source_asked_again(
    processor_env: Env, upstream: UpstreamServer, fixture_books: dict[str, FixtureBook]
) -> None:
    session, env = processor_env
    upstream.inject(Fault.server_error(503), api=Api.GOOGLE_BOOKS)
    deps = dependencies()

    outcomes = run_enrich(deps, tasks_for(fixture_books, ["facing-reality"]))

    assert outcomes["9781641771979"].status == "unavailable"
    assert "google_books: HTTP 503 after 4 attempts" in outcomes["9781641771979"].reason()
    entry = cache_item(session, env, "isbn13#9781641771979")
    assert entry is not None
    assert (int(entry["expires_at"]["N"]) - NOW.timestamp()) / 86400 == 1

    upstream.clear_faults()
    upstream.reset_log()
    again = run_enrich(deps, tasks_for(fixture_books, ["facing-reality"]))["9781641771979"]

    assert again.status == "found"
    assert [r.api for r in upstream.requests] == [Api.GOOGLE_BOOKS]  # Open Library answered
    assert cache_item(session, env, "isbn13#9781641771979") != entry  # now kept as found


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault.server_error(500), "HTTP 500"),
        (Fault.too_many_requests(retry_after="0"), "HTTP 429"),
        (Fault.hang(seconds=3), "timed out"),
        (Fault.malformed_json(), "malformed JSON"),
        (Fault.quota_exhausted("dailyLimitExceeded"), "quota exhausted"),
    ],
    ids=["500", "429", "hang", "malformed", "quota"],
)
def test_a_book_only_google_knows_is_left_for_retry_when_google_fails(
    processor_env: Env,
    queue: TaskQueue,
    upstream: UpstreamServer,
    fixture_books: dict[str, FixtureBook],
    monkeypatch: pytest.MonkeyPatch,
    fault: Fault,
    expected: str,
) -> None:
    monkeypatch.setenv("UPSTREAM_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("UPSTREAM_READ_TIMEOUT_SECONDS", "0.2")
    job_id = new_job(*processor_env, total=2)
    queue.send(tasks_for(fixture_books, ["facing-reality", "dune"], job_id))
    upstream.inject(fault, api=Api.GOOGLE_BOOKS)

    messages = queue.receive()
    response, report = run_batch(queue, messages)

    facing_reality = next(m for m in messages if "Facing Reality" in m["Body"])
    assert response["batchItemFailures"] == [{"itemIdentifier": facing_reality["MessageId"]}]
    assert report.left_for_retry == 1
    assert stored_results(*processor_env, job_id)["dune"].status == EnrichmentStatus.ENRICHED
    assert job_record(*processor_env, job_id).succeeded == 1

    # Its last attempt records the reason.
    monkeypatch.setenv("MAX_RECEIVE_COUNT", "2")
    run_batch(queue, queue.receive())
    failed = stored_results(*processor_env, job_id)["facing_reality"]
    assert failed.status == EnrichmentStatus.FAILED
    assert expected in (failed.reason or "")


def test_a_failed_isbn_search_is_answered_by_the_books_api_alone(
    processor_env: Env,
    upstream: UpstreamServer,
    fixture_books: dict[str, FixtureBook],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ENRICHMENT_SOURCES", "openlibrary")
    monkeypatch.setenv("UPSTREAM_MAX_ATTEMPTS", "1")
    upstream.inject(Fault.server_error(502), api=Api.OPENLIBRARY, path="/search.json")

    outcomes = run_enrich(
        dependencies(), tasks_for(fixture_books, ["harry-potter-philosophers-stone", "dune"])
    )

    assert [r.path for r in upstream.requests] == ["/search.json", "/api/books"]
    assert outcomes["9780747532699"].status == "found"  # it has an edition record
    assert outcomes["9780441172719"].status == "not_found"  # the fixture has no edition for it


def test_a_404_from_the_books_api_is_a_final_not_found(
    processor_env: Env,
    upstream: UpstreamServer,
    fixture_books: dict[str, FixtureBook],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ENRICHMENT_SOURCES", "openlibrary")
    upstream.inject(Fault.not_found(), api=Api.OPENLIBRARY, path="/api/books")

    outcome = run_enrich(dependencies(), tasks_for(fixture_books, ["human-diversity"]))[
        "9781538744017"
    ]

    assert outcome.status == "not_found"
    assert outcome.reason() == "not found in openlibrary"


def test_an_exhausted_google_quota_stops_google_requests_for_the_rest_of_the_batch(
    processor_env: Env,
    upstream: UpstreamServer,
    fixture_books: dict[str, FixtureBook],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ENRICHMENT_SOURCES", "google_books")
    upstream.inject(Fault.quota_exhausted("dailyLimitExceeded"), api=Api.GOOGLE_BOOKS)

    outcomes = run_enrich(dependencies(), tasks_for(fixture_books, TEN_BOOKS))

    assert {o.status for o in outcomes.values()} == {"unavailable"}
    assert all("quota exhausted (dailyLimitExceeded)" in o.reason() for o in outcomes.values())
    # Never retried; books that started after the first refusal did not ask at all (the
    # concurrent ones may have asked before it came back).
    assert upstream.request_count() <= 10
    assert {r.status for r in upstream.requests} == {403}


def test_thumbnails_from_google_are_rewritten_to_https(
    processor_env: Env, upstream: UpstreamServer, fixture_books: dict[str, FixtureBook]
) -> None:
    outcome = run_enrich(dependencies(), tasks_for(fixture_books, ["facing-reality"]))[
        "9781641771979"
    ]

    google = outcome.records[-1]
    assert google.cover_url is not None and google.cover_url.startswith("https://books.google.com/")
