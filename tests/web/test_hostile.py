"""Untrusted strings (titles, authors, shelves, reviews, genres, reasons) reach the page only as
text: they are shown as written, and nothing in them runs or becomes an element."""

from __future__ import annotations

import urllib.parse

from playwright.sync_api import Browser, expect

from tests.support.browser import go, opened
from tests.support.dashboards import (
    EMOJI_TITLE,
    HOSTILE_AUTHOR,
    HOSTILE_GENRE,
    HOSTILE_REVIEW,
    HOSTILE_SHELF,
    HOSTILE_TITLE,
    LONG_TITLE,
    PWNED,
    RTL_TITLE,
)
from tests.web.conftest import Dataset


def test_hostile_strings_are_shown_as_text_and_nothing_runs(
    browser: Browser, hostile: Dataset
) -> None:
    with opened(browser, hostile.url + "#/books") as (page, seen):

        for text in (HOSTILE_TITLE, RTL_TITLE, EMOJI_TITLE, LONG_TITLE):
            expect(page.locator("table.books").get_by_text(text, exact=True).first).to_be_visible()
        expect(
            page.locator("table.books").get_by_text(HOSTILE_AUTHOR, exact=True).first
        ).to_be_visible()

        first = hostile.data["books"][0]
        go(page, f"#/book/{urllib.parse.quote(first['book_id'])}")
        expect(page.locator("main h1")).to_have_text(HOSTILE_TITLE)
        # The review is spoiler-marked: hidden until asked, then its text (tags stripped by the
        # aggregator, escaped markup shown literally).
        expect(page.locator(".review")).to_have_count(0)
        page.get_by_role("button", name="Show the review").click()
        expect(page.locator(".review")).to_have_text(first["review_text"])
        assert (
            "<b>not bold</b>" in first["review_text"] and HOSTILE_REVIEW not in first["review_text"]
        )
        expect(page.locator("main").get_by_text(HOSTILE_SHELF).first).to_be_visible()
        # A javascript: or foreign cover never becomes an image: the placeholder stands in.
        assert page.locator("main img").count() == 0
        expect(page.locator(".cover.placeholder")).to_have_count(1)

        go(page, "#/genres")
        expect(page.locator(".genre-name", has_text=HOSTILE_GENRE)).to_have_count(1)
        go(page, "#/quality")
        expect(page.locator("table.rejected")).to_contain_text(f"no title {HOSTILE_TITLE}")
        page.locator("summary", has_text="upstream said").first.click()
        go(page, "#/")
        page.locator('figure[data-chart="shelves"]').get_by_role("button").click()
        expect(page.locator('table[data-chart-table="shelves"]')).to_contain_text(
            HOSTILE_SHELF.lower()
        )

        assert page.evaluate(f"() => window.{PWNED} === undefined")
        for selector in ("img[src='x']", "iframe", "svg[onload]", "b[onmouseover]", "main script"):
            assert page.locator(selector).count() == 0, selector
        seen.assert_clean()
        assert seen.cover_requests == []  # neither javascript: nor a foreign host was requested


def test_a_page_whose_data_is_not_a_dashboard_says_so(browser: Browser, pages_dir: object) -> None:
    from pathlib import Path

    from local_runtime.viewer import render_viewer

    page_file = Path(str(pages_dir)) / "not-a-dashboard.html"
    page_file.write_text(render_viewer(b'{"type": "job.record.v1", "job_id": "x"}'), "utf-8")
    with opened(browser, page_file.as_uri(), wait=False) as (page, seen):
        expect(page.locator("#app")).to_contain_text(
            'not a dashboard.v1 document (its "type" is "job.record.v1")'
        )
        seen.assert_clean()
