"""The local runtime creates every resource infra deploys, as contracts/layout.py defines it:
the emulator holds exactly what local_runtime/resource_requests.py asks for (which
tests/infra/test_local_runtime_agrees.py holds to the synthesised templates)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from contracts import layout
from local_runtime import resource_requests
from local_runtime.resources import ServiceEnvironment, create_resources

AwsFixture = tuple[boto3.Session, ServiceEnvironment]


def _queue_attributes(sqs: Any, url: str) -> dict[str, str]:
    attributes: dict[str, str] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])[
        "Attributes"
    ]
    return attributes


@pytest.mark.parametrize("table", layout.TABLES, ids=lambda table: table.name_suffix)
def test_each_table_is_created_with_its_keys_index_and_ttl(
    aws: AwsFixture, table: layout.Table
) -> None:
    dynamodb = aws[0].client("dynamodb")
    request = resource_requests.create_table_request(table)

    created = dynamodb.describe_table(TableName=request["TableName"])["Table"]
    ttl = dynamodb.describe_time_to_live(TableName=request["TableName"])

    assert created["KeySchema"] == request["KeySchema"]
    assert sorted(created["AttributeDefinitions"], key=str) == sorted(
        request["AttributeDefinitions"], key=str
    )
    assert created["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    indexes = [
        {name: index[name] for name in ("IndexName", "KeySchema", "Projection")}
        for index in created.get("GlobalSecondaryIndexes", [])
    ]
    assert indexes == request.get("GlobalSecondaryIndexes", [])
    assert ttl["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED",
        "AttributeName": layout.TTL_ATTRIBUTE,
    }


def test_every_queue_is_created_with_its_dead_letter_queue_visibility_and_retention(
    aws: AwsFixture,
) -> None:
    session, env = aws
    sqs = session.client("sqs")
    created = {
        layout.TASK_QUEUE: (env.task_queue_url, env.task_dlq_url),
        layout.COMPLETION_QUEUE: (env.completion_queue_url, env.completion_dlq_url),
    }

    for queue, (url, dlq_url) in created.items():
        attributes = _queue_attributes(sqs, url)
        dlq = _queue_attributes(sqs, dlq_url)
        expected = resource_requests.work_queue_attributes(queue, dlq["QueueArn"])
        assert attributes["VisibilityTimeout"] == expected["VisibilityTimeout"], queue
        assert attributes["MessageRetentionPeriod"] == expected["MessageRetentionPeriod"], queue
        redrive = json.loads(attributes["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"] == dlq["QueueArn"]
        assert int(redrive["maxReceiveCount"]) == layout.MAX_RECEIVE_COUNT
        assert dlq["MessageRetentionPeriod"] == str(layout.DLQ_RETENTION_DAYS * 86400)
        assert "RedrivePolicy" not in dlq
    failed_uploads = _queue_attributes(sqs, env.failed_uploads_url)
    assert failed_uploads["MessageRetentionPeriod"] == str(layout.DLQ_RETENTION_DAYS * 86400)


def test_the_task_queue_has_6_times_the_processor_timeout_plus_its_window(
    aws: AwsFixture,
) -> None:
    attributes = _queue_attributes(aws[0].client("sqs"), aws[1].task_queue_url)

    assert attributes["VisibilityTimeout"] == str(6 * 60 + 2)


def test_a_local_run_scales_only_the_task_queue_s_visibility_and_receive_count(
    aws: AwsFixture,
) -> None:
    session = aws[0]
    sqs = session.client("sqs")

    env = create_resources(session, prefix="scaled", task_visibility_timeout=5, max_receive_count=7)

    tasks = _queue_attributes(sqs, env.task_queue_url)
    completions = _queue_attributes(sqs, env.completion_queue_url)
    assert tasks["VisibilityTimeout"] == "5"
    assert int(json.loads(tasks["RedrivePolicy"])["maxReceiveCount"]) == 7
    assert env.as_env()["MAX_RECEIVE_COUNT"] == "7"
    assert completions["VisibilityTimeout"] == str(
        layout.COMPLETION_QUEUE.visibility_timeout_seconds
    )
