"""A small hand-made library whose dashboard figures are worked out by hand in test_stats.py.

Twelve books, nine of them on the read shelf, covering: a re-read, an author spelled with a run
of spaces, pages only from enrichment (one source, and several), a page count of 0, an undated
read book, a BCE publication year, a custom exclusive shelf (dnf), shelves repeated in
Bookshelves, every enrichment status, two books without a result (missing), an http cover and a
javascript: cover, a book without a Goodreads id, and review HTML with a script.
"""

from __future__ import annotations

import datetime as dt

from contracts.books import Book
from contracts.messages import (
    BookResult,
    EnrichmentStatus,
    JobManifest,
    RejectedRow,
    RowWarning,
)

JOB_ID = "57f1ac0b-b10e-4d62-af37-2885f0258f8c"
CREATED_AT = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
PROCESSED_AT = dt.datetime(2024, 5, 1, 12, 1, tzinfo=dt.UTC)
GENERATED_AT = dt.datetime(2024, 5, 1, 12, 2, tzinfo=dt.UTC)
MISSING_IDS = ("gr108", "gr111")


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


BOOKS: tuple[Book, ...] = (
    Book(
        book_id="gr101",
        row_number=1,
        goodreads_id="101",
        title="The Hobbit",
        author="J.R.R. Tolkien",
        isbn13="9780547928227",
        my_rating=5,
        average_rating=4.28,
        pages=310,
        original_publication_year=1937,
        date_read=_date("2021-03-05"),
        date_added=_date("2020-12-01"),
        bookshelves=("fantasy", "favorites"),
        exclusive_shelf="read",
        review_html="<p>Loved it<br/>again &amp; again</p><script>alert(1)</script>",
        read_count=2,
    ),
    Book(
        book_id="gr102",
        row_number=2,
        goodreads_id="102",
        title="The Fellowship of the Ring",
        author="J.R.R.  Tolkien",
        my_rating=4,
        average_rating=4.38,
        pages=423,
        original_publication_year=1954,
        date_read=_date("2021-03-20"),
        bookshelves=("fantasy",),
        exclusive_shelf="read",
        read_count=1,
    ),
    Book(
        book_id="gr103",
        row_number=3,
        goodreads_id="103",
        title="Sapiens",
        author="Yuval Noah Harari",
        my_rating=3,
        average_rating=4.39,
        date_read=_date("2022-01-10"),
        bookshelves=("nonfiction",),
        exclusive_shelf="read",
        read_count=1,
    ),
    Book(
        book_id="gr104",
        row_number=4,
        goodreads_id="104",
        title="Dune",
        author="Frank Herbert",
        average_rating=4.27,
        pages=612,
        original_publication_year=1965,
        exclusive_shelf="read",
        read_count=3,
    ),
    Book(
        book_id="gr105",
        row_number=5,
        goodreads_id="105",
        title="The Odyssey",
        author="Homer",
        my_rating=2,
        average_rating=3.79,
        pages=541,
        original_publication_year=-800,
        date_read=_date("2022-01-25"),
        bookshelves=("classics",),
        exclusive_shelf="read",
    ),
    Book(
        book_id="gr106",
        row_number=6,
        goodreads_id="106",
        title="Educated",
        author="Tara Westover",
        my_rating=5,
        average_rating=4.47,
        pages=334,
        original_publication_year=2018,
        date_read=_date("2023-07-04"),
        bookshelves=("nonfiction", "memoir"),
        exclusive_shelf="read",
        read_count=1,
    ),
    Book(
        book_id="gr107",
        row_number=7,
        goodreads_id="107",
        title="Pride and Prejudice",
        author="Jane Austen",
        average_rating=4.29,
        pages=279,
        bookshelves=("to-read", "classics"),
        exclusive_shelf="to-read",
        read_count=0,
    ),
    Book(
        book_id="gr108",
        row_number=8,
        goodreads_id="108",
        title="Thinking, Fast and Slow",
        author="Daniel Kahneman",
        average_rating=4.18,
        pages=499,
        bookshelves=("currently-reading", "nonfiction"),
        exclusive_shelf="currently-reading",
        read_count=1,
    ),
    Book(
        book_id="gr109",
        row_number=9,
        goodreads_id="109",
        title="Infinite Jest",
        author="David Foster Wallace",
        my_rating=1,
        average_rating=3.82,
        pages=1079,
        bookshelves=("dnf",),
        exclusive_shelf="dnf",
        read_count=0,
    ),
    Book(
        book_id="row10",
        row_number=10,
        title="Untitled Zine",
        author="anon",
        my_rating=4,
        date_read=_date("2023-07-30"),
        bookshelves=("favorites",),
        exclusive_shelf="read",
        review_html="   ",
        spoiler=True,
        read_count=1,
    ),
    Book(
        book_id="gr111",
        row_number=11,
        goodreads_id="111",
        title="Emma",
        author="Jane Austen",
        my_rating=4,
        average_rating=4.02,
        pages=474,
        original_publication_year=1815,
        date_read=_date("2023-12-31"),
        bookshelves=("classics", "favorites"),
        exclusive_shelf="read",
        read_count=1,
    ),
    Book(
        book_id="gr112",
        row_number=12,
        goodreads_id="112",
        title="Beowulf",
        author="Unknown",
        my_rating=3,
        average_rating=3.45,
        pages=0,
        date_read=_date("2021-11-02"),
        exclusive_shelf="read",
        read_count=1,
    ),
)


def _result(book_id: str, status: EnrichmentStatus, **fields: object) -> BookResult:
    return BookResult(
        job_id=JOB_ID,
        book_id=book_id,
        status=status,
        processed_at=PROCESSED_AT,
        **fields,  # type: ignore[arg-type]
    )


ENRICHED = EnrichmentStatus.ENRICHED
# No result for gr108 and gr111: they are missing.
RESULTS: tuple[BookResult, ...] = (
    _result(
        "gr101",
        ENRICHED,
        sources=("openlibrary",),
        pages=300,
        genres=("Fantasy",),
        fiction="fiction",
        raw_subjects=("Fantasy fiction", "Hobbits"),
        cover_url="https://covers.openlibrary.org/b/id/1-M.jpg",
    ),
    _result(
        "gr102",
        ENRICHED,
        sources=("openlibrary",),
        genres=("Fantasy", "Adventure"),
        fiction="fiction",
        cover_url="http://covers.openlibrary.org/b/id/2-M.jpg",
    ),
    _result(
        "gr103",
        ENRICHED,
        sources=("google_books",),
        pages=443,
        first_publish_year=2011,
        genres=("History",),
        fiction="nonfiction",
    ),
    _result("gr104", EnrichmentStatus.NOT_FOUND, reason="no source knew the book"),
    _result(
        "gr105",
        ENRICHED,
        sources=("openlibrary", "google_books"),
        pages=500,
        genres=("Poetry", "Classics"),
        fiction="fiction",
    ),
    _result("gr106", EnrichmentStatus.FAILED, reason="Open Library kept failing (HTTP 503)"),
    _result("gr107", ENRICHED, genres=("Romance", "Classics"), fiction="fiction"),
    _result("gr109", ENRICHED, genres=("Literary Fiction",), fiction="fiction"),
    _result("row10", EnrichmentStatus.SKIPPED, reason="enrichment switched off"),
    _result(
        "gr112",
        ENRICHED,
        reason="matched by title",
        sources=("openlibrary", "google_books"),
        pages=96,
        first_publish_year=1000,
        genres=("Poetry", "Classics", "Poetry"),
        cover_url="javascript:alert(1)",
    ),
)


def manifest(books: tuple[Book, ...] = BOOKS, job_id: str = JOB_ID) -> JobManifest:
    return JobManifest(
        job_id=job_id,
        source_key=f"uploads/{job_id}/goodreads_library_export.csv",
        created_at=CREATED_AT,
        header_variant="24",
        books=books,
        rejected=(RejectedRow(row_number=13, reason="no title"),),
        warnings=(
            RowWarning(row_number=3, column="Number of Pages", message="empty"),
            RowWarning(row_number=12, column="Number of Pages", message="0 read as unknown"),
        ),
    )


def results_by_id() -> dict[str, BookResult]:
    return {result.book_id: result for result in RESULTS}
