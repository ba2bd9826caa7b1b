"""Invariants the dashboard keeps on large synthetic exports (tests/support/exports.py):
the figures that partition the read books add up, and nothing is lost or invented."""

from __future__ import annotations

import datetime as dt

import pytest

from contracts.messages import BookResult, EnrichmentStatus, JobManifest
from services.aggregator.stats import build_dashboard
from tests.support.exports import synthetic_export

JOB_ID = "3e0d1c2b-7a6f-4e5d-8c9b-0a1f2e3d4c5b"
NOW = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
STATUSES: list[EnrichmentStatus] = list(EnrichmentStatus)


@pytest.mark.parametrize("variant", ["24", "23"])
def test_partitions_of_read_books_add_up_and_every_book_is_listed(variant: str) -> None:
    export = synthetic_export(600, seed=11, variant=variant)  # type: ignore[arg-type]
    books = tuple(export.books)
    manifest = JobManifest(
        job_id=JOB_ID, source_key="x", created_at=NOW, header_variant=variant, books=books
    )
    # Every seventh book has no result; the others cycle through every status.
    results = {
        book.book_id: BookResult(
            job_id=JOB_ID,
            book_id=book.book_id,
            status=STATUSES[index % len(STATUSES)],
            pages=100 + index,
            processed_at=NOW,
        )
        for index, book in enumerate(books)
        if index % 7
    }

    dashboard = build_dashboard(manifest, results, generated_at=NOW)
    summary = dashboard.summary
    read = summary.books_read

    assert [book.book_id for book in dashboard.books] == [book.book_id for book in books]
    assert dashboard.counts.missing == len(books) - len(results)
    assert dashboard.counts.enriched + dashboard.counts.not_enriched == len(books)
    assert sum(bucket.books for bucket in dashboard.ratings) == read
    assert sum(bucket.books for bucket in dashboard.ratings if bucket.rating) == summary.rated_count
    assert sum(bucket.books for bucket in dashboard.page_buckets) == read
    assert sum(bucket.books for bucket in dashboard.publication_decades) == read
    split = dashboard.fiction_split
    assert split.fiction + split.nonfiction + split.unknown == read
    per_year = dashboard.books_per_year
    assert sum(point.books for point in per_year) + summary.undated_read_books == read
    assert sum(p.books for p in dashboard.books_per_month) == sum(p.books for p in per_year)
    assert sum(p.pages for p in dashboard.books_per_month) == sum(p.pages for p in per_year)
    assert tuple(point.year for point in per_year) == summary.reading_years
    assert sum(shelf.books for shelf in dashboard.shelves if shelf.exclusive) == len(books)
    if variant == "23":
        assert dashboard.rating_vs_community.books == 0
    # Reviews were HTML with <br/> line breaks; none survives as markup.
    reviews = [book.review_text for book in dashboard.books if book.review_text]
    assert reviews
    assert not any("<br" in text or "<p>" in text for text in reviews)
