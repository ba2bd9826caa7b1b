"""Properties of the export parser, for any input (services/orchestrator/parser.py).

- Any bytes: a parse returns, or raises `ExportRejected` with a message; never anything else.
- Every data row is accounted for: books + rejected rows = the file's data rows.
- Book ids are unique, safe for storage keys, and the same on every parse of the same file.
- The result does not depend on how many rows are cleaned together (bulk and single paths
  agree), and a column's bulk reader agrees with its value-by-value reader.
- What a book keeps is within the documented limits; a warning is short and names its row.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import example, given
from hypothesis import strategies as st

from contracts.books import BOOK_ID_PATTERN
from services.orchestrator.column_readers import BULK_READERS, CACHED_READERS
from services.orchestrator.dates import EARLIEST_DATE
from services.orchestrator.export_format import (
    MAX_OWNED_COPIES,
    MAX_PAGES,
    MAX_READ_COUNT,
    MAX_YEAR,
    MIN_YEAR,
)
from services.orchestrator.parser import ExportRejected, ParsedExport, parse_export
from tests.fuzz.profiles import examples
from tests.fuzz.strategies import data_rows, export_csv, mangled_export

UPLOADED_ON = dt.date(2026, 5, 1)
LONGEST_MESSAGE = 300


def _parse(data: bytes, chunk_rows: int = 256) -> ParsedExport | ExportRejected:
    try:
        return parse_export(data, uploaded_on=UPLOADED_ON, chunk_rows=chunk_rows)
    except ExportRejected as rejected:
        return rejected


@examples(300)
@given(st.binary(max_size=3_000))
@example(b"")
@example(b"\xef\xbb\xbf")
@example(b"Book Id,Title,Author,Exclusive Shelf\n\x00")
@example(b'Book Id,Title,Author,Exclusive Shelf\n1,"T,A,read\n')
def test_any_bytes_parse_or_are_rejected_with_a_message(data: bytes) -> None:
    _assert_parsed_or_rejected(data)


@examples(100)
@given(mangled_export())
def test_a_damaged_export_parses_or_is_rejected_with_a_message(data: bytes) -> None:
    _assert_parsed_or_rejected(data)


def _assert_parsed_or_rejected(data: bytes) -> None:
    outcome = _parse(data)

    if isinstance(outcome, ExportRejected):
        assert isinstance(outcome.message, str) and outcome.message.strip()
        assert len(outcome.message) <= 2_000


@examples(100)
@given(export_csv())
def test_every_data_row_is_a_book_or_a_rejected_row(data: bytes) -> None:
    outcome = _parse(data)
    if isinstance(outcome, ExportRejected):
        return  # a whole-file refusal (missing columns, a row of another width) is allowed

    assert len(outcome.books) + len(outcome.rejected) == data_rows(data)
    row_numbers = sorted(
        [book.row_number for book in outcome.books] + [row.row_number for row in outcome.rejected]
    )
    assert row_numbers == list(range(1, data_rows(data) + 1))


@examples(100)
@given(export_csv())
def test_book_ids_are_unique_safe_and_stable(data: bytes) -> None:
    outcome = _parse(data)
    if isinstance(outcome, ExportRejected):
        return

    ids = [book.book_id for book in outcome.books]
    assert len(ids) == len(set(ids))
    assert all(BOOK_ID_PATTERN.match(book_id) for book_id in ids)
    for book in outcome.books:
        assert book.book_id in (f"gr{book.goodreads_id}", f"row{book.row_number}")
    again = _parse(data)
    assert isinstance(again, ParsedExport)
    assert [book.book_id for book in again.books] == ids


@examples(100)
@given(export_csv(max_rows=20), st.integers(min_value=1, max_value=7))
def test_the_result_does_not_depend_on_how_many_rows_are_cleaned_together(
    data: bytes, chunk_rows: int
) -> None:
    whole = _parse(data)
    in_small_chunks = _parse(data, chunk_rows=chunk_rows)

    if isinstance(whole, ExportRejected):
        assert isinstance(in_small_chunks, ExportRejected)
        assert in_small_chunks.message == whole.message
    else:
        assert in_small_chunks == whole


DATE_TEXTS = st.one_of(
    st.from_regex(r"[0-9]{4}/[0-9]{2}/[0-9]{2}", fullmatch=True),
    st.sampled_from(["", "0001/01/01", "9999/12/31", "2024/02/29", "2023/02/29", " 2024/01/01"]),
    st.text(max_size=12),
)


@examples(300)
@given(st.lists(DATE_TEXTS, min_size=1, max_size=20), st.sampled_from(sorted(BULK_READERS)))
def test_a_columns_bulk_reader_agrees_with_its_value_by_value_reader(
    texts: list[str], column: str
) -> None:
    bulk = BULK_READERS[column](texts)
    one_by_one = [CACHED_READERS[column](column, text) for text in texts]

    if bulk is not None:  # the bulk path only answers when every value is clean
        assert bulk == [value for value, _ in one_by_one]
        assert all(problem is None for _, problem in one_by_one)


@examples(100)
@given(export_csv())
def test_books_keep_values_within_the_documented_limits_and_warnings_are_short(
    data: bytes,
) -> None:
    outcome = _parse(data)
    if isinstance(outcome, ExportRejected):
        return

    latest_possible = UPLOADED_ON + dt.timedelta(days=1)
    for book in outcome.books:
        for date in (book.date_read, book.date_added):
            assert date is None or EARLIEST_DATE <= date <= latest_possible
        assert book.pages is None or 1 <= book.pages <= MAX_PAGES
        assert book.read_count is None or 0 <= book.read_count <= MAX_READ_COUNT
        assert book.owned_copies is None or 0 <= book.owned_copies <= MAX_OWNED_COPIES
        assert book.my_rating is None or 1 <= book.my_rating <= 5
        assert book.average_rating is None or 0 < book.average_rating <= 5
        for year in (book.year_published, book.original_publication_year):
            assert year is None or MIN_YEAR <= year <= MAX_YEAR
        assert book.title.strip() and book.title != "Title" or book.author != "Author"
    rows = data_rows(data)
    for warning in outcome.warnings:
        assert 1 <= warning.row_number <= rows
        assert 0 < len(warning.message) <= LONGEST_MESSAGE
    assert [w.row_number for w in outcome.warnings] == sorted(
        w.row_number for w in outcome.warnings
    )
