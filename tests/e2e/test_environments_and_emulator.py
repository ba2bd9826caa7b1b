"""Execution environments are isolated like Lambda's, and the emulator survives concurrency."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local_runtime.emulator_fixes import apply_emulator_fixes
from local_runtime.functions import Handler, LocalFunction, new_environment_loader
from tests.e2e import stateful_handler

STATEFUL = stateful_handler.__name__


def test_each_environment_has_its_own_module_state() -> None:
    load = new_environment_loader(STATEFUL)
    first, second = load(), load()

    first({"name": "a"}, None)
    response = second({"name": "b"}, None)

    assert response["seen"] == ["b"]
    assert first({"name": "c"}, None)["seen"] == ["a", "c"]


def test_concurrent_invocations_get_separate_environments_and_idle_ones_are_reused() -> None:
    load = new_environment_loader(STATEFUL)
    together = threading.Barrier(2, timeout=10)

    def environment() -> Handler:
        handler = load()

        def lambda_handler(event: dict[str, Any], context: Any) -> Any:
            if event["name"] == "together":
                together.wait()  # returns only when both invocations are in flight
            return handler(event, context)

        return lambda_handler

    function = LocalFunction("f", environment(), 30, new_environment=environment)
    function.invoke({"name": "cold"})
    with ThreadPoolExecutor(2) as pool:
        concurrent = list(pool.map(function.invoke, [{"name": "together"}] * 2))
    later = function.invoke({"name": "later"})

    environments = {invocation.response["environment"] for invocation in concurrent}
    assert all(invocation.succeeded for invocation in concurrent)
    assert len(environments) == 2
    assert function.stats.cold_starts == 2
    assert later.response["environment"] in environments  # a warm start


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


def test_concurrent_transactions_with_duplicates_lose_and_double_nothing(aws: Any) -> None:
    apply_emulator_fixes()
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


def test_a_cancelled_transaction_leaves_every_item_as_it_was(aws: Any) -> None:
    apply_emulator_fixes()
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


def test_a_paginated_query_of_a_large_partition_keeps_dynamodb_order_and_page_bounds(
    aws: Any,
) -> None:
    apply_emulator_fixes()
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


def test_items_of_every_attribute_type_come_back_as_stored(aws: Any) -> None:
    apply_emulator_fixes()
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


def test_projections_return_exactly_the_named_attributes_and_paths(aws: Any) -> None:
    apply_emulator_fixes()
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


def test_queue_counts_stay_exact_while_messages_are_sent_and_received(aws: Any) -> None:
    apply_emulator_fixes()
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


def test_a_fifo_queue_still_drops_a_duplicate_by_content(aws: Any) -> None:
    apply_emulator_fixes()
    sqs = aws[0].client("sqs")
    queue_url = sqs.create_queue(
        QueueName="ordered.fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
    )["QueueUrl"]
    for _ in range(2):
        sqs.send_message(QueueUrl=queue_url, MessageBody="same", MessageGroupId="g")

    assert _queue_counts(sqs, queue_url)["ApproximateNumberOfMessages"] == "1"


def test_clients_made_after_the_fixes_keep_botocores_checks_and_methods() -> None:
    apply_emulator_fixes()
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
