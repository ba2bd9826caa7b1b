"""The presigned S3 POST a reader's browser uploads the export with, straight to S3.

The policy pins everything S3 can check: the exact key under the job's own prefix, the size
(1 byte to the orchestrator's 50 MiB limit), the content type and a short expiry. Nothing
goes through API Gateway, so its payload limit and base64 bodies never apply.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from contracts.storage import MAX_UPLOAD_BYTES, UPLOAD_FILE_NAME, upload_key
from services.api.views import UploadForm

UPLOAD_CONTENT_TYPE = "text/csv"


def upload_form(
    s3: Any, bucket: str, job_id: str, *, expires_in: int, now: dt.datetime
) -> UploadForm:
    """`s3` must sign with SigV4 (see `services.api.jobs.Clients`)."""
    key = upload_key(job_id, UPLOAD_FILE_NAME)
    presigned = s3.generate_presigned_post(
        Bucket=bucket,
        Key=key,  # an exact key: boto3 adds {"key": key}, not a starts-with condition
        Fields={"Content-Type": UPLOAD_CONTENT_TYPE},
        Conditions=[
            {"Content-Type": UPLOAD_CONTENT_TYPE},
            ["content-length-range", 1, MAX_UPLOAD_BYTES],
        ],
        ExpiresIn=expires_in,
    )
    return UploadForm(
        url=presigned["url"],
        fields={name: str(value) for name, value in presigned["fields"].items()},
        content_type=UPLOAD_CONTENT_TYPE,
        max_bytes=MAX_UPLOAD_BYTES,
        expires_at=now + dt.timedelta(seconds=expires_in),
    )
