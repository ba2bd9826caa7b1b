"""What the runtime learns from botocore's events: API call counts, and queue activity.

botocore emits `after-call` once per API call (retries included in one call), with or
without an emulator in between, so the counts are what a deployment would be billed for.
The same hook tells the local pollers when messages were sent to their queue, which is what
long polling would tell them (moto's long polling wakes every waiting poller and rescans the
queue for each message sent, which does not scale to dozens of pollers).
"""

from __future__ import annotations

import collections
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import botocore.handlers
from botocore.config import Config

RUNTIME = "runtime"  # the pollers and the monitor: what AWS itself (or the reader) would do
OTHER_THREADS = "functions (worker threads)"  # calls from threads that a function started
# Clients of the runtime's own session carry this in their User-Agent (and config).
RUNTIME_USER_AGENT_EXTRA = "goodreads-stats-local-runtime"

_current_caller = threading.local()


def runtime_client_config(*, concurrent_calls: int = 10) -> Config:
    """`concurrent_calls`: how many threads share one client (the pollers share the SQS one);
    with fewer pooled connections than that, each call beyond them opens a new one."""
    return Config(
        user_agent_extra=RUNTIME_USER_AGENT_EXTRA,
        max_pool_connections=max(10, concurrent_calls),
    )


@contextlib.contextmanager
def calls_attributed_to(caller: str) -> Iterator[None]:
    """AWS calls made by this thread inside the block count for `caller`."""
    previous = getattr(_current_caller, "name", None)
    _current_caller.name = caller
    try:
        yield
    finally:
        _current_caller.name = previous


class AwsCallCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: collections.Counter[tuple[str, str]] = collections.Counter()

    def record(self, operation: str, *, by_runtime: bool = False) -> None:
        caller = RUNTIME if by_runtime else getattr(_current_caller, "name", None) or OTHER_THREADS
        with self._lock:
            self._counts[(caller, operation)] += 1

    def by_caller(self) -> dict[str, int]:
        totals: collections.Counter[str] = collections.Counter()
        with self._lock:
            for (caller, _), count in self._counts.items():
                totals[caller] += count
        return dict(totals)

    def by_operation(self) -> dict[str, dict[str, int]]:
        """caller -> operation ("dynamodb.TransactWriteItems") -> calls."""
        breakdown: dict[str, dict[str, int]] = {}
        with self._lock:
            for (caller, operation), count in sorted(self._counts.items()):
                breakdown.setdefault(caller, {})[operation] = count
        return breakdown

    def total(self, *, exclude_runtime: bool = False) -> int:
        with self._lock:
            return sum(
                count
                for (caller, _), count in self._counts.items()
                if not (exclude_runtime and caller == RUNTIME)
            )


class QueueActivity:
    """Per queue URL, a count of sends that pollers wait on instead of long polling.

    Each SendMessage or SendMessageBatch is one token: it wakes one waiting poller, which
    receives up to a batch. Tokens never exceed `max_tokens`, so a burst of sends while every
    poller is busy does not turn into empty receives later.
    """

    def __init__(self, max_tokens: int = 1000) -> None:
        self._condition = threading.Condition()
        self._tokens: collections.Counter[str] = collections.Counter()
        self._max_tokens = max_tokens
        self._interrupted = False

    def sent(self, queue_url: str) -> None:
        with self._condition:
            self._tokens[queue_url] = min(self._tokens[queue_url] + 1, self._max_tokens)
            self._condition.notify_all()

    def wait(self, queue_url: str, timeout: float) -> bool:
        """Waits up to `timeout` for a send to `queue_url`; True when one arrived."""
        with self._condition:
            arrived = self._condition.wait_for(
                lambda: self._tokens[queue_url] > 0 or self._interrupted, timeout
            )
            if not arrived or self._tokens[queue_url] == 0:
                return False
            self._tokens[queue_url] -= 1
            return True

    def interrupt(self) -> None:
        """Every wait returns now, and later ones at once: the pollers are stopping."""
        with self._condition:
            self._interrupted = True
            self._condition.notify_all()


_active_counter: AwsCallCounter | None = None
_active_activity: QueueActivity | None = None
_registered = False
_registration_lock = threading.Lock()
_SENDS = ("SendMessage", "SendMessageBatch")
_QUEUE_URL = "local_runtime_queue_url"


def _before_sqs_call(
    params: dict[str, Any] | None = None,
    model: Any = None,
    context: dict[str, Any] | None = None,
    **_: Any,
) -> None:
    if context is not None and params and getattr(model, "name", None) in _SENDS:
        context[_QUEUE_URL] = params.get("QueueUrl")


def _after_call(
    event_name: str = "",
    context: dict[str, Any] | None = None,
    http_response: Any = None,
    **_: Any,
) -> None:
    counter = _active_counter
    if counter is not None:
        config = (context or {}).get("client_config")
        by_runtime = RUNTIME_USER_AGENT_EXTRA in (getattr(config, "user_agent_extra", None) or "")
        # "after-call.sqs.ReceiveMessage" -> "sqs.ReceiveMessage"
        counter.record(event_name.removeprefix("after-call."), by_runtime=by_runtime)
    activity = _active_activity
    queue_url = (context or {}).get(_QUEUE_URL)
    if activity is not None and queue_url and getattr(http_response, "status_code", 0) == 200:
        activity.sent(queue_url)


def install(counter: AwsCallCounter | None, activity: QueueActivity | None = None) -> None:
    """Makes `counter` and `activity` hear the calls of every botocore session created from
    now on (None: stop listening)."""
    global _active_counter, _active_activity, _registered
    with _registration_lock:
        if not _registered:
            botocore.handlers.BUILTIN_HANDLERS.append(
                ("before-parameter-build.sqs", _before_sqs_call)
            )
            botocore.handlers.BUILTIN_HANDLERS.append(("after-call", _after_call))
            _registered = True
        _active_counter = counter
        _active_activity = activity
