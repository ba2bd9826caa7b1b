"""The books list: search, filters, sorting and paging, all kept in the URL."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.support.browser import book_count, go, opened, wait_for_view
from tests.web.conftest import Dataset


def _titles(page: Page) -> list[str]:
    return page.locator("table.books tbody .book-link").all_inner_texts()


def test_search_and_filters_narrow_the_list_and_stay_in_the_url(
    browser: Browser, library: Dataset
) -> None:
    books = library.data["books"]
    with opened(browser, library.url + "#/books") as (page, seen):
        assert book_count(page) == len(books)
        expect(page.locator("table.books tbody tr")).to_have_count(100)

        read_2020 = [
            b
            for b in books
            if b["exclusive_shelf"] == "read" and (b["date_read"] or "").startswith("2020")
        ]
        page.get_by_label("Shelf").select_option("read")
        page.get_by_label("Year read").select_option("2020")
        assert book_count(page) == len(read_2020)
        assert "shelf=read" in page.url and "year=2020" in page.url

        five = [b for b in read_2020 if b["my_rating"] == 5]
        page.get_by_label("Your rating").select_option("5")
        assert book_count(page) == len(five)

        # The URL is the list: reloading it, or opening it elsewhere, shows the same books.
        url = page.url
        page.reload()
        wait_for_view(page)
        assert book_count(page) == len(five)
        page.go_back()
        wait_for_view(page)
        assert book_count(page) == len(read_2020)

        go(page, "#/books")
        word = books[10]["title"].split()[0]
        page.get_by_label("Search title, author or ISBN").fill(word.upper())
        matching = [
            b
            for b in books
            if word.casefold()
            in f"{b['title']} {b['author']} {' '.join(b['additional_authors'])} {b['isbn13'] or ''}".casefold()
        ]
        assert book_count(page) == len(matching)
        seen.assert_clean()
        assert url.endswith("rating=5")


def test_sorting_orders_by_the_chosen_field_with_unknowns_last(
    browser: Browser, library: Dataset
) -> None:
    with opened(browser, library.url + "#/books?shelf=read&sort=pages&dir=desc") as (page, _):
        pages = [
            int(text.replace(",", "")) if text != "–" else None
            for text in page.locator("table.books tbody td.num").all_inner_texts()
        ]
        known = [value for value in pages if value is not None]
        assert known == sorted(known, reverse=True) and known
        longest = max(
            (b["pages"] or 0) for b in library.data["books"] if b["exclusive_shelf"] == "read"
        )
        assert known[0] == longest
        expect(page.get_by_label("Sort by")).to_have_value("pages")


def test_a_long_list_pages_by_a_hundred(browser: Browser, big: Dataset) -> None:
    with opened(browser, big.url + "#/books") as (page, seen):
        assert book_count(page) == len(big.data["books"]) == 10_000
        expect(page.locator("table.books tbody tr")).to_have_count(100)
        page.get_by_role("button", name="Show 100 more").click()
        expect(page.locator("table.books tbody tr")).to_have_count(200)
        seen.assert_clean()


def test_chart_filters_show_as_chips_that_can_be_removed(
    browser: Browser, library: Dataset
) -> None:
    decade = next(b for b in library.data["publication_decades"] if b["books"] > 0)
    with opened(browser, f"{library.url}#/books?shelf=read&decade={decade['label']}") as (page, _):
        assert book_count(page) == decade["books"]
        page.get_by_role("button", name="Remove the filter first published").click()
        wait_for_view(page)
        read = sum(1 for b in library.data["books"] if b["exclusive_shelf"] == "read")
        assert book_count(page) == read
