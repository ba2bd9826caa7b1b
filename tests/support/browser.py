"""Headless Chromium (Debian's `chromium`) driven by Playwright, as a reader's browser.

Every page opened through `open_page` is watched: console errors, uncaught exceptions, dialogs
(an `alert` from injected markup would be one) and every network request. Requests to the cover
hosts are answered with a small image, as the real hosts would; any other request to the network
is refused and recorded, so that a test can assert the page made none.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import shutil
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Page,
    Route,
    sync_playwright,
)

# The flags the workplace's notes give for Chromium on a machine with a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
COVER_HOSTS = frozenset({"covers.openlibrary.org", "books.google.com"})
# A 2x3 PNG of one muted colour: what a cover host answers here.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAADCAIAAAA2iEnWAAAAEElEQVR42mOY01UERAwoFABleQmRJXGfvgAAAABJRU5ErkJggg=="
)


class ChromiumMissing(RuntimeError):
    pass


def chromium_path() -> str:
    """GOODREADS_STATS_CHROMIUM, else `chromium` on PATH, else Debian's /usr/bin/chromium."""
    candidate = os.environ.get("GOODREADS_STATS_CHROMIUM") or shutil.which("chromium")
    candidate = candidate or "/usr/bin/chromium"
    if not Path(candidate).exists():
        raise ChromiumMissing(
            "Chromium is needed for the web app's tests: `apt-get install -y chromium` "
            "(.ci/run installs it), or set GOODREADS_STATS_CHROMIUM to a Chromium binary"
        )
    return candidate


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclasses.dataclass
class Watch:
    console_errors: list[str] = dataclasses.field(default_factory=list)
    page_errors: list[str] = dataclasses.field(default_factory=list)
    dialogs: list[str] = dataclasses.field(default_factory=list)
    cover_requests: list[str] = dataclasses.field(default_factory=list)
    refused_requests: list[str] = dataclasses.field(default_factory=list)
    other_requests: list[str] = dataclasses.field(default_factory=list)
    # Requests sent and not yet answered or failed, by id: empty once the page has settled.
    in_flight: set[int] = dataclasses.field(default_factory=set)

    def assert_clean(self) -> None:
        """Nothing went wrong and nothing left the machine but covers."""
        assert self.console_errors == [], self.console_errors
        assert self.page_errors == [], self.page_errors
        assert self.dialogs == [], self.dialogs
        assert self.refused_requests == [], self.refused_requests


DESKTOP = {"width": 1280, "height": 900}


def new_context(browser: Browser, **options: Any) -> BrowserContext:
    return browser.new_context(**{"viewport": DESKTOP, **options})


@contextmanager
def opened(
    browser: Browser,
    url: str,
    *,
    block_covers: bool = False,
    wait: bool = True,
    **context_options: Any,
) -> Iterator[tuple[Page, Watch]]:
    """A page of its own (a fresh browser context: no storage shared with other tests) at
    `url`, watched, after its view has rendered; closed however the test ends."""
    context = new_context(browser, **context_options)
    try:
        page = context.new_page()
        seen = watch(page, block_covers=block_covers)
        page.goto(url)
        if wait:
            wait_for_view(page)
        yield page, seen
    finally:
        context.close()


def watch(page: Page, *, block_covers: bool = False, allow_origin: str | None = None) -> Watch:
    """Watches `page`; `allow_origin` (http://127.0.0.1:port) may be reached, as the app's own."""
    seen = Watch()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    def on_route(route: Route) -> None:
        url = route.request.url
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme in ("file", "data", "blob"):
            route.continue_()
        elif allow_origin is not None and url.startswith(allow_origin + "/"):
            seen.other_requests.append(url)
            route.continue_()
        elif parsed.scheme == "https" and parsed.hostname in COVER_HOSTS:
            seen.cover_requests.append(url)
            if block_covers:
                route.abort("blockedbyclient")
            else:
                route.fulfill(status=200, content_type="image/png", body=PNG)
        else:
            seen.refused_requests.append(url)
            route.abort("blockedbyclient")

    page.on("console", on_console)
    page.on("pageerror", lambda error: seen.page_errors.append(str(error)))

    def on_dialog(dialog: Dialog) -> None:  # an alert() from injected markup would land here
        seen.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("request", lambda request: seen.in_flight.add(id(request)))
    page.on("requestfinished", lambda request: seen.in_flight.discard(id(request)))
    page.on("requestfailed", lambda request: seen.in_flight.discard(id(request)))
    page.route("**/*", on_route)
    return seen


def settle(page: Page, seen: Watch, *, timeout_seconds: float = 30.0) -> None:
    """Until every request the page has sent (covers, its own files) is answered or failed,
    twice in a row 100 ms apart. Playwright's "networkidle" waits for the browser's own idea of
    quiet (500 ms without connections), which a loaded machine may never give."""
    quiet = 0
    for _ in range(int(timeout_seconds / 0.1)):
        page.wait_for_timeout(100)  # lets Playwright deliver the page's events
        quiet = quiet + 1 if not seen.in_flight else 0
        if quiet == 2:
            return
    raise AssertionError(
        f"{len(seen.in_flight)} requests still unanswered after {timeout_seconds} s"
    )


def wait_for_view(page: Page) -> None:
    """Until the current view has rendered its heading (views render synchronously)."""
    page.wait_for_selector("main h1", state="visible")


def go(page: Page, hash_route: str) -> None:
    """Moves the open app to a route, as a link would."""
    page.evaluate("route => { location.hash = route; }", hash_route)
    page.wait_for_function(
        "route => location.hash === route || location.hash === '#' + route.replace(/^#/, '')",
        arg=hash_route,
    )
    wait_for_view(page)


def bring_chart(page: Page, chart_id: str) -> None:
    """Scrolls a chart's figure to the middle of the window (charts further down are drawn as
    they come near it; the sticky header covers the top) and waits until it is drawn."""
    page.locator(f'figure[data-chart="{chart_id}"]').evaluate(
        "figure => figure.scrollIntoView({ block: 'center' })"
    )
    page.wait_for_function("id => window.goodreadsStats.chart(id) !== null", arg=chart_id)


def draw_every_chart(page: Page) -> None:
    """Brings every chart of the view near the window once, as a reader scrolling down would."""
    for chart_id in page.locator("figure.chart:has(canvas)").evaluate_all(
        "figures => figures.map(figure => figure.dataset.chart)"
    ):
        bring_chart(page, chart_id)
    page.evaluate("() => window.scrollTo(0, 0)")


def chart(page: Page, chart_id: str) -> dict[str, Any]:
    """A chart's labels and values, from the page's inspection handle."""
    bring_chart(page, chart_id)
    value = page.evaluate(
        """id => { const c = window.goodreadsStats.chart(id);
                   return c && { labels: c.labels, values: c.values }; }""",
        chart_id,
    )
    assert value is not None, f"no chart {chart_id} on the page"
    return dict(value)


def click_point(page: Page, chart_id: str, index: int) -> None:
    """A real mouse click on a bar, slice or cell, at its centre on the screen."""
    bring_chart(page, chart_id)
    centre = page.evaluate(
        "([id, i]) => window.goodreadsStats.chart(id).centre(i)", [chart_id, index]
    )
    assert centre is not None
    page.mouse.click(centre["x"], centre["y"])


def wait_for_books_list(page: Page) -> None:
    page.wait_for_function("() => location.hash.includes('/books?')")
    wait_for_view(page)


def book_count(page: Page) -> int:
    page.wait_for_selector('[data-testid="book-count"]')
    return int(page.locator('[data-testid="book-count"]').inner_text().replace(",", ""))
