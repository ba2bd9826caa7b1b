"""Usable by keyboard, on a 375 px phone, and in the reader's dark theme; every chart has a text
alternative. Screenshots of every view are written under dist/screenshots (or
GOODREADS_STATS_SCREENSHOTS) for people to look at."""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import (
    book_count,
    draw_every_chart,
    opened,
    settle,
    wait_for_books_list,
)
from tests.web.conftest import Dataset

PHONE = {"width": 375, "height": 812}


def screenshot_dir() -> Path:
    directory = Path(
        os.environ.get("GOODREADS_STATS_SCREENSHOTS") or Path.cwd() / "dist" / "screenshots"
    )
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _routes(dataset: Dataset) -> dict[str, str]:
    first_read = next(
        b for b in dataset.data["books"] if b["exclusive_shelf"] == "read" and b["cover_url"]
    )
    return {
        "overview": "#/",
        "year": "#/year",
        "books": "#/books?shelf=read&sort=date_read&dir=desc",
        "book": f"#/book/{urllib.parse.quote(first_read['book_id'])}",
        "genres": "#/genres",
        "series": "#/series",
        "to-read": "#/to-read",
        "quality": "#/quality",
    }


def _no_horizontal_scroll(page: Page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"the page is {overflow} px wider than the screen"


def test_every_canvas_has_a_text_alternative_and_a_table_on_request(
    browser: Browser, library: Dataset
) -> None:
    with opened(browser, library.url) as (page, _):
        figures = page.locator("figure.chart")
        assert figures.count() == 13
        for index in range(figures.count()):
            figure = figures.nth(index)
            canvas = figure.locator("canvas")
            if canvas.count() == 0:
                expect(figure.locator(".empty")).to_be_visible()
                continue
            expect(canvas).to_have_attribute("role", "img")
            title = figure.locator("h3").inner_text()
            description = figure.locator(".description").inner_text()
            assert canvas.get_attribute("aria-label") == f"{title}. {description}"
            assert description.endswith(".") and len(description) > 20
            button = figure.get_by_role("button", name="Show the data as a table")
            expect(button).to_have_attribute("aria-expanded", "false")


def test_the_keyboard_reaches_the_navigation_a_charts_table_and_its_books(
    browser: Browser, library: Dataset
) -> None:
    with opened(browser, library.url) as (page, seen):
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Skip to the content")).to_be_focused()
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="goodreads-stats")).to_be_focused()
        page.keyboard.press("Tab")
        expect(
            page.get_by_role("navigation", name="Dashboard").get_by_role("link", name="Overview")
        ).to_be_focused()

        # A chart's table, opened and followed with the keyboard alone.
        button = page.locator('figure[data-chart="ratings"] button[aria-controls]')
        expect(button).to_have_text("Show the data as a table")
        button.focus()
        page.keyboard.press("Enter")
        expect(button).to_have_attribute("aria-expanded", "true")
        page.keyboard.press("Tab")
        one = next(r for r in library.data["ratings"] if r["rating"] == 1)
        expect(page.locator(":focus")).to_have_text("1 ★")  # the table's first row
        page.keyboard.press("Enter")
        wait_for_books_list(page)
        assert book_count(page) == one["books"]
        expect(
            page.locator("main")
        ).to_be_focused()  # a new view takes the focus, for screen readers
        seen.assert_clean()


@pytest.mark.parametrize(
    "view", ["overview", "year", "books", "book", "genres", "series", "to-read", "quality"]
)
def test_each_view_fits_a_375_px_screen_and_is_photographed(
    browser: Browser, library: Dataset, view: str
) -> None:
    route = _routes(library)[view]
    for scheme in ("light", "dark"):
        with opened(browser, library.url + route, viewport=PHONE, color_scheme=scheme) as (
            page,
            seen,
        ):
            draw_every_chart(page)
            settle(page, seen)
            _no_horizontal_scroll(page)
            page.screenshot(path=str(screenshot_dir() / f"{view}-375-{scheme}.png"), full_page=True)
            seen.assert_clean()
    with opened(browser, library.url + route) as (page, seen):
        draw_every_chart(page)
        settle(page, seen)
        path = screenshot_dir() / f"{view}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_theme_follows_the_systems_colour_scheme_and_so_do_the_charts(
    browser: Browser, library: Dataset
) -> None:
    colours = {}
    for scheme in ("light", "dark"):
        with opened(browser, library.url, color_scheme=scheme) as (page, _):
            colours[scheme] = page.evaluate(
                """() => ({ background: getComputedStyle(document.documentElement).backgroundColor,
                            text: getComputedStyle(document.body).color })"""
            )
            if scheme == "dark":
                draw_every_chart(page)
                page.screenshot(path=str(screenshot_dir() / "overview-dark.png"), full_page=True)
    assert colours["light"]["background"] != colours["dark"]["background"]
    assert colours["light"]["text"] != colours["dark"]["text"]


def test_a_change_of_scheme_while_open_redraws_the_charts(
    browser: Browser, library: Dataset
) -> None:
    with opened(browser, library.url) as (page, seen):
        colour = "() => window.goodreadsStats.chart('books-per-year').colour"
        variable = (
            "() => getComputedStyle(document.documentElement).getPropertyValue('--series-1').trim()"
        )
        light = page.evaluate(colour)
        assert light == page.evaluate(variable)
        page.emulate_media(color_scheme="dark")
        page.wait_for_function(f"() => ({colour})() !== {light!r}")
        assert page.evaluate(colour) == page.evaluate(variable) != light
        seen.assert_clean()
