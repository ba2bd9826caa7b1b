"""Open Library, many books per request: one search for the ISBNs of a whole invocation, the
Books API for the editions the search does not know (or leaves without genres or pages), one
fielded search for many titles, and a title/author search per book where that bulk answer is
silent.

Which bulk behaviour is documented: the Books API takes a comma-separated list of bibkeys
(https://openlibrary.org/dev/docs/api/books) and answers each it knows under its own key. The
search's boolean syntax over ISBNs (`isbn:(A OR B …)`) and over title and author groups is
Solr's, which Open Library asks bulk clients to use, but neither is verified against the real
service here: a book the bulk search does not answer is asked again by a documented per-book
route (the Books API for an ISBN, a title/author search otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.book_processor.identity import authors_match, normalize_isbn, titles_match
from services.book_processor.records import (
    SourceRecord,
    as_str_list,
    record_from_books_api,
    record_from_search_doc,
)
from services.book_processor.upstream import InvocationState, NotFound, UpstreamClient

# Since January 2025 search.json returns only a few fields unless `fields=` names them.
SEARCH_FIELDS = (
    "key,title,author_name,isbn,first_publish_year,number_of_pages_median,subject,cover_i"
)
# ISBNs per search request: ~17 URL characters each (about 1.7 KB for 100), far below the 8 KB
# request lines servers accept, and 200 Boolean clauses at most (Solr's default limit: 1,024).
ISBNS_PER_SEARCH = 100
# Bibkeys per Books API request (~20 URL characters each); Open Library looks each one up.
BIBKEYS_PER_REQUEST = 50
# Title and author groups per fielded search: ~100 URL characters each, and a result `limit`
# that leaves every group room for its likely matches.
TITLES_PER_SEARCH = 10
DOCS_PER_TITLE = 5


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

    def editions(self, isbns: Sequence[str], state: InvocationState) -> dict[str, SourceRecord]:
        """The Books API for many ISBN-13s: each edition Open Library has, with its work's
        subjects. An ISBN it does not know is absent from the answer (and from the result)."""
        if not isbns:
            return {}
        bibkeys = {f"ISBN:{isbn}": isbn for isbn in isbns}
        body = self.http.get_json(
            "/api/books",
            {"bibkeys": ",".join(bibkeys), "format": "json", "jscmd": "data"},
            state,
        )
        found: dict[str, SourceRecord] = {}
        if isinstance(body, dict):
            for bibkey, data in body.items():
                isbn = bibkeys.get(bibkey)
                if isbn is not None and isinstance(data, dict):
                    found[isbn] = record_from_books_api(data)
        return found

    def search_titles(
        self, books: Sequence[tuple[str, str]], state: InvocationState
    ) -> dict[int, SourceRecord]:
        """One fielded search for many (title, author) pairs:
        `q=(title:"A" AND author:"B") OR …`. Returns the matched pairs by their position."""
        if not books:
            return {}
        groups = [_group(title, author) for title, author in books]
        body = self.http.get_json(
            "/search.json",
            {
                "q": " OR ".join(groups),
                "fields": SEARCH_FIELDS,
                "limit": str(DOCS_PER_TITLE * len(books)),
            },
            state,
        )
        found: dict[int, SourceRecord] = {}
        docs = _docs(body)
        for position, (title, author) in enumerate(books):
            doc = _matching(docs, title, author)
            if doc is not None:
                found[position] = record_from_search_doc(doc)
        return found

    def search_title_author(self, title: str, author: str, state: InvocationState) -> SourceRecord:
        """One book: `title=…&author=…`, the documented per-book search."""
        body = self.http.get_json(
            "/search.json",
            {"title": title, "author": author, "fields": SEARCH_FIELDS, "limit": "5"},
            state,
        )
        doc = _matching(_docs(body), title, author)
        if doc is None:
            raise NotFound(self.source, "no search result matches the title and author")
        return record_from_search_doc(doc)


def _group(title: str, author: str) -> str:
    """A fielded clause: phrases without the quotes and backslashes that would end them."""
    clause = f'title:"{_phrase(title)}"'
    if author.strip():
        return f'({clause} AND author:"{_phrase(author)}")'
    return clause


def _phrase(text: str) -> str:
    return " ".join(text.replace('"', " ").replace("\\", " ").split())


def _matching(docs: list[dict[str, Any]], title: str, author: str) -> dict[str, Any] | None:
    for doc in docs:
        names = list(as_str_list(doc.get("author_name")))
        if titles_match(title, str(doc.get("title") or "")) and authors_match(author, names):
            return doc
    return None


def _docs(body: Any) -> list[dict[str, Any]]:
    docs = body.get("docs") if isinstance(body, dict) else None
    return [d for d in docs if isinstance(d, dict)] if isinstance(docs, list) else []
