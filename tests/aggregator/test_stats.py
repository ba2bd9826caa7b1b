"""The dashboard's statistics, checked against figures worked out by hand for library.py.

Read books (exclusive shelf `read`): gr101, gr102, gr103, gr104, gr105, gr106, row10, gr111,
gr112 (nine). Their pages (export, else enrichment; 0 is unknown):
  gr101 310, gr102 423, gr103 443 (Google Books), gr104 612, gr105 541, gr106 334,
  row10 unknown, gr111 474, gr112 96 (enrichment, two sources).
"""

from __future__ import annotations

import datetime as dt

import msgspec

from contracts.codec import dashboard_decoder, encode
from contracts.dashboard import (
    AuthorStat,
    BookRef,
    Bucket,
    Counts,
    Dashboard,
    FictionSplit,
    GenreStat,
    MonthPoint,
    RatingBucket,
    RatingComparison,
    ShelfStat,
    Summary,
    YearPoint,
)
from contracts.messages import BookResult, EnrichmentStatus, JobStatus
from services.aggregator.stats import (
    MISSING_REASON,
    TOP_AUTHORS_LIMIT,
    build_dashboard,
    decade_label,
)
from tests.aggregator.library import (
    BOOKS,
    GENERATED_AT,
    JOB_ID,
    MISSING_IDS,
    PROCESSED_AT,
    RESULTS,
    manifest,
    results_by_id,
)


def _dashboard() -> Dashboard:
    return build_dashboard(manifest(), results_by_id(), generated_at=GENERATED_AT)


def _book(dashboard: Dashboard, book_id: str):  # type: ignore[no-untyped-def]
    return next(book for book in dashboard.books if book.book_id == book_id)


def test_header_names_the_job_time_status_and_counts() -> None:
    dashboard = _dashboard()
    assert dashboard.job_id == JOB_ID
    assert dashboard.generated_at == GENERATED_AT
    assert encode(dashboard).startswith(b'{"type":"dashboard.v1"')
    # Enriched: gr101 gr102 gr103 gr105 gr107 gr109 gr112. Not: gr104 (not found), gr106
    # (failed), row10 (skipped), gr108 and gr111 (missing).
    assert dashboard.counts == Counts(total=12, enriched=7, not_enriched=5, missing=2, rejected=1)
    assert dashboard.status == JobStatus.PARTIAL
    assert dashboard.missing_book_ids == MISSING_IDS
    assert dashboard.warnings_count == 2
    assert [row.row_number for row in dashboard.rejected_rows] == [13]


def test_summary_matches_the_hand_computed_figures() -> None:
    assert _dashboard().summary == Summary(
        books_read=9,
        # 310 + 423 + 443 + 612 + 541 + 334 + 474 + 96 (row10 has no page count)
        pages_read=3233,
        # rated read books: 5 4 3 2 5 4 4 3 -> 30 / 8 (gr104 is unrated; dnf's 1 is not read)
        average_rating=3.75,
        rated_count=8,
        # Tolkien (spelled twice, once with two spaces), Harari, Herbert, Homer, Westover,
        # anon, Austen, Unknown
        unique_authors=8,
        first_read_date=dt.date(2021, 3, 5),
        last_read_date=dt.date(2023, 12, 31),
        reading_years=(2021, 2022, 2023),
        enrichment_coverage=0.5833,  # 7 / 12
        undated_read_books=1,  # gr104
        reread_books=2,  # gr101 (2 reads), gr104 (3 reads)
        # 2 + 1 + 1 + 3 + 1 (gr105: no Read Count, read once) + 1 + 1 + 1 + 1
        total_reads=12,
    )


def test_books_and_pages_per_year_and_month_use_date_read_and_skip_undated_books() -> None:
    dashboard = _dashboard()
    assert dashboard.books_per_year == (
        YearPoint(year=2021, books=3, pages=829),  # gr101 310 + gr102 423 + gr112 96
        YearPoint(year=2022, books=2, pages=984),  # gr103 443 + gr105 541
        YearPoint(year=2023, books=3, pages=808),  # gr106 334 + row10 (unknown) + gr111 474
    )
    assert dashboard.books_per_month == (
        MonthPoint(month="2021-03", books=2, pages=733),
        MonthPoint(month="2021-11", books=1, pages=96),
        MonthPoint(month="2022-01", books=2, pages=984),
        MonthPoint(month="2023-07", books=2, pages=334),
        MonthPoint(month="2023-12", books=1, pages=474),
    )
    # The undated gr104 (612 pages) is in the totals but in no year.
    assert sum(point.books for point in dashboard.books_per_year) == 8
    assert dashboard.summary.pages_read - sum(p.pages for p in dashboard.books_per_year) == 612


def test_rating_distribution_counts_read_books_from_1_to_5_then_unrated() -> None:
    assert _dashboard().ratings == (
        RatingBucket(rating=1, books=0),  # the 1-star book is on dnf, not read
        RatingBucket(rating=2, books=1),
        RatingBucket(rating=3, books=2),
        RatingBucket(rating=4, books=3),
        RatingBucket(rating=5, books=2),
        RatingBucket(rating=None, books=1),
    )


def test_top_authors_merge_spellings_and_rank_by_books_then_pages() -> None:
    assert _dashboard().top_authors == (
        AuthorStat(author="J.R.R. Tolkien", books=2, pages=733, average_rating=4.5),
        AuthorStat(author="Frank Herbert", books=1, pages=612, average_rating=None),
        AuthorStat(author="Homer", books=1, pages=541, average_rating=2.0),
        AuthorStat(author="Jane Austen", books=1, pages=474, average_rating=4.0),
        AuthorStat(author="Yuval Noah Harari", books=1, pages=443, average_rating=3.0),
        AuthorStat(author="Tara Westover", books=1, pages=334, average_rating=5.0),
        AuthorStat(author="Unknown", books=1, pages=96, average_rating=3.0),
        AuthorStat(author="anon", books=1, pages=0, average_rating=4.0),
    )


def test_top_authors_are_capped() -> None:
    books = tuple(
        msgspec.structs.replace(BOOKS[0], book_id=f"a{n}", row_number=n, author=f"Author {n:02d}")
        for n in range(1, TOP_AUTHORS_LIMIT + 3)
    )
    dashboard = build_dashboard(manifest(books), {}, generated_at=GENERATED_AT)
    assert len(dashboard.top_authors) == TOP_AUTHORS_LIMIT
    # All tie on books and pages: alphabetical.
    assert dashboard.top_authors[0].author == "Author 01"


def test_genres_and_fiction_split_count_read_books_once_per_genre() -> None:
    dashboard = _dashboard()
    assert dashboard.genres == (
        GenreStat(genre="Classics", books=2),  # gr105, gr112
        GenreStat(genre="Fantasy", books=2),  # gr101, gr102
        GenreStat(genre="Poetry", books=2),  # gr105, gr112 (listed twice there, counted once)
        GenreStat(genre="Adventure", books=1),
        GenreStat(genre="History", books=1),
    )
    # fiction: gr101 gr102 gr105; nonfiction: gr103; unknown: gr104 gr106 row10 gr111 gr112
    assert dashboard.fiction_split == FictionSplit(fiction=3, nonfiction=1, unknown=5)


def test_page_buckets_cover_every_read_book_with_unknown_last() -> None:
    assert _dashboard().page_buckets == (
        Bucket(label="1-99", books=1),  # gr112 96
        Bucket(label="100-199", books=0),
        Bucket(label="200-299", books=0),
        Bucket(label="300-399", books=2),  # 310, 334
        Bucket(label="400-499", books=3),  # 423, 443, 474
        Bucket(label="500-699", books=2),  # 541, 612
        Bucket(label="700+", books=0),  # the 1,079-page book is on dnf
        Bucket(label="unknown", books=1),  # row10
    )


def test_publication_decades_run_oldest_first_from_bce_with_unknown_last() -> None:
    assert _dashboard().publication_decades == (
        Bucket(label="800s BCE", books=1),  # the Odyssey, -800
        Bucket(label="1000s", books=1),  # gr112: enrichment's first publication year
        Bucket(label="1810s", books=1),
        Bucket(label="1930s", books=1),
        Bucket(label="1950s", books=1),
        Bucket(label="1960s", books=1),
        Bucket(label="2010s", books=2),  # gr103 (enrichment's 2011), gr106 2018
        Bucket(label="unknown", books=1),  # row10
    )


def test_month_labels_always_have_four_digits_of_year() -> None:
    # The parser ignores dates before 1900 (issue 14, bug 4), but a manifest is a contract the
    # builder reads as it is: strftime's %Y would write year 1 as "1" and the month "1-01".
    book = msgspec.structs.replace(BOOKS[0], date_read=dt.date(1, 1, 1))
    old = msgspec.structs.replace(manifest(), books=(book,))

    dashboard = build_dashboard(old, {}, generated_at=GENERATED_AT)

    assert [point.month for point in dashboard.books_per_month] == ["0001-01"]


def test_decade_labels() -> None:
    assert [decade_label(year) for year in (1937, 2000, 9, 0, -1, -800, -805, -812)] == [
        "1930s",
        "2000s",
        "0s",
        "0s",
        "0s BCE",
        "800s BCE",
        "800s BCE",
        "810s BCE",
    ]


def test_shelves_list_standard_then_custom_exclusive_shelves_then_tags_counted_once() -> None:
    assert _dashboard().shelves == (
        ShelfStat(shelf="read", exclusive=True, books=9),
        ShelfStat(shelf="currently-reading", exclusive=True, books=1),
        ShelfStat(shelf="to-read", exclusive=True, books=1),
        ShelfStat(shelf="dnf", exclusive=True, books=1),
        # to-read, currently-reading and dnf also appear in Bookshelves: not tags.
        ShelfStat(shelf="classics", exclusive=False, books=3),  # gr105 gr107 gr111
        ShelfStat(shelf="favorites", exclusive=False, books=3),  # gr101 row10 gr111
        ShelfStat(shelf="nonfiction", exclusive=False, books=3),  # gr103 gr106 gr108
        ShelfStat(shelf="fantasy", exclusive=False, books=2),
        ShelfStat(shelf="memoir", exclusive=False, books=1),
    )


def test_longest_and_shortest_read_books() -> None:
    dashboard = _dashboard()
    assert dashboard.longest_book == BookRef(
        book_id="gr104", title="Dune", author="Frank Herbert", pages=612
    )
    assert dashboard.shortest_book == BookRef(
        book_id="gr112", title="Beowulf", author="Unknown", pages=96
    )


def test_rating_against_the_community_average() -> None:
    # mine - community: gr101 +0.72 higher, gr102 -0.38 same, gr103 -1.39 lower,
    # gr105 -1.79 lower, gr106 +0.53 higher, gr111 -0.02 same, gr112 -0.45 same.
    # gr104 is unrated and row10 has no community average.
    assert _dashboard().rating_vs_community == RatingComparison(
        books=7,
        your_average=3.71,  # 26 / 7
        community_average=4.11,  # 28.78 / 7
        higher=2,
        lower=2,
        same=3,
    )


def test_every_book_is_listed_in_export_order_with_what_a_viewer_needs() -> None:
    dashboard = _dashboard()
    assert [book.book_id for book in dashboard.books] == [book.book_id for book in BOOKS]
    hobbit = _book(dashboard, "gr101")
    assert hobbit.goodreads_url == "https://www.goodreads.com/book/show/101"
    assert hobbit.isbn13 == "9780547928227"
    assert (hobbit.pages, hobbit.pages_source) == (310, "export")  # the export wins over 300
    assert (hobbit.read_count, hobbit.reread) == (2, True)
    assert hobbit.genres == ("Fantasy",) and hobbit.fiction == "fiction"
    assert hobbit.raw_subjects == ("Fantasy fiction", "Hobbits")
    assert hobbit.cover_url == "https://covers.openlibrary.org/b/id/1-M.jpg"
    assert (hobbit.has_review, hobbit.spoiler) == (True, False)
    assert hobbit.review_text == "Loved it\nagain & again"
    assert (hobbit.enrichment, hobbit.enrichment_reason) == ("enriched", None)

    assert _book(dashboard, "gr102").author == "J.R.R. Tolkien"
    assert _book(dashboard, "gr102").cover_url is None  # http is never passed on
    sapiens = _book(dashboard, "gr103")
    assert (sapiens.pages, sapiens.pages_source) == (443, "google_books")
    assert sapiens.original_publication_year == 2011
    beowulf = _book(dashboard, "gr112")
    assert (beowulf.pages, beowulf.pages_source) == (96, "enrichment")
    assert beowulf.cover_url is None  # javascript: URL dropped
    assert (beowulf.enrichment, beowulf.enrichment_reason) == ("enriched", None)
    zine = _book(dashboard, "row10")
    assert zine.goodreads_id is None and zine.goodreads_url is None
    assert (zine.has_review, zine.review_text, zine.spoiler) == (False, None, True)
    assert (zine.enrichment, zine.enrichment_reason) == ("skipped", "enrichment switched off")
    assert _book(dashboard, "gr104").enrichment_reason == "no source knew the book"
    assert _book(dashboard, "gr106").enrichment == "failed"
    odyssey = _book(dashboard, "gr105")
    assert (odyssey.read_count, odyssey.reread) == (1, False)  # no Read Count, on read
    assert _book(dashboard, "gr107").read_count == 0


def test_missing_books_keep_their_export_data_and_say_why_they_are_not_enriched() -> None:
    dashboard = _dashboard()
    emma = _book(dashboard, "gr111")
    assert (emma.title, emma.author, emma.pages, emma.my_rating) == ("Emma", "Jane Austen", 474, 4)
    assert emma.date_read == dt.date(2023, 12, 31)
    assert emma.bookshelves == ("classics", "favorites")
    assert (emma.enrichment, emma.enrichment_reason) == ("missing", MISSING_REASON)
    assert emma.genres == () and emma.cover_url is None
    thinking = _book(dashboard, "gr108")
    assert (thinking.enrichment, thinking.exclusive_shelf) == ("missing", "currently-reading")


def test_results_are_matched_by_book_id_not_by_position() -> None:
    reversed_results = {result.book_id: result for result in reversed(RESULTS)}
    shuffled_books = tuple(reversed(BOOKS))
    dashboard = build_dashboard(
        manifest(shuffled_books), reversed_results, generated_at=GENERATED_AT
    )
    assert dashboard == _dashboard()


def test_results_for_books_the_manifest_does_not_have_are_ignored() -> None:
    stranger = BookResult(
        job_id=JOB_ID,
        book_id="gr999",
        status=EnrichmentStatus.ENRICHED,
        genres=("Horror",),
        processed_at=PROCESSED_AT,
    )
    results = results_by_id() | {"gr999": stranger}
    dashboard = build_dashboard(manifest(), results, generated_at=GENERATED_AT)
    assert dashboard == _dashboard()


def test_a_job_whose_books_all_have_results_is_complete() -> None:
    books = tuple(book for book in BOOKS if book.book_id not in MISSING_IDS)
    dashboard = build_dashboard(manifest(books), results_by_id(), generated_at=GENERATED_AT)
    assert dashboard.status == JobStatus.COMPLETE
    assert dashboard.missing_book_ids == ()
    assert dashboard.counts.missing == 0


def test_an_empty_library_has_a_complete_empty_dashboard() -> None:
    dashboard = build_dashboard(manifest(()), {}, generated_at=GENERATED_AT)
    assert dashboard.status == JobStatus.COMPLETE
    assert dashboard.counts == Counts(total=0, enriched=0, not_enriched=0, missing=0, rejected=1)
    assert dashboard.summary.books_read == 0
    assert dashboard.summary.average_rating is None
    assert dashboard.summary.enrichment_coverage == 0.0
    assert dashboard.summary.first_read_date is None
    assert [bucket.books for bucket in dashboard.ratings] == [0] * 6
    assert dashboard.publication_decades == (Bucket(label="unknown", books=0),)
    assert [(shelf.shelf, shelf.books) for shelf in dashboard.shelves] == [
        ("read", 0),
        ("currently-reading", 0),
        ("to-read", 0),
    ]
    assert dashboard.longest_book is None and dashboard.shortest_book is None
    assert dashboard.rating_vs_community.books == 0
    assert dashboard.rating_vs_community.your_average is None
    assert dashboard.books == ()


def test_the_dashboard_round_trips_through_its_contract() -> None:
    dashboard = _dashboard()
    assert dashboard_decoder.decode(encode(dashboard)) == dashboard


def test_ties_for_longest_and_shortest_go_to_the_earlier_row() -> None:
    books = (
        msgspec.structs.replace(BOOKS[0], book_id="a", row_number=1, pages=300),
        msgspec.structs.replace(BOOKS[0], book_id="b", row_number=2, pages=300),
    )
    dashboard = build_dashboard(manifest(books), {}, generated_at=GENERATED_AT)
    assert dashboard.longest_book is not None and dashboard.longest_book.book_id == "a"
    assert dashboard.shortest_book is not None and dashboard.shortest_book.book_id == "a"
