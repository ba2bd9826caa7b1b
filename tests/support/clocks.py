"""A clock that tests move by hand, for code that takes `now` as a callable."""

from __future__ import annotations

import datetime as dt
import threading


class Clock:
    """The time the code under test sees; tests move it on. Safe to read from many threads."""

    def __init__(self, now: dt.datetime) -> None:
        self._now = now
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self._lock:
            return self._now

    @property
    def now(self) -> dt.datetime:
        return self()

    @now.setter
    def now(self, moment: dt.datetime) -> None:
        with self._lock:
            self._now = moment

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += dt.timedelta(seconds=seconds)
