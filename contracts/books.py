"""A book as read from the Goodreads export, and its identity within a job."""

from __future__ import annotations

import datetime as dt
import re

import msgspec

# Book ids are used in storage keys, so they are restricted to a safe alphabet.
BOOK_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_GOODREADS_ID = re.compile(r"^[0-9]{1,20}$")


def make_book_id(goodreads_id: str | None, row_number: int, seen: set[str]) -> str:
    """The identity of a book within a job: stable for the same file, unique within it.

    The Goodreads `Book Id` (an edition id) is unique in a sane export, so it is the id. A
    repeated or unusable `Book Id` falls back to the row number, which a re-parse of the same
    file reproduces. ISBNs and titles are never part of the id: they repeat and go missing.
    """
    if goodreads_id and _GOODREADS_ID.match(goodreads_id):
        candidate = f"gr{goodreads_id}"
        if candidate not in seen:
            seen.add(candidate)
            return candidate
    candidate = f"row{row_number}"
    seen.add(candidate)
    return candidate


class Book(msgspec.Struct, frozen=True, kw_only=True):
    """One row of the export, cleaned. Fields the export lacks are None, never invented."""

    book_id: str
    row_number: int  # 1-based data row (the header is row 0)
    goodreads_id: str | None = None
    title: str
    author: str
    additional_authors: tuple[str, ...] = ()
    isbn10: str | None = None
    isbn13: str | None = None
    my_rating: int | None = None  # 1-5; the export's 0 (unrated) becomes None
    average_rating: float | None = None  # community average; the export's 0.0 becomes None
    publisher: str | None = None
    binding: str | None = None
    pages: int | None = None
    year_published: int | None = None
    original_publication_year: int | None = None  # may be negative (BCE)
    date_read: dt.date | None = None
    date_added: dt.date | None = None
    bookshelves: tuple[str, ...] = ()
    exclusive_shelf: str
    review_html: str | None = None  # untrusted markup, never rendered raw
    spoiler: bool = False
    read_count: int | None = None
    owned_copies: int | None = None
