"""The web app's budgets, measured in headless Chromium on this machine.

    python -m benchmarks.web_bench [--books 10000] [--runs 5]

(or `./pants run benchmarks/web_bench.py -- --books 10000`). Needs the built app (web/dist:
`./pants package web:site`, or `npm ci && npm run build` in web/) and Debian's chromium.

A synthetic library of `--books` books (tests/support/dashboards.py: the orchestrator's parser and
the aggregator's `build_dashboard`, enrichment of the processor's shapes) goes into the
self-contained page the local command writes. Prints, against the issue's budgets:

- first chart: from navigation start to the first chart drawn (User Timing mark
  `goodreads-stats:first-chart`), over `--runs` cold page loads: target < 1 s at 10,000 books;
- view switch: from setting the location hash to the new view rendered with its charts (mark
  `goodreads-stats:view`), for every view in turn, `--runs` rounds: target < 300 ms;
- the app's JS+CSS gzipped (web/dist/build-report.json): target < 350 KB;
- the self-contained page for a 564-book library: target < 1.5 MB.

Covers are answered locally with a small image (the network is not part of the budget).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from local_runtime.viewer import render_viewer
from tests.support import dashboards
from tests.support.browser import chromium, new_context, wait_for_view, watch

FIRST_CHART_BUDGET_MS = 1000.0
VIEW_SWITCH_BUDGET_MS = 300.0
APP_GZIP_BUDGET_KB = 350.0
PAGE_564_BUDGET_MB = 1.5
VIEWS = ("#/year", "#/books", "#/genres", "#/series", "#/to-read", "#/quality", "#/")
BUILD_REPORT = Path(__file__).resolve().parents[1] / "web" / "dist" / "build-report.json"

_VIEW_COUNT = "() => performance.getEntriesByName('goodreads-stats:view').length"


def _verdict(ok: bool) -> str:
    return "meets the target" if ok else "MISSES the target"


def _page(directory: Path, name: str, books: int, seed: int) -> Path:
    dashboard = dashboards.synthetic(books, seed=seed, reject_rate=0.0)
    page = directory / f"{name}.html"
    page.write_text(render_viewer(dashboards.encode_dashboard(dashboard)), "utf-8")
    return page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()}")
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        started = time.perf_counter()
        big = _page(directory, "big", args.books, seed=5)
        small = _page(directory, "small", 564, seed=11)
        big_mb = big.stat().st_size / 1_000_000
        page_mb = small.stat().st_size / 1_000_000
        print(f"datasets built in {time.perf_counter() - started:.1f} s")

        first_chart: list[float] = []
        switches: dict[str, list[float]] = {view: [] for view in VIEWS}
        with chromium() as browser:
            for _ in range(args.runs):
                context = new_context(browser)
                page = context.new_page()
                seen = watch(page)
                page.goto(big.as_uri())
                page.wait_for_function(
                    "() => performance.getEntriesByName('goodreads-stats:first-chart').length > 0"
                )
                first_chart.append(
                    page.evaluate(
                        "() => performance.getEntriesByName('goodreads-stats:first-chart')[0].startTime"
                    )
                )
                wait_for_view(page)
                for view in VIEWS:
                    before = page.evaluate(_VIEW_COUNT)
                    start = page.evaluate(
                        "route => { const t = performance.now(); location.hash = route; return t; }",
                        view,
                    )
                    page.wait_for_function(f"() => ({_VIEW_COUNT})() > {before}")
                    end = page.evaluate(
                        "() => { const marks = performance.getEntriesByName('goodreads-stats:view'); return marks[marks.length - 1].startTime; }"
                    )
                    switches[view].append(end - start)
                seen.assert_clean()
                context.close()

    report = json.loads(BUILD_REPORT.read_text())
    app_kb = report["total_gzip_bytes"] / 1024
    all_switches = [value for values in switches.values() for value in values]

    print(f"\nweb app, {args.books:,} books ({big_mb:.1f} MB page), {args.runs} runs")
    print(
        f"  first chart        median {statistics.median(first_chart):.0f} ms, "
        f"range {min(first_chart):.0f}-{max(first_chart):.0f} ms "
        f"(target < {FIRST_CHART_BUDGET_MS:.0f} ms: {_verdict(max(first_chart) < FIRST_CHART_BUDGET_MS)})"
    )
    print(
        f"  view switch        median {statistics.median(all_switches):.0f} ms, "
        f"slowest {max(all_switches):.0f} ms "
        f"(target < {VIEW_SWITCH_BUDGET_MS:.0f} ms: {_verdict(max(all_switches) < VIEW_SWITCH_BUDGET_MS)})"
    )
    for view, values in switches.items():
        print(
            f"    {view:<12} median {statistics.median(values):4.0f} ms, max {max(values):4.0f} ms"
        )
    print(
        f"  app JS+CSS gzip    {app_kb:.1f} KB (JS {report['js_gzip_bytes'] / 1024:.1f}, "
        f"CSS {report['css_gzip_bytes'] / 1024:.1f}; target < {APP_GZIP_BUDGET_KB:.0f} KB: "
        f"{_verdict(app_kb < APP_GZIP_BUDGET_KB)})"
    )
    print(
        f"  564-book page      {page_mb:.2f} MB (target < {PAGE_564_BUDGET_MB} MB: "
        f"{_verdict(page_mb < PAGE_564_BUDGET_MB)})"
    )


if __name__ == "__main__":
    main()
