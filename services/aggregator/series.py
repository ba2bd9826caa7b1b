"""Series read from titles: Goodreads writes a book's series at the end of its title.

    "The Hunger Games (The Hunger Games, #1)"
    "Mockingjay (The Hunger Games, #3)"
    "The Complete Chronicles (Narnia, #1-7)"     an omnibus covers several numbers
    "Good Omens (Discworld, #12.5; Other, #2)"   a book in two series

A parenthesis without a number (`(Signet Classics)`) is an imprint or a label, not a series
position, and is ignored. Every statistic is defined in README.md beside this module.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Literal

from contracts.dashboard import SeriesBook, SeriesStat

# The last parenthesised group of the title, at its very end.
_TRAILING_GROUP = re.compile(r"\(([^()]*)\)\s*$")
# One entry of the group: "Name, #3", "Name #3", "Name, #2.5", "Name, #1-3".
_ENTRY = re.compile(
    r"^\s*(?P<name>.*?\S)\s*,?\s*#\s*(?P<first>\d{1,4}(?:\.\d{1,2})?)"
    r"(?:\s*-\s*(?P<last>\d{1,4}))?\s*$"
)
# Whole numbers above this are not series positions (years, catalogue numbers).
MAX_SERIES_NUMBER = 500
# A number range wider than this (an omnibus "#1-1000") is not read as a list of positions.
MAX_OMNIBUS_SPAN = 50

SeriesStatus = Literal["finished", "in_progress", "not_started"]


@dataclasses.dataclass(frozen=True)
class SeriesEntry:
    name: str
    number: str  # as written: "3", "2.5", "1-3"
    first: Decimal
    last: Decimal  # == first unless a range


def series_entries(title: str) -> list[SeriesEntry]:
    """The series positions a title names, in the order written; [] for none."""
    match = _TRAILING_GROUP.search(title)
    if match is None:
        return []
    entries = []
    for part in match.group(1).split(";"):
        entry = _ENTRY.match(part)
        if entry is None:
            continue
        try:
            first = Decimal(entry.group("first"))
            last = Decimal(entry.group("last")) if entry.group("last") else first
        except InvalidOperation:  # pragma: no cover - the pattern admits only digits
            continue
        if last < first or last > MAX_SERIES_NUMBER or last - first > MAX_OMNIBUS_SPAN:
            continue
        number = entry.group("first") + (f"-{entry.group('last')}" if entry.group("last") else "")
        name = " ".join(entry.group("name").split())
        entries.append(SeriesEntry(name=name, number=number, first=first, last=last))
    return entries


def _whole_numbers(entry: SeriesEntry) -> set[int]:
    """The whole positions an entry covers: 3 for "3", 1, 2 and 3 for "1-3", none for "2.5"."""
    if entry.first == entry.last:
        return {int(entry.first)} if entry.first == entry.first.to_integral_value() else set()
    low = int(entry.first.to_integral_value(rounding="ROUND_CEILING"))
    return set(range(low, int(entry.last) + 1))


@dataclasses.dataclass(frozen=True)
class _Member:
    book_id: str
    entry: SeriesEntry
    read: bool


def series_stats(books: Iterable[tuple[str, str, bool]]) -> tuple[SeriesStat, ...]:
    """Series of the library from (book id, title, read?) in export order.

    Books belong to the same series when the names are equal ignoring case and white space; the
    name shown is the first spelling. Ordered: in progress, then finished, then not started;
    within each, by books read (most first), then by name.
    """
    members: dict[str, list[_Member]] = {}
    display: dict[str, str] = {}
    for book_id, title, read in books:
        for entry in series_entries(title):
            key = entry.name.casefold()
            display.setdefault(key, entry.name)
            members.setdefault(key, []).append(_Member(book_id=book_id, entry=entry, read=read))

    stats = []
    for key, group in members.items():
        group.sort(key=lambda member: (member.entry.first, member.entry.last, member.book_id))
        read_entries = [member.entry for member in group if member.read]
        covered = set().union(*(_whole_numbers(entry) for entry in read_entries))
        highest = max(covered, default=0)
        skipped = tuple(number for number in range(1, highest) if number not in covered)
        status: SeriesStatus
        if not read_entries:
            status = "not_started"
        elif skipped or any(not member.read for member in group):
            status = "in_progress"
        else:
            status = "finished"
        stats.append(
            SeriesStat(
                name=display[key],
                books=tuple(
                    SeriesBook(book_id=member.book_id, number=member.entry.number, read=member.read)
                    for member in group
                ),
                read=tuple(dict.fromkeys(entry.number for entry in read_entries)),
                skipped=skipped,
                status=status,
            )
        )
    order = {"in_progress": 0, "finished": 1, "not_started": 2}
    stats.sort(key=lambda stat: (order[stat.status], -len(stat.read), stat.name.casefold()))
    return tuple(stats)
