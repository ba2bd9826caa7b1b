"""Google Books: `volumes?q=isbn:…`, or `intitle:`/`inauthor:` when a book has no ISBN."""

from __future__ import annotations

from typing import Any

from services.book_processor.identity import authors_match, normalize_isbn, titles_match
from services.book_processor.records import (
    SourceRecord,
    as_str_list,
    record_from_volume,
    volume_isbns,
)
from services.book_processor.upstream import InvocationState, NotFound, UpstreamClient

VOLUMES_PATH = "/books/v1/volumes"
# A partial response: only what enrichment reads.
VOLUME_FIELDS = (
    "totalItems,items(id,volumeInfo(title,authors,publishedDate,pageCount,categories,"
    "mainCategory,imageLinks,industryIdentifiers))"
)


class GoogleBooksClient:
    def __init__(self, http: UpstreamClient) -> None:
        self.http = http

    @property
    def source(self) -> str:
        return self.http.source

    def by_isbn(self, isbn13: str, state: InvocationState) -> SourceRecord:
        items = self._volumes(f"isbn:{isbn13}", 3, state)
        # Prefer the volume that carries the ISBN; Google's ISBN search is exact in practice.
        for volume in items:
            if isbn13 in {normalize_isbn(i) for i in volume_isbns(volume)}:
                return record_from_volume(volume)
        if items:
            return record_from_volume(items[0])
        raise NotFound(self.source, "no volume with this ISBN")

    def by_title_author(self, title: str, author: str, state: InvocationState) -> SourceRecord:
        query = f'intitle:"{_quote_free(title)}"'
        if author.strip():
            query += f' inauthor:"{_quote_free(author)}"'
        for volume in self._volumes(query, 5, state):
            info = volume.get("volumeInfo")
            info = info if isinstance(info, dict) else {}
            authors = list(as_str_list(info.get("authors")))
            if titles_match(title, str(info.get("title") or "")) and authors_match(author, authors):
                return record_from_volume(volume)
        raise NotFound(self.source, "no volume matches the title and author")

    def _volumes(
        self, query: str, max_results: int, state: InvocationState
    ) -> list[dict[str, Any]]:
        body = self.http.get_json(
            VOLUMES_PATH,
            {"q": query, "maxResults": str(max_results), "fields": VOLUME_FIELDS},
            state,
        )
        items = body.get("items") if isinstance(body, dict) else None
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _quote_free(text: str) -> str:
    """Double quotes would end the phrase early: a title with quotes becomes plain words."""
    return " ".join(text.replace('"', " ").split())
