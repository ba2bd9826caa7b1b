"""Alarms: dead letters, backlogs that outlive their purpose, and function errors.

All of them notify one SNS topic when an alarm e-mail is configured; without one they are
still visible in the CloudWatch console (and usable by any action added later).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

ALARM_PERIOD = Duration.minutes(5)


@dataclasses.dataclass(frozen=True)
class BacklogAlarm:
    queue: sqs.IQueue
    max_age: Duration  # the oldest message may be this old; older raises the alarm


@dataclasses.dataclass(frozen=True)
class PipelineAlarmsProps:
    # Construct-id-safe names -> resources.
    dead_letter_queues: Mapping[str, sqs.IQueue]
    backlogs: Mapping[str, BacklogAlarm]
    functions: Mapping[str, lambda_.IFunction]
    http_apis: Mapping[str, apigwv2.IHttpApi] = dataclasses.field(default_factory=dict)
    alarm_email: str | None = None  # subscribed to an SNS topic when given


class PipelineAlarms(Construct):  # type: ignore[misc]  # Any to mypy without the CDK installed
    """One alarm per dead-letter queue (its first message), per work queue (the age of its
    oldest message), per function (any error: an unhandled exception or a timeout) and per HTTP
    API (any 5xx answer)."""

    def __init__(self, scope: Construct, id: str, props: PipelineAlarmsProps) -> None:
        super().__init__(scope, id)
        self.topic: sns.Topic | None = None
        if props.alarm_email is not None:
            self.topic = sns.Topic(self, "Topic", enforce_ssl=True)
            self.topic.add_subscription(subscriptions.EmailSubscription(props.alarm_email))
            NagSuppressions.add_resource_suppressions(
                self.topic,
                [
                    NagPackSuppression(
                        id="AwsSolutions-SNS2",
                        reason="CloudWatch alarms cannot publish to a topic encrypted with the "
                        "AWS managed SNS key, and the messages only name an alarm and a queue.",
                    )
                ],
            )
        self.alarms: dict[str, cloudwatch.Alarm] = {}

        for name, queue in props.dead_letter_queues.items():
            self._add(
                f"{name}DeadLetters",
                description=f"Messages in the {name} dead-letter queue: the pipeline gave up on "
                "them. Inspect, fix the cause, then redrive them (infra/README.md, Dead letters).",
                metric=queue.metric_approximate_number_of_messages_visible(
                    period=ALARM_PERIOD, statistic=cloudwatch.Stats.MAXIMUM
                ),
                threshold=0,
            )
        for name, backlog in props.backlogs.items():
            self._add(
                f"{name}OldestMessage",
                description=f"The oldest message in the {name} queue is older than "
                f"{backlog.max_age.to_seconds()} s: its consumer is failing or cannot keep up.",
                metric=backlog.queue.metric_approximate_age_of_oldest_message(
                    period=ALARM_PERIOD, statistic=cloudwatch.Stats.MAXIMUM
                ),
                threshold=backlog.max_age.to_seconds(),
            )
        for name, function in props.functions.items():
            # Per-book failures reported through batchItemFailures are not errors here: this
            # counts invocations that raised or timed out.
            self._add(
                f"{name}Errors",
                description=f"The {name} function failed (an exception or a timeout): see its "
                "log group.",
                metric=function.metric_errors(period=ALARM_PERIOD, statistic=cloudwatch.Stats.SUM),
                threshold=0,
            )

        for name, api in props.http_apis.items():
            # The API function turns its own exceptions into 500 answers, which the function's
            # Errors metric never counts; API Gateway's 5xx count sees those, the integration
            # timeouts (503) and the function's crashes (500) alike.
            self._add(
                f"{name}ServerErrors",
                description=f"The {name} HTTP API answered 5xx: see the API function's log group "
                "(an `unexpected error`, or a timeout) and the API's access logs.",
                metric=api.metric_server_error(period=ALARM_PERIOD, statistic=cloudwatch.Stats.SUM),
                threshold=0,
            )

    def _add(
        self, id: str, *, description: str, metric: cloudwatch.IMetric, threshold: float
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            id,
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            # No messages, no invocations: nothing is wrong.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        if self.topic is not None:
            alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.topic))
        self.alarms[id] = alarm
