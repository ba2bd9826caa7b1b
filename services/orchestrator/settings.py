"""The orchestrator's configuration, read from its environment (contracts/settings.py)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from contracts.layout import JOB_RETENTION_DAYS
from contracts.settings import SettingsError, SettingsReader
from services.orchestrator.fanout import DEFAULT_WORKERS

__all__ = ["Settings", "SettingsError"]

DEFAULT_JOB_DEADLINE_SECONDS = 900


@dataclasses.dataclass(frozen=True)
class Settings:
    data_bucket: str
    jobs_table: str
    task_queue_url: str
    completion_queue_url: str
    # After it, missing books make the job PARTIAL (the aggregator closes it).
    job_deadline_seconds: int = DEFAULT_JOB_DEADLINE_SECONDS
    job_retention_days: int = JOB_RETENTION_DAYS  # the job item's TTL
    fanout_workers: int = DEFAULT_WORKERS  # parallel SendMessageBatch calls

    @classmethod
    def from_environment(cls, env: Mapping[str, str] = os.environ) -> Settings:
        read = SettingsReader(env)
        settings = cls(
            data_bucket=read.required("DATA_BUCKET"),
            jobs_table=read.required("JOBS_TABLE"),
            task_queue_url=read.required("TASK_QUEUE_URL"),
            completion_queue_url=read.required("COMPLETION_QUEUE_URL"),
            job_deadline_seconds=read.integer("JOB_DEADLINE_SECONDS", DEFAULT_JOB_DEADLINE_SECONDS),
            job_retention_days=read.integer("JOB_RETENTION_DAYS", JOB_RETENTION_DAYS),
            fanout_workers=read.integer("FANOUT_WORKERS", DEFAULT_WORKERS),
        )
        read.finish()
        return settings
