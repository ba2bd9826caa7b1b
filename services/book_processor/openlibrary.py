"""Open Library: one search for the ISBNs of a whole batch, edition and work records per book
when the search does not know an ISBN, and a title/author search for books without one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from services.book_processor.identity import authors_match, normalize_isbn, titles_match
from services.book_processor.records import (
    SourceRecord,
    as_str_list,
    edition_key,
    record_from_edition,
    record_from_search_doc,
    work_key,
)
from services.book_processor.upstream import InvocationState, NotFound, UpstreamClient

# Since January 2025 search.json returns only a few fields unless `fields=` names them.
SEARCH_FIELDS = (
    "key,title,author_name,isbn,first_publish_year,number_of_pages_median,subject,cover_i"
)
# ISBNs per search request: keeps the URL short (~18 characters per ISBN) and the answer small.
ISBNS_PER_SEARCH = 25


class OpenLibraryClient:
    def __init__(self, http: UpstreamClient) -> None:
        self.http = http

    @property
    def source(self) -> str:
        return self.http.source

    def search_isbns(self, isbns: Sequence[str], state: InvocationState) -> dict[str, SourceRecord]:
        """One request for many ISBN-13s: `q=isbn:(A OR B …)`. Returns the ISBNs it matched."""
        if not isbns:
            return {}
        query = "isbn:(" + " OR ".join(isbns) + ")" if len(isbns) > 1 else f"isbn:{isbns[0]}"
        body = self.http.get_json(
            "/search.json",
            {"q": query, "fields": SEARCH_FIELDS, "limit": str(2 * len(isbns))},
            state,
        )
        wanted = set(isbns)
        found: dict[str, SourceRecord] = {}
        for doc in _docs(body):
            record = record_from_search_doc(doc)
            for raw in as_str_list(doc.get("isbn"), limit=10_000):
                isbn = normalize_isbn(raw)
                if isbn in wanted and isbn not in found:
                    found[isbn] = record  # docs come best match first
        return found

    def search_title_author(self, title: str, author: str, state: InvocationState) -> SourceRecord:
        body = self.http.get_json(
            "/search.json",
            {"title": title, "author": author, "fields": SEARCH_FIELDS, "limit": "5"},
            state,
        )
        for doc in _docs(body):
            names = list(as_str_list(doc.get("author_name")))
            if titles_match(title, str(doc.get("title") or "")) and authors_match(author, names):
                return record_from_search_doc(doc)
        raise NotFound(self.source, "no search result matches the title and author")

    def edition_by_isbn(self, isbn: str, state: InvocationState) -> SourceRecord:
        """`/isbn/{isbn}.json` (a redirect to the edition), then the work for its subjects."""
        edition = self.http.get_json(f"/isbn/{quote(isbn)}.json", {}, state)
        if not isinstance(edition, dict) or edition_key(edition.get("key")) is None:
            raise NotFound(self.source, "the ISBN did not lead to an edition record")
        work: dict[str, Any] | None = None
        works = edition.get("works")
        key = (
            work_key(works[0].get("key"))
            if isinstance(works, list) and works and isinstance(works[0], dict)
            else None
        )
        if key is not None:
            try:
                fetched = self.http.get_json(f"{key}.json", {}, state)
                work = fetched if isinstance(fetched, dict) else None
            except NotFound:
                work = None  # an edition without its work is still an answer
        return record_from_edition(edition, work)


def _docs(body: Any) -> list[dict[str, Any]]:
    docs = body.get("docs") if isinstance(body, dict) else None
    return [d for d in docs if isinstance(d, dict)] if isinstance(docs, list) else []
