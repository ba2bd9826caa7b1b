"""dashboard.html: a self-contained page that shows dashboard.json without a server.

The JSON is embedded as inert data (a `application/json` script, with `<`, `>` and `&`
escaped so that no string can close the element) and rendered with `textContent` only; a
Content-Security-Policy allows nothing but the page's own script, pinned by its hash.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

VIEWER_FILE = "dashboard.html"

_SCRIPT = """
"use strict";
const data = JSON.parse(document.getElementById("dashboard-data").textContent);
const root = document.getElementById("root");
function el(tag, text, parent) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  (parent || root).appendChild(node);
  return node;
}
function table(title, headers, rows) {
  if (!rows.length) return;
  el("h2", title);
  const t = el("table");
  const head = el("tr", undefined, el("thead", undefined, t));
  for (const h of headers) el("th", h, head);
  const body = el("tbody", undefined, t);
  for (const row of rows) {
    const tr = el("tr", undefined, body);
    for (const cell of row) el("td", cell === null || cell === undefined ? "" : cell, tr);
  }
}
const s = data.summary, c = data.counts;
el("h1", "Reading dashboard");
el("p", `Status ${data.status}, generated ${data.generated_at}`);
table("Summary", ["", ""], [
  ["Books in the export", c.total], ["Books read", s.books_read],
  ["Pages read", s.pages_read], ["Average rating", s.average_rating],
  ["Unique authors", s.unique_authors], ["First read", s.first_read_date],
  ["Last read", s.last_read_date], ["Enriched", `${c.enriched} (${(100 * s.enrichment_coverage).toFixed(1)} %)`],
  ["Not enriched", c.not_enriched], ["Missing", c.missing], ["Rejected rows", c.rejected],
]);
table("Books per year", ["Year", "Books", "Pages"], data.books_per_year.map(p => [p.year, p.books, p.pages]));
table("Ratings", ["Rating", "Books"], data.ratings.map(r => [r.rating === null ? "unrated" : r.rating, r.books]));
table("Top authors", ["Author", "Books", "Pages", "Average rating"],
  data.top_authors.map(a => [a.author, a.books, a.pages, a.average_rating]));
table("Genres", ["Genre", "Books"], data.genres.map(g => [g.genre, g.books]));
table("Shelves", ["Shelf", "Books"], data.shelves.map(x => [x.shelf, x.books]));
table("Books", ["Title", "Author", "Shelf", "Read", "Rating", "Pages", "Genres", "Enrichment"],
  data.books.map(b => [b.title, b.author, b.exclusive_shelf, b.date_read, b.my_rating, b.pages,
                       b.genres.join(", "), b.enrichment]));
"""

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin-bottom: 1.5rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.2rem 0.6rem; text-align: left; }
th { background: #f4f4f4; }
"""


def _embed(json_bytes: bytes) -> str:
    # '<', '>' and '&' only occur inside JSON strings, where \\u escapes mean the same text.
    text = json_bytes.decode("utf-8")
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_viewer(json_bytes: bytes) -> str:
    script_hash = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
    policy = (
        f"default-src 'none'; script-src 'sha256-{script_hash}'; style-src 'unsafe-inline'; "
        "img-src 'none'; base-uri 'none'; form-action 'none'"
    )
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
        "<title>Reading dashboard</title>\n"
        f'<style>{_STYLE}</style>\n</head>\n<body>\n<main id="root"></main>\n'
        f'<script type="application/json" id="dashboard-data">{_embed(json_bytes)}</script>\n'
        f"<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )


def write_viewer(out_dir: Path, dashboard_file: str = "dashboard.json") -> Path:
    """Writes OUT_DIR/dashboard.html from OUT_DIR/dashboard.json."""
    path = Path(out_dir) / VIEWER_FILE
    path.write_text(render_viewer((Path(out_dir) / dashboard_file).read_bytes()), "utf-8")
    return path
