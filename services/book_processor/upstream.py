"""HTTP to the book APIs: timeouts, retries with full jitter, Retry-After, a per-host rate cap,
and a time budget taken from the Lambda invocation.

Outcomes of one call: parsed JSON; `NotFound` (final, never retried); `SourceUnavailable`
(the source could not answer now: retries spent, the wait did not fit in the remaining time,
quota exhausted, unreachable). Quota exhaustion and an unreachable host mark the source down for
the rest of the invocation, so the other books of the batch do not try again.
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
from typing import Any

import requests
from requests.adapters import HTTPAdapter

# Google's reasons for a spent quota; retrying the same day does not help.
QUOTA_REASONS = frozenset({"dailyLimitExceeded", "rateLimitExceeded", "quotaExceeded"})
# An unreachable host is retried this many times in total, then the source is down.
UNREACHABLE_ATTEMPTS = 2


class UpstreamError(Exception):
    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class NotFound(UpstreamError):
    """The source answered that it does not know the book: final, cacheable."""


class SourceUnavailable(UpstreamError):
    """The source could not answer now; another delivery may succeed."""


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
    """What one invocation learns about the sources: which are down, how many requests went."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self._lock = threading.Lock()
        self._down: dict[str, str] = {}
        self.requests: Counter[str] = Counter()

    def mark_down(self, source: str, reason: str) -> None:
        with self._lock:
            self._down.setdefault(source, reason)

    def down_reason(self, source: str) -> str | None:
        with self._lock:
            return self._down.get(source)

    def count_request(self, source: str) -> None:
        with self._lock:
            self.requests[source] += 1


class RateLimiter:
    """At most `max_per_second` request starts per second, evenly spaced; 0 means no cap.

    One limiter per upstream host, shared by the threads of the invocation.
    """

    def __init__(
        self,
        max_per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = 1.0 / max_per_second if max_per_second > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = 0.0

    def wait_for_slot(self, source: str, deadline: Deadline) -> None:
        if self._interval == 0.0:
            return
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            wait = slot - now
            if wait >= deadline.remaining():
                raise SourceUnavailable(
                    source, "rate limit wait does not fit in the remaining time"
                )
            self._next_slot = slot + self._interval
        if wait > 0:
            self._sleep(wait)


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
        limiter: RateLimiter,
        policy: RetryPolicy,
        timeouts: Timeouts,
        default_params: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.source = source
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._limiter = limiter
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
            self._limiter.wait_for_slot(self.source, state.deadline)
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
        raise SourceUnavailable(self.source, f"{reason} after {attempts} attempts")

    def _raise_if_down(self, state: InvocationState) -> None:
        down = state.down_reason(self.source)
        if down is not None:
            raise SourceUnavailable(self.source, down)


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
