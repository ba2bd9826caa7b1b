"""HTTP to the book APIs: timeouts, retries with full jitter, Retry-After, the deployment's pace
per host (pacing.py), and a time budget taken from the Lambda invocation.

Outcomes of one call: parsed JSON; `NotFound` (final, never retried); `SourceUnavailable`
(the source could not answer now: retries spent, the wait did not fit in the remaining time,
quota exhausted, unreachable), of which `Paced` says that only the deployment's own pace stood
in the way, and when the host's next free slot is. Quota exhaustion, an unreachable host and a
second request whose retries were all spent mark the source down for the rest of the
invocation, so the other books of the batch do not try again; once the pace answered that the
host has no slot this invocation can wait for, later requests to it are not tried either.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import json
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import requests
from requests.adapters import HTTPAdapter

# Google's reasons for a spent quota; retrying the same day does not help.
QUOTA_REASONS = frozenset({"dailyLimitExceeded", "rateLimitExceeded", "quotaExceeded"})
# An unreachable host is retried this many times in total, then the source is down.
UNREACHABLE_ATTEMPTS = 2
# After this many requests that spent all their attempts, the source is down for the rest of the
# invocation: a host failing that persistently is not asked on behalf of every other book.
FAILED_REQUESTS_BEFORE_OFF = 2


class UpstreamError(Exception):
    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class NotFound(UpstreamError):
    """The source answered that it does not know the book: final, cacheable."""


class SourceUnavailable(UpstreamError):
    """The source could not answer now; another delivery may succeed."""


class Paced(SourceUnavailable):
    """Only the deployment's own pace stood in the way: the host's next free slot is
    `wait_seconds` from now, later than this invocation can wait."""

    def __init__(self, source: str, host: str, wait_seconds: float) -> None:
        super().__init__(
            source,
            f"paced: the next free slot for {host} is in {wait_seconds:.1f} s, "
            "later than this invocation can wait",
        )
        self.host = host
        self.wait_seconds = max(0.0, wait_seconds)


class Deadline:
    """The part of the invocation's remaining time that upstream calls may use."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._end = clock() + max(0.0, seconds)

    @classmethod
    def from_remaining_millis(
        cls, remaining_millis: int, clock: Callable[[], float] = time.monotonic
    ) -> Deadline:
        """Keeps a reserve for recording the results after enrichment (10%, 1 to 5 seconds)."""
        remaining = remaining_millis / 1000
        reserve = min(5.0, max(1.0, remaining * 0.1))
        return cls(remaining - reserve, clock)

    def remaining(self) -> float:
        return max(0.0, self._end - self._clock())


class InvocationState:
    """What one invocation learns about the sources: which are down, which have no slot it can
    wait for, how many requests went."""

    def __init__(self, deadline: Deadline, clock: Callable[[], float] = time.monotonic) -> None:
        self.deadline = deadline
        self._clock = clock
        self._lock = threading.Lock()
        self._down: dict[str, str] = {}
        self._paced: dict[str, tuple[str, float]] = {}  # source -> (host, free at: clock time)
        self._failed_requests: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()

    def mark_down(self, source: str, reason: str) -> None:
        with self._lock:
            self._down.setdefault(source, reason)

    def down_reason(self, source: str) -> str | None:
        with self._lock:
            return self._down.get(source)

    def note_failed_request(self, source: str, reason: str) -> None:
        """A request spent all its attempts; the second one turns the source off."""
        with self._lock:
            self._failed_requests[source] += 1
            if self._failed_requests[source] >= FAILED_REQUESTS_BEFORE_OFF:
                self._down.setdefault(
                    source,
                    f"{reason}, {FAILED_REQUESTS_BEFORE_OFF} requests in a row; "
                    "source off for this invocation",
                )

    def note_paced(self, paced: Paced) -> None:
        with self._lock:
            self._paced[paced.source] = (paced.host, self._clock() + paced.wait_seconds)

    def paced(self, source: str) -> Paced | None:
        """The pace's last answer for `source` in this invocation, its wait counted from now."""
        with self._lock:
            found = self._paced.get(source)
        if found is None:
            return None
        host, free_at = found
        return Paced(source, host, free_at - self._clock())

    def count_request(self, source: str) -> None:
        with self._lock:
            self.requests[source] += 1


class Pacer(Protocol):
    """When a request to a host may start (pacing.SharedPacer: the deployment's schedule)."""

    def wait_for_slot(self, source: str, deadline: Deadline) -> None:
        """Returns when the request may start; raises Paced when that is later than
        `deadline` allows, SourceUnavailable when the pace cannot be known."""


class Unpaced:
    """No pace: requests start at once (UPSTREAM_MAX_RPS=0, for hosts on this machine)."""

    def wait_for_slot(self, source: str, deadline: Deadline) -> None:
        return None


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    backoff_base_seconds: float = 0.25
    backoff_cap_seconds: float = 8.0

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2^n)]."""
        ceiling = min(self.backoff_cap_seconds, self.backoff_base_seconds * 2**retry_number)
        return rng.uniform(0.0, ceiling)


@dataclasses.dataclass(frozen=True)
class Timeouts:
    connect_seconds: float = 3.05
    read_seconds: float = 10.0


def new_session(user_agent: str, pool_size: int = 16) -> requests.Session:
    session = requests.Session()
    session.headers.update({"User-Agent": user_agent, "Accept": "application/json"})
    session.max_redirects = 3  # /isbn/… redirects once; anything longer is not these APIs
    # urllib3 must not retry behind our back: retries are counted and timed here.
    adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def user_agent(version: str, contact: str | None) -> str:
    return f"goodreads-stats-book-processor/{version} ({contact or 'contact not configured'})"


class UpstreamClient:
    """GET JSON from one upstream host, politely and within the invocation's time."""

    def __init__(
        self,
        source: str,
        base_url: str,
        session: requests.Session,
        *,
        pacer: Pacer,
        policy: RetryPolicy,
        timeouts: Timeouts,
        default_params: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.source = source
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._pacer = pacer
        self._policy = policy
        self._timeouts = timeouts
        self._default_params = dict(default_params or {})
        self._sleep = sleep
        self._rng = rng or random.Random()

    def get_json(self, path: str, params: Mapping[str, str], state: InvocationState) -> Any:
        url = self.base_url + path
        query = {**params, **self._default_params}
        reason = "no attempt made"
        attempts = 0
        unreachable = False
        while attempts < self._policy.max_attempts:
            self._raise_if_down(state)
            self._wait_for_slot(state)
            remaining = state.deadline.remaining()
            if remaining <= 0.05:
                raise SourceUnavailable(self.source, f"{reason}; no time left in this invocation")
            timeout = (
                min(self._timeouts.connect_seconds, remaining),
                min(self._timeouts.read_seconds, remaining),
            )
            attempts += 1
            state.count_request(self.source)
            retry_after: float | None = None
            try:
                response = self._session.get(url, params=query, timeout=timeout)
            except requests.Timeout:
                reason, unreachable = "timed out", False
            except requests.ConnectionError as exc:
                unreachable = _is_unreachable(exc)
                reason = _connection_reason(exc)
                if unreachable and attempts >= UNREACHABLE_ATTEMPTS:
                    break
            except requests.RequestException as exc:  # a broken transfer, too many redirects…
                reason, unreachable = f"request failed ({type(exc).__name__})", False
            else:
                status = response.status_code
                if status == 200:
                    try:
                        return response.json()
                    except ValueError:
                        reason, unreachable = "malformed JSON in the response", False
                elif status == 404:
                    raise NotFound(self.source, "not found (HTTP 404)")
                elif status in (403, 429) and (quota := _quota_reason(response)):
                    down = f"quota exhausted ({quota}); source off for this invocation"
                    state.mark_down(self.source, down)
                    raise SourceUnavailable(self.source, down)
                elif status == 429 or status >= 500:
                    reason, unreachable = f"HTTP {status}", False
                    retry_after = parse_retry_after(response.headers.get("Retry-After"))
                else:
                    raise SourceUnavailable(self.source, f"refused the request (HTTP {status})")
            if attempts >= self._policy.max_attempts:
                break
            if retry_after is not None:
                # Honour the server's wait; a little jitter keeps the batch's threads apart.
                delay = retry_after + self._rng.uniform(0.0, self._policy.backoff_base_seconds)
            else:
                delay = self._policy.backoff(attempts - 1, self._rng)
            if delay >= state.deadline.remaining():
                raise SourceUnavailable(
                    self.source,
                    f"{reason}; the next try in {delay:.1f}s does not fit in the remaining time",
                )
            self._sleep(delay)
        if unreachable:
            down = f"{reason} after {attempts} attempts; source off for this invocation"
            state.mark_down(self.source, down)
            raise SourceUnavailable(self.source, down)
        state.note_failed_request(self.source, f"{reason} after {attempts} attempts")
        raise SourceUnavailable(self.source, f"{reason} after {attempts} attempts")

    def _raise_if_down(self, state: InvocationState) -> None:
        down = state.down_reason(self.source)
        if down is not None:
            raise SourceUnavailable(self.source, down)

    def _wait_for_slot(self, state: InvocationState) -> None:
        paced = state.paced(self.source)
        if paced is not None:
            raise paced  # the pace already said this invocation cannot wait that long
        try:
            self._pacer.wait_for_slot(self.source, state.deadline)
        except Paced as exc:
            state.note_paced(exc)
            raise


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date; None when unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    current = now or dt.datetime.now(dt.UTC)
    return max(0.0, (moment - current).total_seconds())


def _quota_reason(response: requests.Response) -> str | None:
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    details = error.get("errors") if isinstance(error, dict) else None
    if not isinstance(details, list):
        return None
    for detail in details:
        reason = detail.get("reason") if isinstance(detail, dict) else None
        if reason in QUOTA_REASONS:
            return str(reason)
    return None


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    pending: list[BaseException] = [exc]
    while pending and len(chain) < 20:
        current = pending.pop()
        chain.append(current)
        pending.extend(a for a in current.args if isinstance(a, BaseException))
        for linked in (current.__cause__, current.__context__, getattr(current, "reason", None)):
            if isinstance(linked, BaseException) and linked not in chain:
                pending.append(linked)
    return chain


def _is_unreachable(exc: BaseException) -> bool:
    """Connection refused or a name that does not resolve: trying harder will not help."""
    return any(isinstance(c, ConnectionRefusedError | socket.gaierror) for c in _causes(exc)) or (
        "NameResolutionError" in {type(c).__name__ for c in _causes(exc)}
    )


def _connection_reason(exc: BaseException) -> str:
    causes = _causes(exc)
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return "connection refused"
    if any(
        isinstance(c, socket.gaierror) or type(c).__name__ == "NameResolutionError" for c in causes
    ):
        return "host name did not resolve"
    return "connection failed"
