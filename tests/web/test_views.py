"""Every view of the dashboard, on every kind of library: it renders, says nothing is wrong,
shows hostile strings as text without running them, and loads nothing but covers."""

from __future__ import annotations

import urllib.parse

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import go, opened, settle, wait_for_view
from tests.support.dashboards import PWNED
from tests.web.conftest import DATASETS, Dataset

VIEWS = ("overview", "year", "books", "book", "genres", "series", "to-read", "quality")


def _route(dataset: Dataset, view: str) -> str | None:
    if view == "overview":
        return "#/"
    if view == "book":
        books = dataset.data["books"]
        return f"#/book/{urllib.parse.quote(books[0]['book_id'])}" if books else None
    return f"#/{view}"


def _heading(dataset: Dataset, view: str) -> str:
    years = dataset.data["summary"]["reading_years"]
    return {
        "overview": "Your reading",
        "year": f"{years[-1]} in review" if years else "Year in review",
        "books": "Books",
        "book": dataset.data["books"][0]["title"] if dataset.data["books"] else "",
        "genres": "Genres",
        "series": "Series",
        "to-read": "The to-read pile",
        "quality": "Data quality",
    }[view]


def _assert_nothing_injected(page: Page) -> None:
    assert page.evaluate(f"window.{PWNED} === undefined")
    for selector in ("main img[src='x']", "iframe", "svg[onload]", "b[onmouseover]", "main script"):
        assert page.locator(selector).count() == 0, selector


# An empty library has no book to open: its book view is tested below with an unknown id.
CASES = [(name, view) for name in DATASETS for view in VIEWS if (name, view) != ("empty", "book")]


@pytest.mark.parametrize(("name", "view"), CASES)
def test_every_view_renders_cleanly_on_every_library(
    browser: Browser, request: pytest.FixtureRequest, name: str, view: str
) -> None:
    dataset: Dataset = request.getfixturevalue(name)
    route = _route(dataset, view)
    assert route is not None
    with opened(browser, dataset.url + route) as (page, seen):

        expect(page.locator("main h1")).to_have_text(_heading(dataset, view))
        partial = dataset.data["status"] == "PARTIAL"
        expect(page.locator(".banner.partial")).to_have_count(1 if partial else 0)
        _assert_nothing_injected(page)
        settle(page, seen)
        seen.assert_clean()


def test_moving_between_views_by_the_navigation_keeps_the_page_clean(
    browser: Browser, dataset: Dataset
) -> None:
    with opened(browser, dataset.url) as (page, seen):
        for label in (
            "Year in review",
            "Books",
            "Genres",
            "Series",
            "To read",
            "Data quality",
            "Overview",
        ):
            link = page.get_by_role("navigation", name="Dashboard").get_by_role(
                "link", name=label, exact=True
            )
            link.click()
            wait_for_view(page)
            expect(link).to_have_attribute("aria-current", "page")
        page.go_back()
        wait_for_view(page)
        expect(page.locator("main h1")).to_have_text("Data quality")
        _assert_nothing_injected(page)
        seen.assert_clean()


def test_an_empty_library_says_so_in_every_view(browser: Browser, empty: Dataset) -> None:
    with opened(browser, empty.url) as (page, seen):
        expect(page.locator("main")).to_contain_text("0 books in your library")
        assert page.locator("canvas").count() == 0
        for route, text in (
            ("#/year", "No dated reads yet"),
            ("#/books", "No book matches these filters."),
            ("#/genres", "No genres yet"),
            ("#/series", "No series"),
            ("#/to-read", "Nothing on the to-read shelf."),
            ("#/quality", "No row was rejected."),
            ("#/book/gr1", "This dashboard has no book with that id."),
        ):
            go(page, route)
            expect(page.locator("main")).to_contain_text(text)
        seen.assert_clean()


def test_an_unknown_address_is_not_found_rather_than_a_guess(
    browser: Browser, library: Dataset
) -> None:
    with opened(browser, library.url + "#/nowhere/at/all") as (page, seen):
        expect(page.locator("main h1")).to_have_text("Nothing here")
        seen.assert_clean()
