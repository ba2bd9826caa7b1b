"""What each route does, as plain functions over the jobs table and the bucket.

A job has up to two items in its partition before its books: the API's ACCESS item (created
by POST /jobs) and the orchestrator's job item (created when the upload arrives). Reads look
at the job item first; only a job without one needs the ACCESS item (and a look at S3).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import json
import math
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from botocore.config import Config
from botocore.exceptions import ClientError

from contracts import storage
from contracts.messages import JobRecord, JobStatus
from contracts.storage import ACCESS_SK, dashboard_key, new_job_id
from services.api import deletion
from services.api.access import (
    AccessStore,
    DeletedJob,
    JobAccess,
    new_delete_token,
    token_hash,
    token_matches,
)
from services.api.errors import ApiError, ErrorCode, job_not_found
from services.api.settings import Settings
from services.api.uploads import upload_form
from services.api.views import ApiStatus, CreatedJob, DashboardLink, JobView

# A child of the handler's logger: the keys it appends (job_id) appear on these lines too.
logger = Logger(service="api", child=True)

Clock = Callable[[], dt.datetime]

RUNNING_RETRY_AFTER_SECONDS = 30
# Dashboards (JSON) compress about tenfold: a larger one is not even read for a gzip client.
MAX_COMPRESSION_RATIO = 10
PENDING_DASHBOARD_RETRY_AFTER_SECONDS = 5
# How long the tombstone of a deleted job is kept (its TTL, from the end of the delete). It
# must outlive every notification of the upload that may still arrive: S3 may deliver one
# twice, and Lambda retries an asynchronous invocation for up to 6 hours. A week is far longer
# than both, and the item is tiny.
TOMBSTONE_RETENTION = dt.timedelta(days=7)

# Presigned URLs must be SigV4 (SigV2 is refused in newer regions) and name the bucket's
# regional host: on the global endpoint, S3 may answer a browser's cross-origin POST with a
# redirect to the regional one.
S3_SIGNING_CONFIG = Config(
    signature_version="s3v4",
    s3={"addressing_style": "virtual", "us_east_1_regional_endpoint": "regional"},
)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclasses.dataclass(frozen=True)
class Clients:
    s3: Any  # a client built with S3_SIGNING_CONFIG
    dynamodb: Any  # a low-level DynamoDB client (the table is Settings.jobs_table)

    @classmethod
    def from_session(cls, session: Any, settings: Settings) -> Clients:
        return cls(
            s3=session.client("s3", config=S3_SIGNING_CONFIG),
            dynamodb=session.client("dynamodb"),
        )


@dataclasses.dataclass(frozen=True)
class JobState:
    view: JobView
    record: JobRecord | None  # the orchestrator's job item, once it exists


@dataclasses.dataclass(frozen=True)
class InlineDashboard:
    """dashboard.v1 as the aggregator stored it, gzip-compressed for a client that accepts it."""

    body: bytes
    gzipped: bool
    response_bytes: int  # its size in Lambda's response (base64, or JSON-escaped text)


def inline_dashboard(stored: bytes, accepts_gzip: bool) -> InlineDashboard:
    if accepts_gzip:
        compressed = gzip.compress(stored, compresslevel=6)
        return InlineDashboard(compressed, True, 4 * math.ceil(len(compressed) / 3))
    # The python3.13 runtime serialises the response with ensure_ascii=False.
    escaped = json.dumps(stored.decode("utf-8"), ensure_ascii=False).encode()
    return InlineDashboard(stored, False, len(escaped))


@dataclasses.dataclass(frozen=True)
class PendingDashboard:
    view: JobView


DashboardOutcome = InlineDashboard | DashboardLink | PendingDashboard


class JobsApi:
    def __init__(self, settings: Settings, clients: Clients, now: Clock = utc_now) -> None:
        self.settings = settings
        self.clients = clients
        self.now = now
        self.access = AccessStore(clients.dynamodb, settings.jobs_table)

    # --- POST /jobs ------------------------------------------------------------------------

    def create_job(self) -> CreatedJob:
        job_id = new_job_id()
        token = new_delete_token()
        created_at = self.now()
        form = upload_form(
            self.clients.s3,
            self.settings.data_bucket,
            job_id,
            expires_in=self.settings.upload_url_seconds,
            now=created_at,
        )
        access = JobAccess(
            job_id=job_id,
            token_sha256=token_hash(token),
            created_at=created_at,
            upload_key=form.fields["key"],
            upload_expires_at=form.expires_at,
        )
        # Outlives the job item (created later, kept job_retention_days): the token must work
        # for as long as there is something to delete.
        retention = dt.timedelta(
            days=self.settings.job_retention_days + 1,
            seconds=self.settings.upload_url_seconds + self.settings.upload_grace_seconds,
        )
        self.access.create(access, expires_at=created_at + retention)
        logger.info("job created", extra={"job_id": job_id, "upload_key": access.upload_key})
        return CreatedJob(
            job_id=job_id,
            status=ApiStatus.AWAITING_UPLOAD,
            delete_token=token,
            upload=form,
            job_url=f"/jobs/{job_id}",
            dashboard_url=f"/jobs/{job_id}/dashboard",
        )

    # --- GET /jobs/{id} --------------------------------------------------------------------

    def job_state(self, job_id: str) -> JobState:
        record = self._job_record(job_id)
        if record is not None:
            return JobState(view=JobView.of_record(record, upload_expires_at=None), record=record)
        access = self.access.get(job_id)
        if not isinstance(access, JobAccess) or access.deleting_at is not None:
            raise job_not_found(job_id)  # never created, deleted, or being deleted
        if self._upload_time(job_id) is not None:
            status = ApiStatus.UPLOADED
        elif self.now() <= self._upload_window_end(access):
            status = ApiStatus.AWAITING_UPLOAD
        else:
            status = ApiStatus.UPLOAD_EXPIRED
        view = JobView.before_processing(
            job_id, status, access.created_at, access.upload_expires_at
        )
        return JobState(view=view, record=None)

    # --- GET /jobs/{id}/dashboard ----------------------------------------------------------

    def dashboard(self, job_id: str, *, accepts_gzip: bool = False) -> DashboardOutcome:
        state = self.job_state(job_id)
        status = state.view.status
        if status == ApiStatus.FAILED:
            raise ApiError(409, ErrorCode.JOB_FAILED, state.view.error or "the job failed")
        if status == ApiStatus.UPLOAD_EXPIRED:
            raise ApiError(
                409,
                ErrorCode.UPLOAD_EXPIRED,
                "nothing was uploaded before the upload form expired; create a new job",
            )
        if state.record is None or not state.record.status.is_final:
            return PendingDashboard(state.view)
        return self._final_dashboard(state.record, accepts_gzip)

    def _final_dashboard(
        self, record: JobRecord, accepts_gzip: bool
    ) -> InlineDashboard | DashboardLink:
        bucket = self.settings.data_bucket
        key = record.dashboard_key or dashboard_key(record.job_id)
        limit = self.settings.dashboard_inline_max_bytes
        try:
            response = self.clients.s3.get_object(Bucket=bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                if self._deleted_or_deleting(record.job_id):
                    # A DELETE ran between reading the job and reading its dashboard.
                    raise job_not_found(record.job_id) from None
                logger.error("final job without its dashboard", extra={"key": key})
                raise ApiError(
                    500, ErrorCode.DASHBOARD_UNAVAILABLE, "the dashboard cannot be read"
                ) from None
            raise
        body = response["Body"]
        try:
            size = int(response.get("ContentLength", 0))
            readable = limit * (MAX_COMPRESSION_RATIO if accepts_gzip else 1)
            stored: bytes | None = body.read() if size <= readable else None
        finally:
            body.close()  # a body that cannot fit is never read
        if stored is not None:
            inline = inline_dashboard(stored, accepts_gzip)
            if inline.response_bytes <= limit:
                return inline
        expires_in = self.settings.dashboard_url_seconds
        url = self.clients.s3.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in
        )
        return DashboardLink(
            job_id=record.job_id,
            status=ApiStatus(record.status.value),
            dashboard_url=url,
            expires_at=self.now() + dt.timedelta(seconds=expires_in),
        )

    # --- DELETE /jobs/{id} -----------------------------------------------------------------

    def delete_job(self, job_id: str, token: str | None) -> None:
        """Checks the token before anything is touched, refuses while the pipeline may still
        write for the job, then deletes; the token goes last (ACCESS becomes a tombstone), so
        a delete that stopped half-way is finished by the same request sent again."""
        access = self.access.get(job_id)
        if isinstance(access, DeletedJob):
            raise job_not_found(job_id)  # deleted already: a client that lost the 204 is done
        if access is None:
            if self._job_record(job_id) is not None:
                # A job that was not created through the API has no token to match.
                raise ApiError(403, ErrorCode.FORBIDDEN, "this job cannot be deleted")
            raise job_not_found(job_id)
        if not token_matches(token, access.token_sha256):
            raise ApiError(403, ErrorCode.FORBIDDEN, "missing or wrong delete token")
        if access.deleting_at is None:
            self._refuse_while_running(access)
            if not self.access.mark_deleting(job_id, self.now()):
                return  # a concurrent delete finished first
        self._delete_everything(job_id)
        logger.info("job deleted", extra={"job_id": job_id})

    def _refuse_while_running(self, access: JobAccess) -> None:
        job_id = access.job_id
        record = self._job_record(job_id)
        now = self.now()
        stale_after = dt.timedelta(seconds=self.settings.received_stale_seconds)
        running = ApiError(
            409,
            ErrorCode.JOB_RUNNING,
            "the job is still being processed; delete it once it has finished",
            headers={"Retry-After": str(RUNNING_RETRY_AFTER_SECONDS)},
        )
        if record is not None:
            if record.status == JobStatus.QUEUED:
                raise running  # the aggregator ends it by its deadline (PARTIAL at worst)
            stale = now - record.updated_at > stale_after
            if record.status == JobStatus.RECEIVED and not stale:
                raise running
            return
        uploaded_at = self._upload_time(job_id)
        if uploaded_at is not None:
            if now - uploaded_at <= stale_after:
                raise running  # the orchestrator is about to pick it up
            # Past every retry of its notification (which went to the failed-uploads DLQ), it
            # will never become a job; a redrive after this delete is refused by the
            # orchestrator (the ACCESS item has `deleting_at`).
            return
        window_end = self._upload_window_end(access)
        if now <= window_end:
            wait = max(1, int((window_end - now).total_seconds()) + 1)
            raise ApiError(
                409,
                ErrorCode.UPLOAD_WINDOW_OPEN,
                "the upload form can still be used; delete the job after it expires",
                headers={"Retry-After": str(wait)},
            )

    def _delete_everything(self, job_id: str) -> None:
        s3, bucket = self.clients.s3, self.settings.data_bucket
        dynamodb, table = self.clients.dynamodb, self.settings.jobs_table
        # The upload first: nothing can start from it any more (and the orchestrator refuses
        # to create a job whose ACCESS item has `deleting_at`).
        deletion.delete_prefix(s3, bucket, storage.upload_prefix(job_id))
        deletion.delete_job_item(dynamodb, table, job_id)
        deletion.delete_partition(dynamodb, table, job_id, keep=frozenset({ACCESS_SK}))
        deletion.delete_prefix(s3, bucket, storage.intermediate_prefix(job_id))
        deletion.delete_prefix(s3, bucket, storage.dashboard_prefix(job_id))
        # Kept as a tombstone, not deleted: without it, a late notification of the upload
        # would find no `deleting_at` and the orchestrator would create the job again.
        now = self.now()
        self.access.tombstone(job_id, now, expires_at=now + TOMBSTONE_RETENTION)

    # --- shared ----------------------------------------------------------------------------

    def _job_record(self, job_id: str) -> JobRecord | None:
        item = self.clients.dynamodb.get_item(
            TableName=self.settings.jobs_table, Key=storage.job_key(job_id), ConsistentRead=True
        ).get("Item")
        return None if item is None else storage.job_record_from_item(item)

    def _upload_time(self, job_id: str) -> dt.datetime | None:
        """When the reader's upload arrived in S3; None if there is none."""
        return deletion.last_modified(
            self.clients.s3, self.settings.data_bucket, storage.upload_prefix(job_id)
        )

    def _deleted_or_deleting(self, job_id: str) -> bool:
        if self._job_record(job_id) is None:
            return True
        access = self.access.get(job_id)
        return isinstance(access, DeletedJob) or (
            access is not None and access.deleting_at is not None
        )

    def _upload_window_end(self, access: JobAccess) -> dt.datetime:
        return access.upload_expires_at + dt.timedelta(seconds=self.settings.upload_grace_seconds)
