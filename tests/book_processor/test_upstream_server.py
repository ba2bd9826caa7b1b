"""The loopback upstream server itself: other suites rely on its behaviour."""

from __future__ import annotations

import time

import requests

from tests.support.upstream_limits import QUOTA_SPENT, RATE_LIMITED, SlidingWindowLimit
from tests.support.upstream_server import Api, Fault, UpstreamServer


def test_search_without_fields_returns_only_the_default_fields(upstream: UpstreamServer) -> None:
    url = f"{upstream.openlibrary_base_url}/search.json"

    bare = requests.get(url, params={"q": "isbn:9780441172719"}, timeout=5).json()
    full = requests.get(url, params={"q": "isbn:9780441172719", "fields": "*"}, timeout=5).json()

    assert bare["numFound"] == 1 and "subject" not in bare["docs"][0]
    assert "Science fiction" in full["docs"][0]["subject"]


def test_an_or_query_over_isbns_returns_every_known_book(upstream: UpstreamServer) -> None:
    body = requests.get(
        f"{upstream.openlibrary_base_url}/search.json",
        params={"q": "isbn:(9780441172719 OR 0261102214 OR 9780000000002)", "fields": "key"},
        timeout=5,
    ).json()

    assert sorted(d["key"] for d in body["docs"]) == ["/works/OL262758W", "/works/OL893415W"]


def test_isbn_redirects_to_the_edition(upstream: UpstreamServer) -> None:
    response = requests.get(f"{upstream.openlibrary_base_url}/isbn/1538744015.json", timeout=5)

    assert response.json()["key"] == "/books/OL27963624M"
    assert [r.status for r in upstream.requests] == [302, 200]


def test_faults_apply_the_given_number_of_times_and_everything_is_logged(
    upstream: UpstreamServer,
) -> None:
    upstream.inject(Fault.too_many_requests("2"), api=Api.GOOGLE_BOOKS, times=1)
    url = f"{upstream.google_books_base_url}/books/v1/volumes"

    first = requests.get(url, params={"q": "isbn:9780441172719"}, timeout=5)
    second = requests.get(url, params={"q": "isbn:9780441172719"}, timeout=5)

    assert (first.status_code, first.headers["Retry-After"]) == (429, "2")
    assert second.json()["items"][0]["id"] == "B1hSG45JCX4C"
    assert upstream.request_count(api=Api.GOOGLE_BOOKS) == 2
    assert upstream.request_count(api=Api.OPENLIBRARY) == 0


def test_google_title_and_author_search(upstream: UpstreamServer) -> None:
    body = requests.get(
        f"{upstream.google_books_base_url}/books/v1/volumes",
        params={"q": 'intitle:"Meditations" inauthor:"Marcus Aurelius"'},
        timeout=5,
    ).json()
    nothing = requests.get(
        f"{upstream.google_books_base_url}/books/v1/volumes",
        params={"q": 'intitle:"Meditations" inauthor:"Somebody Else"'},
        timeout=5,
    ).json()

    assert body["totalItems"] == 1
    assert nothing == {"kind": "books#volumes", "totalItems": 0}


def test_the_books_api_answers_known_bibkeys_in_the_data_shape_and_leaves_out_unknown_ones(
    upstream: UpstreamServer,
) -> None:
    body = requests.get(
        f"{upstream.openlibrary_base_url}/api/books",
        params={
            "bibkeys": "ISBN:1538744015,ISBN:9780747532699,ISBN:9780000000002",
            "format": "json",
            "jscmd": "data",
        },
        timeout=5,
    ).json()

    assert sorted(body) == ["ISBN:1538744015", "ISBN:9780747532699"]  # keyed as asked
    human_diversity = body["ISBN:1538744015"]
    assert human_diversity["key"] == "/books/OL27963624M"
    assert human_diversity["number_of_pages"] == 528
    assert human_diversity["publish_date"] == "Jan 28, 2020"
    # Subjects are the work's, as {name, url}; the cover is the edition's first.
    assert {"name": "Human genetics", "url": "https://openlibrary.org/subjects/human_genetics"} in (
        human_diversity["subjects"]
    )
    assert human_diversity["cover"]["medium"] == "https://covers.openlibrary.org/b/id/9348831-M.jpg"
    assert human_diversity["authors"][0]["name"] == "Charles Murray"
    assert "subject_places" not in human_diversity  # empty values are left out


def test_the_books_api_answers_javascript_without_format_json_and_nothing_for_unknown_books(
    upstream: UpstreamServer,
) -> None:
    url = f"{upstream.openlibrary_base_url}/api/books"

    script = requests.get(url, params={"bibkeys": "ISBN:1538744015", "jscmd": "data"}, timeout=5)
    unknown = requests.get(
        url, params={"bibkeys": "ISBN:9780000000002", "format": "json", "jscmd": "data"}, timeout=5
    )

    assert script.text.startswith("var _OLBookInfo = {") and script.text.endswith("};")
    assert script.headers["Content-Type"] == "application/javascript"
    assert (unknown.status_code, unknown.json()) == (200, {})


def test_a_fielded_search_finds_each_title_and_author_group(upstream: UpstreamServer) -> None:
    body = requests.get(
        f"{upstream.openlibrary_base_url}/search.json",
        params={
            "q": '(title:"Meditations" AND author:"Marcus Aurelius") OR '
            '(title:"The Hobbit" AND author:"Tolkien") OR (title:"Dune" AND author:"Nobody")',
            "fields": "key,title",
        },
        timeout=5,
    ).json()

    assert sorted(d["title"] for d in body["docs"]) == ["Meditations", "The Hobbit"]


def test_open_library_refuses_requests_beyond_its_rate_over_a_sliding_second(
    upstream: UpstreamServer,
) -> None:
    upstream.limit_rate(3, api=Api.OPENLIBRARY)
    search = f"{upstream.openlibrary_base_url}/search.json"
    params = {"q": "isbn:9780441172719"}

    statuses = [requests.get(search, params=params, timeout=5) for _ in range(4)]
    google = requests.get(
        f"{upstream.google_books_base_url}/books/v1/volumes", params=params, timeout=5
    )
    time.sleep(1.05)  # the first three leave the window
    later = requests.get(search, params=params, timeout=5)

    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    assert statuses[3].headers["Retry-After"] == "1"
    assert (google.status_code, later.status_code) == (200, 200)  # each host has its own limit
    assert upstream.refused_count(api=Api.OPENLIBRARY, kind=RATE_LIMITED) == 1
    assert upstream.request_counts(api=Api.OPENLIBRARY) == {"/search.json": 5}


def test_google_books_refuses_every_request_once_its_daily_quota_is_spent(
    upstream: UpstreamServer,
) -> None:
    upstream.set_daily_quota(2)
    url = f"{upstream.google_books_base_url}/books/v1/volumes"

    answers = [requests.get(url, params={"q": "isbn:9780441172719"}, timeout=5) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 403]
    error = answers[2].json()["error"]
    assert (error["code"], error["errors"][0]["reason"]) == (403, "rateLimitExceeded")
    assert upstream.refused_count(kind=QUOTA_SPENT) == 1


def test_the_rate_window_slides_rather_than_resetting_each_second() -> None:
    now = [0.0]
    window = SlidingWindowLimit(3, clock=lambda: now[0])

    admitted = []
    for moment in (0.0, 0.4, 0.8, 0.99, 1.0, 1.3, 1.5):
        now[0] = moment
        admitted.append(window.admit() is None)

    # 0.99 is refused (three in the second before it); at 1.0 the request of 0.0 has left the
    # window; at 1.3 the ones of 0.4, 0.8 and 1.0 are still in it; at 1.5 0.4 has left.
    assert admitted == [True, True, True, False, True, False, True]
