"""A book's page: its cover or a placeholder, its facts, its review, its enrichment."""

from __future__ import annotations

import urllib.parse

from playwright.sync_api import Browser, expect

from tests.support.browser import opened
from tests.web.conftest import Dataset


def _book(dataset: Dataset, **wanted: object) -> dict:  # type: ignore[type-arg]
    return next(
        b
        for b in dataset.data["books"]
        if all(b[k] == v or (v is True and b[k]) for k, v in wanted.items())
    )


def test_a_book_shows_its_cover_facts_genres_and_a_goodreads_link(
    browser: Browser, library: Dataset
) -> None:
    book = _book(library, enrichment="enriched", cover_url=True, goodreads_url=True)
    with opened(browser, f"{library.url}#/book/{urllib.parse.quote(book['book_id'])}") as (
        page,
        seen,
    ):
        expect(page.locator("main h1")).to_have_text(book["title"])
        cover = page.locator("img.cover.large")
        expect(cover).to_have_attribute("src", book["cover_url"])
        expect(cover).to_have_attribute("referrerpolicy", "no-referrer")
        link = page.get_by_role("link", name="See it on Goodreads")
        expect(link).to_have_attribute("href", book["goodreads_url"])
        expect(link).to_have_attribute("rel", "noopener noreferrer")
        for genre in book["genres"]:
            expect(page.locator("ul.tags").first).to_contain_text(genre)
        expect(page.locator("main")).to_contain_text("enriched")
        assert seen.cover_requests == [book["cover_url"]]
        seen.assert_clean()


def test_with_covers_blocked_the_page_is_complete_with_a_placeholder(
    browser: Browser, library: Dataset
) -> None:
    book = _book(library, cover_url=True)
    with opened(
        browser, f"{library.url}#/book/{urllib.parse.quote(book['book_id'])}", block_covers=True
    ) as (page, seen):
        expect(page.locator(".cover.placeholder")).to_be_visible()
        expect(page.locator("main h1")).to_have_text(book["title"])
        # The refused image is the browser's own notice, not the page's error.
        assert all("Failed to load resource" in error for error in seen.console_errors)
        assert seen.page_errors == [] and seen.refused_requests == []


def test_a_spoiler_review_stays_hidden_until_asked(browser: Browser, library: Dataset) -> None:
    book = _book(library, spoiler=True, review_text=True)
    with opened(browser, f"{library.url}#/book/{urllib.parse.quote(book['book_id'])}") as (page, _):
        expect(page.locator(".review")).to_have_count(0)
        expect(page.locator("main")).to_contain_text("This review contains spoilers.")
        page.get_by_role("button", name="Show the review").click()
        expect(page.locator(".review")).to_have_text(book["review_text"])


def test_a_book_that_was_not_enriched_says_why(browser: Browser, partial: Dataset) -> None:
    book = _book(partial, enrichment="missing")
    with opened(browser, f"{partial.url}#/book/{urllib.parse.quote(book['book_id'])}") as (page, _):
        expect(page.locator("main")).to_contain_text(book["enrichment_reason"])
        expect(page.locator(".cover.placeholder")).to_be_visible()
