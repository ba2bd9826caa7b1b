"""The synthetic export generator: deterministic, and carrying every quirk it promises."""

from __future__ import annotations

import csv
import io

from tests.support.exports import (
    HEADER_23,
    HEADER_24,
    HEADER_31,
    generate_rows,
    render_csv,
    synthetic_export,
)


def _records(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_the_same_seed_gives_the_same_bytes_and_another_seed_does_not() -> None:
    assert synthetic_export(300, seed=1).data == synthetic_export(300, seed=1).data
    assert synthetic_export(300, seed=1).data != synthetic_export(300, seed=2).data


def test_the_three_layouts_have_31_24_and_23_columns_in_goodreads_order() -> None:
    assert (len(HEADER_31), len(HEADER_24), len(HEADER_23)) == (31, 24, 23)
    assert HEADER_31[22:26] == ("Read Count", "Recommended For", "Recommended By", "Owned Copies")
    assert "Average Rating" not in HEADER_23
    for variant, header in (("31", HEADER_31), ("24", HEADER_24), ("23", HEADER_23)):
        records = _records(synthetic_export(5, variant=variant).data)  # type: ignore[arg-type]
        assert tuple(records[0]) == header
        assert all(len(record) == len(header) for record in records)


def test_line_endings_and_byte_order_mark_are_as_asked() -> None:
    lf = synthetic_export(3, seed=4).data
    crlf = synthetic_export(3, seed=4, line_ending="\r\n", bom=True).data
    assert b"\r\n" not in lf and not lf.startswith(b"\xef\xbb\xbf")
    assert crlf.startswith(b"\xef\xbb\xbf") and crlf.count(b"\r\n") >= 4


def test_rows_carry_the_quirks_of_real_exports() -> None:
    rows = generate_rows(3000, seed=5)
    cells = [row.cells for row in rows]
    books = [row.book for row in rows if row.book]
    assert all(c["ISBN13"].startswith('="') for c in cells)
    assert any(c["ISBN13"] == '=""' and c["ISBN"] != '=""' for c in cells)  # ISBN-10 only
    assert any(c["My Rating"].endswith(".0") for c in cells)
    assert any(b.exclusive_shelf == "read" and b.date_read is None for b in books)
    assert {"read", "to-read", "currently-reading", "dnf"} <= {b.exclusive_shelf for b in books}
    assert any(
        b.original_publication_year is not None and b.original_publication_year < 0 for b in books
    )
    assert any("  " in c["Author"] for c in cells)
    assert any(not b.title.isascii() for b in books)
    reviews = [b.review_html for b in books if b.review_html]
    assert any("\n" in r and "<br/>" in r and "," in r and '"' in r for r in reviews)
    assert len({b.title for b in books}) < len(books)
    assert len({b.goodreads_id for b in books}) < len(books)


def test_problem_and_rejected_rows_come_with_their_expected_warnings() -> None:
    export = synthetic_export(500, seed=6, problem_rate=0.2, reject_rate=0.05)
    assert export.expected_warnings
    assert export.rejected_row_numbers
    assert len(export.books) + len(export.rejected_row_numbers) == 500
    for row in export.rows:
        assert row.rejected == (row.cells["Title"].strip() == "")


def test_the_23_column_ground_truth_has_no_average_rating() -> None:
    [row] = generate_rows(1, seed=7)
    assert row.book is not None and row.book.average_rating is not None
    book = row.expected_book("23")
    assert book is not None and book.average_rating is None


def test_render_csv_writes_the_columns_asked_for_in_that_order() -> None:
    rows = generate_rows(4, seed=8)
    records = _records(render_csv(rows, columns=["Title", "Book Id"], extra_columns=["genres"]))
    assert records[0] == ["Title", "Book Id", "genres"]
    assert [record[1] for record in records[1:]] == [row.cells["Book Id"] for row in rows]
