"""Reading a Goodreads library export: whole-file checks, then one Book per row.

Whole-file problems raise `ExportRejected` with a message the reader can act on; nothing is
queued for such a file. Row problems never sink the file: the field is nulled or fixed and a
`RowWarning` names the row; a row that cannot be a book at all becomes a `RejectedRow`.

Columns are read by header name (three Goodreads header layouts exist, and third-party tools
add columns), never by position.

Documented limits:
  - a file of at most `MAX_FILE_BYTES` (50 MiB) and `MAX_ROWS` (100,000) data rows;
  - text fields are truncated at `FIELD_LIMITS` characters (with a warning): they travel in
    queue messages and end up in the dashboard, and no real book needs more.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import functools
import gc
import io
import itertools
import math
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence

from contracts.books import Book, make_book_id
from contracts.messages import RejectedRow, RowWarning
from services.orchestrator.isbn import (
    is_valid_isbn13,
    isbn10_to_isbn13,
    strip_formulas,
    valid_isbn10s,
    valid_isbn13s,
)

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 100_000
CHUNK_ROWS = 256  # rows cleaned together: small enough to stay in the CPU caches
MAX_PAGES = 100_000
MIN_YEAR, MAX_YEAR = -9999, 9999

REQUIRED_COLUMNS = ("Book Id", "Title", "Author", "Exclusive Shelf")

# Characters kept per field; longer values are cut here and the row gets a warning.
FIELD_LIMITS: dict[str, int] = {
    "Title": 1_000,
    "Author": 500,
    "Additional Authors": 2_000,
    "Publisher": 500,
    "Binding": 200,
    "Bookshelves": 5_000,
    "Exclusive Shelf": 100,
    "My Review": 20_000,
}

HEADER_24 = (
    "Book Id",
    "Title",
    "Author",
    "Author l-f",
    "Additional Authors",
    "ISBN",
    "ISBN13",
    "My Rating",
    "Average Rating",
    "Publisher",
    "Binding",
    "Number of Pages",
    "Year Published",
    "Original Publication Year",
    "Date Read",
    "Date Added",
    "Bookshelves",
    "Bookshelves with positions",
    "Exclusive Shelf",
    "My Review",
    "Spoiler",
    "Private Notes",
    "Read Count",
    "Owned Copies",
)
HEADER_23 = tuple(name for name in HEADER_24 if name != "Average Rating")
HEADER_31 = (
    HEADER_24[:-1]
    + ("Recommended For", "Recommended By", "Owned Copies")
    + (
        "Original Purchase Date",
        "Original Purchase Location",
        "Condition",
        "Condition Description",
        "BCID",
    )
)
HEADER_VARIANTS = {HEADER_31: "31", HEADER_24: "24", HEADER_23: "23"}

# A field can hold a whole review, but never more than the file itself.
csv.field_size_limit(MAX_FILE_BYTES)


class ExportRejected(Exception):
    """The file as a whole cannot be used; `message` tells the reader what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclasses.dataclass(frozen=True, slots=True)
class ParsedExport:
    header_variant: str  # "31", "24", "23" or "custom"
    books: list[Book]
    rejected: list[RejectedRow]
    warnings: list[RowWarning]


def parse_export(data: bytes) -> ParsedExport:
    """Every row of an export, as books, rejected rows and warnings; raises ExportRejected."""
    _check_whole_file(data)
    with _cycle_collection_paused():
        return _parse_rows(data)


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


def _parse_rows(data: bytes) -> ParsedExport:
    reader = csv.reader(_text_lines(data), strict=True)
    try:
        header = next((row for row in reader if row), None)
        if header is None:
            raise ExportRejected(_EMPTY_FILE)
        columns = _Columns(header)
        books = _BookReader(columns)
        # Rows are read and cleaned a chunk at a time, column by column (see _BookReader).
        while chunk := list(itertools.islice(reader, CHUNK_ROWS)):
            books.add_chunk(chunk)
            if books.row_count > MAX_ROWS:
                raise ExportRejected(
                    f"The file has more than {MAX_ROWS:,} rows; the limit is {MAX_ROWS:,} books. "
                    "Split the export into smaller files and upload them one by one."
                )
    except UnicodeDecodeError:
        raise ExportRejected(_not_utf8_message(data)) from None
    except csv.Error:
        raise ExportRejected(_malformed_csv_message(data)) from None
    except _FieldCountMismatch as mismatch:
        raise ExportRejected(_field_count_message(data, mismatch, columns)) from None
    books.warnings.sort(key=operator.attrgetter("row_number"))
    return ParsedExport(
        header_variant=columns.variant,
        books=books.books,
        rejected=books.rejected,
        warnings=books.warnings,
    )


def _text_lines(data: bytes) -> io.TextIOWrapper:
    # Decoded as it is read rather than in one piece: one non-Latin character would make a
    # single str of the whole file up to four times its size.
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")


# --- Whole-file checks ------------------------------------------------------------------------

_EMPTY_FILE = (
    "The file is empty. A Goodreads export starts with a header line "
    "(Book Id,Title,Author,…): export your library again and upload that .csv file."
)
_REEXPORT = (
    "Export your library from Goodreads (My Books → Import and export) and upload the .csv file."
)
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a zip archive or an Excel workbook (.xlsx)"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)"),
)


def file_too_large_message(size: int) -> str:
    return (
        f"The file is {size / 1024 / 1024:.1f} MB; the limit is "
        f"{MAX_FILE_BYTES // 1024 // 1024} MB. A Goodreads export of 10,000 books is about "
        "6 MB: check that this is the library export, or split it into smaller files."
    )


def _check_whole_file(data: bytes) -> None:
    if len(data) > MAX_FILE_BYTES:
        raise ExportRejected(file_too_large_message(len(data)))
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            raise ExportRejected(f"The file is {kind}, not a CSV file. {_REEXPORT}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExportRejected(
            "The file is UTF-16 text; it must be UTF-8. In a spreadsheet, save it as "
            "'CSV UTF-8', or upload the original export from Goodreads."
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ExportRejected(
            f"The file contains NUL bytes (the first on line {data.count(b'\n', 0, nul) + 1}), "
            f"so it is not a text CSV file. {_REEXPORT}"
        )


def _not_utf8_message(data: bytes) -> str:
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return (
            f"The file is not UTF-8 text: byte 0x{data[exc.start]:02x} on line {line} is not "
            "valid UTF-8. Save the file as 'CSV UTF-8' (or upload the original export from "
            "Goodreads) and try again."
        )
    return "The file is not UTF-8 text. Save it as 'CSV UTF-8' and try again."


class _FieldCountMismatch(Exception):
    def __init__(self, row_number: int, found: int) -> None:
        super().__init__(row_number, found)
        self.row_number = row_number
        self.found = found


def _first_line_of_row(data: bytes, row_number: int) -> int:
    reader = csv.reader(_text_lines(data))
    rows_seen, lines_before = -1, 0  # the header is row 0
    for row in reader:
        if row:
            rows_seen += 1
            if rows_seen == row_number:
                break
        lines_before = reader.line_num
    return lines_before + 1


def _field_count_message(data: bytes, mismatch: _FieldCountMismatch, columns: _Columns) -> str:
    if mismatch.found < columns.count:
        where = f"it ends before column '{columns.names[mismatch.found]}'"
    else:
        where = f"it has values after the last column '{columns.names[-1]}'"
    line = _first_line_of_row(data, mismatch.row_number)
    return (
        f"The file is not valid CSV at row {mismatch.row_number} (line {line}): the row has "
        f"{mismatch.found} fields but the header has {columns.count}; {where}. This usually comes "
        "from a broken quote or a stray comma after editing the file: fix that row or export "
        "the library again."
    )


_CSV_ERRORS = {
    "unexpected end of data": "a quoted value is never closed",
    "',' expected after '\"'": "a closing quote is followed by more text",
}


def _malformed_csv_message(data: bytes) -> str:
    # The fast pass does not track lines; read again, record by record, to locate the error.
    reader = csv.reader(_text_lines(data), strict=True)
    header: list[str] = []
    rows_read, lines_before = 0, 0
    try:
        for row in reader:
            if row and not header:
                header = row
            elif row:
                rows_read += 1
            lines_before = reader.line_num
    except csv.Error as exc:
        error, error_line = str(exc), reader.line_num
    else:  # the first pass failed where this one did not: nothing better to say
        return "The file is not valid CSV. Export the library again and upload that file."
    record = "".join(itertools.islice(_text_lines(data), lines_before, error_line))
    field_index = _failing_field_index(record)
    if not header:
        where = f"the header line (field {field_index + 1})"
    else:
        column = header[field_index].strip() if field_index < len(header) else f"#{field_index + 1}"
        where = f"row {rows_read + 1} (line {lines_before + 1}), column '{column}'"
    detail = _CSV_ERRORS.get(error, error)
    return (
        f"The file is not valid CSV at {where}: {detail}. Fix the quoting of that value "
        "(a double quote inside a quoted value is written as two) or export the library again."
    )


def _failing_field_index(record: str) -> int:
    """The index of the field where strict CSV parsing of `record` fails (or the last one)."""
    field, position, at_field_start = 0, 0, True
    while position < len(record):
        char = record[position]
        if char == '"' and at_field_start:
            closing = record.find('"', position + 1)
            while closing >= 0 and record.startswith('""', closing):  # an escaped quote
                closing = record.find('"', closing + 2)
            if closing < 0:
                return field  # never closed
            position = closing + 1
            if position < len(record) and record[position] not in ",\r\n":
                return field  # text after the closing quote
            at_field_start = False
            continue
        if char == ",":
            field, at_field_start = field + 1, True
        elif char in "\r\n":
            return field
        else:
            at_field_start = False
        position += 1
    return field


# --- Rows -------------------------------------------------------------------------------------


class _Columns:
    """Where each known column is in this file's header; None for a column the file lacks."""

    def __init__(self, header: list[str]) -> None:
        self.names = [name.strip() for name in header]
        self.count = len(self.names)
        index: dict[str, int] = {}
        for position, name in enumerate(self.names):
            index.setdefault(name, position)
        self.variant = HEADER_VARIANTS.get(tuple(self.names), "custom")
        missing = [name for name in REQUIRED_COLUMNS if name not in index]
        if missing:
            raise ExportRejected(_missing_columns_message(self.names, missing))
        self.index = index

    def get(self, name: str) -> int | None:
        return self.index.get(name)


def _missing_columns_message(names: list[str], missing: list[str]) -> str:
    if len(names) == 1:
        for separator, label in ((";", "semicolons"), ("\t", "tabs")):
            if separator in names[0]:
                return (
                    f"The file separates values with {label}, not commas, so it is not a "
                    "Goodreads CSV export (a spreadsheet may have re-saved it). Upload the "
                    "original export, or save it as 'CSV UTF-8 (comma delimited)'."
                )
        return f"The file does not look like a CSV file: its first line has no commas. {_REEXPORT}"
    return (
        f"The file is missing required columns: {', '.join(missing)}. A Goodreads library "
        f"export has them in its first line. {_REEXPORT}"
    )


class _BookReader:
    """Turns chunks of data rows into books; collects rejected rows and warnings.

    Written for speed, since it runs over files of up to 100,000 rows: a chunk is transposed
    into columns, most columns are cleaned by C-level string operations over the whole column,
    and values that repeat (dates, counts, shelves, publishers) are parsed once per distinct
    text. Only rows with a problem take a slower path, which also writes their warning.
    """

    def __init__(self, columns: _Columns) -> None:
        self.books: list[Book] = []
        self.rejected: list[RejectedRow] = []
        self.warnings: list[RowWarning] = []
        self.row_count = 0
        self._columns = columns
        self._seen_ids: set[str] = set()
        self._first_row_of_goodreads_id: dict[str, int] = {}
        self._title_position = columns.index["Title"]
        self._caches: dict[str, dict[str, object]] = {name: {} for name in _CACHED_READERS}

    def _warn(self, row_number: int, column: str, message: str) -> None:
        self.warnings.append(RowWarning(row_number=row_number, column=column, message=message))

    def add_chunk(self, chunk: list[list[str]]) -> None:
        if not all(chunk):
            chunk = [row for row in chunk if row]  # blank lines are not rows
        first_row_number = self.row_count + 1
        self.row_count += len(chunk)
        if not chunk:
            return
        expected = self._columns.count
        if set(map(len, chunk)) != {expected}:
            offset, row = next((i, r) for i, r in enumerate(chunk) if len(r) != expected)
            raise _FieldCountMismatch(first_row_number + offset, len(row))
        row_numbers: Sequence[int] = range(first_row_number, first_row_number + len(chunk))

        titles = _collapse_whitespace(map(operator.itemgetter(self._title_position), chunk))
        if "" in titles:  # a row without a title cannot be a book
            kept = [i for i, title in enumerate(titles) if title]
            self.rejected.extend(
                RejectedRow(row_number=row_numbers[i], reason=_NO_TITLE)
                for i in sorted(set(range(len(chunk))) - set(kept))
            )
            chunk = [chunk[i] for i in kept]
            titles = [titles[i] for i in kept]
            row_numbers = [row_numbers[i] for i in kept]
            if not chunk:
                return
        self._add_books(chunk, row_numbers, titles)

    def _add_books(
        self, chunk: list[list[str]], row_numbers: Sequence[int], titles: list[str]
    ) -> None:
        count = len(chunk)
        by_position = list(zip(*chunk, strict=True))
        absent = ("",) * count

        def column(name: str) -> Sequence[str]:
            position = self._columns.get(name)
            return absent if position is None else by_position[position]

        titles = self._cut_long(row_numbers, "Title", titles)
        goodreads_ids, book_ids = self._identities(row_numbers, column("Book Id"))
        isbn10s, isbn13s = self._isbns(row_numbers, column("ISBN"), column("ISBN13"))
        reviews = self._reviews(row_numbers, column("My Review"))
        cached = {
            name: self._cached_column(name, column(name), row_numbers) for name in _CACHED_READERS
        }
        append = self.books.append
        for (
            row_number,
            goodreads_id,
            book_id,
            title,
            author,
            additional_authors,
            isbn10,
            isbn13,
            my_rating,
            average_rating,
            publisher,
            binding,
            pages,
            year_published,
            original_year,
            date_read,
            date_added,
            bookshelves,
            shelf,
            review,
            spoiler,
            read_count,
            owned_copies,
        ) in zip(
            row_numbers,
            goodreads_ids,
            book_ids,
            titles,
            cached["Author"],
            cached["Additional Authors"],
            isbn10s,
            isbn13s,
            cached["My Rating"],
            cached["Average Rating"],
            cached["Publisher"],
            cached["Binding"],
            cached["Number of Pages"],
            cached["Year Published"],
            cached["Original Publication Year"],
            cached["Date Read"],
            cached["Date Added"],
            cached["Bookshelves"],
            cached["Exclusive Shelf"],
            reviews,
            cached["Spoiler"],
            cached["Read Count"],
            cached["Owned Copies"],
            strict=True,
        ):
            append(
                Book(
                    book_id=book_id,
                    row_number=row_number,
                    goodreads_id=goodreads_id,
                    title=title,
                    author=author,
                    additional_authors=additional_authors,
                    isbn10=isbn10,
                    isbn13=isbn13,
                    my_rating=my_rating,
                    average_rating=average_rating,
                    publisher=publisher,
                    binding=binding,
                    pages=pages,
                    year_published=year_published,
                    original_publication_year=original_year,
                    date_read=date_read,
                    date_added=date_added,
                    bookshelves=bookshelves,
                    exclusive_shelf=shelf,
                    review_html=review,
                    spoiler=spoiler,
                    read_count=read_count,
                    owned_copies=owned_copies,
                )
            )

    def _cut_long(self, row_numbers: Sequence[int], column: str, values: list[str]) -> list[str]:
        limit = FIELD_LIMITS[column]
        if max(map(len, values)) <= limit:
            return values
        cut = []
        for row_number, value in zip(row_numbers, values, strict=True):
            if len(value) > limit:
                self._warn(row_number, column, _too_long(column))
                value = value[:limit].rstrip()
            cut.append(value)
        return cut

    def _cached_column(
        self, name: str, texts: Sequence[str], row_numbers: Sequence[int]
    ) -> list[object]:
        bulk = _BULK_READERS.get(name)
        if bulk is not None:
            values = bulk(texts)
            if values is not None:  # every value was clean
                return values
        # Each distinct text is read once per file; clean results are kept for later chunks.
        cache = self._caches[name]
        try:
            return list(map(cache.__getitem__, texts))  # after the first chunks, the usual case
        except KeyError:
            new_texts = set(texts).difference(cache)
        read = _CACHED_READERS[name]
        problems: dict[str, tuple[object, str]] = {}
        for text in new_texts:
            value, problem = read(name, text)
            if problem is None:
                cache[text] = value
            else:  # not cached: every row with this text gets its warning
                problems[text] = (value, problem)
        if not problems:
            return list(map(cache.__getitem__, texts))
        for row_number, text in zip(row_numbers, texts, strict=True):
            if text in problems:
                self._warn(row_number, name, problems[text][1])
        lookup = cache | {text: value for text, (value, _) in problems.items()}
        return list(map(lookup.__getitem__, texts))

    def _identities(
        self, row_numbers: Sequence[int], texts: Sequence[str]
    ) -> tuple[list[str | None], list[str]]:
        goodreads_ids: list[str | None] = []
        book_ids: list[str] = []
        seen, first_rows = self._seen_ids, self._first_row_of_goodreads_id
        for row_number, text in zip(row_numbers, map(str.strip, texts), strict=True):
            # The usual row, a valid Goodreads id not seen before, is "gr{id}" as make_book_id
            # would say, in a few operations; any other row goes through make_book_id.
            if text.isdigit() and text.isascii() and len(text) <= 20:
                book_id = "gr" + text
                if book_id not in seen:
                    seen.add(book_id)
                    first_rows[text] = row_number
                    goodreads_ids.append(text)
                    book_ids.append(book_id)
                    continue
            goodreads_id, book_id = self._identity(row_number, text)
            goodreads_ids.append(goodreads_id)
            book_ids.append(book_id)
        return goodreads_ids, book_ids

    def _identity(self, row_number: int, text: str) -> tuple[str | None, str]:
        goodreads_id: str | None = text
        if not text:
            goodreads_id = None
            self._warn(
                row_number, "Book Id", "Book Id is empty; the book is identified by its row."
            )
        elif not _is_goodreads_id(text):
            goodreads_id = None
            self._warn(
                row_number,
                "Book Id",
                f"Book Id {_show(text)} is not a Goodreads id; the book is identified by its row.",
            )
        book_id = make_book_id(goodreads_id, row_number, self._seen_ids)
        if goodreads_id is not None:
            first_row = self._first_row_of_goodreads_id.setdefault(goodreads_id, row_number)
            if first_row != row_number:
                self._warn(
                    row_number,
                    "Book Id",
                    f"Book Id {goodreads_id} already appeared in row {first_row}; both rows are "
                    f"kept as separate books (this one as {book_id}).",
                )
        return goodreads_id, book_id

    def _isbns(
        self, row_numbers: Sequence[int], cells10: Sequence[str], cells13: Sequence[str]
    ) -> tuple[list[str | None], list[str | None]]:
        # Empty cells stand in as a valid code, so that the column keeps the one shape the
        # bulk validators need; they read as None below.
        digits13 = strip_formulas(cells13)
        valid13 = valid_isbn13s([code or _STAND_IN_ISBN13 for code in digits13])
        isbn13s = [
            code if ok and code else None for code, ok in zip(digits13, valid13, strict=True)
        ]
        digits10 = strip_formulas(cells10)
        valid10 = valid_isbn10s([code or _STAND_IN_ISBN10 for code in digits10])
        isbn10s = [
            code if ok and code else None for code, ok in zip(digits10, valid10, strict=True)
        ]
        if not all(valid13):
            for i in itertools.compress(range(len(valid13)), map(operator.not_, valid13)):
                message = f"ISBN13 {_show(cells13[i])} is not a valid ISBN-13; ignored."
                self._warn(row_numbers[i], "ISBN13", message)
        for i in itertools.compress(range(len(isbn13s)), map(operator.not_, isbn13s)):
            isbn10 = isbn10s[i]
            if isbn10 is not None:  # an ISBN-10 alone gives the ISBN-13
                isbn13s[i] = isbn10_to_isbn13(isbn10)
            elif digits10[i] and is_valid_isbn13(digits10[i]):  # an ISBN-13 in the ISBN column
                isbn13s[i] = digits10[i]
        if not all(valid10):
            for i in itertools.compress(range(len(valid10)), map(operator.not_, valid10)):
                if not is_valid_isbn13(digits10[i]):
                    message = f"ISBN {_show(cells10[i])} is not a valid ISBN-10; ignored."
                    self._warn(row_numbers[i], "ISBN", message)
        return isbn10s, isbn13s

    def _reviews(self, row_numbers: Sequence[int], texts: Sequence[str]) -> list[str | None]:
        reviews: list[str | None] = [None] * len(texts)
        limit = FIELD_LIMITS["My Review"]
        for i in itertools.compress(range(len(texts)), texts):
            text = texts[i]
            if text.isspace():
                continue
            if "\r" in text:  # the same review from an LF or a CRLF file
                text = text.replace("\r\n", "\n")
            if len(text) > limit:
                self._warn(row_numbers[i], "My Review", _too_long("My Review"))
                text = text[:limit]
            reviews[i] = text  # untrusted markup, carried as text: never rendered raw
        return reviews


_NO_TITLE = "Title is empty: a row without a title cannot be a book."
_STAND_IN_ISBN13 = "9780000000002"
_STAND_IN_ISBN10 = "0000000000"


def _is_goodreads_id(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 20


def _too_long(column: str) -> str:
    return f"{column} is longer than {FIELD_LIMITS[column]:,} characters; cut there."


def _collapse_whitespace(values: Iterable[str]) -> list[str]:
    """`" ".join(value.split())` for every value, done over the whole column at once.

    NUL joins the values: the file has none (it is refused otherwise) and it is not whitespace.
    """
    values = list(values)
    joined = "\x00".join(values)
    if _is_tidy(values, joined):
        return values
    collapsed = " ".join(joined.split())
    return collapsed.replace(" \x00", "\x00").replace("\x00 ", "\x00").split("\x00")


def _is_tidy(values: list[str], joined: str) -> bool:
    """No value has whitespace to collapse: the usual case, checked without copying text.

    Printable text has no whitespace but the plain space, so only runs of spaces and spaces
    at either end of a value remain to look for.
    """
    return (
        all(map(str.isprintable, values))
        and "  " not in joined
        and " \x00" not in joined
        and "\x00 " not in joined
        and not joined.startswith(" ")
        and not joined.endswith(" ")
    )


# --- Column readers: (column, text) -> (clean value, problem for a warning or None) ----------

type _Reader = Callable[[str, str], tuple[object, str | None]]


def _split_list(column: str, text: str, *, lower: bool) -> tuple[object, str | None]:
    problem = None
    limit = FIELD_LIMITS[column]
    if len(text) > limit:
        problem = _too_long(column)
        text = text[:limit]
    if lower:
        text = text.lower()
    if "," not in text:  # one item or none: most rows
        item = " ".join(text.split())
        return ((item,) if item else ()), problem
    items = map(" ".join, map(str.split, text.split(",")))
    return tuple(dict.fromkeys(filter(None, items))), problem


def _read_author(column: str, text: str) -> tuple[object, str | None]:
    author = " ".join(text.split())  # authors often have runs of spaces
    limit = FIELD_LIMITS[column]
    if len(author) > limit:
        return author[:limit].rstrip(), _too_long(column)
    if not author:
        return "", "Author is empty; the book is kept without one."
    return author, None


def _read_optional_text(column: str, text: str) -> tuple[object, str | None]:
    text = " ".join(text.split())
    limit = FIELD_LIMITS[column]
    if len(text) > limit:
        return text[:limit].rstrip(), _too_long(column)
    return text or None, None


def _read_exclusive_shelf(column: str, text: str) -> tuple[object, str | None]:
    shelf = text.strip().lower()
    limit = FIELD_LIMITS[column]
    if len(shelf) > limit:
        return shelf[:limit], _too_long(column)
    if not shelf:  # kept as unknown rather than guessed
        return "", "Exclusive Shelf is empty; the book has no shelf."
    return shelf, None


def _read_number(column: str, text: str) -> tuple[float | None, str | None]:
    try:
        value = float(text)
    except ValueError:
        return None, f"{column} {_show(text)} is not a number; ignored."
    if not math.isfinite(value):
        return None, f"{column} {_show(text)} is not a number; ignored."
    return value, None


def _int_reader(low: int, high: int | None, *, zero_is_unknown: bool = False) -> _Reader:
    def read(column: str, text: str) -> tuple[object, str | None]:
        text = text.strip()
        if not text:
            return None, None
        try:
            value = int(text)
        except ValueError:
            number, problem = _read_number(column, text)
            if number is None:
                return None, problem
            if not number.is_integer():
                return None, f"{column} {_show(text)} is not a whole number; ignored."
            value = int(number)  # "5.0"
        if zero_is_unknown and value == 0:
            return None, None  # Goodreads writes 0 when it does not know
        if value < low or (high is not None and value > high):
            return None, f"{column} {value} is out of range; ignored."
        return value, None

    return read


_read_rating_number = _int_reader(0, 5)


def _read_my_rating(column: str, text: str) -> tuple[object, str | None]:
    value, problem = _read_rating_number(column, text)
    return (value or None), problem  # 0 means unrated


def _read_average_rating(column: str, text: str) -> tuple[object, str | None]:
    text = text.strip()
    if not text:
        return None, None
    value, problem = _read_number(column, text)
    if value is None:
        return None, problem
    if not 0.0 <= value <= 5.0:
        return None, f"{column} {_show(text)} is out of range; ignored."
    return (value or None), None  # 0.0 means nobody rated it


def _read_date(column: str, text: str) -> tuple[object, str | None]:
    text = text.strip()
    if not text:
        return None, None  # unknown, and kept unknown: never invented
    try:
        if len(text) != 10 or text[4] not in "/-" or text[7] != text[4] or not text.isascii():
            raise ValueError(text)
        return dt.date.fromisoformat(text.replace("/", "-")), None
    except ValueError:
        return None, f"{column} {_show(text)} is not a YYYY/MM/DD date; ignored."


def _read_spoiler(column: str, text: str) -> tuple[object, str | None]:
    flag = text.strip().lower()
    if flag in ("", "false"):
        return False, None
    if flag == "true":
        return True, None
    return False, f"{column} {_show(text)} is not 'true' or empty; read as false."


# --- Bulk readers: a whole column at once, or None when some value needs its column reader ---

_ASCII_DIGITS = str.maketrans("", "", "0123456789")


# Dates are many and mostly distinct, so they are parsed in bulk rather than one by one: empty
# cells become a sentinel date, and the sentinel becomes None afterwards, so that every step is
# a C-level operation over the whole column.
_DATE_SENTINEL_TEXT = "0001/01/01"  # a real 0001/01/01 would read as unknown: no book has it
_DATE_SENTINEL = dt.date(1, 1, 1)


def _bulk_dates(texts: Sequence[str]) -> list[object] | None:
    filled = list(map({"": _DATE_SENTINEL_TEXT}.get, texts, texts))
    joined = "\x00".join(filled)
    # Only YYYY/MM/DD with ASCII digits takes this path; the rest is read value by value.
    if joined.translate(_ASCII_DIGITS) != "\x00".join(["//"] * len(filled)):
        return None
    try:
        dates = list(map(dt.date.fromisoformat, joined.replace("/", "-").split("\x00")))
    except ValueError:
        return None
    return list(map({_DATE_SENTINEL: None}.get, dates, dates))


_BULK_READERS: dict[str, Callable[[Sequence[str]], list[object] | None]] = {
    "Date Read": _bulk_dates,
    "Date Added": _bulk_dates,
}


# Columns whose values repeat across rows (an author has several books), parsed once per
# distinct text.
_CACHED_READERS: dict[str, _Reader] = {
    "Author": _read_author,
    "Additional Authors": functools.partial(_split_list, lower=False),
    "My Rating": _read_my_rating,
    "Average Rating": _read_average_rating,
    "Publisher": _read_optional_text,
    "Binding": _read_optional_text,
    "Number of Pages": _int_reader(1, MAX_PAGES, zero_is_unknown=True),
    "Year Published": _int_reader(MIN_YEAR, MAX_YEAR),
    "Original Publication Year": _int_reader(MIN_YEAR, MAX_YEAR),
    "Date Read": _read_date,
    "Date Added": _read_date,
    "Bookshelves": functools.partial(_split_list, lower=True),
    "Exclusive Shelf": _read_exclusive_shelf,
    "Spoiler": _read_spoiler,
    "Read Count": _int_reader(0, None),
    "Owned Copies": _int_reader(0, None),
}


def _show(value: str) -> str:
    """A value quoted for a message, short enough to read."""
    return repr(value if len(value) <= 40 else value[:40] + "…")
