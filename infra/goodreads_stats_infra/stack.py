"""The whole pipeline in one stack: storage, queues, three functions and what triggers them."""

from __future__ import annotations

from typing import Any, Final

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3_notifications
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.goodreads_stats_infra.config import PipelineSettings
from infra.goodreads_stats_infra.functions import ServiceFunction, ServiceFunctionProps
from infra.goodreads_stats_infra.layout import PROCESSOR_TIMEOUT_SECONDS, UPLOAD_PREFIX
from infra.goodreads_stats_infra.monitoring import DeadLetterAlarms, DeadLetterAlarmsProps
from infra.goodreads_stats_infra.queues import WorkQueues, WorkQueuesProps
from infra.goodreads_stats_infra.storage import DataBucket, DataBucketProps
from infra.goodreads_stats_infra.tables import Tables, TablesProps

ORCHESTRATOR_TIMEOUT: Final = Duration.minutes(2)  # parse + manifest + ceil(n/10) batch sends
PROCESSOR_TIMEOUT: Final = Duration.seconds(PROCESSOR_TIMEOUT_SECONDS)
AGGREGATOR_TIMEOUT: Final = Duration.seconds(60)  # one job's books, or one sweep
SQS_BATCH_SIZE: Final = 10  # above 10 Lambda requires a batching window
SWEEP_SCHEDULE: Final = events.Schedule.rate(Duration.minutes(1))


class GoodreadsStatsStack(Stack):  # type: ignore[misc]  # Any to mypy without the CDK installed
    def __init__(
        self, scope: Construct, id: str, *, settings: PipelineSettings, **kwargs: Any
    ) -> None:
        super().__init__(scope, id, **kwargs)
        if settings.aggregation_lease_seconds <= AGGREGATOR_TIMEOUT.to_seconds():
            # A lease shorter than a run lets a second aggregator claim a job mid-aggregation.
            raise ValueError("aggregationLeaseSeconds must exceed the aggregator's timeout")

        self.data = data = DataBucket(self, "Data", DataBucketProps())
        self.tables = tables = Tables(self, "Tables", TablesProps())
        self.queues = queues = WorkQueues(
            self,
            "Queues",
            WorkQueuesProps(
                processor_timeout=PROCESSOR_TIMEOUT, aggregator_timeout=AGGREGATOR_TIMEOUT
            ),
        )
        shared_environment = {
            "DATA_BUCKET": data.bucket.bucket_name,
            "JOBS_TABLE": tables.jobs.table_name,
        }

        self.orchestrator = ServiceFunction(
            self,
            "Orchestrator",
            ServiceFunctionProps(
                service="orchestrator",
                description="Parses an uploaded Goodreads export and fans its books out",
                code_zip=settings.lambda_assets.orchestrator,
                timeout=ORCHESTRATOR_TIMEOUT,
                memory_size_mb=1024,
                environment={
                    **shared_environment,
                    "TASK_QUEUE_URL": queues.tasks.queue_url,
                    # A job already fully accounted for when it turns QUEUED (an empty
                    # library) is signalled by the orchestrator itself.
                    "COMPLETION_QUEUE_URL": queues.completions.queue_url,
                    "JOB_DEADLINE_SECONDS": str(settings.job_deadline_seconds),
                },
                async_dead_letter_queue=queues.failed_uploads,
            ),
        )
        orchestrator = self.orchestrator.function
        data.grant_read_uploads(orchestrator)
        data.grant_list_uploads(orchestrator)
        data.grant_write_manifests(orchestrator)
        tables.grant_jobs(
            orchestrator, ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem"]
        )
        WorkQueues.grant_send(orchestrator, queues.tasks)
        WorkQueues.grant_send(orchestrator, queues.completions)

        self.book_processor = ServiceFunction(
            self,
            "BookProcessor",
            ServiceFunctionProps(
                service="book_processor",
                description="Enriches a batch of books and records each result once",
                code_zip=settings.lambda_assets.book_processor,
                timeout=PROCESSOR_TIMEOUT,
                memory_size_mb=512,
                environment={
                    **shared_environment,
                    "CACHE_TABLE": tables.cache.table_name,
                    "COMPLETION_QUEUE_URL": queues.completions.queue_url,
                    "MAX_RECEIVE_COUNT": str(queues.max_receive_count),
                    **_processor_tuning(settings),
                },
            ),
        )
        processor = self.book_processor.function
        # TransactWriteItems is authorised per contained action: Put, Update, ConditionCheck;
        # BatchGetItem finds the books of a batch that are already recorded.
        tables.grant_jobs(
            processor,
            [
                "dynamodb:BatchGetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:GetItem",
                "dynamodb:ConditionCheckItem",
            ],
        )
        tables.grant_cache(
            processor,
            [
                "dynamodb:BatchGetItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:BatchWriteItem",
            ],
        )
        WorkQueues.grant_send(processor, queues.completions)
        processor.add_event_source(
            event_sources.SqsEventSource(
                queues.tasks,
                batch_size=SQS_BATCH_SIZE,
                # Without it Lambda deletes the failed messages of a batch too.
                report_batch_item_failures=True,
                # Caps the load on the upstream APIs (reserved concurrency would throttle).
                max_concurrency=settings.processor_max_concurrency,
            )
        )

        self.aggregator = ServiceFunction(
            self,
            "Aggregator",
            ServiceFunctionProps(
                service="aggregator",
                description="Merges a finished job's books into its dashboard",
                code_zip=settings.lambda_assets.aggregator,
                timeout=AGGREGATOR_TIMEOUT,
                memory_size_mb=1024,
                environment={
                    **shared_environment,
                    "AGGREGATION_LEASE_SECONDS": str(settings.aggregation_lease_seconds),
                    # For job items without a deadline of their own.
                    "JOB_DEADLINE_SECONDS": str(settings.job_deadline_seconds),
                },
            ),
        )
        aggregator = self.aggregator.function
        data.grant_read_manifests(aggregator)
        data.grant_write_dashboards(aggregator)
        tables.grant_jobs(aggregator, ["dynamodb:GetItem", "dynamodb:UpdateItem"])
        tables.grant_query_jobs_and_open_jobs_index(aggregator)
        aggregator.add_event_source(
            event_sources.SqsEventSource(
                queues.completions, batch_size=SQS_BATCH_SIZE, report_batch_item_failures=True
            )
        )
        # The sweep repeats every minute, so a failed or late sweep is never worth retrying.
        aggregator.configure_async_invoke(retry_attempts=0, max_event_age=Duration.minutes(2))
        self.sweep = events.Rule(
            self,
            "AggregatorSweep",
            description="Closes jobs whose books are all in, or whose deadline has passed",
            schedule=SWEEP_SCHEDULE,
            targets=[targets.LambdaFunction(aggregator, retry_attempts=0)],
        )

        data.bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            s3_notifications.LambdaDestination(orchestrator),
            s3.NotificationKeyFilter(prefix=UPLOAD_PREFIX),
        )
        self._suppress_bucket_notifications_handler_findings()

        self.alarms = DeadLetterAlarms(
            self,
            "Alarms",
            DeadLetterAlarmsProps(
                dead_letter_queues=queues.dead_letter_queues(), alarm_email=settings.alarm_email
            ),
        )

        CfnOutput(self, "DataBucketName", value=data.bucket.bucket_name)
        CfnOutput(self, "JobsTableName", value=tables.jobs.table_name)
        CfnOutput(self, "OrchestratorFunctionName", value=orchestrator.function_name)
        CfnOutput(self, "AggregatorFunctionName", value=aggregator.function_name)
        CfnOutput(self, "TaskDeadLetterQueueUrl", value=queues.tasks_dlq.queue_url)
        CfnOutput(self, "CompletionDeadLetterQueueUrl", value=queues.completions_dlq.queue_url)
        CfnOutput(self, "FailedUploadsQueueUrl", value=queues.failed_uploads.queue_url)

    def _suppress_bucket_notifications_handler_findings(self) -> None:
        """CDK installs one Lambda per stack to configure bucket notifications; its role is
        CDK's, not ours."""
        handlers = [
            child
            for child in self.node.children
            if child.node.id.startswith("BucketNotificationsHandler")
        ]
        for handler in handlers:
            NagSuppressions.add_resource_suppressions(
                handler,
                [
                    NagPackSuppression(
                        id="AwsSolutions-IAM4",
                        reason="CDK's bucket-notifications handler logs with the AWS managed "
                        "basic execution role; it runs only during deployments.",
                        applies_to=[
                            "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                            "AWSLambdaBasicExecutionRole"
                        ],
                    ),
                ],
                apply_to_children=True,
            )


def _processor_tuning(settings: PipelineSettings) -> dict[str, str]:
    """Optional variables: unset ones leave the service's own defaults in force."""
    optional = {
        "UPSTREAM_MAX_RPS": (
            None if settings.upstream_max_rps is None else f"{settings.upstream_max_rps:g}"
        ),
        "ENRICHMENT_SOURCES": settings.enrichment_sources,
        "CONTACT": settings.contact,
        "GOOGLE_BOOKS_API_KEY": settings.google_books_api_key,
    }
    return {name: value for name, value in optional.items() if value is not None}
