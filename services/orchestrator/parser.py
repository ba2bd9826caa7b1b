"""Reading a Goodreads library export: whole-file checks, then one Book per row.

Whole-file problems raise `ExportRejected` with a message the reader can act on; nothing is
queued for such a file. Row problems never sink the file: the field is nulled or fixed and a
`RowWarning` names the row; a row that cannot be a book at all becomes a `RejectedRow`.

Columns are read by header name (three Goodreads header layouts exist, and third-party tools
add columns), never by position.

The work is split by concern: `export_format` (header layouts and the documented limits),
`diagnosis` (whole-file failures and their messages), `row_reader` (the fast path over the
rows) and `column_readers` (one cell of a column to a clean value, or a warning).
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import gc
import itertools
import operator
from collections.abc import Iterator

from contracts.books import Book
from contracts.messages import RejectedRow, RowWarning
from services.orchestrator.dates import apply_date_rule
from services.orchestrator.diagnosis import (
    EMPTY_FILE,
    ExportRejected,
    FieldCountMismatch,
    check_whole_file,
    field_count_message,
    file_too_large_message,
    malformed_csv_message,
    not_utf8_message,
)
from services.orchestrator.export_format import (
    CHUNK_ROWS,
    FIELD_LIMITS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    text_lines,
)
from services.orchestrator.row_reader import BookReader, Columns

__all__ = [
    "FIELD_LIMITS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "ExportRejected",
    "ParsedExport",
    "file_too_large_message",
    "parse_export",
]


@dataclasses.dataclass(frozen=True, slots=True)
class ParsedExport:
    header_variant: str  # "31", "24", "23" or "custom"
    books: list[Book]
    rejected: list[RejectedRow]
    warnings: list[RowWarning]


def parse_export(
    data: bytes, *, uploaded_on: dt.date | None = None, chunk_rows: int = CHUNK_ROWS
) -> ParsedExport:
    """Every row of an export, as books, rejected rows and warnings; raises ExportRejected.

    `uploaded_on` (default: today, UTC) bounds the dates a file can hold (`dates.py`).
    Rows are cleaned `chunk_rows` at a time; the result does not depend on it."""
    check_whole_file(data)
    today = uploaded_on or dt.datetime.now(dt.UTC).date()
    with _cycle_collection_paused():
        return _parse_rows(data, today, chunk_rows)


@contextlib.contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Parsing builds about ten objects per row that all live on, and none can form a cycle:
    the cyclic collector would only traverse the growing heap again and again (5-10% of the
    parse time). Reference counting still frees everything as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _parse_rows(data: bytes, uploaded_on: dt.date, chunk_rows: int) -> ParsedExport:
    reader = csv.reader(text_lines(data), strict=True)
    try:
        header = next((row for row in reader if row), None)
        if header is None:
            raise ExportRejected(EMPTY_FILE)
        columns = Columns(header)
        books = BookReader(columns)
        # Rows are read and cleaned a chunk at a time, column by column (see row_reader.BookReader).
        while chunk := list(itertools.islice(reader, chunk_rows)):
            books.add_chunk(chunk)
            if books.row_count > MAX_ROWS:
                raise ExportRejected(
                    f"The file has more than {MAX_ROWS:,} rows; the limit is {MAX_ROWS:,} books. "
                    "Split the export into smaller files and upload them one by one."
                )
    except UnicodeDecodeError:
        raise ExportRejected(not_utf8_message(data)) from None
    except csv.Error:
        raise ExportRejected(malformed_csv_message(data)) from None
    except FieldCountMismatch as mismatch:
        raise ExportRejected(field_count_message(data, mismatch, columns.names)) from None
    dated = apply_date_rule(books.books, uploaded_on, books.warn)
    books.warnings.sort(key=operator.attrgetter("row_number"))
    return ParsedExport(
        header_variant=columns.variant,
        books=dated,
        rejected=books.rejected,
        warnings=books.warnings,
    )
