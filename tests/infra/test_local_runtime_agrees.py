"""What `cdk deploy` creates is what the local runtime creates: both come from
contracts/layout.py, and this holds the synthesised templates to the local runtime's requests
(local_runtime/resource_requests.py, which tests/e2e holds the emulator to)."""

from __future__ import annotations

from typing import Any

import pytest

from contracts import layout
from local_runtime import resource_requests
from tests.infra.conftest import Synthesized
from tests.infra.template_queries import referenced_id, resources_of_type


def _tables(synthesized: Synthesized) -> dict[layout.Table, Any]:
    tables = synthesized.data_stack.tables
    return {layout.JOBS_TABLE: tables.jobs, layout.CACHE_TABLE: tables.cache}


def _queues(synthesized: Synthesized) -> dict[layout.Queue, tuple[Any, Any]]:
    queues = synthesized.pipeline_stack.queues
    return {
        layout.TASK_QUEUE: (queues.tasks, queues.tasks_dlq),
        layout.COMPLETION_QUEUE: (queues.completions, queues.completions_dlq),
    }


def _functions(synthesized: Synthesized) -> dict[layout.Function, Any]:
    stack = synthesized.pipeline_stack
    return {
        layout.ORCHESTRATOR: stack.orchestrator.function,
        layout.BOOK_PROCESSOR: stack.book_processor.function,
        layout.AGGREGATOR: stack.aggregator.function,
        layout.API: stack.api.function,
    }


def _sorted(definitions: list[dict[str, str]]) -> list[dict[str, str]]:
    return sorted(definitions, key=lambda definition: definition["AttributeName"])


@pytest.mark.parametrize("table", layout.TABLES, ids=lambda table: table.name_suffix)
def test_each_table_is_deployed_as_the_local_runtime_creates_it(
    synthesized: Synthesized, table: layout.Table
) -> None:
    deployed = synthesized.properties(_tables(synthesized)[table])
    local = resource_requests.create_table_request(table)
    ttl = resource_requests.time_to_live_request(table)

    assert deployed["KeySchema"] == local["KeySchema"]
    assert _sorted(deployed["AttributeDefinitions"]) == _sorted(local["AttributeDefinitions"])
    assert deployed["BillingMode"] == local["BillingMode"]
    assert deployed.get("GlobalSecondaryIndexes", []) == local.get("GlobalSecondaryIndexes", [])
    assert deployed["TimeToLiveSpecification"] == ttl["TimeToLiveSpecification"]


@pytest.mark.parametrize("queue", layout.WORK_QUEUES, ids=lambda queue: queue.name_suffix)
def test_each_work_queue_and_its_dead_letter_queue_are_deployed_as_created_locally(
    synthesized: Synthesized, queue: layout.Queue
) -> None:
    source, dead_letter = _queues(synthesized)[queue]
    deployed = synthesized.properties(source)
    deployed_dlq = synthesized.properties(dead_letter)
    local = resource_requests.work_queue_attributes(queue, "arn:of:its:dlq")
    local_dlq = resource_requests.dead_letter_queue_attributes(queue.dead_letter)

    assert str(deployed["VisibilityTimeout"]) == local["VisibilityTimeout"]
    assert str(deployed["MessageRetentionPeriod"]) == local["MessageRetentionPeriod"]
    redrive = deployed["RedrivePolicy"]
    assert redrive["maxReceiveCount"] == queue.max_receive_count
    assert referenced_id(redrive["deadLetterTargetArn"]) == synthesized.logical_id(dead_letter)
    assert str(deployed_dlq["MessageRetentionPeriod"]) == local_dlq["MessageRetentionPeriod"]
    assert "RedrivePolicy" not in deployed_dlq


def test_the_failed_uploads_queue_is_deployed_as_created_locally(
    synthesized: Synthesized,
) -> None:
    deployed = synthesized.properties(synthesized.pipeline_stack.queues.failed_uploads)
    local = resource_requests.dead_letter_queue_attributes(layout.FAILED_UPLOADS_QUEUE)

    assert str(deployed["MessageRetentionPeriod"]) == local["MessageRetentionPeriod"]


@pytest.mark.parametrize(
    "mapping", layout.EVENT_SOURCE_MAPPINGS, ids=lambda mapping: mapping.function.name
)
def test_each_event_source_mapping_is_deployed_as_the_local_pollers_run_it(
    synthesized: Synthesized, mapping: layout.EventSourceMapping
) -> None:
    function_id = synthesized.logical_id(_functions(synthesized)[mapping.function])
    source, _ = _queues(synthesized)[mapping.queue]
    (deployed,) = (
        resource["Properties"]
        for resource in resources_of_type(
            synthesized.pipeline_cfn, "AWS::Lambda::EventSourceMapping"
        ).values()
        if referenced_id(resource["Properties"]["FunctionName"]) == function_id
    )

    assert referenced_id(deployed["EventSourceArn"]) == synthesized.logical_id(source)
    assert deployed["BatchSize"] == mapping.batch_size
    assert deployed.get("MaximumBatchingWindowInSeconds", 0) == mapping.batching_window_seconds
    assert ("ReportBatchItemFailures" in deployed.get("FunctionResponseTypes", [])) is (
        mapping.report_batch_item_failures
    )


@pytest.mark.parametrize("function", layout.FUNCTIONS, ids=lambda function: function.name)
def test_each_function_has_the_layout_s_timeout(
    synthesized: Synthesized, function: layout.Function
) -> None:
    deployed = synthesized.properties(_functions(synthesized)[function])

    assert deployed["Timeout"] == function.timeout_seconds
