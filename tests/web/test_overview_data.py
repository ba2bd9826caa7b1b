"""The overview shows the dashboard's own figures: its cards, every chart, and each chart's
table; and a click on any bar, cell or slice opens the list of exactly those books."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import (
    book_count,
    chart,
    click_point,
    opened,
    wait_for_books_list,
    wait_for_view,
)
from tests.web import expected
from tests.web.conftest import Dataset


def _card(page: Page, label: str) -> str:
    card = page.locator(".card").filter(has=page.locator(".card-label", has_text=label)).first
    return card.locator(".card-value").inner_text()


def _number(value: int) -> str:
    return f"{value:,}"


def test_the_headline_cards_are_the_summary(browser: Browser, dataset: Dataset) -> None:
    with opened(browser, dataset.url) as (page, seen):
        summary = dataset.data["summary"]
        shelves = {shelf["shelf"]: shelf["books"] for shelf in dataset.data["shelves"]}
        assert _card(page, "Books read") == _number(summary["books_read"])
        assert _card(page, "Pages read") == _number(summary["pages_read"])
        average = summary["average_rating"]
        assert _card(page, "Your average rating") == ("–" if average is None else f"{average:.2f}")
        assert _card(page, "Authors") == _number(summary["unique_authors"])
        assert _card(page, "Reading years") == _number(len(summary["reading_years"]))
        assert _card(page, "Re-reads") == _number(summary["reread_books"])
        assert _card(page, "To read") == _number(shelves.get("to-read", 0))
        coverage = round(summary["enrichment_coverage"] * 100, 1)
        assert _card(page, "Enrichment") == f"{coverage:g}%"
        expect(page.locator(".lede").first).to_contain_text(
            f"{_number(dataset.data['counts']['total'])} book"
        )


def test_every_chart_draws_the_dashboards_figures_and_tables_them(
    browser: Browser, dataset: Dataset
) -> None:
    with opened(browser, dataset.url) as (page, seen):
        for chart_id, points in expected.overview_charts(dataset.data).items():
            figure = page.locator(f'figure[data-chart="{chart_id}"]')
            expect(figure).to_have_count(1)
            if not expected.drawn(points):
                expect(figure.locator(".empty")).to_be_visible()
                continue
            drawn = chart(page, chart_id)
            assert drawn["labels"] == points["labels"], chart_id
            if chart_id == "rating-per-year":  # means: rounding may differ in the last place
                assert drawn["values"] == pytest.approx(points["values"], abs=0.011)
            else:
                assert drawn["values"] == points["values"], chart_id
            # The same figures as a table, on request.
            figure.get_by_role("button", name="Show the data as a table").click()
            rows = figure.locator("table.data-table tbody tr")
            expect(rows).to_have_count(len(points["labels"]))
            assert rows.locator("th").all_inner_texts() == points["labels"]
        cells = expected.heatmap_cells(dataset.data)
        if cells:
            heatmap = chart(page, "month-heatmap")
            assert list(zip(heatmap["labels"], heatmap["values"], strict=True)) == [
                (f"{label.split()[0]} {label.split()[1]}", books) for label, books in cells
            ]


def test_a_click_on_any_point_of_a_chart_opens_exactly_its_books(
    browser: Browser, dataset: Dataset
) -> None:
    with opened(browser, dataset.url) as (page, seen):
        clicked = 0
        for chart_id, points in expected.overview_charts(dataset.data).items():
            if not expected.drawn(points) or chart_id in ("pages-per-year", "rating-per-year"):
                continue  # these two open the year's books: their values are not book counts
            for index in sorted({0, len(points["values"]) - 1}):
                if points["values"][index] == 0:
                    continue
                click_point(page, chart_id, index)
                wait_for_books_list(page)
                assert book_count(page) == points["values"][index], (
                    chart_id,
                    points["labels"][index],
                )
                clicked += 1
                page.go_back()
                wait_for_view(page)
        cells = expected.heatmap_cells(dataset.data)
        if cells:
            click_point(page, "month-heatmap", len(cells) // 2)
            wait_for_books_list(page)
            assert book_count(page) == cells[len(cells) // 2][1]
            clicked += 1
        assert clicked > 0 or dataset.data["counts"]["total"] == 0
        seen.assert_clean()  # type: ignore[attr-defined]


def test_a_year_in_review_counts_what_the_dashboard_counts_for_that_year(
    browser: Browser, library: Dataset
) -> None:
    with opened(browser, library.url) as (page, seen):
        for point in library.data["books_per_year"][-3:]:
            page.goto(f"{library.url}#/year/{point['year']}")
            wait_for_view(page)
            assert _card(page, "Books") == _number(point["books"])
            assert _card(page, "Pages") == _number(point["pages"])
            expect(page.locator(".cover-wall li")).to_have_count(point["books"])
            page.locator(".card").filter(has_text="Books").first.locator("a").click()
            assert book_count(page) == point["books"]
        seen.assert_clean()  # type: ignore[attr-defined]
