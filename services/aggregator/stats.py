"""The dashboard of one job, computed from its manifest and its per-book results.

A pure function of its inputs: no I/O, no clock. Every statistic is defined in README.md
beside this module; the definitions and this code change together.
"""

from __future__ import annotations

import datetime as dt
import statistics
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Literal

from contracts.books import Book
from contracts.dashboard import (
    AuthorStat,
    BookRef,
    Bucket,
    Counts,
    Dashboard,
    DashboardBook,
    FictionSplit,
    GenreStat,
    MonthPoint,
    RatingBucket,
    RatingComparison,
    ShelfStat,
    Summary,
    ToReadBook,
    ToReadPile,
    YearCount,
    YearPoint,
)
from contracts.messages import BookResult, EnrichmentStatus, JobManifest, JobStatus
from services.aggregator.review_text import review_html_to_text
from services.aggregator.series import series_stats

READ_SHELF = "read"
TO_READ_SHELF = "to-read"
TOP_TO_READ_GENRES_LIMIT = 10
# (label, age below this many days or None), in display order; books without a Date Added are
# "unknown".
TO_READ_AGE_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("under 1 month", 31),
    ("1-6 months", 183),
    ("6-12 months", 366),
    ("1-2 years", 731),
    ("2-5 years", 1827),
    ("5+ years", None),
)
# Goodreads' own exclusive shelves, listed in the dashboard even when empty.
STANDARD_EXCLUSIVE_SHELVES = ("read", "currently-reading", "to-read")
TOP_AUTHORS_LIMIT = 10
# Your rating counts as "same" as the community average when within this distance of it.
SAME_RATING_TOLERANCE = 0.5
UNKNOWN_LABEL = "unknown"
# (label, lowest page count, highest page count or None), in display order.
PAGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("1-99", 1, 99),
    ("100-199", 100, 199),
    ("200-299", 200, 299),
    ("300-399", 300, 399),
    ("400-499", 400, 499),
    ("500-699", 500, 699),
    ("700+", 700, None),
)
MISSING_REASON = (
    "no result arrived by the job's deadline (the book may be in the dead-letter queue)"
)
GOODREADS_BOOK_URL = "https://www.goodreads.com/book/show/{goodreads_id}"

PagesSource = Literal["export", "openlibrary", "google_books", "enrichment"]
EnrichmentLabel = Literal["enriched", "not_found", "failed", "skipped", "missing"]
_ENRICHMENT_LABELS: dict[EnrichmentStatus, EnrichmentLabel] = {
    EnrichmentStatus.ENRICHED: "enriched",
    EnrichmentStatus.NOT_FOUND: "not_found",
    EnrichmentStatus.FAILED: "failed",
    EnrichmentStatus.SKIPPED: "skipped",
}


def _mean(values: list[int] | list[float]) -> float | None:
    return round(statistics.fmean(values), 2) if values else None


def _clean_name(name: str) -> str:
    """Runs of white space collapsed: the export pads some author names."""
    return " ".join(name.split())


def _shelf_name(name: str) -> str:
    return _clean_name(name).lower()


def effective_pages(book: Book, result: BookResult | None) -> tuple[int | None, PagesSource | None]:
    """The export's page count when it has one, else enrichment's; 0 counts as unknown."""
    if book.pages is not None and book.pages > 0:
        return book.pages, "export"
    if result is not None and result.pages is not None and result.pages > 0:
        if len(result.sources) == 1 and result.sources[0] in ("openlibrary", "google_books"):
            source: PagesSource = (
                "openlibrary" if result.sources[0] == "openlibrary" else "google_books"
            )
            return result.pages, source
        return result.pages, "enrichment"
    return None, None


def publication_year(book: Book, result: BookResult | None) -> int | None:
    """The work's first publication: the export's Original Publication Year, else enrichment's."""
    if book.original_publication_year is not None:
        return book.original_publication_year
    return result.first_publish_year if result is not None else None


def read_count(book: Book) -> int:
    """How many times the book was read: Read Count, at least 1 for a book on the read shelf."""
    count = book.read_count if book.read_count is not None and book.read_count > 0 else 0
    if is_read(book):
        return max(count, 1)
    return count


def is_read(book: Book) -> bool:
    return _shelf_name(book.exclusive_shelf) == READ_SHELF


def _https_url(url: str | None) -> str | None:
    """Only absolute https URLs leave this module: a viewer loads covers without checking."""
    if not url:
        return None
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "https" or not parsed.hostname:
        return None
    return url


def _goodreads_url(goodreads_id: str | None) -> str | None:
    if goodreads_id is None or not goodreads_id.isascii() or not goodreads_id.isdigit():
        return None
    return GOODREADS_BOOK_URL.format(goodreads_id=goodreads_id)


def decade_label(year: int) -> str:
    """'1930s' for 1937; BCE years count back from year 0: -800 and -805 are '800s BCE'."""
    if year >= 0:
        return f"{year // 10 * 10}s"
    return f"{-year // 10 * 10}s BCE"


def _decade_sort_key(year: int) -> int:
    """The first year of the decade, so that BCE decades sort before CE ones, oldest first."""
    if year >= 0:
        return year // 10 * 10
    return -(-year // 10 * 10 + 9)


def _page_bucket_label(pages: int) -> str:
    for label, lowest, highest in PAGE_BUCKETS:
        if pages >= lowest and (highest is None or pages <= highest):
            return label
    raise AssertionError(f"page count {pages} fits no bucket")  # pages > 0 always fits


def _dashboard_book(
    book: Book, result: BookResult | None, review_text: str | None
) -> DashboardBook:
    pages, pages_source = effective_pages(book, result)
    reads = read_count(book)
    enrichment: EnrichmentLabel
    reason: str | None
    if result is None:
        enrichment, reason = "missing", MISSING_REASON
    else:
        enrichment = _ENRICHMENT_LABELS[result.status]
        reason = None if result.status == EnrichmentStatus.ENRICHED else result.reason
    return DashboardBook(
        book_id=book.book_id,
        goodreads_id=book.goodreads_id,
        goodreads_url=_goodreads_url(book.goodreads_id),
        title=book.title,
        author=_clean_name(book.author),
        additional_authors=book.additional_authors,
        isbn13=book.isbn13,
        exclusive_shelf=_shelf_name(book.exclusive_shelf),
        bookshelves=book.bookshelves,
        date_read=book.date_read,
        date_added=book.date_added,
        my_rating=book.my_rating,
        average_rating=book.average_rating,
        pages=pages,
        pages_source=pages_source,
        original_publication_year=publication_year(book, result),
        read_count=reads,
        reread=reads >= 2,
        genres=result.genres if result is not None else (),
        fiction=result.fiction if result is not None else None,
        raw_subjects=result.raw_subjects if result is not None else (),
        cover_url=_https_url(result.cover_url) if result is not None else None,
        has_review=review_text is not None,
        spoiler=book.spoiler,
        review_text=review_text,
        enrichment=enrichment,
        enrichment_reason=reason,
    )


def _per_period[
    Period: (int, str)
](read: list[DashboardBook], period_of: Callable[[dt.date], Period]) -> list[
    tuple[Period, int, int]
]:
    """Books and pages per period of Date Read, oldest first; undated books are in no period."""
    books: Counter[Period] = Counter()
    pages: Counter[Period] = Counter()
    for book in read:
        if book.date_read is not None:
            period = period_of(book.date_read)
            books[period] += 1
            pages[period] += book.pages or 0
    return [(period, books[period], pages[period]) for period in sorted(books)]


def _month_label(date: dt.date) -> str:
    """YYYY-MM, always four digits of year (strftime's %Y writes year 1 as "1")."""
    return f"{date.year:04d}-{date.month:02d}"


def _top_authors(read: list[DashboardBook]) -> tuple[AuthorStat, ...]:
    display: dict[str, str] = {}
    books: Counter[str] = Counter()
    pages: Counter[str] = Counter()
    ratings: dict[str, list[int]] = {}
    for book in read:
        if not book.author:
            continue
        key = book.author.casefold()
        display.setdefault(key, book.author)
        books[key] += 1
        pages[key] += book.pages or 0
        if book.my_rating is not None:
            ratings.setdefault(key, []).append(book.my_rating)
    ranked = sorted(books, key=lambda key: (-books[key], -pages[key], display[key].casefold()))
    return tuple(
        AuthorStat(
            author=display[key],
            books=books[key],
            pages=pages[key],
            average_rating=_mean(ratings.get(key, [])),
        )
        for key in ranked[:TOP_AUTHORS_LIMIT]
    )


def _shelves(books: Iterable[Book]) -> tuple[ShelfStat, ...]:
    exclusive: Counter[str] = Counter({name: 0 for name in STANDARD_EXCLUSIVE_SHELVES})
    tags: Counter[str] = Counter()
    book_list = list(books)
    for book in book_list:
        exclusive[_shelf_name(book.exclusive_shelf)] += 1
    for book in book_list:
        # Goodreads lists to-read and currently-reading in Bookshelves too: count them once.
        for name in {_shelf_name(shelf) for shelf in book.bookshelves} - exclusive.keys():
            if name:
                tags[name] += 1
    custom = sorted(
        (name for name in exclusive if name not in STANDARD_EXCLUSIVE_SHELVES),
        key=lambda name: (-exclusive[name], name),
    )
    return (
        *(
            ShelfStat(shelf=name, exclusive=True, books=exclusive[name])
            for name in (*STANDARD_EXCLUSIVE_SHELVES, *custom)
        ),
        *(
            ShelfStat(shelf=name, exclusive=False, books=tags[name])
            for name in sorted(tags, key=lambda name: (-tags[name], name))
        ),
    )


def _book_ref(book: DashboardBook) -> BookRef:
    assert book.pages is not None
    return BookRef(book_id=book.book_id, title=book.title, author=book.author, pages=book.pages)


def _rating_comparison(read: list[DashboardBook]) -> RatingComparison:
    pairs = [
        (book.my_rating, book.average_rating)
        for book in read
        if book.my_rating is not None and book.average_rating is not None
    ]
    differences = [mine - community for mine, community in pairs]
    return RatingComparison(
        books=len(pairs),
        your_average=_mean([mine for mine, _ in pairs]),
        community_average=_mean([community for _, community in pairs]),
        higher=sum(1 for difference in differences if difference > SAME_RATING_TOLERANCE),
        lower=sum(1 for difference in differences if difference < -SAME_RATING_TOLERANCE),
        same=sum(1 for difference in differences if abs(difference) <= SAME_RATING_TOLERANCE),
    )


def _age_bucket_label(age_days: int) -> str:
    for label, below in TO_READ_AGE_BUCKETS:
        if below is None or age_days < below:
            return label
    raise AssertionError("the last bucket has no bound")


def _to_read_pile(books: list[DashboardBook]) -> ToReadPile:
    """The to-read shelf as of the export: ages count to its latest Date Added or Date Read."""
    pile = [book for book in books if book.exclusive_shelf == TO_READ_SHELF]
    known_dates = [
        date for book in books for date in (book.date_added, book.date_read) if date is not None
    ]
    as_of = max(known_dates, default=None)
    ages = sorted(
        (as_of - book.date_added).days
        for book in pile
        if as_of is not None and book.date_added is not None
    )
    dated = [book for book in pile if book.date_added is not None]
    oldest = min(dated, key=lambda book: (book.date_added, book.book_id), default=None)
    added_per_year = Counter(book.date_added.year for book in dated if book.date_added)
    age_counts = Counter(_age_bucket_label(age) for age in ages)
    genre_counts = Counter(genre for book in pile for genre in dict.fromkeys(book.genres))
    return ToReadPile(
        books=len(pile),
        pages=sum(book.pages or 0 for book in pile),
        unknown_pages=sum(1 for book in pile if book.pages is None),
        as_of=as_of,
        median_age_days=statistics.median_low(ages) if ages else None,
        oldest=(
            ToReadBook(
                book_id=oldest.book_id,
                title=oldest.title,
                author=oldest.author,
                date_added=oldest.date_added,
            )
            if oldest is not None
            else None
        ),
        added_per_year=tuple(
            YearCount(year=year, books=count) for year, count in sorted(added_per_year.items())
        ),
        age_buckets=(
            *(Bucket(label=label, books=age_counts[label]) for label, _ in TO_READ_AGE_BUCKETS),
            Bucket(label=UNKNOWN_LABEL, books=len(pile) - len(ages)),
        ),
        top_genres=tuple(
            GenreStat(genre=genre, books=count)
            for genre, count in sorted(genre_counts.items(), key=lambda item: (-item[1], item[0]))[
                :TOP_TO_READ_GENRES_LIMIT
            ]
        ),
    )


def build_dashboard(
    manifest: JobManifest,
    results_by_book_id: Mapping[str, BookResult],
    *,
    generated_at: dt.datetime,
) -> Dashboard:
    """The dashboard of a job. Results are matched to books by book id; results for ids the
    manifest does not have are ignored. A book without a result is missing, and a job with a
    missing book is PARTIAL."""
    ordered = sorted(manifest.books, key=lambda book: book.row_number)
    entries: list[tuple[Book, DashboardBook]] = []
    for book in ordered:
        result = results_by_book_id.get(book.book_id)
        entries.append((book, _dashboard_book(book, result, review_html_to_text(book.review_html))))
    books = [entry for _, entry in entries]
    read = [entry for source, entry in entries if is_read(source)]

    missing_ids = tuple(book.book_id for book in books if book.enrichment == "missing")
    enriched = sum(1 for book in books if book.enrichment == "enriched")
    dated = [book.date_read for book in read if book.date_read is not None]
    rated = [book.my_rating for book in read if book.my_rating is not None]
    rating_counts = Counter(book.my_rating for book in read)
    genre_counts = Counter(genre for book in read for genre in dict.fromkeys(book.genres))
    fiction_counts = Counter(book.fiction for book in read)
    with_pages = [book for book in read if book.pages is not None]
    page_buckets = Counter(
        _page_bucket_label(book.pages) if book.pages is not None else UNKNOWN_LABEL for book in read
    )
    years = [book.original_publication_year for book in read]
    known_years = sorted((year for year in years if year is not None), key=_decade_sort_key)
    decade_counts = Counter(decade_label(year) for year in known_years)

    return Dashboard(
        job_id=manifest.job_id,
        generated_at=generated_at,
        status=JobStatus.PARTIAL if missing_ids else JobStatus.COMPLETE,
        counts=Counts(
            total=len(books),
            enriched=enriched,
            not_enriched=len(books) - enriched,
            missing=len(missing_ids),
            rejected=len(manifest.rejected),
        ),
        missing_book_ids=missing_ids,
        summary=Summary(
            books_read=len(read),
            pages_read=sum(book.pages or 0 for book in read),
            average_rating=_mean(rated),
            rated_count=len(rated),
            unique_authors=len({book.author.casefold() for book in read if book.author}),
            first_read_date=min(dated, default=None),
            last_read_date=max(dated, default=None),
            reading_years=tuple(sorted({date.year for date in dated})),
            enrichment_coverage=round(enriched / len(books), 4) if books else 0.0,
            undated_read_books=len(read) - len(dated),
            reread_books=sum(1 for book in read if book.reread),
            total_reads=sum(book.read_count for book in read),
        ),
        books_per_year=tuple(
            YearPoint(year=year, books=count, pages=pages)
            for year, count, pages in _per_period(read, lambda date: date.year)
        ),
        books_per_month=tuple(
            MonthPoint(month=month, books=count, pages=pages)
            for month, count, pages in _per_period(read, _month_label)
        ),
        ratings=tuple(
            RatingBucket(rating=rating, books=rating_counts[rating])
            for rating in (1, 2, 3, 4, 5, None)
        ),
        top_authors=_top_authors(read),
        genres=tuple(
            GenreStat(genre=genre, books=count)
            for genre, count in sorted(genre_counts.items(), key=lambda item: (-item[1], item[0]))
        ),
        fiction_split=FictionSplit(
            fiction=fiction_counts["fiction"],
            nonfiction=fiction_counts["nonfiction"],
            unknown=fiction_counts[None],
        ),
        page_buckets=tuple(
            Bucket(label=label, books=page_buckets[label])
            for label in (*(label for label, _, _ in PAGE_BUCKETS), UNKNOWN_LABEL)
        ),
        publication_decades=(
            *(Bucket(label=label, books=count) for label, count in decade_counts.items()),
            Bucket(label=UNKNOWN_LABEL, books=sum(1 for year in years if year is None)),
        ),
        shelves=_shelves(source for source, _ in entries),
        longest_book=(
            _book_ref(min(with_pages, key=lambda book: -(book.pages or 0))) if with_pages else None
        ),
        shortest_book=(
            _book_ref(min(with_pages, key=lambda book: book.pages or 0)) if with_pages else None
        ),
        rating_vs_community=_rating_comparison(read),
        books=tuple(books),
        rejected_rows=manifest.rejected,
        warnings_count=len(manifest.warnings),
        series=series_stats(
            (book.book_id, book.title, is_read(source)) for source, book in entries
        ),
        to_read=_to_read_pile(books),
    )
