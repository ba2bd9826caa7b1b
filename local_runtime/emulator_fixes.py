"""Fixes to moto (5.2.x) and botocore that a concurrent pipeline on one machine needs;
process-wide and idempotent.

1. Concurrency. moto serves requests on many threads (in-process, and in server mode) but its
   DynamoDB backend is not thread-safe: TransactWriteItems deep-copies the whole table for its
   rollback while other threads write to it ("dictionary changed size during iteration"), and a
   rollback puts that copy back over whatever others wrote meanwhile, so results are lost.
   DynamoDB is linearisable per item; serving one DynamoDB request at a time is faithful, and
   costs little as every request holds the GIL anyway.

2. Cost. That whole-table copy makes each transaction O(table size): 20-40 ms per book once a
   job has a few hundred results, where DynamoDB takes a few milliseconds. With requests
   serialised, the rollback only needs the items the transaction touches: they are copied
   before it runs and restored if it is cancelled, with the same outcome as moto's rollback.

3. SQS costs. moto decides each message's visibility by building two datetimes, and computes
   every queue attribute (three scans of all the queue's messages) on each send and, three
   times over, for each message it returns, only to read the retention period: O(queue size)
   work per message, seconds per run with hundreds of books. The clock comes from
   `time.time()` (the same milliseconds since the epoch) and the retention check reads the
   retention period alone.

4. Per-request reflection. moto lists its response class's methods with `inspect` and
   converts the same CamelCase names on every request; both are pure functions of their
   argument, and are cached.

5. Cold starts. Every execution environment builds its own boto3 session, which parses
   botocore's JSON models again (about 0.1 s of CPU each). In AWS those cold starts run on
   separate machines; here they would queue for one interpreter. One process-wide loader
   serves the same parsed (read-only) models to every session.
"""

from __future__ import annotations

import copy
import functools
import threading
import time
from collections.abc import Callable
from typing import Any

_lock = threading.RLock()
_applied = False


def apply_emulator_fixes() -> None:
    global _applied
    with _lock:
        if _applied:
            return
        _serialise_dynamodb_requests()
        _rollback_only_touched_items()
        _cheaper_sqs_bookkeeping()
        _cache_request_reflection()
        _share_botocore_loader()
        _applied = True


def _serialise_dynamodb_requests() -> None:
    from moto.dynamodb.responses import DynamoHandler

    unlocked: Callable[[Any], Any] = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with _lock:
            return unlocked(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


def _rollback_only_touched_items() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    whole_table_copy: Callable[[Any, list[dict[str, Any]]], None] = (
        DynamoDBBackend.transact_write_items
    )

    def touched_items(backend: Any, transact_items: list[dict[str, Any]]) -> list[Any]:
        snapshots: list[tuple[Any, Any, Any, Any]] = []
        for entry in transact_items:
            try:
                op_type, op = next(iter(entry.items()))
                table = backend.tables[op["TableName"]]
                key = op["Item"] if op_type == "Put" else op["Key"]
                hash_value = DynamoType(key[table.hash_key_attr])
                range_value = (
                    DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
                )
                current = table.get_item(hash_value, range_value)
            except Exception:  # noqa: S112 - malformed: moto validates it and refuses the call
                continue
            snapshots.append((table, hash_value, range_value, copy.deepcopy(current)))
        return snapshots

    def restore(snapshots: list[tuple[Any, Any, Any, Any]]) -> None:
        for table, hash_value, range_value, item in reversed(snapshots):
            if item is None:
                table.delete_item(hash_value, range_value)
            elif range_value is not None:
                table.items[hash_value][range_value] = item
            else:
                table.items[hash_value] = item

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with _lock:
            snapshots = touched_items(self, transact_items)
            # moto's own "backup" becomes the live table, so its rollback changes nothing
            # and the touched items are restored here instead.
            Table.__deepcopy__ = lambda table, memo: table  # type: ignore[attr-defined]
            try:
                whole_table_copy(self, transact_items)
            except Exception:
                restore(snapshots)
                raise
            finally:
                del Table.__deepcopy__  # type: ignore[attr-defined]

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _cheaper_sqs_bookkeeping() -> None:
    import moto.sqs.models as sqs_models

    datetime_based: Callable[..., float] = sqs_models.unix_time_millis  # type: ignore[attr-defined]

    def unix_time_millis(moment: Any = None) -> float:
        return time.time() * 1000.0 if moment is None else datetime_based(moment)

    sqs_models.unix_time_millis = unix_time_millis  # type: ignore[attr-defined,assignment]

    def is_message_valid_based_on_retention_period(
        self: Any, queue_name: str, message: Any
    ) -> bool:
        retention_seconds = int(self.get_queue(queue_name).message_retention_period)
        return bool(retention_seconds + message.sent_timestamp / 1000 > time.time())

    sqs_models.SQSBackend.is_message_valid_based_on_retention_period = (  # type: ignore[method-assign]
        is_message_valid_based_on_retention_period
    )


def _cache_request_reflection() -> None:
    import sys

    import moto.core.responses
    import moto.core.utils

    responses: Any = moto.core.responses
    responses.method_names_from_class = functools.cache(moto.core.utils.method_names_from_class)
    uncached = moto.core.utils.camelcase_to_underscores
    cached = functools.lru_cache(maxsize=8192)(uncached)
    for name, module in list(sys.modules.items()):
        if (
            name.startswith("moto.")
            and getattr(module, "camelcase_to_underscores", None) is uncached
        ):
            setattr(module, "camelcase_to_underscores", cached)  # noqa: B010 - a module


def _share_botocore_loader() -> None:
    import botocore.loaders
    import botocore.session

    loaders: dict[Any, Any] = {}
    loaders_lock = threading.Lock()

    def create_loader(search_path_string: Any = None) -> Any:
        with loaders_lock:
            if search_path_string not in loaders:
                loaders[search_path_string] = botocore.loaders.create_loader(search_path_string)
            return loaders[search_path_string]

    botocore.session.create_loader = create_loader  # type: ignore[attr-defined]
