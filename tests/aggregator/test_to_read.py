"""The to-read pile: its size, pages, age as of the export, and what it is made of."""

from __future__ import annotations

import datetime as dt

from contracts.books import Book
from contracts.dashboard import Bucket, GenreStat, ToReadBook, YearCount
from contracts.messages import BookResult, EnrichmentStatus
from services.aggregator.stats import TO_READ_AGE_BUCKETS, build_dashboard
from tests.aggregator.library import BOOKS, GENERATED_AT, JOB_ID, PROCESSED_AT, manifest


def _book(book_id: str, row: int, **fields: object) -> Book:
    base = dict(book_id=book_id, row_number=row, title=f"Book {book_id}", author="A. Writer")
    return Book(**{**base, **fields})  # type: ignore[arg-type]


def _genres(book_id: str, *genres: str) -> BookResult:
    return BookResult(
        job_id=JOB_ID,
        book_id=book_id,
        status=EnrichmentStatus.ENRICHED,
        processed_at=PROCESSED_AT,
        genres=genres,
    )


def _pile(books: tuple[Book, ...], results: tuple[BookResult, ...] = ()):  # type: ignore[no-untyped-def]
    dashboard = build_dashboard(
        manifest(books),
        {result.book_id: result for result in results},
        generated_at=GENERATED_AT,
    )
    assert dashboard.to_read is not None
    return dashboard.to_read


def test_the_pile_counts_books_on_the_to_read_shelf_and_their_known_pages() -> None:
    pile = _pile(
        (
            _book("t1", 1, exclusive_shelf="to-read", pages=300, date_added=dt.date(2024, 1, 1)),
            _book("t2", 2, exclusive_shelf="To-Read", pages=0, date_added=dt.date(2024, 2, 1)),
            _book("r1", 3, exclusive_shelf="read", pages=999, date_read=dt.date(2024, 3, 1)),
            _book("c1", 4, exclusive_shelf="currently-reading", pages=120),
        )
    )
    assert pile.books == 2
    assert pile.pages == 300
    assert pile.unknown_pages == 1


def test_ages_count_to_the_exports_latest_date_not_to_the_aggregation_time() -> None:
    pile = _pile(
        (
            _book("old", 1, exclusive_shelf="to-read", date_added=dt.date(2018, 6, 1)),
            _book("mid", 2, exclusive_shelf="to-read", date_added=dt.date(2023, 3, 1)),
            _book("new", 3, exclusive_shelf="to-read", date_added=dt.date(2024, 2, 20)),
            _book("undated", 4, exclusive_shelf="to-read"),
            _book("read", 5, exclusive_shelf="read", date_read=dt.date(2024, 3, 1)),
        )
    )
    assert pile.as_of == dt.date(2024, 3, 1)
    # Ages in days: 2100 (old), 366 (mid), 10 (new); the median of three is the middle one.
    assert pile.median_age_days == 366
    assert pile.oldest == ToReadBook(
        book_id="old", title="Book old", author="A. Writer", date_added=dt.date(2018, 6, 1)
    )
    assert pile.added_per_year == (
        YearCount(year=2018, books=1),
        YearCount(year=2023, books=1),
        YearCount(year=2024, books=1),
    )
    assert pile.age_buckets == (
        Bucket(label="under 1 month", books=1),
        Bucket(label="1-6 months", books=0),
        Bucket(label="6-12 months", books=0),
        Bucket(label="1-2 years", books=1),
        Bucket(label="2-5 years", books=0),
        Bucket(label="5+ years", books=1),
        Bucket(label="unknown", books=1),
    )
    assert [label for label, _ in TO_READ_AGE_BUCKETS] == [
        bucket.label for bucket in pile.age_buckets[:-1]
    ]


def test_top_genres_of_the_pile_count_each_book_once_per_genre() -> None:
    pile = _pile(
        (
            _book("t1", 1, exclusive_shelf="to-read"),
            _book("t2", 2, exclusive_shelf="to-read"),
            _book("r1", 3, exclusive_shelf="read"),
        ),
        (
            _genres("t1", "Fantasy", "Fantasy", "Horror"),
            _genres("t2", "Fantasy"),
            _genres("r1", "History"),
        ),
    )
    assert pile.top_genres == (
        GenreStat(genre="Fantasy", books=2),
        GenreStat(genre="Horror", books=1),
    )


def test_an_empty_pile_has_no_ages_and_every_bucket_empty() -> None:
    pile = _pile(tuple(book for book in BOOKS if book.exclusive_shelf != "to-read"))
    assert (pile.books, pile.pages, pile.median_age_days, pile.oldest) == (0, 0, None, None)
    assert all(bucket.books == 0 for bucket in pile.age_buckets)


def test_an_export_without_any_date_has_no_as_of_date_and_every_age_unknown() -> None:
    pile = _pile((_book("t1", 1, exclusive_shelf="to-read"),))
    assert pile.as_of is None
    assert pile.age_buckets[-1] == Bucket(label="unknown", books=1)
