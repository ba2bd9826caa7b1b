"""Alarms on dead letters: a message there is a book or a job the pipeline gave up on."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct


@dataclasses.dataclass(frozen=True)
class DeadLetterAlarmsProps:
    dead_letter_queues: Mapping[str, sqs.IQueue]  # construct-id-safe name -> queue
    alarm_email: str | None = None  # subscribed to an SNS topic when given


class DeadLetterAlarms(Construct):  # type: ignore[misc]  # Any to mypy without the CDK installed
    """One alarm per dead-letter queue, raised as soon as a single message is visible."""

    def __init__(self, scope: Construct, id: str, props: DeadLetterAlarmsProps) -> None:
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
            alarm = cloudwatch.Alarm(
                self,
                f"{name}DeadLetters",
                alarm_description=f"Messages in the {name} dead-letter queue: the pipeline gave "
                "up on them. Inspect, fix, then redrive them (StartMessageMoveTask).",
                metric=queue.metric_approximate_number_of_messages_visible(
                    period=Duration.minutes(5), statistic=cloudwatch.Stats.MAXIMUM
                ),
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            if self.topic is not None:
                alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.topic))
            self.alarms[name] = alarm
