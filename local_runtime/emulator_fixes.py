"""Fixes to moto (5.2.x) and botocore that a concurrent pipeline on one machine needs;
process-wide and idempotent.

1. One request-level lock. moto serves requests on many threads (in-process, and in server
   mode) but its DynamoDB backend is not thread-safe: TransactWriteItems deep-copies the tables
   it touches for its rollback while other threads write to them ("dictionary changed size
   during iteration"), a rollback puts that copy back over whatever others wrote meanwhile, and
   a thread switch inside a conditional write lets two requests pass one condition. DynamoDB is
   linearisable per item and S3 per key; serving each DynamoDB and S3 request whole, one at a
   time (`request_lock`), is faithful, and costs little as every request holds the GIL anyway.
   SQS requests are not serialised: a long poll waits inside its request, and moto's queues
   guard their own messages. The lock is taken where every request of those services enters
   moto's backend code, in-process and in server mode alike, so tests that race requests need
   nothing of their own (`tests/conftest.py` applies the emulator fixes).

2. Cost. moto's whole-table copy makes each transaction O(table size): 20-40 ms per book once
   a job has a few hundred results, where DynamoDB takes a few milliseconds. With requests
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
   serves the same parsed (read-only) models to every session. Measured: it saves 112-124 ms
   of the 121-133 ms of CPU that a session and its three clients cost with the other client
   fixes: 5.6-6.2 s of CPU for the 50 environments of benchmarks/e2e_bench.py.

6. Query cost. For every page of a Query moto sorts the whole table (all partitions) by
   comparing DynamoTypes, which converts both values again at each comparison: O(table size
   x log) conversions per page, seconds for a job of 10,000 books. A Query on the table reads
   one partition, so it is handed just that partition, sorted once by its sort keys' converted
   values: the same items in the same order (sort keys are unique within a partition and all
   of the type the key schema declares), without the items at or before the ExclusiveStartKey
   that moto would step over one comparison at a time. moto's own code still applies the key
   condition, ExclusiveStartKey, Limit, the 1 MB page, filters and projections. A Query on an
   index (the aggregator's sweep of `open-jobs`, every few seconds) is handed, instead of the
   whole table sorted, the items whose index key attributes equal the queried values (moto's
   own test, applied first), sorted as moto sorts the whole table: the same items in the same
   order, for a cost that grows with the table without sorting it. Without this, a job of
   100,000 books spent most of the emulator's time sorting the table for the sweep (78% of the
   samples of a 20 s profile of `benchmarks/large_export_bench.py` once 90,000 books were
   done), under the request-level lock: the run slowed from about 1,900 batches a minute to 400.

7. Response serialisation. For every member of every structure in a response (ten per
   DynamoDB attribute value) moto asks six alias providers which keys to look the value up
   under. For a plain dict the answer depends only on the shape, its parent shape and the key
   (a dict has no `Meta` and its class name is always "dict"), so it is computed once per
   (picker class, providers, shape, parent, key) and the keys are tried in the same order,
   each read with `dict.get` (what moto's lookup does for a dict and a key without a dot)
   when the picker has no response transformers to apply.

8. Projection cost. To project an item moto converts all of it to plain Python values once per
   projected path, then serialises the result back into a new item whose every attribute
   re-measures the item's size: tens of microseconds per item, a large share of a Query page.
   A projection of top-level attribute names only (no `a.b`, no `a[0]`) is a copy of those
   attributes: the same attributes, values and order, without the round trips.

9. AttributeValue serialisation. Every DynamoDB attribute value in a response is a structure
   of ten members, and moto's serialiser looks each member up through the alias providers
   and dispatches on its shape: about a hundred calls per value, half of a Query page's
   cost. A value that is a plain dict of S, N, BOOL, NULL, SS, NS, M and L members (nested to
   any depth) serialises to those same members with the same values, in the shape's member
   order, so it is copied as such. Anything else (binary, a value of an unexpected type, a
   key that is not a member name, a picker with transformers) takes moto's own way.

10. Cold starts again. Every botocore session registers a few hundred event handlers, and for
   each one botocore renames the event through its alias table and reads the handler's
   signature with `inspect` to check that it takes **kwargs; every client copies them and
   renames them again: a third of the CPU of a session and its three clients, paid again by
   every execution environment. Both answers are pure functions (of the event name, for the
   default alias table, which botocore never changes; of the handler's function), so they
   are remembered process-wide. Measured: it saves 9.4-12.7 ms of CPU per environment (about
   half of what is left), 0.47-0.64 s per run of 50.

11. SQS sends. To learn whether a queue deduplicates by content, moto's SendMessage computes
   every attribute of the queue, three of them by scanning all its messages: O(queue size)
   per message sent, O(n^2) for a library of n books (seconds at a few thousand). While a
   thread sends to a standard queue, that queue's three message counts (which the send never
   reads; a standard queue has no ContentBasedDeduplication) answer 0 on that thread only;
   every other reader, FIFO queues and the rest of the attributes are untouched.

12. Client classes. Every botocore client builds one method per operation of its service,
   with its docstring object: most of the cost of creating a client, paid by every execution
   environment for each of its clients. The methods depend only on the service model, which
   the shared loader (5) hands to every session as the same object, so they are built once
   per model and each client class gets its own dict of them (botocore's class hooks add to
   that dict, never change the methods). Measured: it saves 1.3-3.8 ms of CPU per environment
   (13-28% of what is left; the ranges of five runs with and without it do not overlap),
   0.07-0.19 s per run of 50: the smallest of the three, kept because it is measurable and
   its check (the method's parameters) guards it like the others.

13. Dispatch. moto's server finds the backend for each request's host by listing the
   directories of the moto package and then trying the URL patterns of every service: a few
   hundred file-system calls and regular expressions per request. The answer depends only on
   the host and on the installed moto, so it is remembered per host.

14. Large queues. moto's SQS finds the message of a receipt handle by asking every message of
   the queue whether it ever had that handle (a list built per message), then rebuilds the
   queue's list without it: O(queue size) Python work per deleted message, and every receive
   first lists every visible message of the queue to hand out ten: O(n^2) for a job of n
   books, hours for 100,000. A message is now found by its receipt handle in an index (every
   handle a receive hands out is recorded, as moto keeps them all) and removed from the
   queue's list in place, with the same checks and bookkeeping; a handle the index does not
   know, or whose message is not in that queue, takes moto's own way (which refuses it). A
   receive looks at the visible messages lazily, over a copy of the list taken as moto takes
   its own, and stops when it has its messages; a count still counts them all.

Fixes 5, 10 and 12 are the client side's (`apply_client_fixes`); a process whose moto runs in
another process needs only those. Each is kept because it pays: the figures above are from
`python -m benchmarks.client_fixes_bench`, twice (one run on an idle machine, one beside other
builds): the median CPU of 5 fresh processes per variant, per execution environment for a boto3
session and its S3, SQS and DynamoDB clients: 134-149 ms without any of the three, 9.1-9.7 ms
with all three.

Guards. Every fix replaces private internals of one pinned moto and botocore (`VERIFIED_WITH`).
`apply_*` refuses other versions with `EmulatorFixesNotVerified`, which names this file: re-verify
each fix against the new code, run `tests/e2e/test_emulator_fixes.py` (one test per fix proves
it is installed and still has its effect), then update `VERIFIED_WITH`. Each replacement also
checks, when it is applied, what it relies on (a method's parameters, a call in moto's source),
so that a change the version check cannot see fails loudly instead of making the fix a no-op.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import importlib
import inspect
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

# The versions every fix was verified against; see "Guards" above.
VERIFIED_WITH: dict[str, str] = {"moto": "5.2.5", "botocore": "1.44.8"}
THIS_FILE = "local_runtime/emulator_fixes.py"

# Held for the whole of every DynamoDB and S3 request moto serves (fix 1); re-entrant, so that
# the fixes that run inside a request may take it again.
request_lock = threading.RLock()
_apply_lock = threading.Lock()
_installed: set[int] = set()
# What each installed fix replaced: (owner, attribute name).
REPLACED: dict[int, list[tuple[Any, str]]] = {}


class EmulatorFixesNotVerified(RuntimeError):
    """The installed moto or botocore is not what the fixes were verified with, or an internal
    a fix relies on has changed: the fixes must be checked again before they are used."""


@dataclasses.dataclass(frozen=True)
class Fix:
    number: int
    summary: str
    package: str  # "moto" or "botocore": what it patches
    install: Callable[[], None]


def _fixes() -> dict[int, Fix]:
    fixes = [
        Fix(1, "one request-level lock for DynamoDB and S3", "moto", _serialise_requests),
        Fix(2, "a transaction's rollback copies only its items", "moto", _rollback_only_touched),
        Fix(3, "SQS visibility and retention without attribute scans", "moto", _cheaper_sqs),
        Fix(4, "per-request reflection cached", "moto", _cache_request_reflection),
        Fix(5, "one botocore loader for every session", "botocore", _share_botocore_loader),
        Fix(6, "a Query reads only its partition", "moto", _query_reads_only_its_partition),
        Fix(7, "alias lookups cached for plain dicts", "moto", _cache_alias_lookups_for_dicts),
        Fix(8, "top-level projections copied", "moto", _project_top_level_names_by_copy),
        Fix(9, "plain AttributeValues copied", "moto", _copy_plain_attribute_values),
        Fix(10, "handler registration answers remembered", "botocore", _remember_registrations),
        Fix(11, "SQS sends count no messages", "moto", _send_to_standard_queues_without_counting),
        Fix(12, "client methods built once per model", "botocore", _build_client_methods_once),
        Fix(13, "the server's backend remembered per host", "moto", _look_up_backends_once),
        Fix(14, "SQS deletes by receipt handle, receives stop early", "moto", _large_queues),
    ]
    return {fix.number: fix for fix in fixes}


FIXES: dict[int, Fix] = {}  # filled below, once the installers are defined
CLIENT_FIXES = frozenset({5, 10, 12})  # botocore's: the side of a process whose moto is elsewhere


def apply_client_fixes() -> None:
    """The fixes to botocore: for a process whose clients talk to moto elsewhere."""
    apply_fixes(CLIENT_FIXES)


def apply_emulator_fixes() -> None:
    """Every fix: for the process moto runs in (in-process, or the server's own process)."""
    apply_fixes(FIXES)


def apply_fixes(numbers: Iterable[int]) -> None:
    """Installs these fixes (each once, process-wide), after checking the installed versions
    of what they patch. Raises EmulatorFixesNotVerified rather than install a fix that may no
    longer do what it says."""
    with _apply_lock:
        wanted = [FIXES[number] for number in sorted(set(numbers)) if number not in _installed]
        verify_versions({fix.package for fix in wanted})
        for fix in wanted:
            fix.install()
            _installed.add(fix.number)


def installed_fixes() -> frozenset[int]:
    return frozenset(_installed)


def verify_versions(packages: Iterable[str]) -> None:
    for package in sorted(packages):
        # The module's own version: package metadata is not on every path a runtime uses
        # (a PEX, a Pants sandbox), the module always is.
        installed = str(importlib.import_module(package).__version__)
        if installed != VERIFIED_WITH[package]:
            raise EmulatorFixesNotVerified(
                f"{THIS_FILE} was verified with {package} {VERIFIED_WITH[package]}, and "
                f"{package} {installed} is installed: re-verify every fix of {THIS_FILE} "
                "against it (tests/e2e/test_emulator_fixes.py), then update VERIFIED_WITH"
            )


def _replace(owner: Any, name: str, fix: int, replacement: Any, *, parameters: str = "") -> Any:
    """Puts `replacement` in place of `owner.name` and returns what was there. `parameters`
    ("self, hash_key, ...") are the names the replacement relies on; a mismatch is refused."""
    original: Any = getattr(owner, name, None)
    if original is None:
        _refuse(fix, f"{_name(owner)}.{name} no longer exists")
    if parameters:
        function: Any = original.fget if isinstance(original, property) else original
        found = ", ".join(inspect.signature(function).parameters)
        if found != parameters:
            _refuse(fix, f"{_name(owner)}.{name} takes ({found}), not ({parameters})")
    try:
        replacement.emulator_fix = fix  # lets tests see that the fix is installed
    except AttributeError:  # a property: its getter carries the mark
        replacement.fget.emulator_fix = fix
    setattr(owner, name, replacement)
    REPLACED.setdefault(fix, []).append((owner, name))
    return original


def _requires_source(fix: int, function: Any, *fragments: str) -> None:
    """The fix relies on `function` doing what these lines of its source do."""
    source = inspect.getsource(function)
    for fragment in fragments:
        if fragment not in source:
            _refuse(fix, f"{function.__qualname__} no longer contains {fragment!r}")


def _refuse(fix: int, problem: str) -> Any:
    raise EmulatorFixesNotVerified(f"fix {fix} of {THIS_FILE}: {problem}; re-verify it")


def _name(owner: Any) -> str:
    return str(getattr(owner, "__qualname__", getattr(owner, "__name__", owner)))


def fix_of(function: Any) -> int | None:
    """The number of the fix that installed `function` (None: not a fix's)."""
    function = function.fget if isinstance(function, property) else function
    function = getattr(function, "__func__", function)
    number: int | None = getattr(function, "emulator_fix", None)
    return number


# --- 1 -----------------------------------------------------------------------------------------


def _serialise_requests() -> None:
    from moto.dynamodb.responses import DynamoHandler
    from moto.s3.responses import S3Response

    def locked(unlocked: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(unlocked)
        def call(*args: Any, **kwargs: Any) -> Any:
            with request_lock:
                return unlocked(*args, **kwargs)

        return call

    # Every DynamoDB request runs its action in call_action; every S3 request enters through
    # one of the responses its URL patterns dispatch to (moto/s3/urls.py).
    _requires_source(1, DynamoHandler._dispatch, "self.call_action()")
    _replace(DynamoHandler, "call_action", 1, locked(DynamoHandler.call_action))
    for name in ("ambiguous_response", "bucket_response", "key_response"):
        _replace(S3Response, name, 1, locked(getattr(S3Response, name)))


# --- 2 -----------------------------------------------------------------------------------------


def _rollback_only_touched() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    whole_table_copy: Callable[[Any, list[dict[str, Any]]], None] = (
        DynamoDBBackend.transact_write_items
    )
    # moto's backup is a deep copy of each table the transaction names, put back on failure.
    _requires_source(2, whole_table_copy, "copy.deepcopy(", "self.tables[table_name]")

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
        with request_lock:
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

    if hasattr(Table, "__deepcopy__"):
        _refuse(2, "moto's Table now has a __deepcopy__ of its own")
    _replace(
        DynamoDBBackend,
        "transact_write_items",
        2,
        transact_write_items,
        parameters="self, transact_items",
    )


# --- 3 -----------------------------------------------------------------------------------------


def _cheaper_sqs() -> None:
    import moto.sqs.models as sqs_models

    datetime_based: Callable[..., float] = sqs_models.unix_time_millis  # type: ignore[attr-defined]

    def unix_time_millis(moment: Any = None) -> float:
        return time.time() * 1000.0 if moment is None else datetime_based(moment)

    _replace(sqs_models, "unix_time_millis", 3, unix_time_millis, parameters="dt")

    def is_message_valid_based_on_retention_period(
        self: Any, queue_name: str, message: Any
    ) -> bool:
        retention_seconds = int(self.get_queue(queue_name).message_retention_period)
        return bool(retention_seconds + message.sent_timestamp / 1000 > time.time())

    _replace(
        sqs_models.SQSBackend,
        "is_message_valid_based_on_retention_period",
        3,
        is_message_valid_based_on_retention_period,
        parameters="self, queue_name, message",
    )


# --- 4 -----------------------------------------------------------------------------------------


def _cache_request_reflection() -> None:
    import sys

    import moto.core.responses
    import moto.core.utils

    responses: Any = moto.core.responses
    _replace(
        responses,
        "method_names_from_class",
        4,
        functools.cache(moto.core.utils.method_names_from_class),
    )
    uncached = moto.core.utils.camelcase_to_underscores
    cached = functools.lru_cache(maxsize=8192)(uncached)
    # The name is bound in every moto module that imported it; modules imported later bind it
    # from moto.core.utils, which gets the cached one too.
    if getattr(responses, "camelcase_to_underscores", None) is not uncached:
        _refuse(4, "moto.core.responses no longer calls moto.core.utils.camelcase_to_underscores")
    for name, module in list(sys.modules.items()):
        if (
            name.startswith("moto.")
            and getattr(module, "camelcase_to_underscores", None) is uncached
        ):
            _replace(module, "camelcase_to_underscores", 4, cached)


# --- 5 -----------------------------------------------------------------------------------------


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

    _replace(botocore.session, "create_loader", 5, create_loader, parameters="search_path_string")


# --- 6 -----------------------------------------------------------------------------------------

# Table.query's parameters, read by position when moto passes them positionally.
_QUERY_PARAMETERS = (
    "self, hash_key, range_comparison, range_objs, limit, exclusive_start_key, "
    "scan_index_forward, projection_expressions, index_name, consistent_read, "
    "filter_expression, hash_key_conditions, range_key_conditions, filter_kwargs"
)


def _query_reads_only_its_partition() -> None:
    from moto.dynamodb.models.table import Table

    whole_table_query: Callable[..., Any] = Table.query
    _requires_source(6, whole_table_query, "self.all_items()")
    _requires_source(6, whole_table_query, "if not item_value or item_value != expected_value:")
    _requires_source(
        6, Table.all_items, "key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key"
    )

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name:
            return _index_query(self, hash_key, *args, **kwargs)
        if hash_key is None:
            return whole_table_query(self, hash_key, *args, **kwargs)

        def partition_items() -> list[Any]:
            # The partition's items in the order `all_items` gives them after moto's filter on
            # the hash key (a missing partition, or a key of another type, matches nothing).
            partition = self.items.get(hash_key)
            if partition is None:
                return []
            if not self.range_key_attr:
                return [partition]
            items = sorted(partition.values(), key=lambda item: item.range_key.cast_value)
            return _after_start_key(self, hash_key, items, *_start_and_direction(args, kwargs))

        with request_lock:  # the table's own `all_items` is shadowed for this call only
            self.all_items = partition_items
            try:
                return whole_table_query(self, hash_key, *args, **kwargs)
            finally:
                del self.all_items

    def _index_query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        conditions = kwargs.get("hash_key_conditions") or []
        if not conditions:  # moto then tests no key attribute: its own way
            return whole_table_query(self, hash_key, *args, **kwargs)

        def matching_items() -> list[Any]:
            # `all_items` after moto's test of the index's key attributes (an item whose value
            # is missing or different is skipped), in the order `all_items` gives them.
            items = []
            for hash_set in self.items.values():
                for item in hash_set.values() if self.range_key_attr else (hash_set,):
                    attrs = item.attrs
                    for name, expected in conditions:
                        value = attrs.get(name)
                        if not value or value != expected:
                            break
                    else:
                        items.append(item)
            return sorted(
                items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key
            )

        with request_lock:
            self.all_items = matching_items
            try:
                return whole_table_query(self, hash_key, *args, **kwargs)
            finally:
                del self.all_items

    _replace(Table, "query", 6, query, parameters=_QUERY_PARAMETERS)


def _start_and_direction(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, bool]:
    start = kwargs.get("exclusive_start_key", args[3] if len(args) > 3 else None)
    forward = kwargs.get("scan_index_forward", args[4] if len(args) > 4 else True)
    return start, forward is not False


def _after_start_key(
    table: Any, hash_key: Any, items: list[Any], start: Any, forward: bool
) -> list[Any]:
    """Drops the items moto would step over before the ExclusiveStartKey: those at or before it
    in the query's direction. Any other start key is left for moto to handle."""
    from bisect import bisect_left, bisect_right

    from moto.dynamodb.models.dynamo_type import DynamoType

    if not start or not items:
        return items
    try:
        start_hash = DynamoType(start[table.hash_key_attr])
        start_range = DynamoType(start[table.range_key_attr])
    except (KeyError, IndexError, TypeError):
        return items
    if start_hash != hash_key or start_range.type != items[0].range_key.type:
        return items
    values = [item.range_key.cast_value for item in items]
    if forward:
        return items[bisect_right(values, start_range.cast_value) :]
    return items[: bisect_left(values, start_range.cast_value)]


# --- 7 -----------------------------------------------------------------------------------------


def _cache_alias_lookups_for_dicts() -> None:
    from moto.core.constants import MISSING
    from moto.core.serialize import AttributePicker, XFormedAttributePicker

    for picker in (AttributePicker, XFormedAttributePicker):
        _replace(
            picker,
            "get_possible_keys",
            7,
            _cached_for_dicts(picker.get_possible_keys),
            parameters="self, context",
        )

    general_pick: Callable[[Any, Any], Any] = AttributePicker.__call__

    def pick(self: Any, context: Any) -> Any:
        obj = context.obj
        if type(obj) is not dict or self.response_transformers:  # noqa: E721 - as above
            return general_pick(self, context)
        for possible_key in self.get_possible_keys(context):
            if "." in possible_key:  # a path: moto's own traversal
                return general_pick(self, context)
            value = obj.get(possible_key, MISSING)
            if value is not MISSING:
                return value
        return None

    _replace(AttributePicker, "__call__", 7, pick, parameters="self, context")


def _cached_for_dicts(
    possible_keys: Callable[[Any, Any], Any],
) -> Callable[[Any, Any], Any]:
    # Shapes hash by identity; holding them in the keys keeps their ids from being reused.
    known: dict[tuple[Any, ...], tuple[str, ...]] = {}

    def get_possible_keys(self: Any, context: Any) -> Any:
        if type(context.obj) is not dict:  # noqa: E721 - a dict subclass may have a Meta
            return possible_keys(self, context)
        shape = context.shape
        lookup = (
            type(self),
            tuple(self.alias_providers),
            shape,
            getattr(shape, "parent", None),
            context.key,
        )
        keys = known.get(lookup)
        if keys is None:
            keys = known[lookup] = tuple(possible_keys(self, context))
        return iter(keys)

    get_possible_keys.known = known  # type: ignore[attr-defined]  # for tests
    return get_possible_keys


# --- 8 -----------------------------------------------------------------------------------------


def _project_top_level_names_by_copy() -> None:
    from moto.dynamodb.models.dynamo_type import Item, LimitedSizeDict

    general_project: Callable[[Any, list[list[str]]], Any] = Item.project

    def project(self: Any, projection_expressions: list[list[str]]) -> Any:
        if not all(len(path) == 1 and "[" not in path[0] for path in projection_expressions):
            return general_project(self, projection_expressions)
        projected: Any = Item.__new__(Item)
        projected.hash_key = self.hash_key
        projected.range_key = self.range_key
        # As moto's deep copy of an item: the source passed the 400 KB check when written.
        attrs = LimitedSizeDict.__new__(LimitedSizeDict)
        dict.__init__(attrs)
        for (name,) in projection_expressions:
            if name in self.attrs:
                dict.__setitem__(attrs, name, copy.deepcopy(self.attrs[name]))
        projected.attrs = attrs
        return projected

    _replace(Item, "project", 8, project, parameters="self, projection_expressions")


# --- 9 -----------------------------------------------------------------------------------------

_NOT_PLAIN = object()  # a value the plain copy does not handle: moto serialises it itself


def plain_attribute_value(value: Any, members: tuple[str, ...]) -> Any:
    """What moto's JSON serialiser makes of a DynamoDB AttributeValue given as a plain dict of
    string, boolean, set, map and list members, or _NOT_PLAIN. `members` is the shape's member
    order."""
    if type(value) is not dict:  # noqa: E721 - a dict subclass may carry aliases
        return _NOT_PLAIN
    serialized: dict[str, Any] = {}
    remaining = len(value)
    for member in members:
        if member not in value:
            continue
        remaining -= 1
        item = value[member]
        if item is None:  # moto leaves a None member out
            continue
        if member in ("S", "N"):
            if type(item) is not str:  # noqa: E721
                return _NOT_PLAIN
            serialized[member] = item
        elif member in ("BOOL", "NULL"):
            if type(item) is not bool:  # noqa: E721
                return _NOT_PLAIN
            serialized[member] = item
        elif member in ("SS", "NS"):
            if type(item) is not list or any(type(x) is not str for x in item):  # noqa: E721
                return _NOT_PLAIN
            serialized[member] = list(item)
        elif member == "M":
            if type(item) is not dict:  # noqa: E721
                return _NOT_PLAIN
            mapped: dict[str, Any] = {}
            for name, nested in item.items():
                mapped[name] = plain_attribute_value(nested, members)
                if mapped[name] is _NOT_PLAIN:
                    return _NOT_PLAIN
            serialized[member] = mapped
        elif member == "L":
            if type(item) is not list:  # noqa: E721
                return _NOT_PLAIN
            listed = [plain_attribute_value(nested, members) for nested in item]
            if any(nested is _NOT_PLAIN for nested in listed):
                return _NOT_PLAIN
            serialized[member] = listed
        else:  # B and BS are base64-encoded by moto
            return _NOT_PLAIN
    if remaining:  # a key that is no member name (moto may read it as an alias)
        return _NOT_PLAIN
    return serialized


_ATTRIBUTE_VALUE_MEMBERS = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"})


def _copy_plain_attribute_values() -> None:
    from moto.core.serialize import (
        DEFAULT_ALIAS_PROVIDERS,
        AttributePicker,
        BaseJSONSerializer,
    )

    general_structure: Callable[..., None] = BaseJSONSerializer._serialize_type_structure

    def plain_picker(serializer: Any) -> bool:
        picker = getattr(serializer, "_value_picker", None)
        return (
            isinstance(picker, AttributePicker)
            and not picker.response_transformers
            and list(picker.alias_providers) == DEFAULT_ALIAS_PROVIDERS
        )

    # Shape -> its member order if it is a plain DynamoDB AttributeValue shape, else None:
    # decided once per shape (shapes hash by identity and are cached by their models).
    member_orders: dict[Any, tuple[str, ...] | None] = {}

    def plain_member_order(shape: Any) -> tuple[str, ...] | None:
        if shape not in member_orders:
            members = tuple(shape.members) if shape.name == "AttributeValue" else ()
            plain = (
                not shape.serialization
                and set(members) == _ATTRIBUTE_VALUE_MEMBERS
                and all(not member.serialization for member in shape.members.values())
            )
            member_orders[shape] = members if plain else None
        return member_orders[shape]

    def serialize_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        members = plain_member_order(shape) if key else None
        if members is not None and plain_picker(self):
            plain = plain_attribute_value(value, members)
            if plain is not _NOT_PLAIN:
                serialized[key] = plain
                return
        general_structure(self, serialized, value, shape, key)

    _replace(
        BaseJSONSerializer,
        "_serialize_type_structure",
        9,
        serialize_structure,
        parameters="self, serialized, value, shape, key",
    )


# --- 10 ----------------------------------------------------------------------------------------


def _remember_registrations() -> None:
    import weakref

    import botocore.hooks

    aliaser_init: Callable[..., None] = botocore.hooks.EventAliaser.__init__
    default_alias_names: dict[str, str] = {}
    if "_alias_name_cache" not in inspect.getsource(botocore.hooks.EventAliaser):
        _refuse(10, "botocore's EventAliaser no longer caches in _alias_name_cache")

    def init(self: Any, event_emitter: Any, event_aliases: Any = None) -> None:
        aliaser_init(self, event_emitter, event_aliases)
        # The default table, or a client's copy of it: the same answers for every aliaser.
        if event_aliases is None or event_aliases == botocore.hooks.EVENT_ALIASES:
            self._alias_name_cache = default_alias_names

    _replace(
        botocore.hooks.EventAliaser,
        "__init__",
        10,
        init,
        parameters="self, event_emitter, event_aliases",
    )

    inspect_signature: Callable[[Any], Any] = botocore.hooks.accepts_kwargs
    verdicts: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
    verdicts_lock = threading.Lock()

    def accepts_kwargs(func: Any) -> Any:
        function = getattr(func, "__func__", func)  # a bound method has its function's **kwargs
        try:
            with verdicts_lock:
                return verdicts[function]
        except KeyError:
            pass
        except TypeError:  # cannot be weakly referenced: not remembered
            return inspect_signature(func)
        verdict = inspect_signature(func)
        with verdicts_lock:
            verdicts[function] = verdict
        return verdict

    _replace(botocore.hooks, "accepts_kwargs", 10, accepts_kwargs, parameters="func")


# --- 11 ----------------------------------------------------------------------------------------

_sending = threading.local()  # .queue: the standard queue this thread is sending to


def _send_to_standard_queues_without_counting() -> None:
    from moto.sqs.models import Queue, SQSBackend

    for name in (
        "approximate_number_of_messages",
        "approximate_number_of_messages_delayed",
        "approximate_number_of_messages_not_visible",
    ):
        counted: property = getattr(Queue, name)

        def count(queue: Any, counted: property = counted) -> Any:
            if getattr(_sending, "queue", None) is queue:
                return 0  # read by no send: see fix 11
            assert counted.fget is not None
            return counted.fget(queue)

        _replace(Queue, name, 11, property(count), parameters="self")

    send: Callable[..., Any] = SQSBackend.send_message

    def send_message(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        queue = self.get_queue(queue_name)
        if queue.fifo_queue:
            return send(self, queue_name, *args, **kwargs)
        _sending.queue = queue
        try:
            return send(self, queue_name, *args, **kwargs)
        finally:
            _sending.queue = None

    _replace(SQSBackend, "send_message", 11, send_message)


# --- 12 ----------------------------------------------------------------------------------------


def _build_client_methods_once() -> None:
    import botocore.client

    client_creator: Any = botocore.client.ClientCreator
    build: Callable[[Any, Any], dict[str, Any]] = client_creator._create_methods
    # id of the service description -> (the description, kept so that its id is not reused;
    # the methods built for it)
    built: dict[int, tuple[Any, dict[str, Any]]] = {}
    built_lock = threading.Lock()

    def create_methods(self: Any, service_model: Any) -> dict[str, Any]:
        description = service_model._service_description
        with built_lock:
            known = built.get(id(description))
        if known is None or known[0] is not description:
            known = (description, build(self, service_model))
            with built_lock:
                built[id(description)] = known
        return dict(known[1])

    _replace(
        client_creator, "_create_methods", 12, create_methods, parameters="self, service_model"
    )


# --- 13 ----------------------------------------------------------------------------------------


def _look_up_backends_once() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    look_up: Callable[[Any, str | None], Any] = DomainDispatcherApplication.get_backend_for_host
    backends: dict[str | None, Any] = {}

    def get_backend_for_host(self: Any, host: str | None) -> Any:
        # Callers hold the application's lock; the patterns are the same for every instance.
        if host not in backends:
            backends[host] = look_up(self, host)
        return backends[host]

    _replace(
        DomainDispatcherApplication,
        "get_backend_for_host",
        13,
        get_backend_for_host,
        parameters="self, host",
    )


# --- 14 ----------------------------------------------------------------------------------------

# Every receipt handle moto has handed out, to its message (handles stay valid, as in moto).
_messages_by_receipt: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()


class _VisibleMessages:
    """`Queue.messages`, looked at lazily: the visible messages that are not delayed, from a
    copy of the queue's list taken when asked for (moto's list comprehension took its own)."""

    def __init__(self, queue: Any) -> None:
        self._snapshot = list(queue._messages)

    def __iter__(self) -> Iterator[Any]:
        return (m for m in self._snapshot if m.visible and not m.delayed)

    def __bool__(self) -> bool:
        return next(iter(self), None) is not None

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _large_queues() -> None:
    from moto.sqs.models import Message, Queue, SQSBackend

    _requires_source(14, SQSBackend.receive_message, "for message in queue.messages:")
    _requires_source(14, Queue.delete_message, "message.had_receipt_handle(receipt_handle)")
    marked: Callable[..., None] = Message.mark_received

    def mark_received(self: Any, visibility_timeout: Any = None) -> None:
        marked(self, visibility_timeout)
        _messages_by_receipt[self.receipt_handle] = self

    _replace(Message, "mark_received", 14, mark_received, parameters="self, visibility_timeout")

    scanning_delete: Callable[[Any, str], None] = Queue.delete_message

    def delete_message(self: Any, receipt_handle: str) -> None:
        if receipt_handle in self.deleted_messages:
            return  # already deleted: moto tolerates deleting again
        message = _messages_by_receipt.get(receipt_handle)
        if message is None or not message.had_receipt_handle(receipt_handle):
            scanning_delete(self, receipt_handle)
            return
        try:
            self._messages.remove(message)  # by identity: a Message defines no equality
        except ValueError:  # not this queue's (moved to its dead-letter queue, say)
            scanning_delete(self, receipt_handle)
            return
        self.pending_messages.discard(message)
        self.deleted_messages.update(message.all_receipt_handles)

    _replace(Queue, "delete_message", 14, delete_message, parameters="self, receipt_handle")

    def messages(self: Any) -> _VisibleMessages:
        return _VisibleMessages(self)

    _replace(Queue, "messages", 14, property(messages), parameters="self")


FIXES.update(_fixes())
