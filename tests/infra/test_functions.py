"""The three Lambda functions: runtime, packages and the environment the services read."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.conftest import SERVICE_ZIPS, Synthesized
from tests.infra.template_queries import resources_of_type

SERVICES = ("orchestrator", "book_processor", "aggregator")


def _function(synthesized: Synthesized, service: str) -> dict[str, Any]:
    construct = {
        "orchestrator": synthesized.stack.orchestrator,
        "book_processor": synthesized.stack.book_processor,
        "aggregator": synthesized.stack.aggregator,
    }[service].function
    properties: dict[str, Any] = synthesized.cfn["Resources"][synthesized.logical_id(construct)][
        "Properties"
    ]
    return properties


def _service_functions(synthesized: Synthesized) -> list[Any]:
    stack = synthesized.stack
    return [stack.orchestrator, stack.book_processor, stack.aggregator]


def test_the_only_other_function_is_cdks_bucket_notification_handler(
    synthesized: Synthesized,
) -> None:
    functions = set(resources_of_type(synthesized.cfn, "AWS::Lambda::Function"))
    ours = {synthesized.logical_id(f.function) for f in _service_functions(synthesized)}
    others = functions - ours

    assert len(ours) == 3 and ours <= functions
    assert len(others) == 1
    assert next(iter(others)).startswith("BucketNotificationsHandler")


@pytest.mark.parametrize("service", SERVICES)
def test_functions_run_the_pants_zip_entry_point_on_python_3_13(
    synthesized: Synthesized, service: str
) -> None:
    function = _function(synthesized, service)

    assert function["Runtime"] == "python3.13"
    assert function["Handler"] == "lambda_function.handler"
    assert function["Architectures"] == ["x86_64"]


@pytest.mark.parametrize("service", SERVICES)
def test_each_function_deploys_its_own_service_zip(
    synthesized: Synthesized, placeholder_dist: Any, service: str
) -> None:
    object_key = _function(synthesized, service)["Code"]["S3Key"]
    manifest = json.loads((synthesized.outdir / "GoodreadsStats.assets.json").read_text())
    (asset,) = (
        asset
        for asset in manifest["files"].values()
        if any(d["objectKey"] == object_key for d in asset["destinations"].values())
    )
    staged = synthesized.outdir / asset["source"]["path"]

    assert asset["source"]["packaging"] == "file"  # uploaded as built, not re-zipped
    assert staged.read_bytes() == (placeholder_dist / SERVICE_ZIPS[service]).read_bytes()


def test_the_orchestrator_is_told_where_uploads_jobs_and_tasks_go(
    synthesized: Synthesized,
) -> None:
    stack = synthesized.stack
    variables = _function(synthesized, "orchestrator")["Environment"]["Variables"]

    assert variables == {
        "POWERTOOLS_SERVICE_NAME": "orchestrator",
        "POWERTOOLS_METRICS_NAMESPACE": "GoodreadsStats",
        "DATA_BUCKET": {"Ref": synthesized.logical_id(stack.data.bucket)},
        "JOBS_TABLE": {"Ref": synthesized.logical_id(stack.tables.jobs)},
        "TASK_QUEUE_URL": {"Ref": synthesized.logical_id(stack.queues.tasks)},
        "COMPLETION_QUEUE_URL": {"Ref": synthesized.logical_id(stack.queues.completions)},
        "JOB_DEADLINE_SECONDS": "900",
    }


def test_the_processor_is_told_its_tables_completion_queue_and_receive_limit(
    synthesized: Synthesized,
) -> None:
    stack = synthesized.stack
    variables = _function(synthesized, "book_processor")["Environment"]["Variables"]

    # Unset tuning variables (CONTACT, UPSTREAM_MAX_RPS, ...) leave the service defaults.
    assert variables == {
        "POWERTOOLS_SERVICE_NAME": "book_processor",
        "POWERTOOLS_METRICS_NAMESPACE": "GoodreadsStats",
        "DATA_BUCKET": {"Ref": synthesized.logical_id(stack.data.bucket)},
        "JOBS_TABLE": {"Ref": synthesized.logical_id(stack.tables.jobs)},
        "CACHE_TABLE": {"Ref": synthesized.logical_id(stack.tables.cache)},
        "COMPLETION_QUEUE_URL": {"Ref": synthesized.logical_id(stack.queues.completions)},
        "MAX_RECEIVE_COUNT": "5",
    }


def test_the_aggregator_is_told_its_bucket_table_lease_and_default_deadline(
    synthesized: Synthesized,
) -> None:
    stack = synthesized.stack
    variables = _function(synthesized, "aggregator")["Environment"]["Variables"]

    assert variables == {
        "POWERTOOLS_SERVICE_NAME": "aggregator",
        "POWERTOOLS_METRICS_NAMESPACE": "GoodreadsStats",
        "DATA_BUCKET": {"Ref": synthesized.logical_id(stack.data.bucket)},
        "JOBS_TABLE": {"Ref": synthesized.logical_id(stack.tables.jobs)},
        "AGGREGATION_LEASE_SECONDS": "300",
        "JOB_DEADLINE_SECONDS": "900",
    }


def test_the_aggregation_lease_outlasts_an_aggregator_run(synthesized: Synthesized) -> None:
    aggregator = _function(synthesized, "aggregator")

    assert int(aggregator["Environment"]["Variables"]["AGGREGATION_LEASE_SECONDS"]) > (
        aggregator["Timeout"]
    )


@pytest.mark.parametrize("service", SERVICES)
def test_functions_log_to_their_own_log_group_with_a_retention(
    synthesized: Synthesized, service: str
) -> None:
    log_group_id = _function(synthesized, service)["LoggingConfig"]["LogGroup"]["Ref"]
    log_group = synthesized.cfn["Resources"][log_group_id]

    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == 30
