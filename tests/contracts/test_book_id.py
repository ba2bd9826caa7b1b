"""Book identity: stable for the same file, unique within a job, whatever the rows repeat."""

from __future__ import annotations

from contracts.books import BOOK_ID_PATTERN, make_book_id
from services.orchestrator.parser import parse_export
from tests.support.exports import render_csv, synthetic_export


def test_a_valid_goodreads_id_is_the_book_id() -> None:
    assert make_book_id("2767052", 1, set()) == "gr2767052"


def test_a_repeated_goodreads_id_falls_back_to_the_row_number() -> None:
    seen: set[str] = set()
    assert make_book_id("2767052", 1, seen) == "gr2767052"
    assert make_book_id("2767052", 9, seen) == "row9"


def test_a_missing_or_unusable_goodreads_id_falls_back_to_the_row_number() -> None:
    seen: set[str] = set()
    assert make_book_id(None, 3, seen) == "row3"
    assert make_book_id("", 4, seen) == "row4"
    assert make_book_id("12ab", 5, seen) == "row5"
    assert make_book_id("1" * 21, 6, seen) == "row6"
    assert make_book_id("../../etc", 7, seen) == "row7"
    assert seen == {"row3", "row4", "row5", "row6", "row7"}


def test_repeated_titles_missing_isbns_and_duplicate_book_ids_never_share_an_id() -> None:
    export = synthetic_export(3000, seed=11, duplicate_id_rate=0.05, reject_rate=0.01)
    books = parse_export(export.data).books
    titles = [book.title for book in books]
    assert len(set(titles)) < len(titles), "the export repeats titles"
    assert any(book.isbn13 is None and book.isbn10 is None for book in books)
    assert len({book.goodreads_id for book in books}) < len(books), "and Book Ids"

    ids = [book.book_id for book in books]
    assert len(set(ids)) == len(ids)
    assert all(BOOK_ID_PATTERN.match(book_id) for book_id in ids)
    assert ids == [book.book_id for book in export.books]


def test_books_that_are_identical_in_every_column_still_get_distinct_ids() -> None:
    export = synthetic_export(1, seed=3)
    data = render_csv(export.rows * 4)  # the same row four times, Book Id included
    assert [book.book_id for book in parse_export(data).books] == [
        f"gr{export.rows[0].cells['Book Id']}",
        "row2",
        "row3",
        "row4",
    ]


def test_the_same_file_parsed_twice_gives_the_same_ids() -> None:
    export = synthetic_export(500, seed=5, duplicate_id_rate=0.1, problem_rate=0.1)
    first = [book.book_id for book in parse_export(export.data).books]
    second = [book.book_id for book in parse_export(export.data).books]
    assert first == second


def test_rejected_rows_do_not_consume_a_book_id() -> None:
    export = synthetic_export(400, seed=8, reject_rate=0.2)
    parsed = parse_export(export.data)
    rejected_rows = {row.row_number for row in parsed.rejected}
    assert rejected_rows == set(export.rejected_row_numbers)
    assert not {f"row{number}" for number in rejected_rows} & {b.book_id for b in parsed.books}
