"""The Goodreads library export as the orchestrator reads it: header layouts and limits.

Documented limits:
  - a file of at most `MAX_FILE_BYTES` (50 MiB) and `MAX_ROWS` (100,000) data rows;
  - text fields are truncated at `FIELD_LIMITS` characters (with a warning): they travel in
    queue messages and end up in the dashboard, and no real book needs more.
"""

from __future__ import annotations

import csv
import io

from contracts.storage import MAX_UPLOAD_BYTES

MAX_FILE_BYTES = MAX_UPLOAD_BYTES  # contracts/storage.py: the API's upload form says the same
MAX_ROWS = 100_000
CHUNK_ROWS = 256  # rows cleaned together: small enough to stay in the CPU caches
MAX_PAGES = 100_000
MIN_YEAR, MAX_YEAR = -9999, 9999
# Counts no reader reaches: a book read or owned more often is a typing slip (or a hostile
# file), and totals of such values would overflow what a browser's numbers hold exactly.
MAX_READ_COUNT = 1_000
MAX_OWNED_COPIES = 1_000

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


def text_lines(data: bytes) -> io.TextIOWrapper:
    # Decoded as it is read rather than in one piece: one non-Latin character would make a
    # single str of the whole file up to four times its size.
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")


def too_long(column: str) -> str:
    """The warning of a value cut at its column's limit."""
    return f"{column} is longer than {FIELD_LIMITS[column]:,} characters; cut there."


SHOWN_CHARACTERS = 40


def show(value: str) -> str:
    """A value quoted for a message, short enough to read: a message never carries more than
    `SHOWN_CHARACTERS` of the file's text, however long the cell (warnings are stored on the
    job item, which DynamoDB limits to 400 KB)."""
    if len(value) <= SHOWN_CHARACTERS:
        return repr(value)
    return repr(value[:SHOWN_CHARACTERS] + "…") + f" ({len(value):,} characters)"
