"""Column readers: (column, text) -> (clean value, problem for a warning, or None).

Each reads one cell of its column; the row reader calls it once per distinct text of a file
(`CACHED_READERS`) and, for the columns whose values are mostly distinct, tries a reader of the
whole column first (`BULK_READERS`).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable, Sequence

from services.orchestrator.export_format import (
    FIELD_LIMITS,
    MAX_OWNED_COPIES,
    MAX_PAGES,
    MAX_READ_COUNT,
    MAX_YEAR,
    MIN_YEAR,
    show,
    too_long,
)

type Reader = Callable[[str, str], tuple[object, str | None]]


def _split_list(column: str, text: str, *, lower: bool) -> tuple[object, str | None]:
    problem = None
    limit = FIELD_LIMITS[column]
    if len(text) > limit:
        problem = too_long(column)
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
        return author[:limit].rstrip(), too_long(column)
    if not author:
        return "", "Author is empty; the book is kept without one."
    return author, None


def _read_optional_text(column: str, text: str) -> tuple[object, str | None]:
    text = " ".join(text.split())
    limit = FIELD_LIMITS[column]
    if len(text) > limit:
        return text[:limit].rstrip(), too_long(column)
    return text or None, None


def _read_exclusive_shelf(column: str, text: str) -> tuple[object, str | None]:
    shelf = text.strip().lower()
    limit = FIELD_LIMITS[column]
    if len(shelf) > limit:
        return shelf[:limit], too_long(column)
    if not shelf:  # kept as unknown rather than guessed
        return "", "Exclusive Shelf is empty; the book has no shelf."
    return shelf, None


def _read_number(column: str, text: str) -> tuple[float | None, str | None]:
    try:
        value = float(text)
    except ValueError:
        return None, f"{column} {show(text)} is not a number; ignored."
    if not math.isfinite(value):
        return None, f"{column} {show(text)} is not a number; ignored."
    return value, None


def _int_reader(low: int, high: int | None, *, zero_is_unknown: bool = False) -> Reader:
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
                return None, f"{column} {show(text)} is not a whole number; ignored."
            value = int(number)  # "5.0"
        if zero_is_unknown and value == 0:
            return None, None  # Goodreads writes 0 when it does not know
        if value < low or (high is not None and value > high):
            limits = f"{low:,} to {high:,}" if high is not None else f"at least {low:,}"
            return None, f"{column} {show(text)} is out of range ({limits}); ignored."
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
        return None, f"{column} {show(text)} is out of range; ignored."
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
        return None, f"{column} {show(text)} is not a YYYY/MM/DD date; ignored."


def _read_spoiler(column: str, text: str) -> tuple[object, str | None]:
    flag = text.strip().lower()
    if flag in ("", "false"):
        return False, None
    if flag == "true":
        return True, None
    return False, f"{column} {show(text)} is not 'true' or empty; read as false."


# --- Bulk readers: a whole column at once, or None when some value needs its column reader ---

_ASCII_DIGITS = str.maketrans("", "", "0123456789")


# Dates are many and mostly distinct, so they are parsed in bulk rather than one by one: empty
# cells become a sentinel date, and the sentinel becomes None afterwards, so that every step is
# a C-level operation over the whole column.
_DATE_SENTINEL_TEXT = "0001/01/01"  # a column that has it takes the value-by-value path
_DATE_SENTINEL = dt.date(1, 1, 1)


def _bulk_dates(texts: Sequence[str]) -> list[object] | None:
    if _DATE_SENTINEL_TEXT in texts:  # a real 0001/01/01 must not read as an empty cell
        return None
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


BULK_READERS: dict[str, Callable[[Sequence[str]], list[object] | None]] = {
    "Date Read": _bulk_dates,
    "Date Added": _bulk_dates,
}


# Columns whose values repeat across rows (an author has several books), parsed once per
# distinct text.
CACHED_READERS: dict[str, Reader] = {
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
    "Read Count": _int_reader(0, MAX_READ_COUNT),
    "Owned Copies": _int_reader(0, MAX_OWNED_COPIES),
}
