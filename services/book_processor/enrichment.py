"""Enrichment of an invocation's books at once: the cache first, then Open Library in bulk, then
Google Books only for the books Open Library left without genres or pages.

Every request runs concurrently with the others and waits for its host's pace (pacing.py);
each is sent as soon as what it depends on has answered:
  Open Library
    1. one search for up to ISBNS_PER_SEARCH ISBNs (`q=isbn:(A OR B …)`), and one fielded
       search for up to TITLES_PER_SEARCH books without an ISBN;
    2. the Books API (BIBKEYS_PER_REQUEST bibkeys per request) for the ISBNs the search did not
       know or left without genres or pages; a title/author search for each book the fielded
       search did not answer (openlibrary.py says why those per-book routes stay);
  Google Books
    3. per book, once Open Library is done with it, for a book still without genres or pages.
A cached answer is used as far as it goes: a source that answered a book is not asked again.
Every book ends with an outcome: found, not found (every consulted source said so), or
unavailable (a source could not answer; the caller decides between retry and a failed result;
`paced_for` says when, if only the deployment's pace kept a source from being asked).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
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
from services.book_processor.openlibrary import (
    BIBKEYS_PER_REQUEST,
    ISBNS_PER_SEARCH,
    TITLES_PER_SEARCH,
    OpenLibraryClient,
)
from services.book_processor.records import SourceRecord, combine
from services.book_processor.settings import GOOGLE_BOOKS, OPENLIBRARY
from services.book_processor.taxonomy import Classification, classify
from services.book_processor.upstream import InvocationState, NotFound, Paced, UpstreamError

logger = Logger(service="book_processor", child=True)

MAX_CONCURRENT_REQUESTS = 10
SOURCES_IN_ORDER = (OPENLIBRARY, GOOGLE_BOOKS)


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
    # Seconds until every unavailable source's host has a free slot, when the deployment's pace
    # was all that kept them from being asked (None otherwise).
    paced_for: float | None = None

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
    paced: dict[str, float] = dataclasses.field(default_factory=dict)  # source -> seconds

    @classmethod
    def resuming(cls, identity: BookIdentity, entry: CacheEntry | None) -> _Lookup:
        """A lookup that starts from what a cache entry already holds."""
        lookup = cls(identity)
        if entry is not None:
            lookup.records = {record.source: record for record in entry.records}
            lookup.answered = list(entry.answered)
        return lookup

    def found(self, record: SourceRecord) -> None:
        known = self.records.get(record.source)
        self.records[record.source] = record if known is None else combine(known, record)
        self._answer(record.source)

    def not_found(self, source: str) -> None:
        self._answer(source)

    def failed(self, source: str, error: UpstreamError) -> None:
        """The source could not answer for this book (unless it already did). The first fault
        is the reason (a later request to the same source fails because of it: no time left,
        source off); the book waits only for the pace while every failure was the pace's."""
        if source in self.answered:
            return
        if isinstance(error, Paced):
            if source not in self.unavailable or source in self.paced:
                self.unavailable[source] = error.reason
                self.paced[source] = max(self.paced.get(source, 0.0), error.wait_seconds)
        elif source not in self.unavailable or source in self.paced:
            self.unavailable[source] = error.reason
            self.paced.pop(source, None)

    def _answer(self, source: str) -> None:
        if source not in self.answered:
            self.answered.append(source)
        self.unavailable.pop(source, None)
        self.paced.pop(source, None)

    def outcome(self) -> LookupOutcome:
        paced_only = bool(self.unavailable) and self.unavailable.keys() <= self.paced.keys()
        return LookupOutcome(
            records=tuple(self.records[s] for s in SOURCES_IN_ORDER if s in self.records),
            answered=tuple(s for s in SOURCES_IN_ORDER if s in self.answered),
            unavailable=tuple(self.unavailable.items()),
            paced_for=max(self.paced.values()) if paced_only else None,
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

    entries = cache.get_many(unique, now)
    lookups: list[_Lookup] = []
    for key, identity in unique.items():
        entry = entries.get(key)
        if entry is not None and _next_source(entry.records, entry.answered, sources) is None:
            outcomes[key] = LookupOutcome(
                records=entry.records, answered=entry.answered, from_cache=True
            )
        else:
            lookups.append(_Lookup.resuming(identity, entry))
    report.cache_hits = len(outcomes)
    report.cache_misses = len(lookups)

    if lookups:
        workers = min(MAX_CONCURRENT_REQUESTS, len(lookups))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="enrich") as pool:
            _Requests(lookups, sources, state, pool).run()

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


_Step = Callable[["Future[Any]"], None]


class _Requests:
    """The requests of one enrichment. Each is submitted to the pool when what it depends on
    has answered; what it answered is applied on the calling thread, which alone touches the
    lookups."""

    def __init__(
        self,
        lookups: Sequence[_Lookup],
        sources: Sources,
        state: InvocationState,
        pool: ThreadPoolExecutor,
    ) -> None:
        self._lookups = lookups
        self._sources = sources
        self._state = state
        self._pool = pool
        self._pending: dict[Future[Any], _Step] = {}

    def run(self) -> None:
        openlibrary = self._sources.openlibrary
        asking: list[_Lookup] = []
        for lookup in self._lookups:
            if openlibrary is not None and OPENLIBRARY not in lookup.answered:
                asking.append(lookup)
            else:
                self._after_openlibrary(lookup)
        if openlibrary is not None:
            with_isbn = [lookup for lookup in asking if lookup.identity.isbn13]
            for chunk in _chunks(with_isbn, ISBNS_PER_SEARCH):
                isbns = [lookup.identity.isbn13 or "" for lookup in chunk]
                self._submit(self._isbns_searched(chunk), openlibrary.search_isbns, isbns)
            without = [lookup for lookup in asking if not lookup.identity.isbn13]
            for chunk in _chunks(without, TITLES_PER_SEARCH):
                pairs = [(lookup.identity.title, lookup.identity.author) for lookup in chunk]
                self._submit(self._titles_searched(chunk), openlibrary.search_titles, pairs)
        while self._pending:
            done, _ = wait(self._pending, return_when=FIRST_COMPLETED)
            for future in done:
                self._pending.pop(future)(future)

    def _submit(self, step: _Step, call: Callable[..., Any], *args: Any) -> None:
        self._pending[self._pool.submit(call, *args, self._state)] = step

    # Open Library

    def _isbns_searched(self, chunk: list[_Lookup]) -> _Step:
        def step(future: Future[dict[str, SourceRecord]]) -> None:
            matches = _result(future, chunk, OPENLIBRARY, "open library isbn search")
            wanting: list[_Lookup] = []
            for lookup in chunk:
                record = (matches or {}).get(lookup.identity.isbn13 or "")
                if record is not None:
                    lookup.found(record)
                if _has_genres_and_pages(lookup.records):
                    self._after_openlibrary(lookup)
                else:  # the search index lags the catalogue, and a document may lack pages
                    wanting.append(lookup)
            openlibrary = self._sources.openlibrary
            assert openlibrary is not None
            for part in _chunks(wanting, BIBKEYS_PER_REQUEST):
                isbns = [lookup.identity.isbn13 or "" for lookup in part]
                self._submit(self._editions_read(part), openlibrary.editions, isbns)

        return step

    def _editions_read(self, part: list[_Lookup]) -> _Step:
        def step(future: Future[dict[str, SourceRecord]]) -> None:
            editions = _result(future, part, OPENLIBRARY, "open library books api")
            for lookup in part:
                if editions is not None:  # {} when it answered 404
                    record = editions.get(lookup.identity.isbn13 or "")
                    if record is not None:
                        lookup.found(record)
                    else:  # the Books API knows every edition Open Library has
                        lookup.not_found(OPENLIBRARY)
                self._after_openlibrary(lookup)

        return step

    def _titles_searched(self, chunk: list[_Lookup]) -> _Step:
        def step(future: Future[dict[int, SourceRecord]]) -> None:
            try:
                matches: dict[int, SourceRecord] | None = future.result()
            except Exception as exc:  # each book is asked on its own instead
                error = exc if isinstance(exc, UpstreamError) else None
                if error is None:
                    logger.exception("open library title search failed unexpectedly")
                    error = UpstreamError(OPENLIBRARY, f"internal error: {type(exc).__name__}")
                for lookup in chunk:  # the reason, unless the book's own search answers
                    lookup.failed(OPENLIBRARY, error)
                matches = None
            openlibrary = self._sources.openlibrary
            assert openlibrary is not None
            for position, lookup in enumerate(chunk):
                record = (matches or {}).get(position)
                if record is not None:
                    lookup.found(record)
                    self._after_openlibrary(lookup)
                else:  # the fielded search is unverified upstream: a per-book search decides
                    identity = lookup.identity
                    self._submit(
                        self._book_answered(lookup, OPENLIBRARY),
                        openlibrary.search_title_author,
                        identity.title,
                        identity.author,
                    )

        return step

    def _after_openlibrary(self, lookup: _Lookup) -> None:
        """Google Books, for a book Open Library left without genres or pages."""
        google = self._sources.google_books
        if google is None or GOOGLE_BOOKS in lookup.answered:
            return
        if _has_genres_and_pages(lookup.records):
            return
        identity = lookup.identity
        step = self._book_answered(lookup, GOOGLE_BOOKS)
        if identity.isbn13:
            self._submit(step, google.by_isbn, identity.isbn13)
        else:
            self._submit(step, google.by_title_author, identity.title, identity.author)

    def _book_answered(self, lookup: _Lookup, source: str) -> _Step:
        def step(future: Future[SourceRecord]) -> None:
            try:
                lookup.found(future.result())
            except NotFound:
                lookup.not_found(source)
            except UpstreamError as exc:
                lookup.failed(source, exc)
            except Exception as exc:  # a bug must cost this book a retry, not the whole batch
                logger.exception(
                    "lookup failed unexpectedly",
                    extra={"source": source, "book_identity": lookup.identity.key},
                )
                lookup.failed(
                    source, UpstreamError(source, f"internal error: {type(exc).__name__}")
                )
            if source == OPENLIBRARY:
                self._after_openlibrary(lookup)

        return step


def _result(
    future: Future[dict[str, SourceRecord]], group: list[_Lookup], source: str, what: str
) -> dict[str, SourceRecord] | None:
    """A bulk request's answer ({} for a 404: it knows none of them), or None after marking
    every book of the group unavailable from that source (the books that source already
    answered keep their answer)."""
    try:
        return future.result()
    except NotFound:
        return {}
    except UpstreamError as exc:
        for lookup in group:
            lookup.failed(source, exc)
        return None
    except Exception as exc:  # a bug must cost these books a retry, not the whole batch
        logger.exception(f"{what} failed unexpectedly")
        for lookup in group:
            lookup.failed(source, UpstreamError(source, f"internal error: {type(exc).__name__}"))
        return None


def _chunks[T](items: list[T], size: int) -> list[list[T]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _has_genres_and_pages(records: dict[str, SourceRecord] | Iterable[SourceRecord]) -> bool:
    values = list(records.values()) if isinstance(records, dict) else list(records)
    return any(r.pages is not None for r in values) and bool(_classification(values).genres)


def _next_source(
    records: Iterable[SourceRecord], answered: Sequence[str], sources: Sources
) -> str | None:
    """The source a book would be asked next: Open Library until it answered, then Google
    Books until it answered, unless the records already have genres and pages."""
    enabled = sources.enabled
    if OPENLIBRARY in enabled and OPENLIBRARY not in answered:
        return OPENLIBRARY
    if (
        GOOGLE_BOOKS in enabled
        and GOOGLE_BOOKS not in answered
        and not _has_genres_and_pages(records)
    ):
        return GOOGLE_BOOKS
    return None


def _cache_ttl(outcome: LookupOutcome) -> dt.timedelta | None:
    if not outcome.unavailable:
        return FOUND_TTL if outcome.records else NOT_FOUND_TTL
    if outcome.answered:  # a later delivery asks only the sources that could not answer
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
