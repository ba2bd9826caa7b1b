"""Errors as the API reports them: an HTTP status and `{"error": {"code", "message"}}`.

Codes are stable and documented in README.md; messages are for people and may change.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping


class ErrorCode(enum.StrEnum):
    INVALID_JOB_ID = "invalid_job_id"  # 400
    FORBIDDEN = "forbidden"  # 403: missing or wrong delete token
    NOT_FOUND = "not_found"  # 404: no such job (or it was deleted)
    ROUTE_NOT_FOUND = "route_not_found"  # 404: no such route or method
    JOB_RUNNING = "job_running"  # 409: the pipeline may still write for this job
    UPLOAD_WINDOW_OPEN = "upload_window_open"  # 409: the upload form may still be used
    JOB_FAILED = "job_failed"  # 409: no dashboard, the job failed (message: why)
    UPLOAD_EXPIRED = "upload_expired"  # 409: no dashboard, nothing was uploaded in time
    DASHBOARD_UNAVAILABLE = "dashboard_unavailable"  # 500: final job without its dashboard
    INTERNAL_ERROR = "internal_error"  # 500


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: ErrorCode,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def job_not_found(job_id: str) -> ApiError:
    return ApiError(404, ErrorCode.NOT_FOUND, f"no job {job_id}")
