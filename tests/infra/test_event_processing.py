"""The queues, mappings and schedule that move work through the pipeline."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match

from contracts.layout import MAX_RECEIVE_COUNT
from tests.infra.conftest import Synthesized
from tests.infra.template_queries import referenced_id, resources_of_type


def _mapping_of(synthesized: Synthesized, function_id: str) -> dict[str, Any]:
    mappings: list[dict[str, Any]] = [
        mapping["Properties"]
        for mapping in resources_of_type(
            synthesized.pipeline_cfn, "AWS::Lambda::EventSourceMapping"
        ).values()
        if referenced_id(mapping["Properties"]["FunctionName"]) == function_id
    ]
    assert len(mappings) == 1, mappings
    return mappings[0]


def _queue(synthesized: Synthesized, queue_ref: Any) -> dict[str, Any]:
    properties: dict[str, Any] = synthesized.pipeline_cfn["Resources"][referenced_id(queue_ref)][
        "Properties"
    ]
    return properties


def test_processor_mapping_reports_batch_item_failures_in_batches_of_a_hundred(
    synthesized: Synthesized,
) -> None:
    processor = synthesized.pipeline_stack.book_processor.function
    mapping = _mapping_of(synthesized, synthesized.logical_id(processor))

    # Without ReportBatchItemFailures Lambda deletes a batch's failed messages too.
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # One invocation asks Open Library for its books in bulk; above ten messages Lambda needs
    # a batching window of at least a second.
    assert mapping["BatchSize"] == 100
    assert mapping["MaximumBatchingWindowInSeconds"] == 2
    assert mapping.get("Enabled", True) is True
    assert referenced_id(mapping["EventSourceArn"]) == synthesized.logical_id(
        synthesized.pipeline_stack.queues.tasks
    )


def test_processor_concurrency_is_capped_by_the_mapping_not_by_reserved_concurrency(
    synthesized: Synthesized,
) -> None:
    processor = synthesized.pipeline_stack.book_processor.function
    mapping = _mapping_of(synthesized, synthesized.logical_id(processor))

    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 5}
    function = synthesized.properties(processor)
    assert "ReservedConcurrentExecutions" not in function


def test_aggregator_consumes_the_completion_queue_reporting_batch_item_failures(
    synthesized: Synthesized,
) -> None:
    aggregator = synthesized.pipeline_stack.aggregator.function
    mapping = _mapping_of(synthesized, synthesized.logical_id(aggregator))

    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BatchSize"] == 10
    assert referenced_id(mapping["EventSourceArn"]) == synthesized.logical_id(
        synthesized.pipeline_stack.queues.completions
    )


def test_every_consumed_queue_hides_messages_for_six_times_the_timeout_plus_the_window(
    synthesized: Synthesized,
) -> None:
    mappings = resources_of_type(synthesized.pipeline_cfn, "AWS::Lambda::EventSourceMapping")
    assert len(mappings) == 2
    for mapping in mappings.values():
        properties = mapping["Properties"]
        queue = _queue(synthesized, properties["EventSourceArn"])
        function = synthesized.pipeline_cfn["Resources"][referenced_id(properties["FunctionName"])]
        timeout = function["Properties"]["Timeout"]
        window = properties.get("MaximumBatchingWindowInSeconds", 0)

        # AWS's rule for queues that Lambda consumes.
        assert queue["VisibilityTimeout"] >= 6 * timeout + window


def test_the_processor_times_out_after_sixty_seconds(synthesized: Synthesized) -> None:
    processor = synthesized.pipeline_stack.book_processor.function
    function = synthesized.properties(processor)

    assert function["Timeout"] == 60


def test_work_queues_redrive_to_a_dead_letter_queue_that_keeps_messages_longer(
    synthesized: Synthesized,
) -> None:
    queues = synthesized.pipeline_stack.queues
    for source, dead_letters in (
        (queues.tasks, queues.tasks_dlq),
        (queues.completions, queues.completions_dlq),
    ):
        source_properties = synthesized.properties(source)
        redrive = source_properties["RedrivePolicy"]
        dlq_properties = _queue(synthesized, redrive["deadLetterTargetArn"])

        assert referenced_id(redrive["deadLetterTargetArn"]) == synthesized.logical_id(dead_letters)
        # Every receive counts, throttled ones included: fewer than 5 loses healthy messages.
        assert redrive["maxReceiveCount"] >= 5
        assert (
            dlq_properties["MessageRetentionPeriod"] > source_properties["MessageRetentionPeriod"]
        )


def test_the_processor_is_told_the_queues_max_receive_count(synthesized: Synthesized) -> None:
    processor = synthesized.pipeline_stack.book_processor.function
    queues = synthesized.pipeline_stack.queues
    function = synthesized.properties(processor)
    redrive = synthesized.properties(queues.tasks)["RedrivePolicy"]

    assert function["Environment"]["Variables"]["MAX_RECEIVE_COUNT"] == str(
        redrive["maxReceiveCount"]
    )
    assert redrive["maxReceiveCount"] == MAX_RECEIVE_COUNT


def test_every_queue_refuses_requests_without_tls(synthesized: Synthesized) -> None:
    queue_ids = set(resources_of_type(synthesized.pipeline_cfn, "AWS::SQS::Queue"))
    protected: set[str] = set()
    for policy in resources_of_type(synthesized.pipeline_cfn, "AWS::SQS::QueuePolicy").values():
        properties = policy["Properties"]
        denies_plain_http = any(
            statement["Effect"] == "Deny"
            and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for statement in properties["PolicyDocument"]["Statement"]
        )
        if denies_plain_http:
            protected |= {referenced_id(queue) for queue in properties["Queues"]}

    assert queue_ids and protected == queue_ids


def test_every_queue_is_encrypted_at_rest(synthesized: Synthesized) -> None:
    synthesized.pipeline.all_resources_properties(
        "AWS::SQS::Queue", Match.object_like({"SqsManagedSseEnabled": True})
    )


def test_a_one_minute_schedule_invokes_the_aggregator_without_retries(
    synthesized: Synthesized,
) -> None:
    rules = resources_of_type(synthesized.pipeline_cfn, "AWS::Events::Rule")
    assert len(rules) == 1
    rule = next(iter(rules.values()))["Properties"]
    aggregator_id = synthesized.logical_id(synthesized.pipeline_stack.aggregator.function)

    assert rule["ScheduleExpression"] == "rate(1 minute)"
    assert rule["State"] == "ENABLED"
    assert [referenced_id(target["Arn"]) for target in rule["Targets"]] == [aggregator_id]
    # The next tick repeats the sweep; retries would only pile up overlapping runs.
    assert rule["Targets"][0]["RetryPolicy"] == {"MaximumRetryAttempts": 0}
    synthesized.pipeline.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {"FunctionName": {"Ref": aggregator_id}, "MaximumRetryAttempts": 0},
    )


def test_uploads_that_the_orchestrator_keeps_failing_on_are_kept_in_a_queue(
    synthesized: Synthesized,
) -> None:
    orchestrator = synthesized.pipeline_stack.orchestrator.function
    function = synthesized.properties(orchestrator)

    assert referenced_id(function["DeadLetterConfig"]["TargetArn"]) == synthesized.logical_id(
        synthesized.pipeline_stack.queues.failed_uploads
    )
