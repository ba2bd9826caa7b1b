"""The one rule for the export's dates, applied once every row is read.

A cell is a date when it reads as YYYY/MM/DD (`column_readers`); whether that date can be true
depends on the whole file, so it is decided here, the same way for every row, whichever path
read the cell:

  - a date before `EARLIEST_DATE` (1900/01/01), or after the day of the upload plus one (a time
    zone ahead), cannot be true: it is ignored (None), with a warning;
  - a `Date Read` after the export's own latest `Date Added` plus one day is kept, with a
    warning: the export's latest addition usually dates the export, so such a date is
    probably mistyped, but a reader who added nothing lately may well have read since.

The latest `Date Added` is taken over the dates kept by the first rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import msgspec

from contracts.books import Book

EARLIEST_DATE = dt.date(1900, 1, 1)
ONE_DAY = dt.timedelta(days=1)

type Warn = Callable[[int, str, str], None]  # (row number, column, message)


def _text(date: dt.date) -> str:
    return f"{date.year:04d}/{date.month:02d}/{date.day:02d}"


def apply_date_rule(books: list[Book], uploaded_on: dt.date, warn: Warn) -> list[Book]:
    """The books with impossible dates ignored; warns about each date the rule touches.

    Written for 100,000 rows: the usual file has nothing to change, which min and max over
    each column (C-level) show without a loop in Python."""
    latest_possible = uploaded_on + ONE_DAY
    for column, field in (("Date Added", "date_added"), ("Date Read", "date_read")):
        dates: list[dt.date | None] = [getattr(book, field) for book in books]
        for index in _outside(dates, EARLIEST_DATE, latest_possible):
            date = dates[index]
            assert date is not None
            if date < EARLIEST_DATE:
                message = f"{column} {_text(date)} is before {EARLIEST_DATE.year}; ignored."
            else:
                message = (
                    f"{column} {_text(date)} is after the day of the upload "
                    f"({_text(uploaded_on)}); ignored."
                )
            warn(books[index].row_number, column, message)
            books[index] = msgspec.structs.replace(books[index], **{field: None})

    latest_added = max(filter(None, (book.date_added for book in books)), default=None)
    if latest_added is None:
        return books
    read = [book.date_read for book in books]
    for index in _outside(read, EARLIEST_DATE, latest_added + ONE_DAY):
        date = read[index]
        assert date is not None
        warn(
            books[index].row_number,
            "Date Read",
            f"Date Read {_text(date)} is after the export's latest Date Added "
            f"({_text(latest_added)}); kept, but check it.",
        )
    return books


def _outside(dates: list[dt.date | None], low: dt.date, high: dt.date) -> list[int]:
    """The positions of the dates outside [low, high]."""
    known = list(filter(None, dates))  # a date is never false
    if not known or (low <= min(known) and max(known) <= high):
        return []
    return [i for i, date in enumerate(dates) if date is not None and not low <= date <= high]
