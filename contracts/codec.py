"""One encoder for every message, and one decoder per channel.

A decoder accepts exactly the types of its channel: a result on the task queue is an error,
not a silently misread task.
"""

from __future__ import annotations

from typing import Any

import msgspec

from contracts.dashboard import Dashboard
from contracts.messages import BookResult, BookTask, CompletionSignal, JobManifest, JobRecord

encoder = msgspec.json.Encoder()

task_decoder = msgspec.json.Decoder(BookTask)
result_decoder = msgspec.json.Decoder(BookResult)
manifest_decoder = msgspec.json.Decoder(JobManifest)
job_record_decoder = msgspec.json.Decoder(JobRecord)
completion_decoder = msgspec.json.Decoder(CompletionSignal)
dashboard_decoder = msgspec.json.Decoder(Dashboard)

# Every v1 contract, for schema generation and golden tests.
CONTRACTS: tuple[type[Any], ...] = (
    BookTask,
    BookResult,
    JobManifest,
    JobRecord,
    CompletionSignal,
    Dashboard,
)

DecodeError = msgspec.ValidationError


def encode(message: Any) -> bytes:
    return encoder.encode(message)
