"""The delete token and the API's own item beside the job: pk=JOB#{job_id}, sk=ACCESS.

The orchestrator creates the job item (sk=JOB) when the upload arrives; the API never writes
it. What the API knows before that (the token's hash, when the upload form expires) lives in
the ACCESS item, which no other service writes (the aggregator only queries BOOK#; the
orchestrator only checks that no delete has started). A finished delete leaves it behind as a
tombstone, without the token, so that the job cannot come back.

The token is 256 random bits, returned once; only its SHA-256 is stored. A keyed hash would
add nothing: a token of that entropy cannot be found from its hash by guessing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import re
import secrets
from typing import Any

from botocore.exceptions import ClientError

from contracts import storage
from contracts.layout import ACCESS_DELETING_AT, PARTITION_KEY, TTL_ATTRIBUTE
from contracts.storage import format_timestamp, parse_timestamp

TOKEN_BYTES = 32
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # token_urlsafe(32): 43 characters


def new_delete_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def token_matches(presented: str | None, stored_hash: str) -> bool:
    """Constant-time comparison of hashes; anything not shaped like a token never matches."""
    if presented is None or not _TOKEN_SHAPE.match(presented):
        return False
    return hmac.compare_digest(token_hash(presented), stored_hash)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, None if absent or malformed."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


@dataclasses.dataclass(frozen=True)
class JobAccess:
    job_id: str
    token_sha256: str
    created_at: dt.datetime
    upload_key: str
    upload_expires_at: dt.datetime
    deleting_at: dt.datetime | None = None  # a delete has started: the job is gone to readers


@dataclasses.dataclass(frozen=True)
class DeletedJob:
    """The tombstone a finished delete leaves: the ACCESS item without its token, kept until its
    TTL so that a late or repeated notification of the upload cannot create the job again (the
    orchestrator refuses while `deleting_at` is set)."""

    job_id: str
    deleted_at: dt.datetime


class AccessStore:
    """ACCESS items through a low-level boto3 DynamoDB client."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self._table = table

    def create(self, access: JobAccess, *, expires_at: dt.datetime) -> None:
        self._dynamodb.put_item(
            TableName=self._table,
            Item={
                **storage.access_key(access.job_id),
                "token_sha256": {"S": access.token_sha256},
                "created_at": {"S": format_timestamp(access.created_at)},
                "upload_key": {"S": access.upload_key},
                "upload_expires_at": {"S": format_timestamp(access.upload_expires_at)},
                TTL_ATTRIBUTE: storage.expires_at(expires_at),
            },
            # A v4 UUID does not collide; the condition makes sure no token is ever replaced.
            ConditionExpression="attribute_not_exists(#pk)",
            ExpressionAttributeNames={"#pk": PARTITION_KEY},
        )

    def get(self, job_id: str) -> JobAccess | DeletedJob | None:
        item = self._dynamodb.get_item(
            TableName=self._table, Key=storage.access_key(job_id), ConsistentRead=True
        ).get("Item")
        if item is None:
            return None
        text = {name: str(attribute.get("S", "")) for name, attribute in item.items()}
        if "deleted_at" in item:
            return DeletedJob(job_id=job_id, deleted_at=parse_timestamp(text["deleted_at"]))
        deleting_at = text.get(ACCESS_DELETING_AT)
        return JobAccess(
            job_id=job_id,
            token_sha256=text["token_sha256"],
            created_at=parse_timestamp(text["created_at"]),
            upload_key=text["upload_key"],
            upload_expires_at=parse_timestamp(text["upload_expires_at"]),
            deleting_at=None if deleting_at is None else parse_timestamp(deleting_at),
        )

    def mark_deleting(self, job_id: str, now: dt.datetime) -> bool:
        """Records that a delete has started; False if the job was deleted already (a tombstone)
        or its item is gone (TTL). From here on the orchestrator creates no job item for it."""
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key=storage.access_key(job_id),
                UpdateExpression="SET #deleting_at = if_not_exists(#deleting_at, :now)",
                ConditionExpression="attribute_exists(#pk) AND attribute_not_exists(deleted_at)",
                ExpressionAttributeNames={"#pk": PARTITION_KEY, "#deleting_at": ACCESS_DELETING_AT},
                ExpressionAttributeValues={":now": {"S": format_timestamp(now)}},
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True

    def tombstone(self, job_id: str, now: dt.datetime, *, expires_at: dt.datetime) -> None:
        """The last step of a delete: the item stays, with `deleting_at`, but without the token
        (nothing is left to delete) or the upload form, until `expires_at` (its TTL)."""
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key=storage.access_key(job_id),
                UpdateExpression=(
                    "SET deleted_at = if_not_exists(deleted_at, :now), #expires_at = :expires_at"
                    " REMOVE token_sha256, upload_key, upload_expires_at"
                ),
                # Never creates an item: the delete marked it before anything was removed.
                ConditionExpression="attribute_exists(#deleting_at)",
                ExpressionAttributeNames={
                    "#deleting_at": ACCESS_DELETING_AT,
                    "#expires_at": TTL_ATTRIBUTE,
                },
                ExpressionAttributeValues={
                    ":now": {"S": format_timestamp(now)},
                    ":expires_at": storage.expires_at(expires_at),
                },
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise


def _is_condition_failure(error: ClientError) -> bool:
    return bool(error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")
