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

MAX_RECEIVE_BATCH = 10  # ReceiveMessage returns at most ten messages
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


def current_caller() -> str | None:
    """The function whose invocation this thread is running, if any."""
    name: str | None = getattr(_current_caller, "name", None)
    return name


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
    """Per queue URL, how many messages were sent and not yet received: what pollers wait on
    instead of long polling.

    A send of n messages wakes as many waiting pollers as it takes to receive them (a receive
    takes up to ten); a receive takes its messages off the count, and an empty receive sets it
    to zero (what was counted is in flight, delayed or gone). Messages that come back after
    their visibility timeout are not counted: pollers that wait with a timeout find them.
    """

    def __init__(self, max_messages: int = 100_000) -> None:
        self._lock = threading.Lock()
        # One condition per queue (sharing the lock): a send wakes pollers of its own queue.
        self._conditions: dict[str, threading.Condition] = {}
        self._available: collections.Counter[str] = collections.Counter()
        self._max_messages = max_messages
        self._interrupted = False

    def _condition(self, queue_url: str) -> threading.Condition:  # with the lock held
        condition = self._conditions.get(queue_url)
        if condition is None:
            condition = self._conditions[queue_url] = threading.Condition(self._lock)
        return condition

    def sent(self, queue_url: str, messages: int = 1) -> None:
        if messages < 1:
            return
        with self._lock:
            self._available[queue_url] = min(
                self._available[queue_url] + messages, self._max_messages
            )
            # As many pollers as it takes receives (of up to ten) to get them.
            self._condition(queue_url).notify(-(-messages // MAX_RECEIVE_BATCH))

    def received(self, queue_url: str, messages: int) -> bool:
        """Takes a receive's messages off the count; True if it got more than were counted
        (messages that came back after their visibility timeout: more may be waiting)."""
        with self._lock:
            counted = self._available[queue_url]
            self._available[queue_url] = max(0, counted - messages) if messages else 0
            return messages > counted

    def wait(self, queue_url: str, timeout: float) -> bool:
        """Waits up to `timeout` until messages are counted for `queue_url`; True if so."""
        with self._lock:
            self._condition(queue_url).wait_for(
                lambda: self._available[queue_url] > 0 or self._interrupted, timeout
            )
            return self._available[queue_url] > 0 and not self._interrupted

    def interrupt(self) -> None:
        """Every wait returns now, and later ones at once: the pollers are stopping."""
        with self._lock:
            self._interrupted = True
            for condition in self._conditions.values():
                condition.notify_all()


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
    parsed: dict[str, Any] | None = None,
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
        # SendMessageBatch answers which entries went in; SendMessage sent one.
        successful = (parsed or {}).get("Successful")
        activity.sent(queue_url, len(successful) if isinstance(successful, list) else 1)


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
