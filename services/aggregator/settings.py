"""The aggregator's configuration, read from its environment once per cold start."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

DEFAULT_LEASE_SECONDS = 300
DEFAULT_JOB_DEADLINE_SECONDS = 900


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number of seconds, got {text!r}") from exc
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    return value


@dataclasses.dataclass(frozen=True)
class AggregatorSettings:
    data_bucket: str
    jobs_table: str
    # A claimed aggregation that has not finished after this long is presumed crashed.
    lease_seconds: int = DEFAULT_LEASE_SECONDS
    # Only for job items without a `deadline` (the orchestrator normally sets one).
    default_deadline_seconds: int = DEFAULT_JOB_DEADLINE_SECONDS

    @classmethod
    def from_environment(cls, env: Mapping[str, str] = os.environ) -> AggregatorSettings:
        missing = [name for name in ("DATA_BUCKET", "JOBS_TABLE") if not env.get(name)]
        if missing:
            raise ValueError(f"missing environment variables: {', '.join(missing)}")
        return cls(
            data_bucket=env["DATA_BUCKET"],
            jobs_table=env["JOBS_TABLE"],
            lease_seconds=_positive_int(env, "AGGREGATION_LEASE_SECONDS", DEFAULT_LEASE_SECONDS),
            default_deadline_seconds=_positive_int(
                env, "JOB_DEADLINE_SECONDS", DEFAULT_JOB_DEADLINE_SECONDS
            ),
        )
