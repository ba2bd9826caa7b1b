"""The aggregator's configuration, read from its environment (contracts/settings.py)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from contracts.settings import SettingsError, SettingsReader

__all__ = ["Settings", "SettingsError"]

DEFAULT_LEASE_SECONDS = 300
DEFAULT_JOB_DEADLINE_SECONDS = 900


@dataclasses.dataclass(frozen=True)
class Settings:
    data_bucket: str
    jobs_table: str
    # A claimed aggregation that has not finished after this long is presumed crashed.
    lease_seconds: int = DEFAULT_LEASE_SECONDS
    # Only for job items without a `deadline` (the orchestrator normally sets one).
    default_deadline_seconds: int = DEFAULT_JOB_DEADLINE_SECONDS

    @classmethod
    def from_environment(cls, env: Mapping[str, str] = os.environ) -> Settings:
        read = SettingsReader(env)
        settings = cls(
            data_bucket=read.required("DATA_BUCKET"),
            jobs_table=read.required("JOBS_TABLE"),
            lease_seconds=read.integer("AGGREGATION_LEASE_SECONDS", DEFAULT_LEASE_SECONDS),
            default_deadline_seconds=read.integer(
                "JOB_DEADLINE_SECONDS", DEFAULT_JOB_DEADLINE_SECONDS
            ),
        )
        read.finish()
        return settings
