"""A handler with module-level state, like a Powertools BatchProcessor at module scope."""

from __future__ import annotations

from typing import Any

invocations: list[str] = []  # this environment's invocations


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    invocations.append(event["name"])
    return {"environment": id(invocations), "seen": list(invocations)}
