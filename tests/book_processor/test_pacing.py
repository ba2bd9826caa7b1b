"""The deployment's pace towards an upstream host: one schedule in the cache table that every
invocation of every job takes its request starts from (services/book_processor/pacing.py).

A schedule is shared by constructing several pacers on one table, as separate execution
environments do; the clock is frozen, so a slot is a number to compare, not a wait to time.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
import pytest

from contracts import storage
from contracts.layout import PACER_NEXT_SLOT_ATTRIBUTE, PACER_PK_PREFIX
from local_runtime.resources import ServiceEnvironment
from services.book_processor.pacing import (
    ARRIVAL_JITTER_SECONDS,
    LATE_START_SECONDS,
    SharedPacer,
)
from services.book_processor.upstream import Deadline, Paced, SourceUnavailable

Env = tuple[boto3.Session, ServiceEnvironment]
HOST = "openlibrary.org"
START = 1_700_000_000.0  # epoch seconds


class FrozenClock:
    """Wall-clock time that moves only when a test (or a sleep) moves it."""

    def __init__(self, now: float = START) -> None:
        self.now = now
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)


def pacer(env: Env, clock: FrozenClock, rps: float = 3.0, host: str = HOST) -> SharedPacer:
    session, resources = env
    client: Any = session.client("dynamodb")
    return SharedPacer(client, resources.cache_table, host, rps, clock=clock, sleep=clock.sleep)


def next_slot_ms(env: Env, host: str = HOST) -> int | None:
    session, resources = env
    item = session.client("dynamodb").get_item(
        TableName=resources.cache_table, Key=storage.cache_key(PACER_PK_PREFIX + host)
    )
    value = item.get("Item", {}).get(PACER_NEXT_SLOT_ATTRIBUTE, {}).get("N")
    return int(value) if value is not None else None


def test_an_idle_host_gets_its_first_request_at_once_and_the_next_one_an_interval_later(
    aws: Env,
) -> None:
    clock = FrozenClock()
    first = pacer(aws, clock)

    first.wait_for_slot("openlibrary", Deadline(30))
    first.wait_for_slot("openlibrary", Deadline(30))

    interval = (1 + ARRIVAL_JITTER_SECONDS) / 3
    assert first.interval_seconds == pytest.approx(interval)
    assert clock.slept == [pytest.approx(interval, abs=0.001)]


def test_invocations_that_start_and_end_continue_one_schedule(aws: Env) -> None:
    clock = FrozenClock()
    interval_ms = round(pacer(aws, clock).interval_seconds * 1000)

    slots = []
    for _ in range(3):  # three execution environments, one after the other, two requests each
        environment = pacer(aws, clock)
        slots += [environment.reserve("openlibrary", Deadline(30)) for _ in range(2)]

    start_ms = int(START * 1000)
    assert slots == [start_ms + k * interval_ms for k in range(6)]


def test_concurrent_invocations_of_several_jobs_never_share_or_crowd_a_slot(aws: Env) -> None:
    clock = FrozenClock()
    environments = [pacer(aws, clock) for _ in range(4)]  # four invocations, any jobs
    slots: list[int] = []
    lock = threading.Lock()

    def invocation(environment: SharedPacer) -> None:
        for _ in range(10):
            slot = environment.reserve("openlibrary", Deadline(60))
            with lock:
                slots.append(slot)

    threads = [threading.Thread(target=invocation, args=(e,)) for e in environments * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    interval_ms = round(environments[0].interval_seconds * 1000)
    start_ms = int(START * 1000)
    assert sorted(slots) == [start_ms + k * interval_ms for k in range(80)]


def test_any_four_consecutive_starts_span_more_than_a_second_at_three_per_second(
    aws: Env,
) -> None:
    clock = FrozenClock()
    environment = pacer(aws, clock)

    slots = [environment.reserve("openlibrary", Deadline(60)) for _ in range(12)]

    # Open Library counts a sliding second: 3 requests per second means no 4 within one, and
    # the arrivals may come up to ARRIVAL_JITTER_SECONDS closer together than the starts.
    closest = min(b - a for a, b in zip(slots, slots[3:], strict=False))
    assert closest - ARRIVAL_JITTER_SECONDS * 1000 >= 999


class LateWaker(FrozenClock):
    """A loaded machine: each sleep wakes the next of `lateness` seconds after it should."""

    def __init__(self, *lateness: float) -> None:
        super().__init__()
        self.lateness = list(lateness)

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        with self._lock:
            self.now += seconds + (self.lateness.pop(0) if self.lateness else 0.0)


def test_a_slot_gone_by_when_the_sleep_ends_is_left_unused_and_the_next_one_taken(
    aws: Env,
) -> None:
    clock = LateWaker(0.3)  # the first sleep wakes 0.3 s after its slot
    pacer(aws, clock).wait_for_slot("openlibrary", Deadline(30))  # another invocation: now
    late = pacer(aws, clock)
    interval = late.interval_seconds

    late.wait_for_slot("openlibrary", Deadline(30))

    # Its first slot (START + interval) went by 0.3 s before it could start: a start then
    # would leave the next slots' starts within a second of it. It started at the next slot.
    assert clock.now == pytest.approx(START + 2 * interval, abs=0.002)
    assert clock.slept == [
        pytest.approx(interval, abs=0.002),
        pytest.approx(interval - 0.3, abs=0.002),
    ]
    assert next_slot_ms(aws) == pytest.approx((START + 3 * interval) * 1000, abs=2)


def test_a_start_a_little_late_keeps_its_slot(aws: Env) -> None:
    clock = LateWaker(LATE_START_SECONDS / 2)
    pacer(aws, clock).wait_for_slot("openlibrary", Deadline(30))
    late = pacer(aws, clock)

    late.wait_for_slot("openlibrary", Deadline(30))

    assert clock.slept == [pytest.approx(late.interval_seconds, abs=0.002)]
    assert next_slot_ms(aws) == pytest.approx((START + 2 * late.interval_seconds) * 1000, abs=2)


def test_a_request_whose_slots_keep_going_by_is_a_fault_not_a_late_start(aws: Env) -> None:
    clock = LateWaker(*[0.2] * 10)  # each sleep wakes 0.2 s late, less than an interval
    busy = pacer(aws, clock)
    for _ in range(20):
        busy.reserve("openlibrary", Deadline(60))  # the schedule runs 8.3 s ahead
    late = pacer(aws, clock)

    with pytest.raises(SourceUnavailable, match="went by before they could be used"):
        late.wait_for_slot("openlibrary", Deadline(60))

    assert len(clock.slept) == 4  # four slots let go, none started late
    assert next_slot_ms(aws) == START * 1000 + 24 * round(late.interval_seconds * 1000)


def test_a_slot_later_than_the_invocation_can_wait_is_not_taken_and_its_time_is_said(
    aws: Env,
) -> None:
    clock = FrozenClock()
    busy = pacer(aws, clock, rps=1.0)  # one start every 1.25 s
    for _ in range(10):
        busy.reserve("google_books", Deadline(60))  # the schedule runs 12.5 s ahead
    before = next_slot_ms(aws)
    late = pacer(aws, clock, rps=1.0)

    with pytest.raises(Paced) as paced:
        late.wait_for_slot("google_books", Deadline(5))  # 4 s of it usable for waiting

    assert paced.value.wait_seconds == pytest.approx(12.5)
    assert paced.value.source == "google_books"
    assert "next free slot for openlibrary.org is in 12.5 s" in str(paced.value)
    assert next_slot_ms(aws) == before  # nothing reserved
    assert clock.slept == []


def test_a_schedule_that_fell_behind_the_clock_starts_again_from_now(aws: Env) -> None:
    clock = FrozenClock()
    environment = pacer(aws, clock)
    environment.reserve("openlibrary", Deadline(30))
    environment.reserve("openlibrary", Deadline(30))

    clock.now += 60  # the host was idle for a minute: no burst of saved-up slots
    slots = [environment.reserve("openlibrary", Deadline(30)) for _ in range(2)]

    interval_ms = round(environment.interval_seconds * 1000)
    now_ms = int(clock.now * 1000)
    assert slots == [now_ms, now_ms + interval_ms]


def test_each_host_has_its_own_schedule(aws: Env) -> None:
    clock = FrozenClock()

    openlibrary = pacer(aws, clock, host="openlibrary.org").reserve("openlibrary", Deadline(30))
    google = pacer(aws, clock, host="www.googleapis.com").reserve("google_books", Deadline(30))

    assert openlibrary == google == int(START * 1000)


def test_a_schedule_that_cannot_be_read_makes_the_source_unavailable_not_paced() -> None:
    class Broken:
        def update_item(self, **_: Any) -> None:
            from botocore.exceptions import EndpointConnectionError

            raise EndpointConnectionError(endpoint_url="https://dynamodb")

    clock = FrozenClock()
    environment = SharedPacer(Broken(), "cache", HOST, 3.0, clock=clock, sleep=clock.sleep)

    with pytest.raises(SourceUnavailable, match="could not be read") as error:
        environment.wait_for_slot("openlibrary", Deadline(30))
    assert not isinstance(error.value, Paced)
