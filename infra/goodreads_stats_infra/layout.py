"""Storage names that IAM policies, indexes and notifications depend on.

They mirror contracts/storage.py, which infra may not import (it deploys the services, it does
not share their code). A key prefix that drifts from the services' shows up as AccessDenied.
"""

from __future__ import annotations

from typing import Final

# S3 key prefixes of the one data bucket.
UPLOAD_PREFIX: Final = "uploads/"
MANIFEST_PREFIX: Final = "jobs/"
DASHBOARD_PREFIX: Final = "dashboards/"

# DynamoDB attribute names.
PARTITION_KEY: Final = "pk"
SORT_KEY: Final = "sk"
TTL_ATTRIBUTE: Final = "expires_at"
OPEN_JOBS_INDEX: Final = "open-jobs"
OPEN_JOBS_PARTITION_KEY: Final = "open_shard"
OPEN_JOBS_SORT_KEY: Final = "deadline"

# How long a job lives: the orchestrator's job item and the API's ACCESS item expire by TTL
# after this (JOB_RETENTION_DAYS, the services' default), and the bucket's lifecycle keeps the
# job's upload and manifest as long. The dashboard lives a day longer: while the job item lives
# the API can serve and delete it; after that no one could do either, so it must not outlive it.
JOB_RETENTION_DAYS: Final = 30
DASHBOARD_RETENTION_DAYS: Final = JOB_RETENTION_DAYS + 1

# Queue behaviour shared with local_runtime/resources.py.
PROCESSOR_TIMEOUT_SECONDS: Final = 60
VISIBILITY_TO_TIMEOUT_RATIO: Final = 6  # AWS's guidance for queues consumed by Lambda
MAX_RECEIVE_COUNT: Final = 5  # every receive counts, throttled ones included: keep it >= 5
SOURCE_RETENTION_DAYS: Final = 4
# A message keeps its first enqueue time in the DLQ: a longer retention than the source's
# leaves days to look at it and redrive it.
DLQ_RETENTION_DAYS: Final = 14
