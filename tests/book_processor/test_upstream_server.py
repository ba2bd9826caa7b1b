"""The loopback upstream server itself: other suites rely on its behaviour."""

from __future__ import annotations

import requests

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
