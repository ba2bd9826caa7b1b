"""The deployment's pace towards each upstream host: one schedule of request starts per host,
shared by every invocation of every job through one item of the cache table.

Open Library allows an identified client 3 requests per second over a sliding second, for the
client as a whole: however many jobs run and however many invocations start and end, the
deployment's requests to one host must stay within it. A per-invocation cap cannot hold that
(four invocations that each wait a quarter of the rate still start together), so every request
start takes the next free slot of its host's schedule:

    item   {pk: "pace#<host>", next_slot_ms: N, expires_at: …}   in CACHE_TABLE
    slot   now, when the schedule is idle (next_slot_ms < now):
               SET next_slot_ms = now + interval   IF attribute_not_exists OR next_slot_ms < now
           next_slot_ms otherwise:
               SET next_slot_ms = next_slot_ms + interval
                                                   IF now <= next_slot_ms <= latest
    interval = (1 + ARRIVAL_JITTER_SECONDS) / UPSTREAM_MAX_RPS

Each conditional update is atomic, so the slots handed out are distinct and at least one
interval apart, in the order they were asked for, whichever invocation asked. N + 1
slots therefore span N x interval = 1 + ARRIVAL_JITTER_SECONDS seconds. A request starts within
LATE_START_SECONDS (0.1 s) of its slot: when the schedule's answer or the sleep comes later than
that (a slow UpdateItem, a loaded machine), the slot is left unused and the next free one taken.
So N + 1 consecutive starts span at least 1.15 s, and they arrive at the host within N per
sliding second as long as their network delays differ by less than the remaining 0.15 s (a new
HTTPS connection adds round trips before its first request arrives). At 3 requests/s that is
one slot every 0.417 s, 2.4 per second on average.

A request costs one conditional UpdateItem while the schedule is busy (two when it has just
gone idle, or when another invocation raced it), a few milliseconds beside the host's answer.
The caller then sleeps until its slot. A slot later than `latest` (what the invocation's
remaining time allows, less REQUEST_ALLOWANCE_SECONDS for the request itself) is not taken:
`Paced` tells the caller when the host's next free slot is, so that the book can come back
then, instead of after a retry backoff. Clocks: the slots are wall-clock epoch milliseconds, so
Lambda hosts' clocks (kept within milliseconds by NTP) share one schedule.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from contracts import storage
from contracts.layout import PACER_NEXT_SLOT_ATTRIBUTE, PACER_PK_PREFIX, TTL_ATTRIBUTE
from services.book_processor.upstream import Deadline, Paced, SourceUnavailable

# How much later than their slots consecutive requests may reach the host (a late start plus
# the way there) without N + 1 of them arriving within one second (the module's docstring).
ARRIVAL_JITTER_SECONDS = 0.25
# A request starts at most this long after its slot; a slot that went by longer ago (the
# schedule's answer or the sleep came late) is left unused for the next one. Of the interval's
# ARRIVAL_JITTER_SECONDS, this much may thus be spent before the start, the rest on the way.
LATE_START_SECONDS = 0.1
_LATE_ROUNDS = 4  # slots let go by before the request is given up as a fault
# A slot must leave this much of the invocation's time for the request itself.
REQUEST_ALLOWANCE_SECONDS = 1.0
# The schedule item expires (TTL) a day after its last use: an idle host needs no item.
SCHEDULE_RETENTION_SECONDS = 24 * 3600
_ROUNDS = 8  # attempts to take a slot while other invocations race for the same item


class SharedPacer:
    """One host's schedule of request starts, in the cache table, for the whole deployment."""

    def __init__(
        self,
        client: Any,
        table: str,
        host: str,
        requests_per_second: float,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if requests_per_second <= 0:
            raise ValueError("a shared pace needs a positive rate (Unpaced is no pace)")
        self.host = host
        self.interval_seconds = (1 + ARRIVAL_JITTER_SECONDS) / requests_per_second
        self._interval_ms = max(1, round(self.interval_seconds * 1000))
        self._client = client
        self._table = table
        self._key = storage.cache_key(PACER_PK_PREFIX + host)
        self._clock = clock
        self._sleep = sleep
        self._busy = False  # the last answer found the schedule ahead of the clock

    def wait_for_slot(self, source: str, deadline: Deadline) -> None:
        """Returns at a slot of the host's schedule, at most LATE_START_SECONDS after it."""
        for _ in range(_LATE_ROUNDS):
            slot_ms = self.reserve(source, deadline)
            wait = slot_ms / 1000 - self._clock()
            if wait > 0:
                self._sleep(wait)
                wait = slot_ms / 1000 - self._clock()
            if wait >= -LATE_START_SECONDS:
                return
            # The slot went by while the schedule answered or while this thread slept (a slow
            # UpdateItem, a loaded machine): a start now could come within a second of the next
            # slots' starts. The slot is left unused; the next free one is taken.
        raise SourceUnavailable(
            source, f"the slots of {self.host}'s pace went by before they could be used"
        )

    def reserve(self, source: str, deadline: Deadline) -> int:
        """Takes the host's next free slot (epoch milliseconds) if the invocation can wait
        for it; else raises Paced, taking nothing."""
        if deadline.remaining() < REQUEST_ALLOWANCE_SECONDS:
            raise SourceUnavailable(source, "no time left in this invocation for a request")
        for _ in range(_ROUNDS):
            now_ms = int(self._clock() * 1000)
            latest_ms = now_ms + int(1000 * (deadline.remaining() - REQUEST_ALLOWANCE_SECONDS))
            try:
                if self._busy:
                    slot, next_slot = self._take_next(now_ms, latest_ms)
                else:
                    slot, next_slot = self._take_idle(now_ms)
            except (ClientError, BotoCoreError) as exc:
                raise SourceUnavailable(
                    source, f"the pace of {self.host} could not be read ({_error_code(exc)})"
                ) from exc
            if slot is not None:
                return slot
            self._busy = next_slot is not None and next_slot >= now_ms
            if next_slot is not None and next_slot > latest_ms:
                raise Paced(source, self.host, (next_slot - now_ms) / 1000)
        raise SourceUnavailable(source, f"the pace of {self.host} is contended; try again")

    def _take_idle(self, now_ms: int) -> tuple[int | None, int | None]:
        """(now, None) when the schedule was idle; else (None, its next slot)."""
        failed = self._update(
            "SET #next = :next, #ttl = :ttl",
            "attribute_not_exists(#next) OR #next < :now",
            {":next": now_ms + self._interval_ms, ":now": now_ms},
            now_ms,
        )
        if failed is None:
            self._busy = True
            return now_ms, None
        return None, failed

    def _take_next(self, now_ms: int, latest_ms: int) -> tuple[int | None, int | None]:
        """(the next slot, None) when the schedule is busy and the slot fits; else (None, the
        next slot as found, or None when there is no schedule)."""
        values = {":interval": self._interval_ms, ":now": now_ms, ":latest": latest_ms}
        response: dict[str, Any] = {}
        failed = self._update(
            "SET #next = #next + :interval, #ttl = :ttl",
            "#next >= :now AND #next <= :latest",
            values,
            now_ms,
            response,
        )
        if failed is None:
            updated = int(response["Attributes"][PACER_NEXT_SLOT_ATTRIBUTE]["N"])
            return updated - self._interval_ms, None
        if failed < 0:
            return None, None
        return None, failed

    def _update(
        self,
        expression: str,
        condition: str,
        values: dict[str, int],
        now_ms: int,
        response: dict[str, Any] | None = None,
    ) -> int | None:
        """Runs one conditional update; None when it applied, else the item's next slot as it
        was (-1 when there was none)."""
        expires = storage.expires_at(
            dt.datetime.fromtimestamp(now_ms / 1000 + SCHEDULE_RETENTION_SECONDS, dt.UTC)
        )
        try:
            answer = self._client.update_item(
                TableName=self._table,
                Key=self._key,
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames={
                    "#next": PACER_NEXT_SLOT_ATTRIBUTE,
                    "#ttl": TTL_ATTRIBUTE,
                },
                ExpressionAttributeValues={
                    **{name: {"N": str(value)} for name, value in values.items()},
                    ":ttl": expires,
                },
                ReturnValues="UPDATED_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            old = exc.response.get("Item") or {}
            slot = old.get(PACER_NEXT_SLOT_ATTRIBUTE, {}).get("N")
            return int(slot) if slot is not None else -1
        if response is not None:
            response.update(answer)
        return None


def _error_code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "error"))
    return type(exc).__name__
