"""Book processor figures: upstream requests per book (cold and warm cache), wall time of a
batch of 10 at 200 ms upstream latency, per-book overhead without upstream waits, peak memory.

    python -m benchmarks.book_processor_bench

(from the repository root, in a CPython 3.13 environment with the python-default resolve's
requirements; `./pants run benchmarks/book_processor_bench.py -- ARGS` runs the same)

The books are the 105 rows of the CC0 Goodreads export in samples/ (samples/README.md); the
APIs are the tests' loopback server (tests/support/upstream_server.py), loaded with a fixture
per book from a deterministic profile: most known to the Open Library search with subjects,
some without subjects, some only as edition records, some only known to Google, some unknown.
AWS is moto in-process. Batches go through `process_batch`, the handler's code path.
Targets: cold at most 1.0 request per ISBN book, warm 0; a batch of 10 at 200 ms latency in
about one or two round trips of wall time.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import os
import re
import statistics
import time
import tracemalloc
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from moto import mock_aws

from contracts.codec import encode
from contracts.layout import PARTITION_KEY
from local_runtime.lambda_events import LambdaContext, sqs_event
from local_runtime.resources import ServiceEnvironment, create_resources
from services.book_processor.enrichment import merge
from services.book_processor.identity import normalize_isbn
from services.book_processor.processing import BatchReport, Dependencies, process_batch
from services.book_processor.records import SourceRecord
from services.book_processor.settings import Settings
from tests.support.jobs import new_queued_job, task_for
from tests.support.samples import CC0_EXPORT
from tests.support.upstream_server import FixtureBook, UpstreamServer

EXPORT = CC0_EXPORT
LATENCY = 0.2

SUBJECT_POOLS = [
    ["Fiction", "Fantasy fiction", "Magic -- Fiction", "Dragons -- Fiction", "Large type books"],
    ["Science fiction", "Life on other planets -- Fiction", "Fiction, science fiction, general"],
    ["United States -- Politics and government", "Political science", "Democracy", "History"],
    ["Social policy", "Poor -- United States", "Public welfare", "Economic assistance, Domestic"],
    ["Law -- United States", "Constitutional law", "Courts -- History", "Accessible book"],
    ["Biography", "Lawyers -- United States -- Biography", "Protected DAISY"],
    ["Economics", "Capitalism", "Free enterprise", "nyt:business=2019-01-01"],
    ["Philosophy", "Ethics", "Conduct of life", "In library"],
    ["Murder -- Fiction", "Detective and mystery stories", "Police -- Fiction"],
    ["History", "Civilization -- History", "World history", "20th century"],
]
GOOGLE_CATEGORIES = [
    "Political Science / Public Policy / Social Policy",
    "Law / Legal History",
    "Social Science / Sociology / General",
    "Fiction / Literary",
    "Biography & Autobiography / Lawyers & Judges",
    "Business & Economics / Economics / General",
]


@dataclasses.dataclass(frozen=True)
class Book:
    row: int
    title: str
    author: str
    isbn13: str | None
    isbn10: str | None

    @property
    def profile(self) -> str:
        """Deterministic: 70% search with subjects, 8% search without subjects, 7% edition
        only, 8% Google only, 7% unknown (books without ISBN: search 70%, Google 20%)."""
        digest = int(hashlib.sha256(f"{self.title}|{self.author}".encode()).hexdigest(), 16) % 100
        if not self.isbn13:
            return "search" if digest < 70 else "google" if digest < 90 else "unknown"
        for limit, profile in ((70, "search"), (78, "bare"), (85, "edition"), (93, "google")):
            if digest < limit:
                return profile
        return "unknown"

    @property
    def number(self) -> int:
        return 1000 + self.row


def read_export() -> list[Book]:
    def clean(value: str) -> str | None:
        text = value.strip().removeprefix('="').removesuffix('"').strip()
        return text or None

    with EXPORT.open(newline="", encoding="utf-8") as handle:
        return [
            Book(
                row=i,
                title=row["Title"],
                author=row["Author"],
                isbn13=normalize_isbn(clean(row["ISBN13"])),
                isbn10=clean(row["ISBN"]),
            )
            for i, row in enumerate(csv.DictReader(handle), start=1)
        ]


def fixture_for(book: Book) -> FixtureBook:
    """What the two APIs know of `book`, by its profile: a search doc (with subjects unless
    "bare"), or only an edition and its work (the Books API and /isbn/: "edition", a search
    miss), and a Google volume unless the book is unknown."""
    number, isbns = book.number, tuple(i for i in (book.isbn13, book.isbn10) if i)
    work_key = f"/works/OL{number}W"
    search_doc: dict[str, Any] | None = None
    if book.profile in ("search", "bare"):
        search_doc = {
            "key": work_key,
            "title": re.sub(r"\s*\(.*#\d+\)$", "", book.title),
            "author_name": [book.author],
            "isbn": list(isbns),
            "first_publish_year": 1950 + book.row % 70,
            "number_of_pages_median": 150 + book.row * 7 % 500,
            "cover_i": 5_000_000 + book.row,
        }
        if book.profile == "search":
            search_doc["subject"] = SUBJECT_POOLS[book.row % len(SUBJECT_POOLS)]
    edition_only = book.profile == "edition"
    edition = {
        "key": f"/books/OL{number}M",
        "title": book.title,
        "isbn_13": [book.isbn13] if book.isbn13 else [],
        "isbn_10": [book.isbn10] if book.isbn10 else [],
        "number_of_pages": 300,
        "publish_date": "March 3, 1998",
        "works": [{"key": work_key}],
    }
    work = {"key": work_key, "subjects": SUBJECT_POOLS[book.row % len(SUBJECT_POOLS)]}
    volume = {
        "id": f"vol{number}",
        "volumeInfo": {
            "title": book.title,
            "authors": [book.author],
            "publishedDate": "2001-05-01",
            "pageCount": 222,
            "categories": [GOOGLE_CATEGORIES[book.row % len(GOOGLE_CATEGORIES)]],
            "imageLinks": {"thumbnail": f"http://books.google.com/books/content?id=vol{number}"},
            "industryIdentifiers": (
                [{"type": "ISBN_13", "identifier": book.isbn13}] if book.isbn13 else []
            ),
        },
    }
    return FixtureBook(
        name=f"row{book.row}",
        title=book.title,
        authors=(book.author,),
        isbns=isbns,
        search_doc=search_doc,
        edition=edition if edition_only else None,
        work=work if edition_only else None,
        google_volume=volume if book.profile != "unknown" else None,
    )


@dataclasses.dataclass
class Bench:
    session: boto3.Session
    env: ServiceEnvironment
    upstream: UpstreamServer

    def deps(self, **overrides: str) -> Dependencies:
        environment = {
            **self.env.as_env(),
            **self.upstream.env(),
            "CONTACT": "bench@example.org",
            **overrides,
        }
        return Dependencies.build(Settings.from_environment(environment), self.session)

    def clear_cache(self) -> None:
        dynamodb = self.session.client("dynamodb")
        table = self.env.cache_table
        keys = dynamodb.scan(
            TableName=table,
            ProjectionExpression="#pk",
            ExpressionAttributeNames={"#pk": PARTITION_KEY},
        )["Items"]
        for key in keys:
            dynamodb.delete_item(TableName=table, Key=key)


def _context() -> LambdaContext:
    return LambdaContext(function_name="goodreads-stats-book-processor", timeout_seconds=60.0)


def batches(job_id: str, books: list[Book], size: int = 10) -> Iterator[dict[str, Any]]:
    for start in range(0, len(books), size):
        messages = [
            {
                "MessageId": str(uuid.uuid4()),
                "ReceiptHandle": "r",
                "Body": encode(task_for(fixture_for(book), job_id)).decode(),
                "Attributes": {"ApproximateReceiveCount": "1"},
            }
            for book in books[start : start + size]
        ]
        yield sqs_event(messages, "arn:aws:sqs:us-east-1:123456789012:goodreads-stats-tasks")


def run(
    bench: Bench, deps: Dependencies, books: list[Book]
) -> tuple[int, float, list[BatchReport]]:
    """Processes `books` as a new job in batches of 10: (upstream requests, seconds, reports)."""
    job_id = new_queued_job(bench.session, bench.env, len(books))
    before, started = bench.upstream.request_count(), time.perf_counter()
    reports = []
    for event in batches(job_id, books):
        processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        response, report = process_batch(event, _context(), deps, processor)
        assert not response["batchItemFailures"], response
        reports.append(report)
    return bench.upstream.request_count() - before, time.perf_counter() - started, reports


def request_economy(bench: Bench, books: list[Book]) -> dict[str, float]:
    """Returns the seconds per book of the cold (loopback, 0 ms latency) and warm passes."""
    deps = bench.deps(UPSTREAM_MAX_RPS="0")
    with_isbn = [b for b in books if b.isbn13]
    without = [b for b in books if not b.isbn13]
    cold_isbn, isbn_seconds, reports = run(bench, deps, with_isbn)
    cold_title, title_seconds, more = run(bench, deps, without)
    warm, warm_seconds, _ = run(bench, deps, books)
    enriched = sum(r.recorded["enriched"] for r in reports + more)
    profiles = Counter(b.profile for b in books)
    print("Upstream requests per book (105 books of the CC0 export, batches of 10)")
    print(f"  synthetic upstream profiles: {dict(sorted(profiles.items()))}")
    print(
        f"  cold cache, books with an ISBN ({len(with_isbn)}):   {cold_isbn / len(with_isbn):.2f}  (target <= 1.0)"
    )
    print(
        f"  cold cache, books without an ISBN ({len(without)}):   {cold_title / len(without):.2f}"
    )
    print(f"  cold cache, all books:                  {(cold_isbn + cold_title) / len(books):.2f}")
    print(f"  warm cache (a second job), all books:   {warm / len(books):.2f}  (target 0)")
    print(f"  enriched on the cold run: {enriched} of {len(books)}")
    return {
        "cold": (isbn_seconds + title_seconds) / len(books),
        "warm": warm_seconds / len(books),
    }


def batch_wall_time(bench: Bench, books: list[Book]) -> None:
    """Enrichment wall time per cold batch, in upstream round trips, grouped by what the batch
    needs: every book in the search index (1 search, then Google for books without genres), a
    search miss (the Books API, then Google if it does not know the book either), an
    edition-only book (the Books API finds it)."""
    with_isbn = [b for b in books if b.isbn13]
    chunks = [with_isbn[i : i + 10] for i in range(0, len(with_isbn) // 10 * 10, 10)]
    # The export's order mixes profiles; add the batches a library of well-catalogued books makes.
    indexed = [b for b in with_isbn if b.profile in ("search", "bare")]
    chunks += [indexed[i : i + 10] for i in range(0, 30, 10)]

    def kind(chunk: list[Book]) -> str:
        profiles = {b.profile for b in chunk}
        if "edition" in profiles:
            return "with an edition-only book"
        return "with a search miss" if profiles - {"search", "bare"} else "all in the search index"

    bench.upstream.set_latency(LATENCY)
    print(
        f"\nEnrichment wall time of a cold batch of 10 ISBN books at {LATENCY * 1000:.0f} ms latency,"
        f" in round trips (wall / {LATENCY} s), {len(chunks)} batches"
    )
    for label, rps in (
        ("no pace (UPSTREAM_MAX_RPS=0)", "0"),
        ("the deployment's pace at 3/s per host (UPSTREAM_MAX_RPS=3)", "3"),
    ):
        deps = bench.deps(UPSTREAM_MAX_RPS=rps)
        reports = []
        for chunk in chunks:  # each batch on a cold cache (the added batches repeat books)
            bench.clear_cache()
            if float(rps) > 0:
                # The pace's schedule outlives a batch (it is the deployment's): each batch
                # starts with it rested, so that its figure is its own spacing, not how long
                # the harness took between two batches.
                time.sleep(1.25 / float(rps))
            reports += run(bench, deps, chunk)[2]
        print(f"  {label}:")
        for group in ("all in the search index", "with a search miss", "with an edition-only book"):
            chosen = [r for c, r in zip(chunks, reports, strict=True) if kind(c) == group]
            if not chosen:
                continue
            trips = [r.enrichment.seconds / LATENCY for r in chosen]
            requests = statistics.mean(sum(r.enrichment.requests.values()) for r in chosen)
            print(
                f"    {group:<27} {len(chosen)} batches: {statistics.median(trips):4.1f} round trips"
                f" median, {max(trips):4.1f} worst; {requests:.1f} requests per batch"
                f" (one at a time: {requests:.1f} round trips)"
            )
    bench.upstream.set_latency(0.0)


def overhead(per_book: dict[str, float]) -> None:
    records = [
        SourceRecord(source="openlibrary", pages=300, subjects=tuple(pool), cover_url="https://x")
        for pool in SUBJECT_POOLS
    ] + [SourceRecord(source="google_books", subjects=(c,)) for c in GOOGLE_CATEGORIES]
    rounds = 200
    started = time.perf_counter()
    for _ in range(rounds):
        for record in records:
            merge([record])
    classify_us = (time.perf_counter() - started) / (rounds * len(records)) * 1e6
    print("\nPer-book processing overhead, upstream waits excluded")
    print(f"  genres and merge (CPU only):                    {classify_us:5.0f} us/book")
    print(
        f"  warm cache, whole record path on moto:          {per_book['warm'] * 1000:5.1f} ms/book"
    )
    print(
        f"  cold cache, loopback upstream at 0 ms latency:  {per_book['cold'] * 1000:5.1f} ms/book"
    )
    print("  (moto in-process stands in for DynamoDB and SQS and dominates the record path)")


def memory(bench: Bench, books: list[Book]) -> None:
    deps = bench.deps(UPSTREAM_MAX_RPS="0")
    bench.clear_cache()
    tracemalloc.start()
    run(bench, deps, [b for b in books if b.isbn13][:10])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"\nPeak traced memory of one cold batch of 10: {peak / 1e6:.1f} MB")


def main() -> None:
    fake = {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    os.environ.update(fake)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    books = read_export()
    with UpstreamServer(fixture_for(book) for book in books) as upstream, mock_aws():
        session = boto3.Session(region_name="us-east-1")
        bench = Bench(session, create_resources(session), upstream)
        per_book = request_economy(bench, books)
        batch_wall_time(bench, books)
        overhead(per_book)
        memory(bench, books)


if __name__ == "__main__":
    main()
