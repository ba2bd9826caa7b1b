"""The four Lambda functions: runtime, packages and the environment the services read."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.conftest import SERVICE_ZIPS, Synthesized
from tests.infra.template_queries import resources_of_type

SERVICES = ("orchestrator", "book_processor", "aggregator", "api")


def _function(synthesized: Synthesized, service: str) -> dict[str, Any]:
    return synthesized.properties(getattr(synthesized.pipeline_stack, service).function)


def _service_functions(synthesized: Synthesized) -> list[Any]:
    stack = synthesized.pipeline_stack
    return [stack.orchestrator, stack.book_processor, stack.aggregator, stack.api]


def test_the_only_other_function_is_cdks_bucket_notification_handler(
    synthesized: Synthesized,
) -> None:
    functions = set(resources_of_type(synthesized.pipeline_cfn, "AWS::Lambda::Function"))
    ours = {synthesized.logical_id(f.function) for f in _service_functions(synthesized)}
    others = functions - ours

    assert len(ours) == 4 and ours <= functions
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


@pytest.mark.parametrize(
    ("service", "memory_mb", "timeout_seconds"),
    [
        ("orchestrator", 1024, 120),
        ("book_processor", 512, 60),
        ("aggregator", 1024, 60),
        # A dashboard up to 10x DASHBOARD_INLINE_MAX_BYTES is gzipped in memory; a large delete
        # runs on after API Gateway's 30 s (services/api/README.md).
        ("api", 512, 60),
    ],
)
def test_functions_have_the_memory_and_timeout_chosen_for_their_work(
    synthesized: Synthesized, service: str, memory_mb: int, timeout_seconds: int
) -> None:
    function = _function(synthesized, service)

    assert function["MemorySize"] == memory_mb
    assert function["Timeout"] == timeout_seconds


@pytest.mark.parametrize("service", SERVICES)
def test_each_function_deploys_its_own_service_zip(
    synthesized: Synthesized, placeholder_dist: Any, service: str
) -> None:
    object_key = _function(synthesized, service)["Code"]["S3Key"]
    assets_file = f"{synthesized.pipeline_stack.stack_name}.assets.json"
    manifest = json.loads((synthesized.outdir / assets_file).read_text())
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
    stack = synthesized.pipeline_stack
    data = synthesized.data_stack
    variables = _function(synthesized, "orchestrator")["Environment"]["Variables"]

    assert variables == {
        "POWERTOOLS_SERVICE_NAME": "orchestrator",
        "POWERTOOLS_METRICS_NAMESPACE": "GoodreadsStats",
        "DATA_BUCKET": synthesized.imported(data.data.bucket),
        "JOBS_TABLE": synthesized.imported(data.tables.jobs),
        "TASK_QUEUE_URL": {"Ref": synthesized.logical_id(stack.queues.tasks)},
        "COMPLETION_QUEUE_URL": {"Ref": synthesized.logical_id(stack.queues.completions)},
        "JOB_DEADLINE_SECONDS": "900",
        "JOB_RETENTION_DAYS": "30",
    }


def test_the_processor_is_told_its_tables_completion_queue_and_receive_limit(
    synthesized: Synthesized,
) -> None:
    stack = synthesized.pipeline_stack
    data = synthesized.data_stack
    variables = _function(synthesized, "book_processor")["Environment"]["Variables"]

    # Unset tuning variables (CONTACT, ENRICHMENT_SOURCES, ...) leave the service defaults;
    # without a contact Open Library allows 1 request/s, for the deployment as a whole.
    assert variables == {
        "POWERTOOLS_SERVICE_NAME": "book_processor",
        "POWERTOOLS_METRICS_NAMESPACE": "GoodreadsStats",
        "DATA_BUCKET": synthesized.imported(data.data.bucket),
        "JOBS_TABLE": synthesized.imported(data.tables.jobs),
        "CACHE_TABLE": synthesized.imported(data.tables.cache),
        "COMPLETION_QUEUE_URL": {"Ref": synthesized.logical_id(stack.queues.completions)},
        "MAX_RECEIVE_COUNT": "5",
        "JOB_RETENTION_DAYS": "30",  # its result items expire with the job
        "UPSTREAM_MAX_RPS": "1",
    }


def test_the_aggregator_is_told_its_bucket_table_lease_and_default_deadline(
    synthesized: Synthesized,
) -> None:
    data = synthesized.data_stack
    variables = _function(synthesized, "aggregator")["Environment"]["Variables"]

    assert variables == {
        "POWERTOOLS_SERVICE_NAME": "aggregator",
        "POWERTOOLS_METRICS_NAMESPACE": "GoodreadsStats",
        "DATA_BUCKET": synthesized.imported(data.data.bucket),
        "JOBS_TABLE": synthesized.imported(data.tables.jobs),
        "AGGREGATION_LEASE_SECONDS": "300",
        "JOB_DEADLINE_SECONDS": "900",
    }


def test_the_api_is_told_its_bucket_table_origins_and_job_retention(
    synthesized: Synthesized,
) -> None:
    data = synthesized.data_stack
    variables = _function(synthesized, "api")["Environment"]["Variables"]

    # No allowedOrigins: an empty ALLOWED_ORIGINS, so the function sends no CORS headers.
    assert variables == {
        "POWERTOOLS_SERVICE_NAME": "api",
        "POWERTOOLS_METRICS_NAMESPACE": "GoodreadsStats",
        "DATA_BUCKET": synthesized.imported(data.data.bucket),
        "JOBS_TABLE": synthesized.imported(data.tables.jobs),
        "ALLOWED_ORIGINS": "",
        "JOB_RETENTION_DAYS": "30",
    }


def test_the_api_is_told_the_configured_origins_comma_separated(production: Synthesized) -> None:
    api = production.properties(production.pipeline_stack.api.function)

    assert api["Environment"]["Variables"]["ALLOWED_ORIGINS"] == (
        "https://books.example.org,https://staging.books.example.org:8443"
    )


def test_the_api_and_the_orchestrator_keep_jobs_as_long_as_the_bucket_keeps_uploads(
    synthesized: Synthesized,
) -> None:
    """The ACCESS item's TTL is sized from the job item's: both must use the same retention."""
    stack = synthesized.pipeline_stack
    rules = synthesized.properties(synthesized.data_stack.data.bucket)["LifecycleConfiguration"][
        "Rules"
    ]
    (upload_days,) = (
        rule["ExpirationInDays"] for rule in rules if rule.get("Prefix") == "uploads/"
    )

    retention = {
        service: synthesized.properties(function)["Environment"]["Variables"]["JOB_RETENTION_DAYS"]
        for service, function in (
            ("orchestrator", stack.orchestrator.function),
            ("api", stack.api.function),
        )
    }

    assert retention == {"orchestrator": str(upload_days), "api": str(upload_days)}


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
    log_group = synthesized.pipeline_cfn["Resources"][log_group_id]

    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == 30
