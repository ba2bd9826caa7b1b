"""Open Library and Google Books on 127.0.0.1, served from fixture books, with faults on demand.

    with UpstreamServer(load_fixture_books().values()) as upstream:
        monkeypatch.setenv("OPENLIBRARY_BASE_URL", upstream.openlibrary_base_url)  # or upstream.env()
        upstream.inject(Fault.server_error(503), api=Api.OPENLIBRARY, path="/search.json", times=2)
        upstream.set_latency(0.2)
        ...
        assert upstream.request_count(api=Api.GOOGLE_BOOKS) == 0

Each API listens on its own port (two hosts, as in production). Endpoints, in the documented
shapes (https://openlibrary.org/developers/api, https://developers.google.com/books/docs/v1):

  Open Library   GET /search.json?q=isbn:(A OR B …)|q=isbn:A|isbn=A|title=…&author=…|q=words
                     |q=(title:"…" AND author:"…") OR …
                     &fields=…&limit=…   (without `fields=` only a few fields come back, as
                     since January 2025)
                 GET /api/books?bibkeys=ISBN:A,ISBN:B,…&format=json&jscmd=data (the Books API:
                     tests/support/openlibrary_bulk.py)
                 GET /isbn/{isbn}.json -> 302 to /books/OL…M.json
                 GET /books/OL…M.json, /works/OL…W.json
  Google Books   GET /books/v1/volumes?q=isbn:…|intitle:"…" inauthor:"…"&maxResults=…

Faults (`Fault.*`) apply to requests whose path starts with the given prefix, for a number of
times or for ever: latency, 429 with Retry-After, 5xx, a hang past the client's timeout,
malformed JSON, 404, quota exhausted (403 dailyLimitExceeded / rateLimitExceeded), a dropped
connection; or a fault source asked for each request no rule matched (`set_fault_source`).
Every request is logged (`requests`, `request_count`, `request_counts` per endpoint,
`refused_count`, `peak_in_flight`); `reset()` clears faults, limits, latency and the log so one
server can serve a whole session.

Published limits, off unless asked for (tests/support/upstream_limits.py): `limit_rate(3,
api=Api.OPENLIBRARY)` refuses a request with 429 and Retry-After when the host accepted 3 in
the second before it; `set_daily_quota(1000)` answers Google Books requests with 403
`rateLimitExceeded` once 1,000 were served.
`unreachable_base_url()` gives a loopback URL that refuses connections (an offline machine).
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import enum
import functools
import json
import re
import socket
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support import openlibrary_bulk
from tests.support.upstream_limits import (
    QUOTA_SPENT,
    RATE_LIMITED,
    DailyQuota,
    Refusal,
    SlidingWindowLimit,
    endpoint_of,
    retry_after_header,
)

FIXTURE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "upstream"

# What search.json returns when the request names no `fields`.
DEFAULT_SEARCH_FIELDS = (
    "key",
    "title",
    "author_name",
    "first_publish_year",
    "cover_i",
    "edition_count",
)


class Api(enum.StrEnum):
    OPENLIBRARY = "openlibrary"
    GOOGLE_BOOKS = "google_books"


# --- Fixture books ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FixtureBook:
    """One book as both APIs know it. Any part may be None: that API does not know it there.

    JSON file shape (tests/fixtures/upstream/books/<name>.json):
      {"title", "authors": [...], "isbns": [...],
       "openlibrary": {"search_doc": {...}|null, "edition": {...}|null, "work": {...}|null},
       "google_books": {"volume": {...}|null}}
    """

    name: str
    title: str
    authors: tuple[str, ...]
    isbns: tuple[str, ...]
    search_doc: dict[str, Any] | None = None
    edition: dict[str, Any] | None = None
    work: dict[str, Any] | None = None
    google_volume: dict[str, Any] | None = None

    @classmethod
    def from_json(cls, name: str, data: dict[str, Any]) -> FixtureBook:
        openlibrary = data.get("openlibrary") or {}
        google = data.get("google_books") or {}
        return cls(
            name=name,
            title=data["title"],
            authors=tuple(data.get("authors", ())),
            isbns=tuple(data.get("isbns", ())),
            search_doc=openlibrary.get("search_doc"),
            edition=openlibrary.get("edition"),
            work=openlibrary.get("work"),
            google_volume=google.get("volume"),
        )

    @property
    def isbn13(self) -> str | None:
        return next((i for i in self.isbns if len(i) == 13), None)

    @property
    def isbn10(self) -> str | None:
        return next((i for i in self.isbns if len(i) == 10), None)


def load_fixture_book(name: str, directory: Path = FIXTURE_DIR / "books") -> FixtureBook:
    return FixtureBook.from_json(name, json.loads((directory / f"{name}.json").read_text()))


def load_fixture_books(directory: Path = FIXTURE_DIR / "books") -> dict[str, FixtureBook]:
    return {
        path.stem: load_fixture_book(path.stem, directory)
        for path in sorted(directory.glob("*.json"))
    }


# --- Faults ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Fault:
    kind: str
    status: int = 200
    seconds: float = 0.0
    retry_after: str | None = None
    reason: str | None = None

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        return cls("status", status=status)

    @classmethod
    def too_many_requests(cls, retry_after: str | None = "1") -> Fault:
        return cls("status", status=429, retry_after=retry_after)

    @classmethod
    def hang(cls, seconds: float = 5.0) -> Fault:
        """No answer for `seconds` (past the client's read timeout), then the connection closes."""
        return cls("hang", seconds=seconds)

    @classmethod
    def malformed_json(cls) -> Fault:
        return cls("malformed")

    @classmethod
    def not_found(cls) -> Fault:
        return cls("status", status=404)

    @classmethod
    def quota_exhausted(cls, reason: str = "dailyLimitExceeded", status: int = 403) -> Fault:
        return cls("quota", status=status, reason=reason)

    @classmethod
    def drop_connection(cls) -> Fault:
        return cls("drop")


# (api, path) -> the fault for this request, or None.
type FaultSource = Callable[[Api, str], Fault | None]


@dataclasses.dataclass
class _FaultRule:
    fault: Fault
    api: Api | None
    path: str
    remaining: int | None  # None: for ever


@dataclasses.dataclass(frozen=True)
class RecordedRequest:
    api: Api
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    status: int  # 0 when no response was sent (hang, dropped connection)
    at: float  # time.monotonic() when the response was sent (after the latency)
    refused: str | None = None  # RATE_LIMITED or QUOTA_SPENT: the host's limits answered
    arrived: float | None = None  # time.monotonic() when it arrived (what the limits count)

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


# Pure and called for every fixture book on every request: remembered, so that the server's
# CPU (which a remote API would spend elsewhere) stays small beside the pipeline's.
@functools.lru_cache(maxsize=65536)
def _norm(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^0-9a-z]+", " ", plain.casefold()).strip()


@functools.lru_cache(maxsize=65536)
def _isbn13(value: str) -> str:
    compact = re.sub(r"[^0-9Xx]", "", value).upper()
    if len(compact) == 10:
        core = "978" + compact[:9]
        total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(core))
        return core + str((10 - total % 10) % 10)
    return compact


# --- The server ------------------------------------------------------------------------------


class UpstreamServer:
    """Both APIs on loopback; a context manager. Thread-safe to configure while serving."""

    def __init__(self, books: Iterable[FixtureBook] = (), *, latency: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._books: list[FixtureBook] = []
        self._faults: list[_FaultRule] = []
        self._fault_source: FaultSource | None = None
        self._latency: dict[Api | None, float] = {None: latency}
        self._rate_limits: dict[Api, SlidingWindowLimit] = {}
        self._quotas: dict[Api, DailyQuota] = {}
        self._log: list[RecordedRequest] = []
        self._in_flight = 0
        self._peak_in_flight = 0
        self._servers: dict[Api, ThreadingHTTPServer] = {}
        self._threads: list[threading.Thread] = []
        self.add_books(books)

    # lifecycle

    def start(self) -> UpstreamServer:
        for api in Api:
            server = _Server(("127.0.0.1", 0), _handler_class(self, api))
            self._servers[api] = server
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.02},  # stop() returns within a poll
                name=f"upstream-{api}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stopping.set()  # hung requests return at once
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> UpstreamServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # addresses

    def base_url(self, api: Api) -> str:
        port = self._servers[api].server_address[1]
        return f"http://127.0.0.1:{port}"

    @property
    def openlibrary_base_url(self) -> str:
        return self.base_url(Api.OPENLIBRARY)

    @property
    def google_books_base_url(self) -> str:
        return self.base_url(Api.GOOGLE_BOOKS)

    def env(self) -> dict[str, str]:
        """The book processor's variables that point it here."""
        return {
            "OPENLIBRARY_BASE_URL": self.openlibrary_base_url,
            "GOOGLE_BOOKS_BASE_URL": self.google_books_base_url,
        }

    # fixtures and behaviour

    def add_book(self, book: FixtureBook) -> None:
        with self._lock:
            self._books.append(book)

    def add_books(self, books: Iterable[FixtureBook]) -> None:
        for book in books:
            self.add_book(book)

    def clear_books(self) -> None:
        with self._lock:
            self._books.clear()

    def set_latency(self, seconds: float, *, api: Api | None = None) -> None:
        """Added to every response (of one API, or of both when `api` is None)."""
        with self._lock:
            self._latency[api] = seconds

    def inject(
        self, fault: Fault, *, api: Api | None = None, path: str = "/", times: int | None = None
    ) -> None:
        """`fault` for requests whose path starts with `path`, the next `times` times (None:
        until `clear_faults`). The first matching rule wins."""
        with self._lock:
            self._faults.append(_FaultRule(fault, api, path, times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def limit_rate(self, requests_per_second: int, *, api: Api) -> None:
        """Refuse (429, Retry-After) a request to `api` that arrives when it accepted
        `requests_per_second` requests in the second before."""
        with self._lock:
            self._rate_limits[api] = SlidingWindowLimit(requests_per_second)

    def set_daily_quota(
        self, requests: int, *, api: Api = Api.GOOGLE_BOOKS, reason: str = "rateLimitExceeded"
    ) -> None:
        """Serve `requests` more requests to `api`, then refuse every one (403, `reason`)."""
        with self._lock:
            self._quotas[api] = DailyQuota(requests, reason)

    def clear_limits(self) -> None:
        with self._lock:
            self._rate_limits.clear()
            self._quotas.clear()

    def reset(self) -> None:
        """Faults, limits, latency and the request log cleared; the books stay."""
        with self._lock:
            self._faults.clear()
            self._fault_source = None
            self._rate_limits.clear()
            self._quotas.clear()
            self._latency = {None: 0.0}
            self._log.clear()
            self._peak_in_flight = self._in_flight

    # the log

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._log)

    def request_count(self, *, api: Api | None = None, path: str = "/") -> int:
        return sum(
            1 for r in self.requests if (api is None or r.api == api) and r.path.startswith(path)
        )

    def request_counts(self, *, api: Api | None = None) -> collections.Counter[str]:
        """Requests per endpoint (`endpoint_of`), refused ones included."""
        return collections.Counter(
            endpoint_of(r.path) for r in self.requests if api is None or r.api == api
        )

    def refused_count(self, *, api: Api | None = None, kind: str | None = None) -> int:
        """Requests the limits refused (`kind`: RATE_LIMITED, QUOTA_SPENT, or either)."""
        return sum(
            1
            for r in self.requests
            if r.refused is not None
            and (api is None or r.api == api)
            and (kind is None or r.refused == kind)
        )

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()
            self._peak_in_flight = self._in_flight

    @property
    def peak_in_flight(self) -> int:
        """The most requests this server had in progress at the same time (since reset_log)."""
        with self._lock:
            return self._peak_in_flight

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._peak_in_flight = max(self._peak_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    # used by the request handler

    def _take_fault(self, api: Api, path: str) -> Fault | None:
        with self._lock:
            for rule in self._faults:
                if (rule.api is None or rule.api == api) and path.startswith(rule.path):
                    if rule.remaining is None:
                        return rule.fault
                    if rule.remaining > 0:
                        rule.remaining -= 1
                        return rule.fault
            source = self._fault_source
        return None if source is None else source(api, path)

    def set_fault_source(self, source: FaultSource | None) -> None:
        """Asked for a fault for each request that no injected rule matched (None: no more);
        a chaos run's random mix (tests/support/chaos.py). `reset()` removes it."""
        with self._lock:
            self._fault_source = source

    def _admit(self, api: Api) -> Refusal | None:
        """The host's limits, when the request arrives: None when it may be served."""
        with self._lock:
            window = self._rate_limits.get(api)
            quota = self._quotas.get(api)
        if window is not None and (wait := window.admit()) is not None:
            return Refusal(RATE_LIMITED, 429, retry_after=retry_after_header(wait))
        if quota is not None and not quota.take():
            return Refusal(QUOTA_SPENT, 403, reason=quota.reason)
        return None

    def _latency_for(self, api: Api) -> float:
        with self._lock:
            return self._latency.get(api, self._latency.get(None, 0.0))

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._log.append(request)

    def _snapshot(self) -> list[FixtureBook]:
        with self._lock:
            return list(self._books)

    def _wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    # the APIs: (status, headers, body)

    def openlibrary(
        self, path: str, query: dict[str, list[str]]
    ) -> tuple[int, dict[str, str], Any]:
        books = self._snapshot()
        if path == "/search.json":
            return 200, {}, _search(books, query)
        if path == "/api/books":
            body = openlibrary_bulk.books_api(query, _editions(books))
            as_json = (query.get("format") or [""])[0].lower() == "json"
            return 200, {} if as_json else _JAVASCRIPT, body
        if match := re.fullmatch(r"/isbn/([0-9Xx-]{10,17})\.json", path):
            isbn = _isbn13(match.group(1))
            for book in books:
                edition = book.edition
                if edition and isbn in {
                    _isbn13(i) for i in (*edition.get("isbn_13", ()), *edition.get("isbn_10", ()))
                }:
                    return 302, {"Location": f"{edition['key']}.json"}, None
            return 404, {}, {"error": "notfound", "key": f"/isbn/{match.group(1)}"}
        if match := re.fullmatch(r"(/books/OL\d+M)\.json", path):
            for book in books:
                if book.edition and book.edition.get("key") == match.group(1):
                    return 200, {}, book.edition
        if match := re.fullmatch(r"(/works/OL\d+W)\.json", path):
            for book in books:
                if book.work and book.work.get("key") == match.group(1):
                    return 200, {}, book.work
        return 404, {}, {"error": "notfound", "key": path.removesuffix(".json")}

    def google_books(
        self, path: str, query: dict[str, list[str]]
    ) -> tuple[int, dict[str, str], Any]:
        if path != "/books/v1/volumes":
            return 404, {}, _google_error(404, "Not Found", "notFound")
        q = (query.get("q") or [""])[0]
        if not q.strip():
            return 400, {}, _google_error(400, "Missing query.", "queryRequired")
        volumes = [b.google_volume for b in self._snapshot() if b.google_volume]
        if match := re.search(r"isbn:([0-9Xx-]+)", q):
            isbn = _isbn13(match.group(1))
            hits = [
                v
                for v in volumes
                if isbn
                in {
                    _isbn13(i.get("identifier", ""))
                    for i in v.get("volumeInfo", {}).get("industryIdentifiers", [])
                }
            ]
        else:
            title = _phrase(q, "intitle")
            author = _phrase(q, "inauthor")
            hits = [
                v
                for v in volumes
                if (not title or title in _norm(v.get("volumeInfo", {}).get("title", "")))
                and (
                    not author
                    or any(author in _norm(a) for a in v.get("volumeInfo", {}).get("authors", []))
                )
                and (title or author)
            ]
        limit = int((query.get("maxResults") or ["10"])[0])
        body: dict[str, Any] = {"kind": "books#volumes", "totalItems": len(hits)}
        if hits:
            body["items"] = hits[:limit]
        return 200, {}, body


_JAVASCRIPT = {"Content-Type": "application/javascript"}  # the Books API without format=json


def _editions(
    books: list[FixtureBook],
) -> Callable[[str], tuple[dict[str, Any], dict[str, Any] | None, tuple[str, ...]] | None]:
    """The Books API's lookup: the edition record with an ISBN, its work and authors."""

    def lookup(isbn: str) -> tuple[dict[str, Any], dict[str, Any] | None, tuple[str, ...]] | None:
        wanted = _isbn13(isbn)
        for book in books:
            edition = book.edition
            if edition and wanted in {
                _isbn13(i) for i in (*edition.get("isbn_13", ()), *edition.get("isbn_10", ()))
            }:
                return edition, book.work, book.authors
        return None

    return lookup


def _phrase(q: str, operator: str) -> str:
    match = re.search(rf'{operator}:(?:"([^"]*)"|(\S+))', q)
    return _norm((match.group(1) or match.group(2)) if match else "")


def _google_error(code: int, message: str, reason: str) -> dict[str, Any]:
    status = {403: "PERMISSION_DENIED", 429: "RESOURCE_EXHAUSTED", 400: "INVALID_ARGUMENT"}.get(
        code, "NOT_FOUND"
    )
    domain = "usageLimits" if reason in ("dailyLimitExceeded", "rateLimitExceeded") else "global"
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
            "status": status,
        }
    }


def _search(books: list[FixtureBook], query: dict[str, list[str]]) -> dict[str, Any]:
    docs = [b.search_doc for b in books if b.search_doc]
    q = (query.get("q") or [""])[0]
    isbns: set[str] = set()
    if match := re.search(r"isbn:\(([^)]*)\)", q):
        isbns = {_isbn13(i) for i in re.split(r"\s+OR\s+", match.group(1)) if i.strip()}
    elif match := re.search(r"isbn:([0-9Xx-]+)", q):
        isbns = {_isbn13(match.group(1))}
    elif "isbn" in query:
        isbns = {_isbn13(query["isbn"][0])}
    groups = [] if isbns else openlibrary_bulk.title_author_groups(q)
    if isbns:
        hits = [d for d in docs if isbns & {_isbn13(i) for i in d.get("isbn", [])}]
    elif groups:
        hits = [d for d in docs if any(_matches_group(d, t, a) for t, a in groups)]
    else:
        title = _norm((query.get("title") or [""])[0])
        author = _norm((query.get("author") or [""])[0])
        words = _norm(q).split()
        hits = [
            d
            for d in docs
            if (not title or title in _norm(d.get("title", "")))
            and (
                not author
                or any(author in _norm(a) or _norm(a) in author for a in d.get("author_name", []))
            )
            and all(
                w in _norm(" ".join([d.get("title", ""), *d.get("author_name", [])])) for w in words
            )
            and (title or author or words)
        ]
    fields_param = (query.get("fields") or [""])[0]
    wanted = (
        None
        if fields_param == "*"
        else (fields_param.split(",") if fields_param else list(DEFAULT_SEARCH_FIELDS))
    )
    limit = int((query.get("limit") or ["100"])[0])
    shaped = [{k: v for k, v in d.items() if wanted is None or k in wanted} for d in hits[:limit]]
    return {
        "numFound": len(hits),
        "start": 0,
        "numFoundExact": True,
        "docs": shaped,
        "q": q,
        "offset": None,
    }


def _matches_group(doc: dict[str, Any], title: str, author: str) -> bool:
    """A fielded `title:"…" AND author:"…"` clause: phrases, word for word."""
    doc_title = f" {_norm(doc.get('title', ''))} "
    if not _norm(title) or f" {_norm(title)} " not in doc_title:
        return False
    names = [f" {_norm(name)} " for name in doc.get("author_name", [])]
    return not _norm(author) or any(f" {_norm(author)} " in name for name in names)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out and hang up are part of the tests


def _handler_class(upstream: UpstreamServer, api: Api) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = f"fixture-{api}"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:  # noqa: N802
            upstream._enter()
            try:
                self._get()
            finally:
                upstream._leave()

        def _get(self) -> None:
            parts = urlsplit(self.path)
            self._refused: str | None = None  # one handler serves a connection's requests
            self._arrived = time.monotonic()
            self._path = parts.path
            self._query = parse_qs(parts.query, keep_blank_values=True)
            refusal = upstream._admit(api)  # the host's limits see the request as it arrives
            latency = upstream._latency_for(api)
            if latency:
                upstream._wait(latency)
            if refusal is not None:
                self._refuse(refusal)
                return
            fault = upstream._take_fault(api, parts.path)
            if fault is not None:
                self._fault(fault)
                return
            if api is Api.OPENLIBRARY:
                status, headers, body = upstream.openlibrary(parts.path, self._query)
            else:
                status, headers, body = upstream.google_books(parts.path, self._query)
            if body is None:
                payload = b""
            elif isinstance(body, bytes):
                payload = body
            else:
                payload = json.dumps(body).encode()
            self._send(status, headers, payload)

        def _refuse(self, refusal: Refusal) -> None:
            self._refused = refusal.kind
            if refusal.kind == QUOTA_SPENT:
                message = "Quota exceeded for quota metric 'Queries' and limit 'Queries per day'."
                body = _google_error(refusal.status, message, refusal.reason or "rateLimitExceeded")
                self._send(refusal.status, {}, json.dumps(body).encode())
                return
            headers = {"Retry-After": refusal.retry_after} if refusal.retry_after else {}
            self._send(refusal.status, headers, json.dumps({"error": "Too Many Requests"}).encode())

        def _log(self, status: int) -> None:
            # Logged before the client can see the response, so counts are exact afterwards.
            upstream._record(
                RecordedRequest(
                    api=api,
                    method="GET",
                    path=self._path,
                    query=self._query,
                    headers=dict(self.headers.items()),
                    status=status,
                    at=time.monotonic(),
                    refused=self._refused,
                    arrived=self._arrived,
                )
            )

        def _fault(self, fault: Fault) -> None:
            if fault.kind in ("hang", "drop"):
                self._log(0)
                if fault.kind == "hang":
                    upstream._wait(fault.seconds)
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault.kind == "malformed":
                self._send(200, {}, b'{"numFound": 1, "docs": [{"key": "/works/OL1W", "title": ')
                return
            if fault.kind == "quota":
                message = "Quota exceeded for quota metric 'Queries' and limit 'Queries per day'."
                body = _google_error(fault.status, message, fault.reason or "dailyLimitExceeded")
                self._send(fault.status, {}, json.dumps(body).encode())
                return
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            if fault.status == 404:
                body = {"error": "notfound"}
            else:
                body = {"error": HTTPStatus(fault.status).phrase}
            self._send(fault.status, headers, json.dumps(body).encode())

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self._log(status)
            self.send_response(status)
            self.send_header("Content-Type", headers.get("Content-Type", "application/json"))
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                if name != "Content-Type":
                    self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler


def unreachable_base_url() -> str:
    """A loopback URL where nothing listens: connections are refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
