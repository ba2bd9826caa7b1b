"""The whole browser flow against `goodreads-stats serve` (local_runtime/web_server.py): the
real pages, the unchanged API function, the embedded S3 and the pipeline behind them, with
the loopback Open Library and Google Books knowing the books.

upload -> progress -> dashboard -> a book -> share -> delete, and what goes wrong on the way:
files the page refuses before any request, the service not answering mid-job, someone else
opening the link."""

from __future__ import annotations

import collections.abc
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from contracts import site
from contracts.books import Book
from local_runtime.pipeline import LocalPipeline, RunOptions
from local_runtime.web_server import WebServer
from services.orchestrator.parser import parse_export
from tests.support.browser import Watch, new_context, wait_for_view, watch
from tests.support.catalogue import catalogue_for
from tests.support.exports import synthetic_export
from tests.support.samples import CC0_EXPORT
from tests.support.upstream_server import Fault, UpstreamServer

JOB_TIMEOUT_MS = 90_000

# Recorded by the page's own observer: every status text the page showed, so that a test can
# see states the page passed through on its way (an upload at 100% lasts a moment).
RECORD_STATUS_TEXTS = """
window.__statusTexts = [];
new MutationObserver(() => {
  for (const node of document.querySelectorAll('[role=status]')) {
    const text = node.textContent || '';
    if (window.__statusTexts[window.__statusTexts.length - 1] !== text) window.__statusTexts.push(text);
  }
}).observe(document, { subtree: true, childList: true, characterData: true });
"""


def _books_of(data: bytes) -> list[Book]:
    return parse_export(data).books


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The files readers upload: the CC0 export, synthetic 23- and 31-column ones, and one of
    books no other test uploads (the enrichment cache, shared by all jobs, knows none of them)."""
    directory = tmp_path_factory.mktemp("exports")
    files = {"cc0": directory / "goodreads_library_export.csv"}
    files["cc0"].write_bytes(CC0_EXPORT.read_bytes())
    for name, variant, seed in (("23", "23", 23), ("31", "31", 31), ("fresh", "24", 99)):
        path = directory / f"goodreads_library_export_{name}.csv"
        path.write_bytes(synthetic_export(60, seed=seed, variant=variant).data)  # type: ignore[arg-type]
        files[name] = path
    return files


UPSTREAM_LATENCY_SECONDS = 0.03


@pytest.fixture(scope="module")
def upstream(exports: dict[str, Path]) -> collections.abc.Iterator[UpstreamServer]:
    """The loopback Open Library and Google Books, knowing every book uploaded here."""
    books = [book for path in exports.values() for book in _books_of(path.read_bytes())]
    with UpstreamServer(catalogue_for(books).fixtures, latency=UPSTREAM_LATENCY_SECONDS) as api:
        yield api


@pytest.fixture(scope="module")
def server(
    upstream: UpstreamServer, tmp_path_factory: pytest.TempPathFactory
) -> collections.abc.Iterator[WebServer]:
    """One serve deployment for the module."""
    options = RunOptions(
        concurrency=2,
        openlibrary_base_url=upstream.openlibrary_base_url,
        google_books_base_url=upstream.google_books_base_url,
        aws="server",
    )
    with LocalPipeline(tmp_path_factory.mktemp("serve"), options) as pipeline:
        pipeline.start_workers()
        with WebServer(pipeline, port=0) as web:
            web.start()
            yield web


def _open(browser: Browser, url: str, **options: Any) -> tuple[Page, Watch]:
    context = new_context(browser, **options)
    context.add_init_script(RECORD_STATUS_TEXTS)
    page = context.new_page()
    seen = watch(page, allow_origin=url.rstrip("/").split("/#")[0].rstrip("/"))
    page.goto(url)
    wait_for_view(page)
    return page, seen


def _upload(page: Page, path: Path) -> str:
    """Picks the file as a reader would; returns the job id once the job's page is open."""
    page.get_by_label("Your Goodreads export (a CSV file)").set_input_files(str(path))
    page.wait_for_function("() => location.hash.startsWith('#/jobs/')", timeout=30_000)
    return str(page.evaluate("() => location.hash.split('/')[2]"))


def _wait_for_dashboard(page: Page) -> None:
    expect(page.locator("main h1")).to_have_text("Your reading", timeout=JOB_TIMEOUT_MS)


def _api_requests(seen: Watch) -> list[str]:
    return [url for url in seen.other_requests if "/api/" in url]


def _api(
    server: WebServer, method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """A request to the served API, as any client would send it (not through a page)."""
    request = urllib.request.Request(f"{server.url}api{path}", method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request) as response:  # noqa: S310 - loopback
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _card(page: Page, label: str) -> str:
    card = page.locator(".card").filter(has=page.locator(".card-label", has_text=label)).first
    return card.locator(".card-value").inner_text()


def test_the_app_is_served_with_the_same_headers_as_cloudfront_but_hsts(server: WebServer) -> None:
    with urllib.request.urlopen(server.url) as response:  # noqa: S310 - loopback
        headers = dict(response.headers.items())
        assert response.status == 200 and '<div id="app">' in response.read().decode()
    expected = site.security_headers()
    for name in expected.keys() - {"Strict-Transport-Security"}:
        assert headers[name] == expected[name], name
    assert "Strict-Transport-Security" not in headers  # meaningless over http


def test_a_reader_uploads_follows_reads_shares_and_deletes(
    browser: Browser, server: WebServer, exports: dict[str, Path]
) -> None:
    page, seen = _open(browser, server.url)
    expect(page.locator("main h1")).to_have_text("Your Goodreads library, as reading stats")

    job_id = _upload(page, exports["cc0"])
    _wait_for_dashboard(page)
    statuses = page.evaluate("() => window.__statusTexts")
    assert any(
        "Uploading goodreads_library_export.csv: 100%" in text for text in statuses
    ), statuses

    # The dashboard of this job: the export's 105 books, 104 of them to read.
    assert page.url.endswith(f"#/jobs/{job_id}")
    expect(page.locator(".lede").first).to_contain_text("105 books in your library")
    assert _card(page, "To read") == "104"
    enriched = page.locator(".card").filter(has_text="Enrichment").locator(".card-detail")
    expect(enriched).to_contain_text("of 105 books")

    # Share: the link, and who can see it.
    share = page.locator("#share-url")
    expect(share).to_have_value(f"{server.url}#/jobs/{job_id}")
    expect(page.get_by_text("Anyone with this link can see this dashboard.")).to_be_visible()

    # A book of it.
    page.get_by_role("link", name="Books", exact=True).click()
    wait_for_view(page)
    page.locator("table.books .book-link").first.click()
    wait_for_view(page)
    assert f"#/jobs/{job_id}/book/" in page.url
    expect(page.locator(".facts")).to_contain_text("to-read")

    # Delete: confirmed, then the job's URL says so.
    page.get_by_role("link", name="Overview").click()
    wait_for_view(page)
    page.get_by_role("button", name="Delete my data").click()
    page.get_by_role("button", name="Yes, delete it").click()
    expect(page.locator("main h1")).to_have_text("This dashboard was deleted", timeout=30_000)
    page.goto(f"{server.url}#/jobs/{job_id}")
    expect(page.locator("main h1")).to_have_text("This dashboard was deleted")
    # And the API agrees: the job is gone.
    assert _api(server, "GET", f"/jobs/{job_id}")[0] == 404
    seen.assert_clean()
    page.context.close()


@pytest.mark.parametrize("variant", ["23", "31"])
def test_the_23_and_31_column_exports_work_the_same(
    browser: Browser, server: WebServer, exports: dict[str, Path], variant: str
) -> None:
    books = _books_of(exports[variant].read_bytes())
    page, seen = _open(browser, server.url)
    _upload(page, exports[variant])
    _wait_for_dashboard(page)
    expect(page.locator(".lede").first).to_contain_text(f"{len(books)} books in your library")
    read = sum(1 for book in books if book.exclusive_shelf.strip().lower() == "read")
    assert _card(page, "Books read") == f"{read:,}"
    seen.assert_clean()
    page.context.close()


def test_the_job_page_shows_real_progress_until_the_dashboard(
    browser: Browser, server: WebServer, upstream: UpstreamServer, exports: dict[str, Path]
) -> None:
    # While the upstreams answer 503, no book of this export (none of them is in the cache)
    # can be done: the job waits, QUEUED, for as long as the page needs to show it; then they
    # answer again and the job completes.
    upstream.inject(Fault.server_error(503))
    try:
        page, seen = _open(browser, server.url)
        _upload(page, exports["fresh"])
        progress = page.locator(".job-progress")
        expect(progress).to_contain_text("of 60 books done", timeout=30_000)
        expect(progress.locator("progress")).to_have_attribute("max", "60")
    finally:
        upstream.clear_faults()
    _wait_for_dashboard(page)
    statuses = " | ".join(page.evaluate("() => window.__statusTexts"))
    # Books done of the total as the API counts them, with the enriched ones and the time left.
    assert "0 of 60 books done (0%), 0 enriched so far." in statuses, statuses
    seen.assert_clean()
    page.context.close()


def test_a_file_that_is_not_a_csv_is_refused_before_any_request(
    browser: Browser, server: WebServer, tmp_path: Path
) -> None:
    not_csv = tmp_path / "library.xlsx"
    not_csv.write_bytes(b"PK\x03\x04 not a csv")
    no_header = tmp_path / "notes.csv"
    no_header.write_text("Title;Author;Shelf\nDune;Frank Herbert;read\n")
    missing = tmp_path / "partial.csv"
    missing.write_text("Book Id,Title,Shelf\n1,Dune,read\n")
    page, seen = _open(browser, server.url)
    for path, message in (
        (not_csv, "“library.xlsx” is not a CSV file."),
        (no_header, "separates values with semicolons, not commas"),
        (missing, "missing required columns: Author, Exclusive Shelf"),
    ):
        page.get_by_label("Your Goodreads export (a CSV file)").set_input_files(str(path))
        expect(page.get_by_role("alert")).to_contain_text(message)
    assert _api_requests(seen) == []
    seen.assert_clean()
    page.context.close()


def test_a_file_over_the_apis_limit_is_refused_before_any_request(
    browser: Browser, server: WebServer, tmp_path: Path
) -> None:
    from contracts.storage import MAX_UPLOAD_BYTES

    big = tmp_path / "goodreads_library_export.csv"
    with big.open("wb") as handle:  # sparse: the size is what matters
        handle.truncate(MAX_UPLOAD_BYTES + 1)
    page, seen = _open(browser, server.url)
    page.get_by_label("Your Goodreads export (a CSV file)").set_input_files(str(big))
    expect(page.get_by_role("alert")).to_contain_text(
        "the largest export this service takes is 50 MB"
    )
    assert _api_requests(seen) == []
    page.context.close()


def test_an_export_the_orchestrator_cannot_read_ends_with_its_message(
    browser: Browser, server: WebServer, exports: dict[str, Path], tmp_path: Path
) -> None:
    """The header passes the page's check; a quote left open in row 3 fails the job."""
    header = exports["23"].read_text().splitlines()[0]
    broken = tmp_path / "goodreads_library_export.csv"
    broken.write_text(f'{header}\n1,Dune,Frank Herbert\n2,"The Hobbit,J.R.R. Tolkien\n')
    page, seen = _open(browser, server.url)
    job_id = _upload(page, broken)
    expect(page.locator("main h1")).to_have_text(
        "Your export could not be read", timeout=JOB_TIMEOUT_MS
    )
    status, view = _api(server, "GET", f"/jobs/{job_id}")
    assert status == 200 and view["status"] == "FAILED"
    expect(page.get_by_role("alert")).to_have_text(view["error"])
    assert "row" in view["error"].lower()
    seen.assert_clean()
    page.context.close()


def test_when_the_api_stops_answering_the_page_retries_says_so_and_recovers(
    browser: Browser, server: WebServer, exports: dict[str, Path]
) -> None:
    page, seen = _open(browser, server.url)
    job_id = _upload(page, exports["31"])

    def refuse(route: Route) -> None:
        route.abort("connectionrefused")

    page.route(f"**/api/jobs/{job_id}**", refuse)
    expect(page.get_by_text("The service is not answering; trying again")).to_be_visible(
        timeout=30_000
    )
    page.unroute(f"**/api/jobs/{job_id}**", refuse)
    _wait_for_dashboard(page)
    expect(page.get_by_text("The service is not answering")).to_have_count(0)
    # The refused requests are the test's doing; nothing else failed.
    assert seen.page_errors == [] and seen.dialogs == []
    page.context.close()


def test_someone_else_with_the_link_reads_the_dashboard_but_cannot_delete_it(
    browser: Browser, server: WebServer, exports: dict[str, Path]
) -> None:
    owner, _ = _open(browser, server.url)
    job_id = _upload(owner, exports["23"])
    _wait_for_dashboard(owner)
    expect(owner.get_by_role("button", name="Delete my data")).to_be_visible()

    other, seen = _open(browser, f"{server.url}#/jobs/{job_id}")
    _wait_for_dashboard(other)
    expect(other.get_by_role("button", name="Delete my data")).to_have_count(0)
    expect(other.locator("#share-url")).to_have_value(f"{server.url}#/jobs/{job_id}")
    status, body = _api(
        server, "DELETE", f"/jobs/{job_id}", headers={"Authorization": "Bearer not-the-token"}
    )
    assert status == 403 and body["error"]["code"] == "forbidden"
    expect(other.locator("main h1")).to_have_text("Your reading")
    seen.assert_clean()
    owner.context.close()
    other.context.close()


def test_the_home_page_opens_the_sample_dashboard(browser: Browser, server: WebServer) -> None:
    page, seen = _open(browser, server.url)
    page.get_by_role("link", name="Open the sample dashboard").click()
    _wait_for_dashboard(page)
    sample = json.loads(
        (Path(__file__).resolve().parents[2] / "docs/sample/dashboard.json").read_text()
    )
    expect(page.locator(".lede").first).to_contain_text(
        f"{sample['counts']['total']} books in your library"
    )
    expect(page.locator("p.generated")).to_contain_text("the sample dashboard")
    seen.assert_clean()
    page.context.close()
