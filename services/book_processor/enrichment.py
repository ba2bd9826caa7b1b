"""Enrichment of a whole batch at once: cache first, then Open Library, then Google Books only
for the books still without genres, with the books' requests running concurrently.

Two stages, each a set of concurrent requests, so a batch costs about two round trips:
  1. Open Library: one `search.json` for all ISBNs of the batch, and a title/author search for
     each book without an ISBN.
  2. Side by side: the edition record (`/isbn/…` -> edition -> work) of each ISBN the search
     did not know, and Google Books for each book still without genres.
Every book ends with an outcome: found, not found (every consulted source said so), or
unavailable (a source could not answer; the caller decides between retry and a failed result).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import Any, Literal

from aws_lambda_powertools import Logger

from contracts.messages import BookTask
from services.book_processor.cache import (
    FOUND_TTL,
    INCOMPLETE_TTL,
    NOT_FOUND_TTL,
    CacheEntry,
    EnrichmentCache,
)
from services.book_processor.google_books import GoogleBooksClient
from services.book_processor.identity import book_isbn13, cache_key, search_title
from services.book_processor.openlibrary import ISBNS_PER_SEARCH, OpenLibraryClient
from services.book_processor.records import SourceRecord
from services.book_processor.settings import GOOGLE_BOOKS, OPENLIBRARY
from services.book_processor.taxonomy import Classification, classify
from services.book_processor.upstream import InvocationState, NotFound, UpstreamError

logger = Logger(service="book_processor", child=True)

MAX_CONCURRENT_REQUESTS = 10


@dataclasses.dataclass(frozen=True)
class BookIdentity:
    """How the sources and the cache know a book."""

    key: str
    isbn13: str | None
    title: str
    author: str

    @classmethod
    def of(cls, task: BookTask) -> BookIdentity:
        isbn13 = book_isbn13(task.isbn13, task.isbn10)
        return cls(
            key=cache_key(isbn13=isbn13, title=task.title, author=task.author),
            isbn13=isbn13,
            title=search_title(task.title),
            author=task.author.strip(),
        )


@dataclasses.dataclass(frozen=True)
class LookupOutcome:
    records: tuple[SourceRecord, ...] = ()
    answered: tuple[str, ...] = ()
    unavailable: tuple[tuple[str, str], ...] = ()  # (source, reason)
    from_cache: bool = False

    @property
    def status(self) -> Literal["found", "not_found", "unavailable"]:
        if self.records:
            return "found"
        return "unavailable" if self.unavailable else "not_found"

    def reason(self) -> str:
        if self.unavailable:
            return "; ".join(f"{source}: {why}" for source, why in self.unavailable)
        if not self.records:
            return f"not found in {' or '.join(self.answered) or 'any source'}"
        return ""


@dataclasses.dataclass
class _Lookup:
    """One book identity while the invocation works on it (touched by one thread at a time)."""

    identity: BookIdentity
    records: dict[str, SourceRecord] = dataclasses.field(default_factory=dict)
    answered: list[str] = dataclasses.field(default_factory=list)
    unavailable: dict[str, str] = dataclasses.field(default_factory=dict)
    needs_edition: bool = False

    def found(self, record: SourceRecord) -> None:
        self.records[record.source] = record
        self._answer(record.source)

    def not_found(self, source: str) -> None:
        self._answer(source)

    def _answer(self, source: str) -> None:
        if source not in self.answered:
            self.answered.append(source)
        self.unavailable.pop(source, None)

    def has_genres(self) -> bool:
        return bool(_classification(self.records.values()).genres)

    def outcome(self) -> LookupOutcome:
        ordered = tuple(self.records[s] for s in (OPENLIBRARY, GOOGLE_BOOKS) if s in self.records)
        return LookupOutcome(
            records=ordered,
            answered=tuple(s for s in (OPENLIBRARY, GOOGLE_BOOKS) if s in self.answered),
            unavailable=tuple(self.unavailable.items()),
        )


@dataclasses.dataclass
class Sources:
    openlibrary: OpenLibraryClient | None = None
    google_books: GoogleBooksClient | None = None

    @property
    def enabled(self) -> tuple[str, ...]:
        return tuple(
            name
            for name, client in ((OPENLIBRARY, self.openlibrary), (GOOGLE_BOOKS, self.google_books))
            if client is not None
        )


@dataclasses.dataclass
class EnrichmentReport:
    cache_hits: int = 0
    cache_misses: int = 0
    cache_writes: int = 0
    requests: Counter[str] = dataclasses.field(default_factory=Counter)
    seconds: float = 0.0  # wall time of the whole enrichment, cache included


def enrich(
    identities: Iterable[BookIdentity],
    *,
    sources: Sources,
    cache: EnrichmentCache,
    state: InvocationState,
    now: dt.datetime,
) -> tuple[dict[str, LookupOutcome], EnrichmentReport]:
    """An outcome for every identity key; never raises for one book's trouble."""
    started = time.monotonic()
    unique = {i.key: i for i in identities}
    report = EnrichmentReport()
    outcomes: dict[str, LookupOutcome] = {}
    if not unique:
        return outcomes, report

    for key, entry in cache.get_many(unique, now).items():
        if _usable(entry, sources.enabled):
            outcomes[key] = LookupOutcome(
                records=entry.records, answered=entry.answered, from_cache=True
            )
    report.cache_hits = len(outcomes)
    lookups = [_Lookup(identity) for key, identity in unique.items() if key not in outcomes]
    report.cache_misses = len(lookups)

    if lookups:
        workers = min(MAX_CONCURRENT_REQUESTS, len(lookups))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="enrich") as pool:
            if sources.openlibrary is not None:
                _search_openlibrary(lookups, sources.openlibrary, state, pool)
            _follow_up(lookups, sources, state, pool)

        to_cache: dict[str, tuple[CacheEntry, dt.timedelta]] = {}
        for lookup in lookups:
            outcome = lookup.outcome()
            outcomes[lookup.identity.key] = outcome
            ttl = _cache_ttl(outcome)
            if ttl is not None:
                entry = CacheEntry(
                    records=outcome.records, answered=outcome.answered, cached_at=now
                )
                to_cache[lookup.identity.key] = (entry, ttl)
        report.cache_writes = cache.put_many(to_cache, now) if to_cache else 0

    report.requests = Counter(state.requests)
    report.seconds = time.monotonic() - started
    return outcomes, report


def _search_openlibrary(
    lookups: Sequence[_Lookup],
    client: OpenLibraryClient,
    state: InvocationState,
    pool: ThreadPoolExecutor,
) -> None:
    with_isbn = [lookup for lookup in lookups if lookup.identity.isbn13]
    pending: dict[Future[Any], tuple[list[_Lookup], Callable[[Any], None]]] = {}
    for start in range(0, len(with_isbn), ISBNS_PER_SEARCH):
        chunk = with_isbn[start : start + ISBNS_PER_SEARCH]
        isbns = [lookup.identity.isbn13 or "" for lookup in chunk]
        future = pool.submit(client.search_isbns, isbns, state)
        pending[future] = (chunk, _isbn_matches(chunk))
    for lookup in lookups:
        if not lookup.identity.isbn13:
            search = pool.submit(
                client.search_title_author, lookup.identity.title, lookup.identity.author, state
            )
            pending[search] = ([lookup], lookup.found)
    for future in as_completed(pending):
        group, on_result = pending[future]
        try:
            on_result(future.result())
        except NotFound:
            for lookup in group:
                lookup.not_found(OPENLIBRARY)
        except UpstreamError as exc:
            for lookup in group:
                lookup.unavailable[OPENLIBRARY] = exc.reason
        except Exception as exc:  # a bug must cost this group a retry, not the whole batch
            logger.exception("open library search failed unexpectedly")
            for lookup in group:
                lookup.unavailable[OPENLIBRARY] = f"internal error: {type(exc).__name__}"


def _isbn_matches(chunk: list[_Lookup]) -> Callable[[dict[str, SourceRecord]], None]:
    def apply(matches: dict[str, SourceRecord]) -> None:
        for lookup in chunk:
            record = matches.get(lookup.identity.isbn13 or "")
            if record is not None:
                lookup.found(record)
            else:
                lookup.needs_edition = True  # the search index may lag the edition records

    return apply


def _follow_up(
    lookups: Sequence[_Lookup], sources: Sources, state: InvocationState, pool: ThreadPoolExecutor
) -> None:
    """Stage 2, all at once: the edition record of each ISBN the search did not know, and
    Google Books for each book still without genres (a search miss has none yet, so both run
    side by side rather than one after the other)."""
    openlibrary, google = sources.openlibrary, sources.google_books
    pending: dict[Future[SourceRecord], tuple[_Lookup, str]] = {}
    for lookup in lookups:
        identity = lookup.identity
        if lookup.needs_edition and openlibrary is not None and identity.isbn13:
            edition = pool.submit(openlibrary.edition_by_isbn, identity.isbn13, state)
            pending[edition] = (lookup, OPENLIBRARY)
        if google is not None and not lookup.has_genres():
            if identity.isbn13:
                volume = pool.submit(google.by_isbn, identity.isbn13, state)
            else:
                volume = pool.submit(google.by_title_author, identity.title, identity.author, state)
            pending[volume] = (lookup, GOOGLE_BOOKS)
    for future in as_completed(pending):
        lookup, source = pending[future]
        try:
            lookup.found(future.result())
        except NotFound:
            lookup.not_found(source)
        except UpstreamError as exc:
            lookup.unavailable[source] = exc.reason
        except Exception as exc:  # a bug must cost this book a retry, not the whole batch
            logger.exception(
                "lookup failed unexpectedly",
                extra={"source": source, "book_identity": lookup.identity.key},
            )
            lookup.unavailable[source] = f"internal error: {type(exc).__name__}"


def _usable(entry: CacheEntry, enabled: Sequence[str]) -> bool:
    """An entry answers for the current sources if each of them answered it, or if it already
    has genres (the later sources would not have been asked)."""
    if all(source in entry.answered for source in enabled):
        return True
    return bool(entry.records) and bool(_classification(entry.records).genres)


def _cache_ttl(outcome: LookupOutcome) -> dt.timedelta | None:
    if not outcome.unavailable:
        return FOUND_TTL if outcome.records else NOT_FOUND_TTL
    if outcome.records:
        return INCOMPLETE_TTL
    return None  # nothing learnt: do not remember a failure


def _classification(records: Iterable[SourceRecord]) -> Classification:
    categories: list[str] = []
    subjects: list[str] = []
    for record in records:
        (categories if record.source == GOOGLE_BOOKS else subjects).extend(record.subjects)
    return classify(categories, subjects)


@dataclasses.dataclass(frozen=True)
class EnrichedFields:
    """The BookResult fields that enrichment fills."""

    sources: tuple[str, ...]
    pages: int | None
    first_publish_year: int | None
    genres: tuple[str, ...]
    fiction: Literal["fiction", "nonfiction"] | None
    raw_subjects: tuple[str, ...]
    cover_url: str | None
    openlibrary_work: str | None
    google_volume_id: str | None


def merge(records: Sequence[SourceRecord]) -> EnrichedFields:
    """One book from the sources' records: Open Library's facts first (edition pages, work's
    first publication year, cover id), Google's where Open Library has none; genres from both."""
    by_source = {r.source: r for r in records}
    ordered = [by_source[s] for s in (OPENLIBRARY, GOOGLE_BOOKS) if s in by_source]
    classification = _classification(ordered)

    def first[T](values: Iterable[T | None]) -> T | None:
        return next((v for v in values if v is not None), None)

    return EnrichedFields(
        sources=tuple(r.source for r in ordered),
        pages=first(r.pages for r in ordered),
        first_publish_year=first(r.first_publish_year for r in ordered),
        genres=classification.genres,
        fiction=classification.fiction,
        raw_subjects=classification.raw_subjects,
        cover_url=first(r.cover_url for r in ordered),
        openlibrary_work=first(r.openlibrary_work for r in ordered),
        google_volume_id=first(r.google_volume_id for r in ordered),
    )
