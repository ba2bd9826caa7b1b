"""Alarms on dead letters, on backlogs, on function errors; the topic that carries them."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match

from tests.infra.conftest import Synthesized
from tests.infra.template_queries import referenced_id, resources_of_type


def _alarms(synthesized: Synthesized, metric_name: str) -> list[dict[str, Any]]:
    return [
        alarm["Properties"]
        for alarm in resources_of_type(synthesized.pipeline_cfn, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"]["MetricName"] == metric_name
    ]


def _dimension(alarm: dict[str, Any], name: str) -> str:
    (value,) = (d["Value"] for d in alarm["Dimensions"] if d["Name"] == name)
    return referenced_id(value)


def test_each_dead_letter_queue_raises_an_alarm_on_its_first_message(
    synthesized: Synthesized,
) -> None:
    queues = synthesized.pipeline_stack.queues
    alarms = _alarms(synthesized, "ApproximateNumberOfMessagesVisible")

    assert {_dimension(alarm, "QueueName") for alarm in alarms} == {
        synthesized.logical_id(queue)
        for queue in (queues.tasks_dlq, queues.completions_dlq, queues.failed_uploads)
    }
    for alarm in alarms:
        assert alarm["Namespace"] == "AWS/SQS"
        assert alarm["Statistic"] == "Maximum"
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert alarm["Threshold"] == 0


def test_a_task_older_than_the_job_deadline_raises_an_alarm(synthesized: Synthesized) -> None:
    tasks_id = synthesized.logical_id(synthesized.pipeline_stack.queues.tasks)
    (alarm,) = (
        alarm
        for alarm in _alarms(synthesized, "ApproximateAgeOfOldestMessage")
        if _dimension(alarm, "QueueName") == tasks_id
    )

    # Its job has been closed as PARTIAL by then: the processors are not keeping up.
    assert alarm["Threshold"] == 900
    assert alarm["Statistic"] == "Maximum"
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_the_task_age_alarm_follows_the_configured_deadline(production: Synthesized) -> None:
    tasks_id = production.logical_id(production.pipeline_stack.queues.tasks)
    (alarm,) = (
        alarm
        for alarm in _alarms(production, "ApproximateAgeOfOldestMessage")
        if _dimension(alarm, "QueueName") == tasks_id
    )

    assert alarm["Threshold"] == 1800


def test_a_completion_signal_that_outlives_one_visibility_timeout_raises_an_alarm(
    synthesized: Synthesized,
) -> None:
    completions = synthesized.pipeline_stack.queues.completions
    (alarm,) = (
        alarm
        for alarm in _alarms(synthesized, "ApproximateAgeOfOldestMessage")
        if _dimension(alarm, "QueueName") == synthesized.logical_id(completions)
    )

    # Older than this, the aggregator has failed on it at least once.
    assert alarm["Threshold"] == synthesized.properties(completions)["VisibilityTimeout"]
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_only_the_work_queues_have_age_alarms(synthesized: Synthesized) -> None:
    queues = synthesized.pipeline_stack.queues

    assert {
        _dimension(alarm, "QueueName")
        for alarm in _alarms(synthesized, "ApproximateAgeOfOldestMessage")
    } == {synthesized.logical_id(queues.tasks), synthesized.logical_id(queues.completions)}


@pytest.mark.parametrize("service", ["orchestrator", "book_processor", "aggregator", "api"])
def test_any_error_of_a_function_raises_its_alarm(synthesized: Synthesized, service: str) -> None:
    function = getattr(synthesized.pipeline_stack, service).function
    (alarm,) = (
        alarm
        for alarm in _alarms(synthesized, "Errors")
        if _dimension(alarm, "FunctionName") == synthesized.logical_id(function)
    )

    assert alarm["Namespace"] == "AWS/Lambda"
    assert alarm["Statistic"] == "Sum"
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["Threshold"] == 0


def test_any_5xx_answer_of_the_http_api_raises_its_alarm(synthesized: Synthesized) -> None:
    """The API function answers its own exceptions with a 500, which Lambda's Errors metric
    does not count: API Gateway's 5xx count does."""
    api = synthesized.pipeline_stack.http_api.api
    (alarm,) = _alarms(synthesized, "5xx")

    assert alarm["Namespace"] == "AWS/ApiGateway"
    assert _dimension(alarm, "ApiId") == synthesized.logical_id(api)
    assert alarm["Statistic"] == "Sum"
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["Threshold"] == 0


def test_alarms_treat_missing_data_as_healthy(synthesized: Synthesized) -> None:
    alarms = resources_of_type(synthesized.pipeline_cfn, "AWS::CloudWatch::Alarm")

    assert len(alarms) == 3 + 2 + 4 + 1  # dead letters, backlogs, functions, the HTTP API
    for alarm in alarms.values():
        # No messages or no invocations in a period is the normal idle state.
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching"
        assert alarm["Properties"]["EvaluationPeriods"] == 1
        assert alarm["Properties"]["Period"] == 300


def test_without_an_alarm_email_there_is_no_topic(synthesized: Synthesized) -> None:
    synthesized.pipeline.resource_count_is("AWS::SNS::Topic", 0)


def test_an_alarm_email_subscribes_to_a_tls_only_topic_that_every_alarm_notifies(
    production: Synthesized,
) -> None:
    template = production.pipeline
    (topic_id,) = template.find_resources("AWS::SNS::Topic")

    template.has_resource_properties(
        "AWS::SNS::Subscription",
        {"Protocol": "email", "Endpoint": "ops@example.org", "TopicArn": {"Ref": topic_id}},
    )
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            }
        },
    )
    template.resource_count_is("AWS::CloudWatch::Alarm", 10)
    template.all_resources_properties(
        "AWS::CloudWatch::Alarm", Match.object_like({"AlarmActions": [{"Ref": topic_id}]})
    )
