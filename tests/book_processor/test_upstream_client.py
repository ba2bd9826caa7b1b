"""How the processor talks to an upstream host: retries, Retry-After, timeouts, quotas,
unreachable hosts, persistent failures, the pace's answers and the User-Agent, against the
loopback server (test_pacing.py has the pace itself)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from services.book_processor.upstream import (
    Deadline,
    InvocationState,
    NotFound,
    Paced,
    Pacer,
    RetryPolicy,
    SourceUnavailable,
    Timeouts,
    Unpaced,
    UpstreamClient,
    new_session,
    parse_retry_after,
    user_agent,
)
from tests.support.upstream_server import Api, Fault, UpstreamServer, unreachable_base_url

SEARCH = "/search.json"
DUNE_QUERY = {"q": "isbn:9780441172719", "fields": "key,title"}


class RecordingSleep:
    """Records the waits instead of waiting (the client's retries are about decisions)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def server(upstream: UpstreamServer) -> UpstreamServer:
    return upstream


def client(
    base_url: str,
    sleep: RecordingSleep,
    *,
    max_attempts: int = 4,
    read_timeout: float = 2.0,
    pacer: Pacer | None = None,
    params: dict[str, str] | None = None,
) -> UpstreamClient:
    return UpstreamClient(
        "openlibrary",
        base_url,
        new_session(user_agent("1.0.0", "ops@example.org")),
        pacer=pacer or Unpaced(),
        policy=RetryPolicy(max_attempts=max_attempts, backoff_base_seconds=0.2),
        timeouts=Timeouts(connect_seconds=1.0, read_seconds=read_timeout),
        default_params=params,
        sleep=sleep,
        rng=random.Random(7),
    )


def fresh_state(seconds: float = 30.0) -> InvocationState:
    return InvocationState(Deadline(seconds))


def test_server_errors_are_retried_with_full_jitter_then_succeed(server: UpstreamServer) -> None:
    server.inject(Fault.server_error(500), path=SEARCH, times=2)
    sleep = RecordingSleep()

    body = client(server.openlibrary_base_url, sleep).get_json(SEARCH, DUNE_QUERY, fresh_state())

    assert body["docs"][0]["title"] == "Dune"
    assert server.request_count(path=SEARCH) == 3
    assert len(sleep.waits) == 2
    # Full jitter: each wait is drawn from [0, base * 2^n].
    assert 0 <= sleep.waits[0] <= 0.2 and 0 <= sleep.waits[1] <= 0.4


def test_retries_stop_after_the_last_attempt(server: UpstreamServer) -> None:
    server.inject(Fault.server_error(502), path=SEARCH)
    state = fresh_state()

    with pytest.raises(SourceUnavailable, match="HTTP 502 after 3 attempts"):
        client(server.openlibrary_base_url, RecordingSleep(), max_attempts=3).get_json(
            SEARCH, DUNE_QUERY, state
        )
    assert server.request_count(path=SEARCH) == 3
    assert state.down_reason("openlibrary") is None  # a struggling host is not written off


def test_a_429_waits_at_least_the_retry_after_seconds(server: UpstreamServer) -> None:
    server.inject(Fault.too_many_requests(retry_after="3"), path=SEARCH, times=1)
    sleep = RecordingSleep()

    client(server.openlibrary_base_url, sleep).get_json(SEARCH, DUNE_QUERY, fresh_state())

    assert len(sleep.waits) == 1 and sleep.waits[0] >= 3.0


def test_retry_after_may_be_an_http_date() -> None:
    now = dt.datetime(2024, 11, 28, 12, 0, tzinfo=dt.UTC)
    assert parse_retry_after("Thu, 28 Nov 2024 12:00:42 GMT", now) == 42.0
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("soon") is None


def test_a_retry_after_longer_than_the_remaining_time_gives_up_without_waiting(
    server: UpstreamServer,
) -> None:
    server.inject(Fault.too_many_requests(retry_after="120"), path=SEARCH)
    sleep = RecordingSleep()

    with pytest.raises(SourceUnavailable, match="does not fit in the remaining time"):
        client(server.openlibrary_base_url, sleep).get_json(SEARCH, DUNE_QUERY, fresh_state(10))
    assert sleep.waits == []
    assert server.request_count(path=SEARCH) == 1


def test_the_remaining_time_keeps_a_reserve_for_recording_results() -> None:
    def frozen() -> float:
        return 500.0

    def budget(remaining_millis: int) -> float:
        return Deadline.from_remaining_millis(remaining_millis, frozen).remaining()

    assert budget(3_000) == 2.0  # at least one second
    assert budget(30_000) == 27.0  # ten per cent
    assert budget(900_000) == 895.0  # at most five seconds
    assert budget(500) == 0.0


def test_a_hanging_server_is_cut_off_by_the_read_timeout_and_retried(
    server: UpstreamServer,
) -> None:
    server.inject(Fault.hang(seconds=5), path=SEARCH, times=1)

    body = client(server.openlibrary_base_url, RecordingSleep(), read_timeout=0.2).get_json(
        SEARCH, DUNE_QUERY, fresh_state()
    )

    assert body["docs"][0]["title"] == "Dune"
    assert server.request_count(path=SEARCH) == 2


def test_malformed_json_is_retried_like_a_server_error(server: UpstreamServer) -> None:
    server.inject(Fault.malformed_json(), path=SEARCH)

    with pytest.raises(SourceUnavailable, match="malformed JSON"):
        client(server.openlibrary_base_url, RecordingSleep(), max_attempts=2).get_json(
            SEARCH, DUNE_QUERY, fresh_state()
        )
    assert server.request_count(path=SEARCH) == 2


def test_a_dropped_connection_is_retried(server: UpstreamServer) -> None:
    server.inject(Fault.drop_connection(), path=SEARCH, times=1)

    body = client(server.openlibrary_base_url, RecordingSleep()).get_json(
        SEARCH, DUNE_QUERY, fresh_state()
    )

    assert body["numFound"] == 1


def test_a_404_is_a_final_not_found_without_retry(server: UpstreamServer) -> None:
    with pytest.raises(NotFound):
        client(server.openlibrary_base_url, RecordingSleep()).get_json(
            "/works/OL1W.json", {}, fresh_state()
        )
    assert server.request_count() == 1


def test_an_other_client_error_is_not_retried(server: UpstreamServer) -> None:
    sleep = RecordingSleep()
    google = client(server.google_books_base_url, sleep)

    with pytest.raises(SourceUnavailable, match="HTTP 400"):
        google.get_json("/books/v1/volumes", {"q": ""}, fresh_state())
    assert server.request_count() == 1 and sleep.waits == []


@pytest.mark.parametrize("reason", ["dailyLimitExceeded", "rateLimitExceeded"])
@pytest.mark.parametrize("status", [403, 429])
def test_an_exhausted_quota_switches_the_source_off_for_the_invocation(
    server: UpstreamServer, reason: str, status: int
) -> None:
    server.inject(Fault.quota_exhausted(reason, status=status), api=Api.GOOGLE_BOOKS, times=1)
    google = client(server.google_books_base_url, RecordingSleep())
    state = fresh_state()

    with pytest.raises(SourceUnavailable, match=f"quota exhausted \\({reason}\\)"):
        google.get_json("/books/v1/volumes", {"q": "isbn:9780441172719"}, state)
    with pytest.raises(SourceUnavailable, match="quota exhausted"):
        google.get_json("/books/v1/volumes", {"q": "isbn:9780261102217"}, state)

    assert server.request_count() == 1  # the second book did not ask
    next_invocation = client(server.google_books_base_url, RecordingSleep()).get_json(
        "/books/v1/volumes", {"q": "isbn:9780261102217"}, fresh_state()
    )
    assert next_invocation["totalItems"] == 1


def test_a_refused_connection_fails_fast_and_switches_the_source_off(
    server: UpstreamServer,
) -> None:
    sleep = RecordingSleep()
    offline = client(unreachable_base_url(), sleep)
    state = fresh_state()

    with pytest.raises(SourceUnavailable, match="connection refused after 2 attempts"):
        offline.get_json(SEARCH, DUNE_QUERY, state)
    with pytest.raises(SourceUnavailable, match="source off for this invocation"):
        offline.get_json(SEARCH, DUNE_QUERY, state)

    assert state.requests["openlibrary"] == 2
    assert len(sleep.waits) == 1


def test_an_unresolvable_host_is_treated_like_a_refused_connection() -> None:
    state = fresh_state()
    with pytest.raises(SourceUnavailable, match="host name did not resolve"):
        client("http://books.invalid", RecordingSleep()).get_json(SEARCH, DUNE_QUERY, state)
    assert state.down_reason("openlibrary") is not None


def test_requests_identify_the_application_and_its_contact(server: UpstreamServer) -> None:
    client(server.openlibrary_base_url, RecordingSleep()).get_json(
        SEARCH, DUNE_QUERY, fresh_state()
    )

    agent = server.requests[0].headers["User-Agent"]
    assert agent == "goodreads-stats-book-processor/1.0.0 (ops@example.org)"


def test_the_google_api_key_is_sent_when_configured(server: UpstreamServer) -> None:
    google = client(server.google_books_base_url, RecordingSleep(), params={"key": "k-123"})

    google.get_json("/books/v1/volumes", {"q": "isbn:9780441172719"}, fresh_state())

    assert server.requests[0].param("key") == "k-123"


def test_a_second_request_that_spends_all_its_attempts_turns_the_source_off(
    server: UpstreamServer,
) -> None:
    server.inject(Fault.server_error(503), path=SEARCH)
    openlibrary = client(server.openlibrary_base_url, RecordingSleep(), max_attempts=2)
    state = fresh_state()

    for _ in range(2):
        with pytest.raises(SourceUnavailable, match="HTTP 503 after 2 attempts"):
            openlibrary.get_json(SEARCH, DUNE_QUERY, state)
    with pytest.raises(SourceUnavailable, match="2 requests in a row; source off"):
        openlibrary.get_json(SEARCH, DUNE_QUERY, state)

    assert server.request_count(path=SEARCH) == 4  # the third request did not go out
    assert fresh_state().down_reason("openlibrary") is None  # the next invocation tries again


class AnsweringPacer:
    """A pace that answers from a script: no slot for `refusals` requests, then at once."""

    def __init__(self, wait_seconds: float) -> None:
        self.wait_seconds = wait_seconds
        self.asked = 0

    def wait_for_slot(self, source: str, deadline: Deadline) -> None:
        self.asked += 1
        raise Paced(source, "openlibrary.org", self.wait_seconds)


def test_once_the_pace_has_no_slot_the_invocation_stops_asking_that_host(
    server: UpstreamServer,
) -> None:
    pacer = AnsweringPacer(wait_seconds=40.0)
    openlibrary = client(server.openlibrary_base_url, RecordingSleep(), pacer=pacer)
    state = fresh_state()

    with pytest.raises(Paced) as first:
        openlibrary.get_json(SEARCH, DUNE_QUERY, state)
    with pytest.raises(Paced) as second:
        openlibrary.get_json(SEARCH, DUNE_QUERY, state)

    assert pacer.asked == 1 and server.request_count() == 0
    assert first.value.wait_seconds == 40.0
    assert 39.0 < second.value.wait_seconds <= 40.0  # counted from now
    assert "paced: the next free slot for openlibrary.org is in" in str(second.value)
    assert state.down_reason("openlibrary") is None  # paced is not down
