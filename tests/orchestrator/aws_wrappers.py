"""Wrappers around real (moto-backed) boto3 clients that inject failures.

They forward to the real client, so what they do not change behaves exactly as AWS (moto).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class FlakySqs:
    """Forwards SendMessageBatch, but reports chosen entries as Failed instead of sending them.

    `fail_times(entry_id)` says how many times an entry fails before it goes through (use a
    large number for "always"). Failed entries are not sent, as with real partial failures.
    """

    def __init__(
        self,
        sqs: Any,
        fail_times: Callable[[str], int],
        *,
        code: str = "InternalError",
        sender_fault: bool = False,
    ) -> None:
        self._sqs = sqs
        self._fail_times = fail_times
        self._code = code
        self._sender_fault = sender_fault
        self._failures: dict[str, int] = {}
        self._lock = threading.Lock()
        self.calls: list[list[str]] = []  # the entry ids of each call, in call order

    def send_message_batch(self, *, QueueUrl: str, Entries: list[dict[str, Any]]) -> Any:
        with self._lock:
            self.calls.append([entry["Id"] for entry in Entries])
            failing = []
            for entry in Entries:
                done = self._failures.get(entry["Id"], 0)
                if done < self._fail_times(entry["Id"]):
                    self._failures[entry["Id"]] = done + 1
                    failing.append(entry["Id"])
        passing = [entry for entry in Entries if entry["Id"] not in failing]
        response: dict[str, Any] = {"Successful": [], "Failed": []}
        if passing:
            response = dict(self._sqs.send_message_batch(QueueUrl=QueueUrl, Entries=passing))
            response.setdefault("Failed", [])
        response["Failed"] = list(response["Failed"]) + [
            {
                "Id": entry_id,
                "SenderFault": self._sender_fault,
                "Code": self._code,
                "Message": "injected by the test",
            }
            for entry_id in failing
        ]
        return response

    def __getattr__(self, operation: str) -> Any:
        return getattr(self._sqs, operation)
