"""Whole-file failures of an export, diagnosed in words the reader can act on.

Nothing of such a file is queued: `ExportRejected` carries the message. The checks that need
no parsing run first (`check_whole_file`); the others explain what the parse ran into (an
encoding error, malformed CSV, a row of the wrong width, missing columns), by reading the file
again, line by line, only then: the fast path does not track lines.
"""

from __future__ import annotations

import csv
import itertools

from services.orchestrator.export_format import MAX_FILE_BYTES, show, text_lines


class ExportRejected(Exception):
    """The file as a whole cannot be used; `message` tells the reader what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


EMPTY_FILE = (
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


def check_whole_file(data: bytes) -> None:
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


def not_utf8_message(data: bytes) -> str:
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


class FieldCountMismatch(Exception):
    def __init__(self, row_number: int, found: int, *, header_line: bool = False) -> None:
        super().__init__(row_number, found)
        self.row_number = row_number
        self.found = found
        self.header_line = header_line  # the row is a header line (Book Id, Title, …)


def _first_line_of_row(data: bytes, row_number: int) -> int:
    reader = csv.reader(text_lines(data))
    rows_seen, lines_before = -1, 0  # the header is row 0
    for row in reader:
        if row:
            rows_seen += 1
            if rows_seen == row_number:
                break
        lines_before = reader.line_num
    return lines_before + 1


def field_count_message(data: bytes, mismatch: FieldCountMismatch, names: list[str]) -> str:
    if mismatch.header_line:
        line = _first_line_of_row(data, mismatch.row_number)
        return (
            f"The file holds a second header line at row {mismatch.row_number} (line {line}), "
            f"with {mismatch.found} columns where the first has {len(names)}: two exports of "
            "different formats joined into one file? Upload each export on its own."
        )
    if mismatch.found < len(names):
        where = f"it ends before column {show(names[mismatch.found])}"
    else:
        where = f"it has values after the last column {show(names[-1])}"
    line = _first_line_of_row(data, mismatch.row_number)
    return (
        f"The file is not valid CSV at row {mismatch.row_number} (line {line}): the row has "
        f"{mismatch.found} fields but the header has {len(names)}; {where}. This usually comes "
        "from a broken quote or a stray comma after editing the file: fix that row or export "
        "the library again."
    )


_CSV_ERRORS = {
    "unexpected end of data": "a quoted value is never closed",
    "',' expected after '\"'": "a closing quote is followed by more text",
}


def malformed_csv_message(data: bytes) -> str:
    # The fast pass does not track lines; read again, record by record, to locate the error.
    reader = csv.reader(text_lines(data), strict=True)
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
    record = "".join(itertools.islice(text_lines(data), lines_before, error_line))
    field_index = _failing_field_index(record)
    if not header:
        where = f"the header line (field {field_index + 1})"
    else:
        column = (
            show(header[field_index].strip())
            if field_index < len(header)
            else f"#{field_index + 1}"
        )
        where = f"row {rows_read + 1} (line {lines_before + 1}), column {column}"
    detail = _CSV_ERRORS.get(error, error[:200])
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


def missing_columns_message(names: list[str], missing: list[str]) -> str:
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
