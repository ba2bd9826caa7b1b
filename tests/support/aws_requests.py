"""Counting and forbidding AWS requests of real (moto-backed) boto3 clients."""

from __future__ import annotations

import threading
from typing import Any


class RequestCounter:
    """Counts AWS requests per operation, by botocore event hook (every attempt counts)."""

    def __init__(self, *clients: Any) -> None:
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()
        for client in clients:
            client.meta.events.register("request-created", self._count)

    def _count(self, event_name: str, **_: Any) -> None:
        # "request-created.<service>.<Operation>", emitted for every attempt
        key = event_name.removeprefix("request-created.")
        with self._lock:
            self.counts[key] = self.counts.get(key, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def of(self, operation: str) -> int:
        return sum(count for key, count in self.counts.items() if key.endswith(f".{operation}"))


def count_requests(client: Any) -> list[str]:
    """Records the operation name of every call the client makes, in order (a botocore event
    hook; retries of a call are not counted again)."""
    operations: list[str] = []

    def record(model: Any, **_: Any) -> None:
        operations.append(model.name)

    client.meta.events.register("before-call.*.*", record)
    return operations


class ForbiddenClient:
    """Stands in for an AWS client that must not be used at all: any call fails the test."""

    def __init__(self, name: str = "an AWS client") -> None:
        self._name = name

    def __getattr__(self, operation: str) -> Any:
        raise AssertionError(f"{self._name}.{operation} was called")
