"""The dashboard JSON a job produces, version 1. Every statistic is defined in README.md."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from contracts.messages import TAG_FIELD, JobStatus, RejectedRow

DASHBOARD_SCHEMA_VERSION = "dashboard.v1"


class Counts(msgspec.Struct, frozen=True, kw_only=True):
    total: int  # books in the export (rejected rows excluded)
    enriched: int
    not_enriched: int  # not found, failed, skipped or missing
    missing: int  # no result by the deadline (for example, in the DLQ)
    rejected: int  # rows that could not become books


class Summary(msgspec.Struct, frozen=True, kw_only=True):
    books_read: int
    pages_read: int
    average_rating: float | None
    rated_count: int
    unique_authors: int
    first_read_date: dt.date | None
    last_read_date: dt.date | None
    reading_years: tuple[int, ...]
    enrichment_coverage: float  # enriched / total, 0.0 for an empty library
    undated_read_books: int
    reread_books: int
    total_reads: int


class YearPoint(msgspec.Struct, frozen=True, kw_only=True):
    year: int
    books: int
    pages: int


class MonthPoint(msgspec.Struct, frozen=True, kw_only=True):
    month: str  # "YYYY-MM"
    books: int
    pages: int


class RatingBucket(msgspec.Struct, frozen=True, kw_only=True):
    rating: int | None  # 1-5, None for unrated
    books: int


class AuthorStat(msgspec.Struct, frozen=True, kw_only=True):
    author: str
    books: int
    pages: int
    average_rating: float | None


class GenreStat(msgspec.Struct, frozen=True, kw_only=True):
    genre: str
    books: int


class FictionSplit(msgspec.Struct, frozen=True, kw_only=True):
    fiction: int
    nonfiction: int
    unknown: int


class Bucket(msgspec.Struct, frozen=True, kw_only=True):
    label: str
    books: int


class ShelfStat(msgspec.Struct, frozen=True, kw_only=True):
    shelf: str
    exclusive: bool  # an exclusive shelf (read, to-read, dnf…) or a tag-like one
    books: int


class BookRef(msgspec.Struct, frozen=True, kw_only=True):
    book_id: str
    title: str
    author: str
    pages: int


class RatingComparison(msgspec.Struct, frozen=True, kw_only=True):
    books: int  # read books with both your rating and a community average
    your_average: float | None
    community_average: float | None
    higher: int  # you rated above the community average
    lower: int
    same: int  # within 0.5 of it


class DashboardBook(msgspec.Struct, frozen=True, kw_only=True):
    book_id: str
    goodreads_id: str | None
    goodreads_url: str | None
    title: str
    author: str
    additional_authors: tuple[str, ...]
    isbn13: str | None
    exclusive_shelf: str
    bookshelves: tuple[str, ...]
    date_read: dt.date | None
    date_added: dt.date | None
    my_rating: int | None
    average_rating: float | None
    pages: int | None
    pages_source: Literal["export", "openlibrary", "google_books", "enrichment"] | None
    original_publication_year: int | None
    read_count: int
    reread: bool
    genres: tuple[str, ...]
    fiction: Literal["fiction", "nonfiction"] | None
    raw_subjects: tuple[str, ...]
    cover_url: str | None
    has_review: bool
    spoiler: bool
    review_text: str | None  # HTML stripped to plain text; safe to show as text
    # An EnrichmentStatus value, or "missing" when no result arrived by the deadline.
    enrichment: Literal["enriched", "not_found", "failed", "skipped", "missing"]
    enrichment_reason: str | None


class SeriesBook(msgspec.Struct, frozen=True, kw_only=True):
    book_id: str
    number: str  # as the title writes it: "3", "2.5", "1-3" (an omnibus)
    read: bool


class SeriesStat(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    books: tuple[SeriesBook, ...]  # every book of the series in the library, by number
    read: tuple[str, ...]  # the numbers read, ascending
    skipped: tuple[int, ...]  # whole numbers below the highest read that were not read
    status: Literal["finished", "in_progress", "not_started"]


class YearCount(msgspec.Struct, frozen=True, kw_only=True):
    year: int
    books: int


class ToReadBook(msgspec.Struct, frozen=True, kw_only=True):
    book_id: str
    title: str
    author: str
    date_added: dt.date | None


class ToReadPile(msgspec.Struct, frozen=True, kw_only=True):
    books: int
    pages: int  # the books' known pages
    unknown_pages: int  # books whose pages are unknown
    as_of: dt.date | None  # the export's latest Date Added or Date Read: ages count to it
    median_age_days: int | None
    oldest: ToReadBook | None
    added_per_year: tuple[YearCount, ...]  # by Date Added, oldest first
    age_buckets: tuple[Bucket, ...]
    top_genres: tuple[GenreStat, ...]


class Dashboard(
    msgspec.Struct, frozen=True, kw_only=True, tag=DASHBOARD_SCHEMA_VERSION, tag_field=TAG_FIELD
):
    job_id: str
    generated_at: dt.datetime
    status: JobStatus
    counts: Counts
    missing_book_ids: tuple[str, ...]
    summary: Summary
    books_per_year: tuple[YearPoint, ...]
    books_per_month: tuple[MonthPoint, ...]
    ratings: tuple[RatingBucket, ...]
    top_authors: tuple[AuthorStat, ...]
    genres: tuple[GenreStat, ...]
    fiction_split: FictionSplit
    page_buckets: tuple[Bucket, ...]
    publication_decades: tuple[Bucket, ...]
    shelves: tuple[ShelfStat, ...]
    longest_book: BookRef | None
    shortest_book: BookRef | None
    rating_vs_community: RatingComparison
    books: tuple[DashboardBook, ...]
    rejected_rows: tuple[RejectedRow, ...] = ()
    warnings_count: int = 0
    series: tuple[SeriesStat, ...] = ()
    to_read: ToReadPile | None = None
