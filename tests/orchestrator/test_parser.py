"""Reading Goodreads exports: every layout and quirk, whole-file failures, row problems."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from services.orchestrator.parser import (
    FIELD_LIMITS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    ExportRejected,
    ParsedExport,
    parse_export,
)
from tests.support.exports import (
    ENHANCED_COLUMNS,
    HEADER_23,
    HEADER_24,
    HEADER_31,
    render_csv,
    synthetic_export,
)
from tests.support.samples import CC0_EXPORT

HEADER = ",".join(HEADER_24)


def _row(**cells: str) -> str:
    """A 24-column data row: defaults for a plain read book, overridden by column name."""
    values = {
        "Book Id": "2767052",
        "Title": "The Hunger Games",
        "Author": "Suzanne Collins",
        "ISBN": '="0439023483"',
        "ISBN13": '="9780439023481"',
        "My Rating": "4",
        "Average Rating": "4.34",
        "Exclusive Shelf": "read",
        "Date Added": "2023/12/02",
        "Read Count": "1",
        "Owned Copies": "0",
    }
    values.update({name.replace("_", " "): value for name, value in cells.items()})
    return ",".join(_quote(values.get(name, "")) for name in HEADER_24)


def _quote(value: str) -> str:
    if any(char in value for char in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _parse_rows(*rows: str) -> ParsedExport:
    return parse_export(("\n".join((HEADER, *rows)) + "\n").encode())


def _warnings(parsed: ParsedExport) -> list[tuple[int, str | None]]:
    return [(warning.row_number, warning.column) for warning in parsed.warnings]


def _rejection(data: bytes) -> str:
    with pytest.raises(ExportRejected) as raised:
        parse_export(data)
    return raised.value.message


# --- Layouts and encodings --------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["31", "24", "23"])
@pytest.mark.parametrize("line_ending", ["\n", "\r\n"], ids=["LF", "CRLF"])
def test_every_header_variant_and_line_ending_gives_the_ground_truth(
    variant: str, line_ending: str
) -> None:
    export = synthetic_export(
        600,
        seed=int(variant),
        variant=variant,  # type: ignore[arg-type]
        line_ending=line_ending,
        bom=line_ending == "\r\n",  # Excel re-saves with both
        problem_rate=0.05,
        reject_rate=0.01,
    )
    parsed = parse_export(export.data)
    assert parsed.header_variant == variant
    assert parsed.books == export.books
    assert [row.row_number for row in parsed.rejected] == export.rejected_row_numbers
    assert set(_warnings(parsed)) == export.expected_warnings


def test_the_23_column_layout_has_no_average_rating_and_shifts_nothing() -> None:
    export = synthetic_export(200, seed=4, variant="23")
    books = parse_export(export.data).books
    assert all(book.average_rating is None for book in books)
    assert [book.exclusive_shelf for book in books] == [
        row.cells["Exclusive Shelf"] for row in export.rows
    ]


def test_columns_are_read_by_name_in_any_order_and_extra_columns_are_ignored() -> None:
    export = synthetic_export(300, seed=9)
    shuffled = list(HEADER_31)
    random.Random(1).shuffle(shuffled)
    data = render_csv(export.rows, columns=shuffled, extra_columns=ENHANCED_COLUMNS)
    parsed = parse_export(data)
    assert parsed.header_variant == "custom"
    assert parsed.books == export.books
    assert set(_warnings(parsed)) == export.expected_warnings


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_column_name() -> None:
    export = synthetic_export(20, seed=2, bom=True)
    assert export.data.startswith(b"\xef\xbb\xbf")
    assert parse_export(export.data).books == export.books


def test_the_real_cc0_export_is_read_completely() -> None:
    parsed = parse_export(CC0_EXPORT.read_bytes())
    assert parsed.header_variant == "24"
    assert len(parsed.books) == 105
    assert parsed.rejected == [] and parsed.warnings == []
    first = parsed.books[0]
    assert first.book_id == "gr170512"
    assert first.title == "Losing Ground: American Social Policy, 1950-1980"
    assert (first.isbn10, first.isbn13) == ("0465042333", "9780465042333")
    assert first.my_rating is None and first.average_rating == 3.85
    assert first.date_read is None and first.date_added == dt.date(2024, 1, 15)
    assert {book.exclusive_shelf for book in parsed.books} == {"to-read", "currently-reading"}
    assert len({book.book_id for book in parsed.books}) == 105


# --- Values -----------------------------------------------------------------------------------


def test_isbn_formulas_are_unwrapped_and_an_isbn10_alone_gives_the_isbn13() -> None:
    parsed = _parse_rows(
        _row(),
        _row(Book_Id="2", ISBN='="0306406152"', ISBN13='=""'),
        _row(Book_Id="3", ISBN='=""', ISBN13='=""'),
        _row(Book_Id="4", ISBN='="080442957X"', ISBN13='=""'),
        _row(Book_Id="5", ISBN="0-439-02348-3", ISBN13="978-0-439-02348-1"),
    )
    assert [(book.isbn10, book.isbn13) for book in parsed.books] == [
        ("0439023483", "9780439023481"),
        ("0306406152", "9780306406157"),
        (None, None),
        ("080442957X", "9780804429573"),
        ("0439023483", "9780439023481"),
    ]
    assert parsed.warnings == []


def test_an_isbn_with_a_wrong_check_digit_is_dropped_with_a_warning() -> None:
    parsed = _parse_rows(_row(ISBN='="0439023484"', ISBN13='="9780439023482"'))
    book = parsed.books[0]
    assert (book.isbn10, book.isbn13) == (None, None)
    assert _warnings(parsed) == [(1, "ISBN13"), (1, "ISBN")]
    assert "9780439023482" in parsed.warnings[0].message


def test_ratings_written_as_decimals_are_read_and_zero_means_unrated() -> None:
    parsed = _parse_rows(
        _row(My_Rating="5.0", Average_Rating="4.00"),
        _row(Book_Id="2", My_Rating="0", Average_Rating="0.00"),
        _row(Book_Id="3", My_Rating="3", Average_Rating="3.5"),
    )
    assert [(b.my_rating, b.average_rating) for b in parsed.books] == [
        (5, 4.0),
        (None, None),
        (3, 3.5),
    ]


def test_an_empty_date_read_stays_unknown_and_the_book_is_kept() -> None:
    parsed = _parse_rows(
        _row(Date_Read=""), _row(Book_Id="2", Date_Read="2024/01/15", Date_Added="2024/02/01")
    )
    assert [book.date_read for book in parsed.books] == [None, dt.date(2024, 1, 15)]
    assert parsed.warnings == []


def test_read_count_custom_shelves_and_negative_years_are_kept() -> None:
    parsed = _parse_rows(
        _row(Read_Count="3"),
        _row(Book_Id="2", Exclusive_Shelf="dnf", Read_Count="", Bookshelves="dnf, Classics"),
        _row(Book_Id="3", Title="The Odyssey", Original_Publication_Year="-800"),
    )
    first, second, third = parsed.books
    assert first.read_count == 3
    assert second.exclusive_shelf == "dnf" and second.read_count is None
    assert second.bookshelves == ("dnf", "classics")
    assert third.original_publication_year == -800


def test_quoted_fields_with_commas_quotes_and_line_breaks_survive() -> None:
    review = 'Loved it, "truly".\n<br/>\n<script>alert(1)</script> & more'
    parsed = _parse_rows(
        _row(Title='Hello, "World"', Author="Name  With   Spaces", My_Review=review)
    )
    book = parsed.books[0]
    assert book.title == 'Hello, "World"'
    assert book.author == "Name With Spaces"
    assert book.review_html == review  # untrusted markup carried as text, not cleaned here


def test_a_review_reads_the_same_from_a_crlf_file() -> None:
    export = synthetic_export(200, seed=21, line_ending="\r\n")
    reviewed = [book for book in parse_export(export.data).books if book.review_html]
    assert reviewed and all("\r" not in book.review_html for book in reviewed if book.review_html)
    assert any("\n" in book.review_html for book in reviewed if book.review_html)


def test_non_latin_text_is_kept_as_written() -> None:
    parsed = _parse_rows(_row(Title="三体 (地球往事, #1)", Author="刘慈欣", Publisher="重庆出版社"))
    book = parsed.books[0]
    assert (book.title, book.author, book.publisher) == (
        "三体 (地球往事, #1)",
        "刘慈欣",
        "重庆出版社",
    )


# --- Row problems: the row is kept, the field fixed or nulled, a warning names the row ---------


def test_bad_dates_and_numbers_are_nulled_with_a_warning_naming_row_and_column() -> None:
    parsed = _parse_rows(
        _row(),
        _row(Book_Id="2", Date_Read="2023/02/30", Number_of_Pages="many", My_Rating="7"),
    )
    assert len(parsed.books) == 2
    book = parsed.books[1]
    assert (book.date_read, book.pages, book.my_rating) == (None, None, None)
    assert sorted(_warnings(parsed)) == [
        (2, "Date Read"),
        (2, "My Rating"),
        (2, "Number of Pages"),
    ]
    assert any("2023/02/30" in warning.message for warning in parsed.warnings)


def test_an_over_long_field_is_cut_at_its_documented_limit() -> None:
    limit = FIELD_LIMITS["Title"]
    parsed = _parse_rows(_row(Title="x" * (limit + 50)))
    assert parsed.books[0].title == "x" * limit
    assert _warnings(parsed) == [(1, "Title")]
    assert f"{limit:,}" in parsed.warnings[0].message


def test_a_duplicate_book_id_keeps_both_rows_as_separate_books() -> None:
    parsed = _parse_rows(_row(), _row(Title="Another edition"))
    assert [book.book_id for book in parsed.books] == ["gr2767052", "row2"]
    assert [book.goodreads_id for book in parsed.books] == ["2767052", "2767052"]
    assert _warnings(parsed) == [(2, "Book Id")]
    assert "row 1" in parsed.warnings[0].message


def test_a_row_without_a_title_is_rejected_with_its_reason_and_others_are_kept() -> None:
    parsed = _parse_rows(_row(), _row(Book_Id="2", Title="   "), _row(Book_Id="3"))
    assert [book.row_number for book in parsed.books] == [1, 3]
    assert [(row.row_number, "Title" in row.reason) for row in parsed.rejected] == [(2, True)]


def test_every_row_is_accounted_for_as_a_book_or_a_rejected_row() -> None:
    export = synthetic_export(2000, seed=17, problem_rate=0.1, reject_rate=0.05)
    parsed = parse_export(export.data)
    numbers = sorted([b.row_number for b in parsed.books] + [r.row_number for r in parsed.rejected])
    assert numbers == list(range(1, 2001))


def test_blank_lines_are_not_rows() -> None:
    data = (HEADER + "\n\n" + _row() + "\n\n\n" + _row(Book_Id="2") + "\n\n").encode()
    parsed = parse_export(data)
    assert [book.row_number for book in parsed.books] == [1, 2]


def test_a_header_only_file_is_a_valid_empty_library() -> None:
    parsed = parse_export((HEADER + "\n").encode())
    assert (parsed.books, parsed.rejected, parsed.warnings) == ([], [], [])
    assert parsed.header_variant == "24"


# --- Whole-file problems: the job fails with a message the reader can act on -----------------


def test_a_file_that_is_not_utf8_is_refused_naming_the_line() -> None:
    data = (HEADER + "\n" + _row(Title="Les Misérables")).encode("latin-1")
    message = _rejection(data)
    assert "not UTF-8" in message and "line 2" in message and "CSV UTF-8" in message


def test_a_file_with_nul_bytes_is_refused() -> None:
    assert "NUL bytes" in _rejection((HEADER + "\n" + _row()).encode() + b"\x00\x00")


def test_utf16_and_spreadsheet_files_are_refused_with_what_they_are() -> None:
    assert "UTF-16" in _rejection((HEADER + "\n").encode("utf-16"))
    assert "Excel workbook" in _rejection(b"PK\x03\x04" + b"\x00" * 100)


def test_an_empty_file_is_refused() -> None:
    assert "empty" in _rejection(b"")
    assert "empty" in _rejection(b"\xef\xbb\xbf\r\n\n")


def test_a_file_that_is_not_a_csv_is_refused() -> None:
    assert "not look like a CSV" in _rejection(b"Dear reader\nthis is a letter\n")
    semicolons = ";".join(HEADER_24) + "\n"
    assert "semicolons" in _rejection(semicolons.encode())


def test_missing_required_columns_are_named() -> None:
    header = ",".join(name for name in HEADER_23 if name not in ("Author", "Exclusive Shelf"))
    message = _rejection((header + "\n").encode())
    assert "missing required columns: Author, Exclusive Shelf" in message


def test_a_file_over_the_size_limit_is_refused() -> None:
    data = (HEADER + "\n").encode() + b" " * MAX_FILE_BYTES
    assert "the limit is 50 MB" in _rejection(data)


def test_a_file_with_more_rows_than_the_limit_is_refused() -> None:
    data = b"Book Id,Title,Author,Exclusive Shelf\n" + b"1,T,A,read\n" * (MAX_ROWS + 1)
    assert "more than 100,000 rows" in _rejection(data)


def test_a_file_at_the_row_limit_is_accepted() -> None:
    data = b"Book Id,Title,Author,Exclusive Shelf\n" + b"1,T,A,read\n" * MAX_ROWS
    assert len(parse_export(data).books) == MAX_ROWS


def test_an_unclosed_quote_fails_the_file_naming_row_and_column() -> None:
    unclosed = _row(Book_Id="2", ISBN="", ISBN13="").replace("Suzanne", '"Suzanne', 1)
    data = HEADER + "\n" + _row() + "\n" + unclosed + "\n"
    message = _rejection(data.encode())
    assert "row 2 (line 3), column 'Author'" in message
    assert "never closed" in message


def test_text_after_a_closing_quote_fails_the_file_naming_row_and_column() -> None:
    broken = _row().replace(",The Hunger Games,", ',"The Hunger" Games,')
    message = _rejection((HEADER + "\n" + _row() + "\n" + broken + "\n").encode())
    assert "row 2 (line 3), column 'Title'" in message


def test_a_row_with_the_wrong_number_of_fields_fails_the_file_naming_it() -> None:
    short = ",".join(_row().split(",")[:20])
    data = "\n".join([HEADER, _row(), "", short, _row()]) + "\n"
    message = _rejection(data.encode())
    assert "row 2 (line 4)" in message and "20 fields but the header has 24" in message
