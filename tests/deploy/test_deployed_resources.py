"""What `cdk deploy` created is what the local runtime creates, from the same definitions
(contracts/layout.py): the queues, the tables and the event source mappings.

Runs after the deploy rehearsal (tests/deploy/rehearsal.py, `.ci/rehearse-deploy`), which
deploys the CDK app into an emulator and sets DEPLOYED_AWS_ENDPOINT (`./pants test ::` does not
run this file: tests/deploy/BUILD). The
local runtime's resources are created beside the deployed ones, in the same emulator, by
`local_runtime.resources.create_resources`, and both are read back the same way. What moto
leaves out of a CloudFormation deployment (a table's TTL, for one) is compared with the
synthesised templates instead (tests/infra/test_local_runtime_agrees.py).
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
import pytest

from contracts import layout
from local_runtime.deployment import LOCAL_MAPPINGS
from local_runtime.resources import ServiceEnvironment, create_resources

ENDPOINT = os.environ.get("DEPLOYED_AWS_ENDPOINT", "")
ENVIRONMENT = os.environ.get("DEPLOYED_ENVIRONMENT", "dev")  # cdk.json's default
DATA_STACK = f"GoodreadsStats-{ENVIRONMENT}-Data"
PIPELINE_STACK = f"GoodreadsStats-{ENVIRONMENT}-Pipeline"
LOCAL_PREFIX = "local-runtime"


@pytest.fixture(scope="module")
def session() -> boto3.Session:
    if not ENDPOINT:
        pytest.fail(
            "DEPLOYED_AWS_ENDPOINT is not set: run this after a deploy (.ci/rehearse-deploy)"
        )
    return boto3.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - the emulator's
        region_name="us-east-1",
    )


def _client(session: boto3.Session, service: str) -> Any:
    return session.client(service, endpoint_url=ENDPOINT)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def outputs(session: boto3.Session) -> dict[str, str]:
    cloudformation = _client(session, "cloudformation")
    found: dict[str, str] = {}
    for name in (DATA_STACK, PIPELINE_STACK):
        (stack,) = cloudformation.describe_stacks(StackName=name)["Stacks"]
        assert stack["StackStatus"] == "CREATE_COMPLETE", (name, stack["StackStatus"])
        found.update({output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]})
    return found


@pytest.fixture(scope="module")
def local(session: boto3.Session) -> ServiceEnvironment:
    """The local runtime's resources, created in the same emulator."""
    emulator: Any = boto3.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106
        region_name="us-east-1",
    )
    previous = os.environ.get("AWS_ENDPOINT_URL")
    os.environ["AWS_ENDPOINT_URL"] = ENDPOINT
    try:
        return create_resources(emulator, prefix=LOCAL_PREFIX)
    finally:
        if previous is None:
            os.environ.pop("AWS_ENDPOINT_URL", None)
        else:
            os.environ["AWS_ENDPOINT_URL"] = previous


def _table(dynamodb: Any, name: str) -> dict[str, Any]:
    table = dynamodb.describe_table(TableName=name)["Table"]
    return {
        "KeySchema": table["KeySchema"],
        "AttributeDefinitions": sorted(
            table["AttributeDefinitions"], key=lambda definition: definition["AttributeName"]
        ),
        "BillingMode": table.get("BillingModeSummary", {}).get("BillingMode"),
        "GlobalSecondaryIndexes": [
            {key: index[key] for key in ("IndexName", "KeySchema", "Projection")}
            for index in table.get("GlobalSecondaryIndexes", [])
        ],
    }


@pytest.mark.parametrize(
    ("table", "output"),
    [(layout.JOBS_TABLE, "JobsTableName"), (layout.CACHE_TABLE, "CacheTableName")],
    ids=["jobs", "cache"],
)
def test_each_deployed_table_is_the_table_the_local_runtime_creates(
    session: boto3.Session,
    outputs: dict[str, str],
    local: ServiceEnvironment,
    table: layout.Table,
    output: str,
) -> None:
    dynamodb = _client(session, "dynamodb")
    local_name = local.jobs_table if table is layout.JOBS_TABLE else local.cache_table

    assert _table(dynamodb, outputs[output]) == _table(dynamodb, local_name)


def _queue(sqs: Any, url: str) -> dict[str, Any]:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attributes.get("RedrivePolicy", "null"))
    return {
        "arn": attributes["QueueArn"],
        "visibility": int(attributes["VisibilityTimeout"]),
        "retention": int(attributes["MessageRetentionPeriod"]),
        "dead_letter_arn": redrive and redrive["deadLetterTargetArn"],
        "max_receive_count": redrive and int(redrive["maxReceiveCount"]),
    }


def _url_of(sqs: Any, arn: str) -> str:
    *_, account, name = arn.split(":")
    url: str = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
    return url


def _settings(queue: dict[str, Any]) -> dict[str, Any]:
    return {name: queue[name] for name in ("visibility", "retention", "max_receive_count")}


@pytest.mark.parametrize(
    ("queue", "outputs_of_queue_and_dlq"),
    [
        (layout.TASK_QUEUE, ("TaskQueueArn", "TaskDeadLetterQueueArn")),
        (layout.COMPLETION_QUEUE, ("CompletionQueueArn", "CompletionDeadLetterQueueArn")),
    ],
    ids=["tasks", "completions"],
)
def test_each_deployed_queue_and_its_dlq_are_what_the_local_runtime_creates(
    session: boto3.Session,
    outputs: dict[str, str],
    local: ServiceEnvironment,
    queue: layout.Queue,
    outputs_of_queue_and_dlq: tuple[str, str],
) -> None:
    sqs = _client(session, "sqs")
    source_output, dlq_output = outputs_of_queue_and_dlq
    deployed = _queue(sqs, _url_of(sqs, outputs[source_output]))
    deployed_dlq = _queue(sqs, _url_of(sqs, outputs[dlq_output]))
    urls = {
        layout.TASK_QUEUE: (local.task_queue_url, local.task_dlq_url),
        layout.COMPLETION_QUEUE: (local.completion_queue_url, local.completion_dlq_url),
    }[queue]
    created, created_dlq = (_queue(sqs, url) for url in urls)

    assert _settings(deployed) == _settings(created)
    assert deployed["visibility"] == queue.visibility_timeout_seconds
    assert deployed["dead_letter_arn"] == outputs[dlq_output]
    assert created["dead_letter_arn"] == created_dlq["arn"]
    assert _settings(deployed_dlq) == _settings(created_dlq)


def test_the_failed_uploads_queue_is_what_the_local_runtime_creates(
    session: boto3.Session, outputs: dict[str, str], local: ServiceEnvironment
) -> None:
    sqs = _client(session, "sqs")

    assert _settings(_queue(sqs, outputs["FailedUploadsQueueUrl"])) == _settings(
        _queue(sqs, local.failed_uploads_url)
    )


# The construct whose logical id names each service's function.
FUNCTION_IDS = {
    layout.ORCHESTRATOR.name: "OrchestratorFunction",
    layout.BOOK_PROCESSOR.name: "BookProcessorFunction",
    layout.AGGREGATOR.name: "AggregatorFunction",
    layout.API.name: "ApiFunction",
}


def _function_names(session: boto3.Session) -> dict[str, str]:
    """The deployed function of each service, by its construct's logical id."""
    resources = _client(session, "cloudformation").describe_stack_resources(
        StackName=PIPELINE_STACK
    )["StackResources"]
    names: dict[str, str] = {}
    for resource in resources:
        if resource.get("ResourceType") != "AWS::Lambda::Function":
            continue
        for service, prefix in FUNCTION_IDS.items():
            if resource["LogicalResourceId"].startswith(prefix):
                names[service] = resource["PhysicalResourceId"]
    assert set(names) == set(FUNCTION_IDS), names
    return names


def test_each_deployed_event_source_mapping_is_how_the_local_pollers_consume(
    session: boto3.Session, outputs: dict[str, str]
) -> None:
    queue_arns = {
        layout.TASK_QUEUE: outputs["TaskQueueArn"],
        layout.COMPLETION_QUEUE: outputs["CompletionQueueArn"],
    }
    deployed = _client(session, "lambda").list_event_source_mappings()["EventSourceMappings"]

    assert len(deployed) == len(LOCAL_MAPPINGS)
    for service, mapping in LOCAL_MAPPINGS.items():
        (found,) = (m for m in deployed if m["EventSourceArn"] == queue_arns[mapping.queue])
        # CloudFormation names a function {stack}-{logical id}-{suffix}. (moto may give the
        # mapping's function another suffix than the stack resource's physical id.)
        function_name = found["FunctionArn"].split(":")[6]
        assert function_name.startswith(f"{PIPELINE_STACK}-{FUNCTION_IDS[service]}"), found
        assert found["BatchSize"] == mapping.batch_size
        assert found.get("MaximumBatchingWindowInSeconds", 0) == mapping.batching_window_seconds
        assert ("ReportBatchItemFailures" in found.get("FunctionResponseTypes", [])) is (
            mapping.report_batch_item_failures
        )


def test_each_deployed_function_has_the_layout_s_timeout(session: boto3.Session) -> None:
    functions = _function_names(session)
    client = _client(session, "lambda")

    for function in layout.FUNCTIONS:
        configuration = client.get_function_configuration(FunctionName=functions[function.name])
        assert configuration["Timeout"] == function.timeout_seconds, function.name
