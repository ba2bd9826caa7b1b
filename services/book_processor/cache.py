"""The enrichment cache shared by all jobs (CACHE_TABLE): one item per book identity.

Item: pk ("isbn13#…" or "ta#<title>|<author>"), entry (JSON of CacheEntry), expires_at (epoch
seconds, the table's TTL attribute). DynamoDB deletes expired items up to days late, so expiry
is also checked on read.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec
from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from contracts import storage
from contracts.layout import CACHE_ENTRY_ATTRIBUTE, PARTITION_KEY, TTL_ATTRIBUTE
from services.book_processor.records import SourceRecord

logger = Logger(service="book_processor", child=True)

FOUND_TTL = dt.timedelta(days=30)
NOT_FOUND_TTL = dt.timedelta(days=3)  # new editions get catalogued: ask again sooner
INCOMPLETE_TTL = dt.timedelta(days=1)  # found, but a source was unavailable
_BATCH_GET_LIMIT = 100
_BATCH_WRITE_LIMIT = 25
_UNPROCESSED_ROUNDS = 3


class CacheEntry(msgspec.Struct, frozen=True, kw_only=True):
    records: tuple[SourceRecord, ...] = ()  # empty: every source answered "not found"
    answered: tuple[str, ...] = ()  # sources that gave a final answer (found or not found)
    cached_at: dt.datetime


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(CacheEntry)


class EnrichmentCache:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get_many(self, keys: Iterable[str], now: dt.datetime) -> dict[str, CacheEntry]:
        """The unexpired entries among `keys`; a read failure is a miss, never an error."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, CacheEntry] = {}
        epoch = now.timestamp()
        for start in range(0, len(wanted), _BATCH_GET_LIMIT):
            request: dict[str, Any] = {
                self._table: {
                    "Keys": [
                        storage.cache_key(k) for k in wanted[start : start + _BATCH_GET_LIMIT]
                    ],
                    "ProjectionExpression": "#pk, #entry, #expires_at",
                    "ExpressionAttributeNames": {
                        "#pk": PARTITION_KEY,
                        "#entry": CACHE_ENTRY_ATTRIBUTE,
                        "#expires_at": TTL_ATTRIBUTE,
                    },
                }
            }
            for round_number in range(_UNPROCESSED_ROUNDS):
                try:
                    response = self._client.batch_get_item(RequestItems=request)
                except (ClientError, BotoCoreError):
                    logger.warning("cache read failed; treating as misses", exc_info=True)
                    break
                for item in response.get("Responses", {}).get(self._table, []):
                    entry = _entry_from_item(item, epoch)
                    if entry is not None:
                        found[item[PARTITION_KEY]["S"]] = entry
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(0.05 * 2**round_number)
        return found

    def put_many(
        self, entries: Mapping[str, tuple[CacheEntry, dt.timedelta]], now: dt.datetime
    ) -> int:
        """Writes entries (overwriting); returns how many were written. Failures are logged:
        a missing cache entry costs a request later, nothing else."""
        items = [
            {
                "PutRequest": {
                    "Item": {
                        **storage.cache_key(key),
                        CACHE_ENTRY_ATTRIBUTE: {"S": _encoder.encode(entry).decode()},
                        TTL_ATTRIBUTE: storage.expires_at(now + ttl),
                    }
                }
            }
            for key, (entry, ttl) in entries.items()
        ]
        written = 0
        for start in range(0, len(items), _BATCH_WRITE_LIMIT):
            pending = items[start : start + _BATCH_WRITE_LIMIT]
            for round_number in range(_UNPROCESSED_ROUNDS):
                try:
                    response = self._client.batch_write_item(RequestItems={self._table: pending})
                except (ClientError, BotoCoreError):
                    logger.warning("cache write failed", exc_info=True)
                    break
                unprocessed = response.get("UnprocessedItems", {}).get(self._table, [])
                written += len(pending) - len(unprocessed)
                pending = unprocessed
                if not pending:
                    break
                time.sleep(0.05 * 2**round_number)
        return written


def _entry_from_item(item: dict[str, Any], epoch: float) -> CacheEntry | None:
    try:
        if float(item[TTL_ATTRIBUTE]["N"]) <= epoch:
            return None
        return _decoder.decode(item[CACHE_ENTRY_ATTRIBUTE]["S"])
    except (KeyError, ValueError, msgspec.DecodeError):
        key = item.get(PARTITION_KEY, {}).get("S")
        logger.warning("unreadable cache entry ignored", extra={"cache_key": key})
        return None
