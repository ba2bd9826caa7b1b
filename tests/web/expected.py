"""What the pages must show, computed from the dashboard JSON (independently of the app)."""

from __future__ import annotations

from collections import Counter
from typing import Any

TOP_GENRES_SHOWN = 15
ENRICHMENT_ORDER = ("enriched", "not_found", "failed", "skipped", "missing")


def _count_points(labels_values: list[tuple[str, int]]) -> dict[str, list[Any]]:
    return {
        "labels": [label for label, _ in labels_values],
        "values": [v for _, v in labels_values],
    }


def overview_charts(data: dict[str, Any]) -> dict[str, dict[str, list[Any]]]:
    """Chart id -> the labels and values the overview's chart must draw."""
    comparison = data["rating_vs_community"]
    split = data["fiction_split"]
    statuses = Counter(book["enrichment"] for book in data["books"])
    ratings_by_year: dict[int, list[int]] = {}
    for book in data["books"]:
        if book["exclusive_shelf"] == "read" and book["date_read"] and book["my_rating"]:
            ratings_by_year.setdefault(int(book["date_read"][:4]), []).append(book["my_rating"])
    charts = {
        "books-per-year": [(str(p["year"]), p["books"]) for p in data["books_per_year"]],
        "pages-per-year": [(str(p["year"]), p["pages"]) for p in data["books_per_year"]],
        "ratings": [
            ("unrated" if r["rating"] is None else f"{r['rating']} ★", r["books"])
            for r in data["ratings"]
        ],
        "rating-vs-community": [
            ("you rated higher", comparison["higher"]),
            ("about the same", comparison["same"]),
            ("you rated lower", comparison["lower"]),
        ],
        "rating-per-year": [
            (str(year), round(sum(values) / len(values) + 1e-9, 2))
            for year, values in sorted(ratings_by_year.items())
        ],
        "genres": [(g["genre"], g["books"]) for g in data["genres"][:TOP_GENRES_SHOWN]],
        "fiction-split": [
            ("fiction", split["fiction"]),
            ("nonfiction", split["nonfiction"]),
            ("unknown", split["unknown"]),
        ],
        "page-lengths": [(b["label"], b["books"]) for b in data["page_buckets"]],
        "publication-decades": [(b["label"], b["books"]) for b in data["publication_decades"]],
        "top-authors": [(a["author"], a["books"]) for a in data["top_authors"]],
        "shelves": [(s["shelf"], s["books"]) for s in data["shelves"] if s["books"] > 0],
        "enrichment": [
            (status.replace("_", " "), statuses[status])
            for status in ENRICHMENT_ORDER
            if statuses[status]
        ],
    }
    return {chart_id: _count_points(points) for chart_id, points in charts.items()}


def heatmap_cells(data: dict[str, Any]) -> list[tuple[str, int]]:
    months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    return [
        (f"{months[int(p['month'][5:]) - 1]} {p['month'][:4]}", p["books"])
        for p in data["books_per_month"]
    ]


def drawn(points: dict[str, list[Any]]) -> bool:
    """A chart is drawn when some value is not zero; otherwise the figure says it is empty."""
    return any(value != 0 for value in points["values"])
