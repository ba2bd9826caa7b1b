"""Each fix of local_runtime/emulator_fixes.py is installed and still has its effect, and the
emulator keeps AWS's behaviour with all of them (the `aws` fixture runs moto with every fix
applied, as the local runtime does).

When moto or botocore is upgraded, these are the tests to run after re-verifying the fixes.
"""

from __future__ import annotations

import copy
import inspect
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local_runtime import emulator_fixes
from local_runtime.emulator_fixes import FIXES, EmulatorFixesNotVerified, fix_of

AwsFixture = tuple[boto3.Session, Any]


@pytest.fixture(autouse=True)
def _every_fix() -> None:
    """Every test here sees moto and botocore as the local runtime runs them (the `aws`
    fixture applies the fixes too; tests without it need this)."""
    emulator_fixes.apply_emulator_fixes()


def _lock_held() -> bool:
    return bool(emulator_fixes.request_lock._is_owned())  # type: ignore[attr-defined]


def _counting(
    monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, record: Callable[[], Any] | None = None
) -> list[Any]:
    """Wraps owner.name so that each call is recorded (by `record()`, else as None)."""
    calls: list[Any] = []
    original: Any = inspect.getattr_static(owner, name)
    function: Any = original.fget if isinstance(original, property) else original

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(record() if record else None)
        return function(*args, **kwargs)

    monkeypatch.setattr(
        owner, name, property(counted) if isinstance(original, property) else counted
    )
    return calls


# --- The guards --------------------------------------------------------------------------------


@pytest.mark.parametrize("number", sorted(FIXES))
def test_each_fix_is_installed_where_it_says(aws: AwsFixture, number: int) -> None:
    assert number in emulator_fixes.installed_fixes()
    replaced = emulator_fixes.REPLACED[number]
    assert replaced
    for owner, name in replaced:
        assert fix_of(inspect.getattr_static(owner, name)) == number, (owner, name)


def test_another_moto_or_botocore_version_is_refused_naming_this_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(emulator_fixes.VERIFIED_WITH, "moto", "0.0.1")

    with pytest.raises(
        EmulatorFixesNotVerified, match=r"local_runtime/emulator_fixes\.py"
    ) as error:
        emulator_fixes.verify_versions({"moto"})
    assert "moto 0.0.1" in str(error.value)
    emulator_fixes.verify_versions({"botocore"})  # the other one is as verified


def test_a_replaced_method_whose_parameters_or_source_changed_is_refused() -> None:
    class Changed:
        def query(self, hash_key: Any, renamed: Any) -> None: ...

    with pytest.raises(EmulatorFixesNotVerified, match="fix 6 .* takes"):
        emulator_fixes._replace(Changed, "query", 6, lambda: None, parameters="self, hash_key, x")
    with pytest.raises(EmulatorFixesNotVerified, match="no longer exists"):
        emulator_fixes._replace(Changed, "gone", 6, lambda: None)
    with pytest.raises(EmulatorFixesNotVerified, match="no longer contains"):
        emulator_fixes._requires_source(2, Changed.query, "copy.deepcopy(")
    assert "query" in Changed.__dict__ and fix_of(Changed.query) is None  # nothing replaced


# --- 1: one request-level lock ------------------------------------------------------------------


def test_1_every_dynamodb_and_s3_request_runs_under_the_request_lock(
    aws: AwsFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.s3.models import S3Backend

    session, env = aws
    reads = _counting(monkeypatch, DynamoDBBackend, "get_item", _lock_held)
    writes = _counting(monkeypatch, S3Backend, "put_object", _lock_held)

    session.client("dynamodb").get_item(
        TableName=env.jobs_table, Key={"pk": {"S": "JOB#1"}, "sk": {"S": "JOB"}}
    )
    session.client("s3").put_object(Bucket=env.data_bucket, Key="k", Body=b"x")

    assert reads == [True] and writes == [True]
    assert not _lock_held()


def test_1_racing_conditional_writes_let_exactly_one_through(aws: AwsFixture) -> None:
    session, env = aws
    dynamodb = session.client("dynamodb")
    key = {"pk": {"S": "JOB#1"}, "sk": {"S": "JOB"}}
    dynamodb.put_item(TableName=env.jobs_table, Item=key)
    start = threading.Barrier(8)

    def claim(owner: int) -> bool:
        start.wait()
        try:
            dynamodb.update_item(
                TableName=env.jobs_table,
                Key=key,
                UpdateExpression="SET claimed = :me",
                ConditionExpression="attribute_not_exists(claimed)",
                ExpressionAttributeValues={":me": {"N": str(owner)}},
            )
        except ClientError:
            return False
        return True

    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(claim, range(8)))

    assert won.count(True) == 1


# --- Behaviour with every fix (moved from test_execution_environments.py) ----------------------


def _transaction(table: str, book: str) -> list[dict[str, Any]]:
    return [
        {
            "Put": {
                "TableName": table,
                "Item": {"pk": {"S": "JOB#1"}, "sk": {"S": f"BOOK#{book}"}},
                "ConditionExpression": "attribute_not_exists(sk)",
            }
        },
        {
            "Update": {
                "TableName": table,
                "Key": {"pk": {"S": "JOB#1"}, "sk": {"S": "JOB"}},
                "UpdateExpression": "ADD succeeded :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
    ]


def _job(dynamodb: Any, table: str) -> dict[str, Any]:
    key = {"pk": {"S": "JOB#1"}, "sk": {"S": "JOB"}}
    item: dict[str, Any] = dynamodb.get_item(TableName=table, Key=key)["Item"]
    return item


def test_1_2_concurrent_transactions_with_duplicates_lose_and_double_nothing(aws: Any) -> None:
    session, env = aws
    dynamodb = session.client("dynamodb")
    table = env.jobs_table
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "JOB#1"}, "sk": {"S": "JOB"}})
    books = [str(number) for number in range(120)]

    def deliver(book: str) -> None:
        try:
            dynamodb.transact_write_items(TransactItems=_transaction(table, book))
        except ClientError as exc:  # the duplicate: its condition fails, nothing is written
            assert exc.response["Error"]["Code"] == "TransactionCanceledException"

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(deliver, books + books))  # every book delivered twice, concurrently

    assert _job(dynamodb, table)["succeeded"] == {"N": str(len(books))}
    stored = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :book)",
        ExpressionAttributeValues={":pk": {"S": "JOB#1"}, ":book": {"S": "BOOK#"}},
        Select="COUNT",
    )
    assert stored["Count"] == len(books)


def test_2_a_cancelled_transaction_leaves_every_item_as_it_was(aws: Any) -> None:
    session, env = aws
    dynamodb = session.client("dynamodb")
    table = env.jobs_table
    dynamodb.put_item(
        TableName=table, Item={"pk": {"S": "JOB#1"}, "sk": {"S": "JOB"}, "succeeded": {"N": "4"}}
    )
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "JOB#1"}, "sk": {"S": "BOOK#old"}})
    items = _transaction(table, "new")
    items[1]["Update"]["ConditionExpression"] = "attribute_not_exists(pk)"  # fails: job exists

    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamodb.transact_write_items(TransactItems=items)

    assert _job(dynamodb, table)["succeeded"] == {"N": "4"}
    new = dynamodb.get_item(TableName=table, Key={"pk": {"S": "JOB#1"}, "sk": {"S": "BOOK#new"}})
    assert "Item" not in new
    old = dynamodb.get_item(TableName=table, Key={"pk": {"S": "JOB#1"}, "sk": {"S": "BOOK#old"}})
    assert "Item" in old


def _pages(dynamodb: Any, table: str, **query: Any) -> list[list[str]]:
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :book)",
        "ExpressionAttributeValues": {":pk": {"S": "JOB#1"}, ":book": {"S": "BOOK#"}},
        "ConsistentRead": True,
        **query,
    }
    pages: list[list[str]] = []
    while True:
        page = dynamodb.query(**request)
        pages.append([item["sk"]["S"] for item in page["Items"]])
        if "LastEvaluatedKey" not in page:
            return pages
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_6_a_paginated_query_of_a_large_partition_keeps_dynamodb_order_and_page_bounds(
    aws: Any,
) -> None:
    session, env = aws
    dynamodb = session.client("dynamodb")
    table = env.jobs_table
    books = [f"BOOK#{number:04d}" for number in range(2500)]
    payload = "x" * 1000  # every item is 1,019 bytes: 981 of them fit in a 1 MB page
    neighbours = [("JOB#1", "JOB"), ("JOB#1", "ZZZ"), ("JOB#0", "BOOK#0001"), ("JOB#2", "BOOK#")]
    items = [("JOB#1", book) for book in reversed(books)] + neighbours  # stored out of order
    for start in range(0, len(items), 25):
        dynamodb.batch_write_item(
            RequestItems={
                table: [
                    {
                        "PutRequest": {
                            "Item": {"pk": {"S": pk}, "sk": {"S": sk}, "p": {"S": payload}}
                        }
                    }
                    for pk, sk in items[start : start + 25]
                ]
            }
        )

    forward = _pages(dynamodb, table)
    backward = _pages(dynamodb, table, ScanIndexForward=False, Limit=700)

    assert [len(page) for page in forward] == [981, 981, 538]
    whole = dynamodb.get_item(TableName=table, Key={"pk": {"S": "JOB#1"}, "sk": {"S": books[0]}})
    assert whole["Item"] == {"pk": {"S": "JOB#1"}, "sk": {"S": books[0]}, "p": {"S": payload}}
    assert [sk for page in forward for sk in page] == books
    assert [len(page) for page in backward] == [700, 700, 700, 400]
    assert [sk for page in backward for sk in page] == books[::-1]


EVERY_KIND_OF_VALUE: dict[str, Any] = {
    "pk": {"S": "JOB#1"},
    "sk": {"S": "BOOK#kinds"},
    "text": {"S": 'naïve «quoted» "text"\n'},
    "empty": {"S": ""},
    "number": {"N": "-12.5"},
    "blob": {"B": b"\x00\xffbinary"},
    "yes": {"BOOL": True},
    "no": {"BOOL": False},
    "nothing": {"NULL": True},
    "words": {"SS": ["a", "b"]},
    "numbers": {"NS": ["1", "2.5"]},
    "blobs": {"BS": [b"x", b"y"]},
    "empty_map": {"M": {}},
    "empty_list": {"L": []},
    "nested": {
        "M": {
            "list": {"L": [{"S": "x"}, {"N": "1"}, {"M": {"deep": {"BOOL": False}}}]},
            "blob": {"B": b"nested"},
            "null": {"NULL": True},
        }
    },
}


def _sorted_sets(item: dict[str, Any]) -> dict[str, Any]:
    """Sets come back in any order."""
    return {
        name: {kind: sorted(value) if kind in ("SS", "NS", "BS") else value}
        for name, attribute in item.items()
        for kind, value in attribute.items()
    }


def test_7_9_items_of_every_attribute_type_come_back_as_stored(aws: Any) -> None:
    session, env = aws
    dynamodb = session.client("dynamodb")
    dynamodb.put_item(TableName=env.jobs_table, Item=EVERY_KIND_OF_VALUE)

    got = dynamodb.get_item(
        TableName=env.jobs_table, Key={"pk": {"S": "JOB#1"}, "sk": {"S": "BOOK#kinds"}}
    )["Item"]
    queried = dynamodb.query(
        TableName=env.jobs_table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "JOB#1"}},
    )["Items"]

    assert _sorted_sets(got) == _sorted_sets(EVERY_KIND_OF_VALUE)
    assert [_sorted_sets(item) for item in queried] == [_sorted_sets(EVERY_KIND_OF_VALUE)]


def test_8_projections_return_exactly_the_named_attributes_and_paths(aws: Any) -> None:
    session, env = aws
    dynamodb = session.client("dynamodb")
    dynamodb.put_item(TableName=env.jobs_table, Item=EVERY_KIND_OF_VALUE)

    def projected(expression: str, names: dict[str, str] | None = None) -> dict[str, Any]:
        request: dict[str, Any] = {
            "TableName": env.jobs_table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": "JOB#1"}},
            "ProjectionExpression": expression,
        }
        if names:
            request["ExpressionAttributeNames"] = names
        items: list[dict[str, Any]] = dynamodb.query(**request)["Items"]
        assert len(items) == 1
        return items[0]

    top_level = projected("sk, #blob, words, absent, nested", {"#blob": "blob"})
    assert _sorted_sets(top_level) == _sorted_sets(
        {name: EVERY_KIND_OF_VALUE[name] for name in ("sk", "blob", "words", "nested")}
    )
    assert projected("nested.list[2].deep, #empty", {"#empty": "empty"}) == {
        "nested": {"M": {"list": {"L": [{"M": {"deep": {"BOOL": False}}}]}}},
        "empty": {"S": ""},
    }


def _queue_counts(sqs: Any, queue_url: str) -> dict[str, str]:
    attributes: dict[str, str] = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    return attributes


def test_3_11_queue_counts_stay_exact_while_messages_are_sent_and_received(aws: Any) -> None:
    sqs = aws[0].client("sqs")
    queue_url = sqs.create_queue(QueueName="counted")["QueueUrl"]
    for start in range(0, 30, 10):
        sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(n), "MessageBody": f"m{start + n}"} for n in range(10)],
        )
    sqs.send_message(QueueUrl=queue_url, MessageBody="later", DelaySeconds=60)
    sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=60)

    assert _queue_counts(sqs, queue_url) == {
        "ApproximateNumberOfMessages": "20",
        "ApproximateNumberOfMessagesNotVisible": "10",
        "ApproximateNumberOfMessagesDelayed": "1",
    }


def test_11_a_fifo_queue_still_drops_a_duplicate_by_content(aws: Any) -> None:
    sqs = aws[0].client("sqs")
    queue_url = sqs.create_queue(
        QueueName="ordered.fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
    )["QueueUrl"]
    for _ in range(2):
        sqs.send_message(QueueUrl=queue_url, MessageBody="same", MessageGroupId="g")

    assert _queue_counts(sqs, queue_url)["ApproximateNumberOfMessages"] == "1"


def test_10_12_clients_made_after_the_fixes_keep_botocores_checks_and_methods() -> None:
    first, second = (boto3.Session(region_name="us-east-1").client("dynamodb") for _ in range(2))

    # Each client class has its own method table (hooks may add to one without the other).
    assert type(first) is not type(second)
    assert first.get_item.__name__ == "get_item" and "TableName" in str(first.get_item.__doc__)

    def no_keyword_arguments(params):  # type: ignore[no-untyped-def]  # botocore refuses this
        return params

    with pytest.raises(ValueError, match="must accept keyword arguments"):
        first.meta.events.register("before-call.dynamodb.GetItem", no_keyword_arguments)
    with pytest.raises(ValueError, match="must accept keyword arguments"):  # remembered verdict
        second.meta.events.register("before-call.dynamodb.GetItem", no_keyword_arguments)


# --- 2: a transaction's rollback copies only its items ------------------------------------------


def test_2_a_transaction_does_not_copy_the_table(
    aws: AwsFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, env = aws
    dynamodb = session.client("dynamodb")
    table = env.jobs_table
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "JOB#1"}, "sk": {"S": "JOB"}})
    for start in range(0, 500, 25):
        dynamodb.batch_write_item(
            RequestItems={
                table: [
                    {"PutRequest": {"Item": {"pk": {"S": "JOB#1"}, "sk": {"S": f"BOOK#{n}"}}}}
                    for n in range(start, start + 25)
                ]
            }
        )
    copies = _counting(monkeypatch, copy, "deepcopy")

    dynamodb.transact_write_items(TransactItems=_transaction(table, "new"))

    # moto's backup would deep-copy every one of the 501 items, one call each at least.
    assert len(copies) < 50


# --- 3: SQS visibility and retention without attribute scans ------------------------------------


def test_3_receiving_reads_no_queue_attributes(
    aws: AwsFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.sqs.models import Queue

    sqs = aws[0].client("sqs")
    queue_url = aws[1].task_queue_url
    sqs.send_message_batch(
        QueueUrl=queue_url, Entries=[{"Id": str(n), "MessageBody": str(n)} for n in range(10)]
    )
    attribute_reads = _counting(monkeypatch, Queue, "attributes")

    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]

    assert len(received) == 10 and attribute_reads == []
    import moto.sqs.models as sqs_models

    assert abs(sqs_models.unix_time_millis() - time.time() * 1000) < 1000  # type: ignore[attr-defined]


# --- 4: per-request reflection cached ------------------------------------------------------------


def test_4_request_reflection_is_answered_from_its_caches(aws: AwsFixture) -> None:
    import moto.core.responses

    responses: Any = moto.core.responses
    session, env = aws
    dynamodb = session.client("dynamodb")
    dynamodb.describe_table(TableName=env.jobs_table)
    before = (
        responses.method_names_from_class.cache_info().hits,
        responses.camelcase_to_underscores.cache_info().hits,
    )

    dynamodb.describe_table(TableName=env.jobs_table)

    after = (
        responses.method_names_from_class.cache_info().hits,
        responses.camelcase_to_underscores.cache_info().hits,
    )
    assert after[0] > before[0] and after[1] > before[1]


# --- 5: one botocore loader for every session ----------------------------------------------------


def test_5_every_session_gets_the_same_parsed_models() -> None:
    first, second = (boto3.Session(region_name="us-east-1") for _ in range(2))

    loader = first._session.get_component("data_loader")
    assert loader is second._session.get_component("data_loader")
    assert first.client("sqs").meta.service_model._service_description is (
        second.client("sqs").meta.service_model._service_description
    )


# --- 6: a Query reads only its partition ---------------------------------------------------------


def test_6_a_query_on_the_table_never_lists_the_whole_table(
    aws: AwsFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.dynamodb.models.table import Table

    session, env = aws
    dynamodb = session.client("dynamodb")
    for pk in ("JOB#1", "JOB#2"):
        dynamodb.put_item(
            TableName=env.jobs_table,
            Item={
                "pk": {"S": pk},
                "sk": {"S": "JOB"},
                "open_shard": {"S": "OPEN"},
                "deadline": {"S": "2026"},
            },
        )
    listings = _counting(monkeypatch, Table, "all_items")

    queried = _pages(dynamodb, env.jobs_table, KeyConditionExpression="pk = :pk")
    index = dynamodb.query(
        TableName=env.jobs_table,
        IndexName="open-jobs",
        KeyConditionExpression="open_shard = :open",
        ExpressionAttributeValues={":open": {"S": "OPEN"}},
    )["Items"]

    assert queried == [["JOB"]] and len(index) == 2
    assert len(listings) == 0  # the index query is handed its key's items, not the table


def test_6_an_index_query_keeps_moto_s_items_order_and_pages_without_sorting_the_table(
    aws: AwsFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    session, env = aws
    dynamodb = session.client("dynamodb")
    table = env.jobs_table
    # 3,000 book items (no index key), open jobs with equal and distinct deadlines, a job of
    # another shard value, and one whose deadline (the index's sort key) is missing.
    items = [{"pk": {"S": f"JOB#{n % 7}"}, "sk": {"S": f"BOOK#{n:04d}"}} for n in range(3000)]
    open_jobs = [(f"JOB#{n:02d}", f"2026-12-06T11:{59 - n // 2:02d}") for n in range(40)]
    items += [
        {"pk": {"S": pk}, "sk": {"S": "JOB"}, "open_shard": {"S": "OPEN"}, "deadline": {"S": d}}
        for pk, d in open_jobs
    ]
    items += [
        {
            "pk": {"S": "JOB#x"},
            "sk": {"S": "JOB"},
            "open_shard": {"S": "OTHER"},
            "deadline": {"S": "0"},
        },
        {"pk": {"S": "JOB#y"}, "sk": {"S": "JOB"}, "open_shard": {"S": "OPEN"}},
    ]
    for start in range(0, len(items), 25):
        dynamodb.batch_write_item(
            RequestItems={
                table: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
            }
        )
    comparisons = [_counting(monkeypatch, DynamoType, name) for name in ("__lt__", "__eq__")]

    def pages(**query: Any) -> list[list[str]]:
        request: dict[str, Any] = {
            "TableName": table,
            "IndexName": "open-jobs",
            "KeyConditionExpression": "open_shard = :open",
            "ExpressionAttributeValues": {":open": {"S": "OPEN"}},
            **query,
        }
        found: list[list[str]] = []
        while True:
            page = dynamodb.query(**request)
            found.append([item["pk"]["S"] for item in page["Items"]])
            if "LastEvaluatedKey" not in page:
                return found
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    forward = pages(Limit=15)
    backward = pages(Limit=15, ScanIndexForward=False)
    # DynamoDB's order: by deadline, then (equal deadlines) by the table's key.
    expected = [pk for pk, _ in sorted(open_jobs, key=lambda job: (job[1], job[0]))]
    assert [pk for page in forward for pk in page] == expected
    assert [len(page) for page in forward] == [15, 15, 10]
    assert [pk for page in backward for pk in page] == expected[::-1]
    # About 4,000; sorting the table's 3,042 items for each of the six pages took 60,000.
    assert sum(map(len, comparisons)) < 15_000


# --- 7: alias lookups cached for plain dicts -----------------------------------------------------


def test_7_alias_lookups_of_a_response_are_remembered(aws: AwsFixture) -> None:
    from moto.core.serialize import AttributePicker

    session, env = aws
    dynamodb = session.client("dynamodb")
    dynamodb.put_item(TableName=env.jobs_table, Item=EVERY_KIND_OF_VALUE)
    known = inspect.getattr_static(AttributePicker, "get_possible_keys").known
    key = {"pk": {"S": "JOB#1"}, "sk": {"S": "BOOK#kinds"}}
    dynamodb.get_item(TableName=env.jobs_table, Key=key)
    remembered = len(known)

    dynamodb.get_item(TableName=env.jobs_table, Key=key)

    assert remembered > 0 and len(known) == remembered


# --- 8: top-level projections copied --------------------------------------------------------------


def test_8_a_top_level_projection_does_not_convert_the_item(
    aws: AwsFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.dynamodb.models.dynamo_type import Item

    session, env = aws
    dynamodb = session.client("dynamodb")
    dynamodb.put_item(TableName=env.jobs_table, Item=EVERY_KIND_OF_VALUE)
    conversions = _counting(monkeypatch, Item, "to_regular_json")
    request = {
        "TableName": env.jobs_table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": "JOB#1"}},
    }

    dynamodb.query(**request, ProjectionExpression="sk, words")
    assert conversions == []
    dynamodb.query(**request, ProjectionExpression="nested.list")  # a path: moto's own way
    assert len(conversions) == 1


# --- 9: plain AttributeValues copied --------------------------------------------------------------


def test_9_plain_attribute_values_are_copied_without_the_alias_providers(
    aws: AwsFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.core.serialize import AttributePicker

    session, env = aws
    dynamodb = session.client("dynamodb")
    item = {"pk": {"S": "JOB#1"}, "sk": {"S": "BOOK#plain"}}
    item.update({f"attribute{n}": {"S": f"value {n}"} for n in range(30)})
    dynamodb.put_item(TableName=env.jobs_table, Item=item)
    picks = _counting(monkeypatch, AttributePicker, "__call__")

    got = dynamodb.get_item(
        TableName=env.jobs_table, Key={"pk": {"S": "JOB#1"}, "sk": {"S": "BOOK#plain"}}
    )["Item"]

    assert got == item
    assert len(picks) < 10  # moto's way picks every member of all 32 values: hundreds
    assert emulator_fixes.plain_attribute_value({"S": "x"}, ("S", "N")) == {"S": "x"}


# --- 10: handler registration answers remembered -------------------------------------------------


def test_10_a_second_session_asks_inspect_almost_nothing_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import botocore.hooks

    boto3.Session(region_name="us-east-1").client("dynamodb")
    registrations = _counting(monkeypatch, botocore.hooks, "accepts_kwargs")
    signatures = _counting(monkeypatch, inspect, "getfullargspec")

    boto3.Session(region_name="us-east-1").client("dynamodb")

    # Only handlers made anew for each session (closures, partials) are inspected again.
    assert len(registrations) > 100
    assert len(signatures) < len(registrations) / 10


# --- 11: SQS sends count no messages --------------------------------------------------------------


def test_11_a_send_to_a_standard_queue_counts_no_messages(
    aws: AwsFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.sqs.models import Queue

    sqs = aws[0].client("sqs")
    queue_url = aws[1].task_queue_url
    sqs.send_message(QueueUrl=queue_url, MessageBody="already there")
    seen_while_sending = _counting(
        monkeypatch,
        Queue,
        "add_message",
        lambda: [queue.approximate_number_of_messages for queue in _sqs_queues()],
    )

    sqs.send_message(QueueUrl=queue_url, MessageBody="new")

    assert [max(counts) for counts in seen_while_sending] == [0]
    assert _queue_counts(sqs, queue_url)["ApproximateNumberOfMessages"] == "2"


def _sqs_queues() -> Iterator[Any]:
    from moto.sqs.models import sqs_backends

    return iter(sqs_backends["123456789012"]["us-east-1"].queues.values())  # moto's account


# --- 12: client methods built once per model ------------------------------------------------------


def test_12_clients_of_one_service_share_their_methods() -> None:
    first, second = (boto3.Session(region_name="us-east-1").client("sqs") for _ in range(2))

    assert type(first) is not type(second)
    assert type(first).__dict__["send_message"] is type(second).__dict__["send_message"]


# --- 13: the server's backend remembered per host -------------------------------------------------


def test_13_the_server_finds_a_host_s_backend_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto import backends
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    app = DomainDispatcherApplication(create_backend_app)
    listings = _counting(monkeypatch, backends, "list_of_moto_modules")

    first = app.get_backend_for_host("sqs.us-east-1.amazonaws.com")
    second = app.get_backend_for_host("sqs.us-east-1.amazonaws.com")

    assert first == second == "sqs"
    assert len(listings) <= 1


# --- 14: SQS deletes by receipt handle, receives stop early ----------------------------------------


def _filled_queue(sqs: Any, name: str, messages: int, **attributes: str) -> str:
    queue_url: str = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    for start in range(0, messages, 10):
        sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(n), "MessageBody": f"m{start + n}"} for n in range(10)],
        )
    return queue_url


def test_14_a_delete_does_not_ask_every_message_of_the_queue(
    aws: AwsFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.sqs.models import Message

    sqs = aws[0].client("sqs")
    queue_url = _filled_queue(sqs, "large", 300)
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    asked = _counting(monkeypatch, Message, "had_receipt_handle")

    sqs.delete_message_batch(
        QueueUrl=queue_url,
        Entries=[
            {"Id": str(n), "ReceiptHandle": message["ReceiptHandle"]}
            for n, message in enumerate(received)
        ],
    )

    assert len(asked) <= 2 * len(received)  # moto asked all 300, twice, for each
    assert _queue_counts(sqs, queue_url)["ApproximateNumberOfMessages"] == "290"


def test_14_a_receive_stops_looking_once_it_has_its_messages(
    aws: AwsFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.sqs.models import Message

    sqs = aws[0].client("sqs")
    queue_url = _filled_queue(sqs, "large", 300)
    looked_at = _counting(monkeypatch, Message, "visible")

    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]

    assert [message["Body"] for message in messages] == [f"m{n}" for n in range(10)]
    assert len(looked_at) < 50  # moto looked at all 300 before taking ten


def test_14_receipt_handles_keep_moto_s_meaning(aws: AwsFixture) -> None:
    sqs = aws[0].client("sqs")
    queue_url = _filled_queue(sqs, "handles", 10)
    first = sqs.receive_message(QueueUrl=queue_url, VisibilityTimeout=0)["Messages"][0]
    again = sqs.receive_message(QueueUrl=queue_url)["Messages"][0]
    assert again["MessageId"] == first["MessageId"]

    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=first["ReceiptHandle"])  # an old handle
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=again["ReceiptHandle"])  # deleted already
    with pytest.raises(ClientError, match="ReceiptHandleIsInvalid"):
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle="never-handed-out")
    other_url = _filled_queue(sqs, "other", 10)
    other = sqs.receive_message(QueueUrl=other_url)["Messages"][0]
    with pytest.raises(ClientError, match="ReceiptHandleIsInvalid"):  # not this queue's message
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=other["ReceiptHandle"])
    assert _queue_counts(sqs, queue_url)["ApproximateNumberOfMessages"] == "9"
    assert _queue_counts(sqs, other_url)["ApproximateNumberOfMessagesNotVisible"] == "1"
