"""The upstream APIs' published limits, as the loopback emulator enforces them, and its counters.

- **Open Library** grants an identified client 3 requests per second (anonymous ones 1). The
  emulator refuses a request when the host already accepted `limit` requests in the second
  before it (a sliding second, measured when the request arrives): 429 with a `Retry-After` in
  whole seconds, the time until the oldest of those leaves the window, rounded up.
- **Google Books** has a daily quota (about 1,000 requests with a free key). Once it is spent
  every request is refused with 403 and the reason `rateLimitExceeded` (the issue's and the
  notes' reason; Google also uses `dailyLimitExceeded`): retrying the same day does not help.

Refused requests do not count against the window or the quota: a host counts what it served.
`endpoint_of` names the endpoint of a path, for per-endpoint counters.
"""

from __future__ import annotations

import collections
import dataclasses
import math
import threading
import time
from collections.abc import Callable

RATE_LIMITED = "rate limit"  # RecordedRequest.refused: over the host's requests per second
QUOTA_SPENT = "quota"  # RecordedRequest.refused: the daily quota is spent


class SlidingWindowLimit:
    """At most `limit` accepted requests in any `window_seconds`."""

    def __init__(
        self, limit: int, window_seconds: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1:
            raise ValueError("a rate limit admits at least one request per window")
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._accepted: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def admit(self) -> float | None:
        """None when the request is accepted (and counted); else the seconds until the oldest
        accepted request leaves the window."""
        with self._lock:
            now = self._clock()
            while self._accepted and self._accepted[0] <= now - self.window_seconds:
                self._accepted.popleft()
            if len(self._accepted) >= self.limit:
                return self._accepted[0] + self.window_seconds - now
            self._accepted.append(now)
            return None


def retry_after_header(wait_seconds: float) -> str:
    """Retry-After as delta-seconds: whole seconds, at least one."""
    return str(max(1, math.ceil(wait_seconds)))


class DailyQuota:
    """`requests` accepted requests, then every request is refused (the emulator's day never
    ends)."""

    def __init__(self, requests: int, reason: str = "rateLimitExceeded") -> None:
        if requests < 0:
            raise ValueError("a quota cannot be negative")
        self.requests = requests
        self.reason = reason
        self._used = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self._used >= self.requests:
                return False
            self._used += 1
            return True

    @property
    def used(self) -> int:
        with self._lock:
            return self._used


@dataclasses.dataclass(frozen=True)
class Refusal:
    """What the limits answer instead of the API: 429 with Retry-After, or 403 quota."""

    kind: str  # RATE_LIMITED or QUOTA_SPENT
    status: int
    retry_after: str | None = None
    reason: str | None = None


def endpoint_of(path: str) -> str:
    """The endpoint a request path belongs to: `/search.json`, `/api/books`, `/isbn/`,
    `/books/`, `/works/`, `/books/v1/volumes`; any other path is itself."""
    if path in ("/search.json", "/api/books", "/books/v1/volumes"):
        return path
    for prefix in ("/isbn/", "/books/", "/works/"):
        if path.startswith(prefix):
            return prefix
    return path
