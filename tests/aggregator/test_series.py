"""Series read from titles: which positions a title names, and what a library's series say."""

from __future__ import annotations

import pytest

from contracts.dashboard import SeriesBook
from services.aggregator.series import series_entries, series_stats


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("The Hunger Games (The Hunger Games, #1)", [("The Hunger Games", "1")]),
        ("Mark of the Fool 3 (Mark of the Fool, #3)", [("Mark of the Fool", "3")]),
        ("Without a comma (Wayfarers #2)", [("Wayfarers", "2")]),
        ("A novella (Discworld, #12.5)", [("Discworld", "12.5")]),
        (
            "The Chronicles of Narnia (Chronicles of Narnia, #1-7)",
            [("Chronicles of Narnia", "1-7")],
        ),
        (
            "Two at once (Cosmere, #4; The Stormlight Archive, #1)",
            [("Cosmere", "4"), ("The Stormlight Archive", "1")],
        ),
        ("Spaced  out (  The   Expanse ,  # 5 )", [("The Expanse", "5")]),
        ("Ἰλιάς (Ὅμηρος, #1)", [("Ὅμηρος", "1")]),
    ],
)
def test_a_title_names_its_series_positions(title: str, expected: list[tuple[str, str]]) -> None:
    assert [(entry.name, entry.number) for entry in series_entries(title)] == expected


@pytest.mark.parametrize(
    "title",
    [
        "Dune",
        "Pride and Prejudice (Penguin Classics)",  # an imprint, no position
        "(Series, #1) comes first here",  # not at the end of the title
        "Nineteen Eighty-Four (#1984)",  # no name
        "Catalogue (Library of America, #1984)",  # above any plausible position
        "Everything (Omnibus, #1-1000)",  # not a list of positions
        "Backwards (Series, #5-2)",
        "",
    ],
)
def test_titles_without_a_series_position_have_no_series(title: str) -> None:
    assert series_entries(title) == []


def test_series_group_books_by_name_ignoring_case_and_list_them_by_number() -> None:
    (series,) = series_stats(
        [
            ("b3", "Third (The Expanse, #3)", True),
            ("b1", "First (the expanse, #1)", True),
            ("b2", "Second (The Expanse, #2)", True),
        ]
    )
    assert series.name == "The Expanse"  # the first spelling in export order
    assert series.books == (
        SeriesBook(book_id="b1", number="1", read=True),
        SeriesBook(book_id="b2", number="2", read=True),
        SeriesBook(book_id="b3", number="3", read=True),
    )
    assert series.read == ("1", "2", "3")
    assert series.skipped == ()
    assert series.status == "finished"


def test_numbers_below_the_highest_read_that_were_not_read_are_skipped() -> None:
    (series,) = series_stats(
        [
            ("b1", "One (Saga, #1)", True),
            ("b4", "Four (Saga, #4)", True),
            ("b2", "Two (Saga, #2)", False),  # on the to-read shelf: still skipped
            ("b5", "Five (Saga, #5)", False),  # above the highest read: not skipped
        ]
    )
    assert series.read == ("1", "4")
    assert series.skipped == (2, 3)
    assert series.status == "in_progress"


def test_an_omnibus_covers_its_numbers_and_a_half_number_covers_none() -> None:
    (series,) = series_stats(
        [
            ("omnibus", "The first three (Saga, #1-3)", True),
            ("novella", "In between (Saga, #3.5)", True),
            ("b5", "Five (Saga, #5)", True),
        ]
    )
    assert series.read == ("1-3", "3.5", "5")
    assert series.skipped == (4,)


def test_a_series_with_every_library_book_read_and_no_gap_is_finished() -> None:
    stats = series_stats(
        [
            ("a1", "A1 (Alpha, #1)", True),
            ("a2", "A2 (Alpha, #2)", True),
            ("b1", "B1 (Beta, #1)", True),
            ("b2", "B2 (Beta, #2)", False),
            ("c1", "C1 (Gamma, #1)", False),
        ]
    )
    assert [(series.name, series.status) for series in stats] == [
        ("Beta", "in_progress"),
        ("Alpha", "finished"),
        ("Gamma", "not_started"),
    ]


def test_series_are_ordered_in_progress_finished_not_started_then_by_books_read() -> None:
    stats = series_stats(
        [
            ("x1", "X1 (Small, #1)", True),
            ("x3", "X3 (Small, #3)", True),
            ("y1", "Y1 (Big, #1)", True),
            ("y2", "Y2 (Big, #2)", True),
            ("y4", "Y4 (Big, #4)", True),
            ("z1", "Z1 (Alone, #1)", True),
        ]
    )
    assert [series.name for series in stats] == ["Big", "Small", "Alone"]


def test_a_book_in_two_series_counts_in_both() -> None:
    stats = series_stats([("b", "Both (Cosmere, #4; Stormlight, #1)", True)])
    assert sorted((series.name, series.books[0].number) for series in stats) == [
        ("Cosmere", "4"),
        ("Stormlight", "1"),
    ]
