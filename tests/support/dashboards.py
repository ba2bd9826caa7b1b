"""Dashboards for the web app's tests and benchmark, each made by the aggregator's own code.

- `SAMPLE_DASHBOARD`: the CC0 sample export through the whole local pipeline, offline
  (docs/sample/dashboard.json; tests/web/test_sample.py keeps it current);
- `synthetic`: a generated export (every quirk of real ones) parsed by the orchestrator's
  parser, with enrichment results of the processor's shapes: canonical genres, covers,
  fiction, subjects, and every status; `missing_rate` leaves books without a result, which
  makes the job PARTIAL;
- `empty`: a library without books;
- `hostile`: strings that would run or break a page if it inserted them as markup, right-to-left
  text, emoji, 2 KB titles, in every field a reader's export or an upstream API controls.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from pathlib import Path

from contracts.books import Book
from contracts.codec import encode
from contracts.dashboard import Dashboard
from contracts.messages import BookResult, EnrichmentStatus, JobManifest, RejectedRow
from services.aggregator.stats import build_dashboard
from services.book_processor.taxonomy import GENRES, Kind
from services.orchestrator.parser import parse_export
from tests.support.exports import synthetic_export

GENERATED_AT = dt.datetime(2026, 3, 14, 9, 42, 53, tzinfo=dt.UTC)
PROCESSED_AT = dt.datetime(2026, 3, 14, 9, 41, 0, tzinfo=dt.UTC)
SAMPLE_DASHBOARD = Path(__file__).resolve().parents[2] / "docs/sample/dashboard.json"

# A marker the hostile strings set if any of them ever runs.
PWNED = "__goodreadsStatsPwned"
HOSTILE_TITLE = (
    f'<img src=x onerror="window.{PWNED}=1">Title</script><script>window.{PWNED}=2</script>'
)
HOSTILE_AUTHOR = f'<b onmouseover="window.{PWNED}=3">Bold</b> \u202eevil\u202c ‮ǝlʇıʇ'
RTL_TITLE = "كتاب الرمل (سلسلة الحكايات, #2)"
EMOJI_TITLE = "📚🔥 Reading 👩‍👩‍👧‍👦 family ⚡️"
LONG_TITLE = ("Long " * 410).strip()  # 2,049 characters
HOSTILE_REVIEW = f"<script>window.{PWNED}=4</script> &lt;b&gt;not bold&lt;/b&gt; {HOSTILE_TITLE}"
HOSTILE_SHELF = f"<svg onload=window.{PWNED}=5>"
HOSTILE_GENRE = f"<iframe src=javascript:window.{PWNED}=6>"


def encode_dashboard(dashboard: Dashboard) -> bytes:
    return encode(dashboard)


def _job_id(seed: int) -> str:
    return str(uuid.UUID(int=random.Random(seed).getrandbits(128), version=4))


def synthetic_results(
    manifest: JobManifest, *, seed: int, missing_rate: float = 0.0
) -> dict[str, BookResult]:
    """Results as the processor writes them: 82% enriched with 1-3 canonical genres of one
    kind, a cover for most, subjects; the rest not found, failed or skipped with a reason."""
    rng = random.Random(seed)
    fiction_genres = [genre.name for genre in GENRES if genre.kind is Kind.FICTION]
    nonfiction_genres = [genre.name for genre in GENRES if genre.kind is Kind.NONFICTION]
    results: dict[str, BookResult] = {}
    for index, book in enumerate(manifest.books):
        if rng.random() < missing_rate:
            continue
        status = rng.choices(
            [EnrichmentStatus.ENRICHED, EnrichmentStatus.NOT_FOUND, EnrichmentStatus.FAILED,
             EnrichmentStatus.SKIPPED],
            [82, 10, 4, 4],
        )[0]  # fmt: skip
        base = dict(job_id=manifest.job_id, book_id=book.book_id, processed_at=PROCESSED_AT)
        if status is not EnrichmentStatus.ENRICHED:
            reason = {
                EnrichmentStatus.NOT_FOUND: "no source knew the book",
                EnrichmentStatus.FAILED: "Open Library kept failing (HTTP 503)",
                EnrichmentStatus.SKIPPED: "enrichment switched off",
            }[status]
            results[book.book_id] = BookResult(status=status, reason=reason, **base)  # type: ignore[arg-type]
            continue
        fiction = rng.random() < 0.7
        pool = fiction_genres if fiction else nonfiction_genres
        genres = tuple(rng.sample(pool, rng.choice((1, 1, 2, 3))))
        results[book.book_id] = BookResult(
            status=status,
            sources=("openlibrary",) if rng.random() < 0.7 else ("openlibrary", "google_books"),
            pages=rng.randrange(60, 1200) if rng.random() < 0.8 else None,
            first_publish_year=rng.randrange(1800, 2024) if rng.random() < 0.9 else None,
            genres=genres,
            fiction="fiction" if fiction else "nonfiction",
            raw_subjects=tuple(f"{genre} -- {rng.randrange(200)}" for genre in genres)
            + ("Accessible book",),
            cover_url=(
                f"https://covers.openlibrary.org/b/id/{1000 + index}-M.jpg"
                if rng.random() < 0.85
                else None
            ),
            **base,  # type: ignore[arg-type]
        )
    return results


def synthetic(
    books: int, *, seed: int = 7, missing_rate: float = 0.0, reject_rate: float = 0.005
) -> Dashboard:
    export = synthetic_export(
        books, seed=seed, variant="24", problem_rate=0.02, reject_rate=reject_rate
    )
    parsed = parse_export(export.data)
    manifest = JobManifest(
        job_id=_job_id(seed),
        source_key="uploads/x/export.csv",
        created_at=PROCESSED_AT,
        header_variant=parsed.header_variant,
        books=tuple(parsed.books),
        rejected=tuple(parsed.rejected),
        warnings=tuple(parsed.warnings),
    )
    results = synthetic_results(manifest, seed=seed, missing_rate=missing_rate)
    return build_dashboard(manifest, results, generated_at=GENERATED_AT)


def empty() -> Dashboard:
    manifest = JobManifest(
        job_id=_job_id(0),
        source_key="uploads/x/export.csv",
        created_at=PROCESSED_AT,
        header_variant="23",
        books=(),
    )
    return build_dashboard(manifest, {}, generated_at=GENERATED_AT)


def hostile() -> Dashboard:
    """Twelve books whose every free-text field is hostile, plus a rejected row that is too."""
    job_id = _job_id(666)
    titles = [
        HOSTILE_TITLE,
        RTL_TITLE,
        EMOJI_TITLE,
        LONG_TITLE,
        f"{HOSTILE_TITLE} (Evil</script>, #1)",
    ]
    books = []
    for row, title in enumerate(titles * 2 + [HOSTILE_TITLE, RTL_TITLE], start=1):
        books.append(
            Book(
                book_id=f"gr{9000 + row}",
                row_number=row,
                goodreads_id=str(9000 + row),
                title=title,
                author=HOSTILE_AUTHOR if row % 2 else "مؤلف مجهول",
                additional_authors=(HOSTILE_TITLE,),
                my_rating=(row % 5) + 1,
                average_rating=3.5,
                pages=100 + row,
                original_publication_year=1990 + row,
                date_read=dt.date(2023 + row % 2, row % 12 + 1, 1) if row % 3 else None,
                date_added=dt.date(2022, 1, row),
                bookshelves=(HOSTILE_SHELF, "🙂 emoji shelf"),
                exclusive_shelf="read" if row % 4 else "to-read",
                review_html=HOSTILE_REVIEW,
                spoiler=row == 1,
                read_count=1,
            )
        )
    manifest = JobManifest(
        job_id=job_id,
        source_key="uploads/x/export.csv",
        created_at=PROCESSED_AT,
        header_variant="24",
        books=tuple(books),
        rejected=(RejectedRow(row_number=13, reason=f"no title {HOSTILE_TITLE}"),),
    )
    results = {
        book.book_id: BookResult(
            job_id=job_id,
            book_id=book.book_id,
            status=EnrichmentStatus.ENRICHED if index % 3 else EnrichmentStatus.FAILED,
            reason=None if index % 3 else f"upstream said {HOSTILE_TITLE}",
            sources=("openlibrary",),
            genres=(HOSTILE_GENRE, "Fantasy") if index % 3 else (),
            fiction="fiction",
            raw_subjects=(HOSTILE_TITLE, HOSTILE_GENRE),
            cover_url="javascript:alert(1)" if index % 2 else "https://evil.example/x.jpg",
            processed_at=PROCESSED_AT,
        )
        for index, book in enumerate(books)
    }
    return build_dashboard(manifest, results, generated_at=GENERATED_AT)
