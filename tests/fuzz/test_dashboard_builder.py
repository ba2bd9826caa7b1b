"""The dashboard builder, for any manifest and any results (services/aggregator/stats.py).

Totals equal the books': every count, series and bucket adds up to what the books say, each
book is listed once, the numbers fit what a browser's numbers hold exactly, and the dashboard
round-trips through its contract.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from contracts.books import Book
from contracts.codec import dashboard_decoder, encode
from contracts.messages import BookResult, EnrichmentStatus, JobManifest
from services.aggregator.stats import build_dashboard, effective_pages, is_read, read_count
from tests.fuzz.profiles import examples

JOB_ID = "57f1ac0b-b10e-4d62-af37-2885f0258f8c"
MOMENT = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
EXACT_IN_A_BROWSER = 2**53  # JavaScript's Number.MAX_SAFE_INTEGER + 1

SHELVES = st.sampled_from(["read", "READ", " read ", "to-read", "currently-reading", "dnf", ""])
TITLES = st.one_of(
    st.text(min_size=1, max_size=30),
    st.sampled_from(
        [
            "The Hunger Games (The Hunger Games, #1)",
            "Dune (Dune #2.5)",
            "Omnibus (Discworld, #1-3; Other #7)",
            "Ranges (X, #3-1)",
            "(Series, #1)",
            "Odd ((Nested, #1), #2)",
            "Huge (Big, #99999999999999999999)",
        ]
    ),
)
DATES = st.none() | st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2026, 5, 2))
SMALL_COUNTS = st.none() | st.integers(min_value=0, max_value=1_000)
STATUSES: list[EnrichmentStatus] = list(EnrichmentStatus)


@st.composite
def books(draw: st.DrawFn) -> list[Book]:
    count = draw(st.integers(min_value=0, max_value=20))
    drawn = []
    for row_number in range(1, count + 1):
        drawn.append(
            Book(
                book_id=f"row{row_number}",
                row_number=row_number,
                goodreads_id=draw(st.none() | st.integers(1, 10**20 - 1).map(str)),
                title=draw(TITLES),
                author=draw(st.text(max_size=12)),
                additional_authors=tuple(draw(st.lists(st.text(max_size=8), max_size=2))),
                my_rating=draw(st.none() | st.integers(min_value=1, max_value=5)),
                average_rating=draw(st.none() | st.floats(min_value=0.01, max_value=5.0)),
                pages=draw(st.none() | st.integers(min_value=1, max_value=100_000)),
                original_publication_year=draw(st.none() | st.integers(-9_999, 9_999)),
                date_read=draw(DATES),
                date_added=draw(DATES),
                bookshelves=tuple(draw(st.lists(st.text(max_size=10), max_size=3))),
                exclusive_shelf=draw(SHELVES),
                review_html=draw(st.none() | st.text(max_size=60) | st.just("<p>a<br/>b</p>")),
                spoiler=draw(st.booleans()),
                read_count=draw(SMALL_COUNTS),
                owned_copies=draw(SMALL_COUNTS),
            )
        )
    return drawn


@st.composite
def results(draw: st.DrawFn, books: list[Book]) -> dict[str, BookResult]:
    chosen = draw(st.lists(st.sampled_from(books), unique=True)) if books else []
    return {
        book.book_id: BookResult(
            job_id=JOB_ID,
            book_id=book.book_id,
            status=draw(st.sampled_from(STATUSES)),
            reason=draw(st.none() | st.text(max_size=10)),
            sources=tuple(draw(st.lists(st.sampled_from(["openlibrary", "google_books"])))),
            pages=draw(st.none() | st.integers(min_value=-5, max_value=100_000)),
            first_publish_year=draw(st.none() | st.integers(-9_999, 9_999)),
            genres=tuple(draw(st.lists(st.sampled_from(["Fantasy", "History", "Poetry"])))),
            fiction=draw(st.sampled_from([None, "fiction", "nonfiction"])),
            cover_url=draw(st.none() | st.sampled_from(["https://c/1.jpg", "http://c/2.jpg", "x"])),
            processed_at=MOMENT,
        )
        for book in chosen
    }


@examples(150)
@given(st.data())
def test_totals_equal_the_books(data: st.DataObject) -> None:
    library = data.draw(books())
    by_id = data.draw(results(library))
    manifest = JobManifest(
        job_id=JOB_ID, source_key="uploads/x/y.csv", created_at=MOMENT, header_variant="24",
        books=tuple(library),
    )  # fmt: skip

    dashboard = build_dashboard(manifest, by_id, generated_at=MOMENT)

    read = [book for book in library if is_read(book)]
    counts, summary = dashboard.counts, dashboard.summary
    assert [book.book_id for book in dashboard.books] == [book.book_id for book in library]
    assert counts.total == len(library)
    assert counts.enriched + counts.not_enriched == counts.total
    assert counts.enriched == sum(
        1 for r in by_id.values() if r.status == EnrichmentStatus.ENRICHED
    )
    assert counts.missing == len(library) - len(by_id) == len(dashboard.missing_book_ids)
    assert summary.books_read == len(read)
    pages = [effective_pages(book, by_id.get(book.book_id))[0] or 0 for book in read]
    assert summary.pages_read == sum(pages)
    assert summary.total_reads == sum(read_count(book) for book in read) < EXACT_IN_A_BROWSER
    dated = [book for book in read if book.date_read is not None]
    assert summary.undated_read_books == len(read) - len(dated)
    assert sum(point.books for point in dashboard.books_per_year) == len(dated)
    assert sum(point.books for point in dashboard.books_per_month) == len(dated)
    assert sum(point.pages for point in dashboard.books_per_year) == sum(
        point.pages for point in dashboard.books_per_month
    )
    assert {point.year for point in dashboard.books_per_year} == set(summary.reading_years)
    assert all(len(point.month) == 7 for point in dashboard.books_per_month)
    assert sum(bucket.books for bucket in dashboard.ratings) == len(read)
    assert sum(b.books for b in dashboard.ratings if b.rating is not None) == summary.rated_count
    assert sum(bucket.books for bucket in dashboard.page_buckets) == len(read)
    assert sum(bucket.books for bucket in dashboard.publication_decades) == len(read)
    split = dashboard.fiction_split
    assert split.fiction + split.nonfiction + split.unknown == len(read)
    exclusive = [shelf for shelf in dashboard.shelves if shelf.exclusive]
    assert sum(shelf.books for shelf in exclusive) == len(library)
    comparison = dashboard.rating_vs_community
    assert comparison.higher + comparison.lower + comparison.same == comparison.books
    to_read = dashboard.to_read
    assert to_read is not None
    assert to_read.books == Counter(book.exclusive_shelf for book in dashboard.books)["to-read"]
    assert sum(bucket.books for bucket in to_read.age_buckets) == to_read.books
    assert dashboard_decoder.decode(encode(dashboard)) == dashboard
    assert msgspec.json.decode(encode(dashboard))["counts"]["total"] == len(library)
