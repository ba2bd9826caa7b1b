"""The stateless stack: queues, the four functions, what triggers them (the HTTP API among
them), and the alarms.

Everything here can be deleted and deployed again without losing a reader's data; the bucket
and the tables it uses come from the data stack.
"""

from __future__ import annotations

from typing import Any, Final

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3_notifications
from aws_cdk import aws_sqs as sqs
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from contracts import layout
from infra.goodreads_stats_infra.config import PipelineSettings, SettingsError
from infra.goodreads_stats_infra.data_stack import DataStack
from infra.goodreads_stats_infra.functions import ServiceFunction, ServiceFunctionProps
from infra.goodreads_stats_infra.http_api import JobsHttpApi, JobsHttpApiProps
from infra.goodreads_stats_infra.monitoring import (
    BacklogAlarm,
    PipelineAlarms,
    PipelineAlarmsProps,
)
from infra.goodreads_stats_infra.queues import WorkQueues, WorkQueuesProps

# Timeouts and memory; the timeouts are contracts/layout.py's (the queues' visibility timeouts
# and the local runtime follow them). Lambda gives CPU in proportion to memory (a full vCPU at
# 1769 MB). Parsing a 100,000-row export (the orchestrator's limit) peaks around 210 MB and is
# CPU bound, as is sending ceil(n/10) SendMessageBatch calls: 1024 MB and 2 minutes leave a
# wide margin.
ORCHESTRATOR_TIMEOUT: Final = Duration.seconds(layout.ORCHESTRATOR.timeout_seconds)
ORCHESTRATOR_MEMORY_MB: Final = 1024
# A batch (up to 100 books) is bound by the deployment's pace towards the upstream hosts: about
# 20 requests per host at 2.7/s, shared with the other instances; 60 s leaves room for them and
# for Retry-After waits, the service cuts its waits to the time left, and a book whose host has
# no slot in time goes back to the queue for that slot. A cold batch of 10 peaks under 20 MB;
# 512 MB is for the CPU share of TLS and JSON, not the memory.
PROCESSOR_TIMEOUT: Final = Duration.seconds(layout.BOOK_PROCESSOR.timeout_seconds)
PROCESSOR_MEMORY_MB: Final = 512
# One aggregation holds a job's manifest and all its result items: 10,000 books take about 2 s
# and under 300 MB (benchmarks/aggregator_bench.py); 1024 MB and 60 s cover far larger
# libraries. The timeout must stay below aggregationLeaseSeconds (checked below).
AGGREGATOR_TIMEOUT: Final = Duration.seconds(layout.AGGREGATOR.timeout_seconds)
AGGREGATOR_MEMORY_MB: Final = 1024
# The API answers most requests in tens of milliseconds. 512 MB: a dashboard of up to ten times
# DASHBOARD_INLINE_MAX_BYTES is read and gzip-compressed in memory. 60 s: API Gateway gives up
# after 30 s, but a delete of a very large library (one item per book, 25 per BatchWriteItem,
# 8 calls at a time) runs on and finishes; a retried DELETE completes whatever is left.
API_TIMEOUT: Final = Duration.seconds(layout.API.timeout_seconds)
API_MEMORY_MB: Final = 512

SWEEP_SCHEDULE: Final = events.Schedule.rate(Duration.minutes(1))


class PipelineStack(Stack):  # type: ignore[misc]  # Any to mypy without the CDK installed
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: PipelineSettings,
        data_stack: DataStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        if settings.aggregation_lease_seconds <= AGGREGATOR_TIMEOUT.to_seconds():
            # A lease shorter than a run lets a second aggregator claim a job mid-aggregation.
            raise SettingsError("aggregationLeaseSeconds must exceed the aggregator's timeout")
        data = data_stack.data
        tables = data_stack.tables

        self.queues = queues = WorkQueues(self, "Queues", WorkQueuesProps())
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
                code_zip=settings.artifacts.orchestrator,
                timeout=ORCHESTRATOR_TIMEOUT,
                memory_size_mb=ORCHESTRATOR_MEMORY_MB,
                environment={
                    **shared_environment,
                    "TASK_QUEUE_URL": queues.tasks.queue_url,
                    # A job already fully accounted for when it turns QUEUED (an empty
                    # library) is signalled by the orchestrator itself.
                    "COMPLETION_QUEUE_URL": queues.completions.queue_url,
                    "JOB_DEADLINE_SECONDS": str(settings.job_deadline_seconds),
                    "JOB_RETENTION_DAYS": str(layout.JOB_RETENTION_DAYS),  # the job item's TTL
                },
                async_dead_letter_queue=queues.failed_uploads,
            ),
        )
        orchestrator = self.orchestrator.function
        data.grant_read_uploads(orchestrator)
        data.grant_list_uploads(orchestrator)
        data.grant_write_manifests(orchestrator)
        # The job item is created in a TransactWriteItems (Put) that also checks (ConditionCheck)
        # that the reader has not deleted the job through the API.
        tables.grant_jobs(
            orchestrator,
            [
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:GetItem",
                "dynamodb:ConditionCheckItem",
            ],
        )
        WorkQueues.grant_send(orchestrator, queues.tasks)
        WorkQueues.grant_send(orchestrator, queues.completions)

        self.book_processor = ServiceFunction(
            self,
            "BookProcessor",
            ServiceFunctionProps(
                service="book_processor",
                description="Enriches a batch of books and records each result once",
                code_zip=settings.artifacts.book_processor,
                timeout=PROCESSOR_TIMEOUT,
                memory_size_mb=PROCESSOR_MEMORY_MB,
                environment={
                    **shared_environment,
                    "CACHE_TABLE": tables.cache.table_name,
                    "COMPLETION_QUEUE_URL": queues.completions.queue_url,
                    "MAX_RECEIVE_COUNT": str(queues.max_receive_count),
                    # The result items' TTL: they expire with their job.
                    "JOB_RETENTION_DAYS": str(layout.JOB_RETENTION_DAYS),
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
        # UpdateItem: the deployment's pace per upstream host (conditional updates of one item).
        tables.grant_cache(
            processor,
            [
                "dynamodb:BatchGetItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:BatchWriteItem",
                "dynamodb:UpdateItem",
            ],
        )
        WorkQueues.grant_send(processor, queues.completions)
        # A book that only waits for its host's next free slot is sent again, delayed.
        WorkQueues.grant_send(processor, queues.tasks)
        processor.add_event_source(
            _sqs_event_source(
                queues.tasks,
                layout.PROCESSOR_MAPPING,
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
                code_zip=settings.artifacts.aggregator,
                timeout=AGGREGATOR_TIMEOUT,
                memory_size_mb=AGGREGATOR_MEMORY_MB,
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
        # The completion signal: processor (or orchestrator) -> completion queue -> aggregator.
        aggregator.add_event_source(
            _sqs_event_source(queues.completions, layout.AGGREGATOR_MAPPING)
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

        self.api = ServiceFunction(
            self,
            "Api",
            ServiceFunctionProps(
                service="api",
                description="The HTTP API: creates jobs and upload forms, serves and deletes them",
                code_zip=settings.artifacts.api,
                timeout=API_TIMEOUT,
                memory_size_mb=API_MEMORY_MB,
                environment={
                    **shared_environment,
                    # The HTTP API's CORS list too (its headers replace the function's); empty:
                    # no CORS headers at all.
                    "ALLOWED_ORIGINS": ",".join(settings.allowed_origins),
                    # Sizes the ACCESS item's TTL so that it outlives the job item.
                    "JOB_RETENTION_DAYS": str(layout.JOB_RETENTION_DAYS),
                },
            ),
        )
        api_function = self.api.function
        data.grant_create_uploads(api_function)  # the presigned POST is signed by this role
        data.grant_read_dashboards(api_function)  # inline, and the presigned GET
        data.grant_delete_job_objects(api_function)
        # Its ACCESS item, the job item (read; deleted) and the job's other items (deleted).
        tables.grant_jobs(
            api_function,
            [
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:Query",
                "dynamodb:BatchWriteItem",
            ],
        )
        self.http_api = JobsHttpApi(
            self,
            "HttpApi",
            JobsHttpApiProps(
                handler=api_function,
                allowed_origins=settings.allowed_origins,
                throttle_rate_limit=settings.api_rate_limit,
                throttle_burst_limit=settings.api_burst_limit,
            ),
        )

        # Through a reference to the bucket, so that the notification (and the permission S3
        # needs to invoke the orchestrator) lives here: the data stack never depends on this one.
        uploads_bucket = s3.Bucket.from_bucket_attributes(
            self,
            "DataBucketRef",
            bucket_arn=data.bucket.bucket_arn,
            bucket_name=data.bucket.bucket_name,
        )
        uploads_bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            s3_notifications.LambdaDestination(orchestrator),
            s3.NotificationKeyFilter(prefix=layout.UPLOAD_PREFIX),
        )
        self._suppress_bucket_notifications_handler_findings()

        self.alarms = PipelineAlarms(
            self,
            "Alarms",
            PipelineAlarmsProps(
                dead_letter_queues=queues.dead_letter_queues(),
                backlogs={
                    # A task older than the job deadline belongs to a job already closed as
                    # PARTIAL: the processors are not keeping up (or keep failing).
                    "Tasks": BacklogAlarm(
                        queues.tasks, Duration.seconds(settings.job_deadline_seconds)
                    ),
                    # The aggregator takes a signal within seconds; one older than the
                    # queue's visibility timeout has failed at least once.
                    "Completions": BacklogAlarm(
                        queues.completions, queues.completions_visibility_timeout
                    ),
                },
                functions={
                    "Orchestrator": orchestrator,
                    "BookProcessor": processor,
                    "Aggregator": aggregator,
                    "Api": api_function,
                },
                http_apis={"HttpApi": self.http_api.api},
                alarm_email=settings.alarm_email,
            ),
        )

        CfnOutput(self, "OrchestratorFunctionName", value=orchestrator.function_name)
        CfnOutput(self, "AggregatorFunctionName", value=aggregator.function_name)
        CfnOutput(self, "ApiFunctionName", value=api_function.function_name)
        CfnOutput(
            self,
            "ApiUrl",
            description="The HTTP API's base URL: POST <ApiUrl>jobs creates a job",
            value=self.http_api.url,
        )
        CfnOutput(self, "TaskQueueArn", value=queues.tasks.queue_arn)
        CfnOutput(self, "TaskDeadLetterQueueArn", value=queues.tasks_dlq.queue_arn)
        CfnOutput(self, "CompletionQueueArn", value=queues.completions.queue_arn)
        CfnOutput(self, "CompletionDeadLetterQueueArn", value=queues.completions_dlq.queue_arn)
        CfnOutput(self, "FailedUploadsQueueUrl", value=queues.failed_uploads.queue_url)

    def _suppress_bucket_notifications_handler_findings(self) -> None:
        """CDK installs one Lambda per stack to configure bucket notifications; its role is
        CDK's, not ours."""
        handlers = [
            child
            for child in self.node.children
            if child.node.id.startswith("BucketNotificationsHandler")
        ]
        if not handlers:
            raise RuntimeError("CDK's bucket-notifications handler moved; update the suppression")
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


def _sqs_event_source(
    queue: sqs.IQueue, mapping: layout.EventSourceMapping, *, max_concurrency: int | None = None
) -> event_sources.SqsEventSource:
    """The mapping as contracts/layout.py defines it (the local runtime's pollers follow it)."""
    window = mapping.batching_window_seconds
    return event_sources.SqsEventSource(
        queue,
        batch_size=mapping.batch_size,
        max_batching_window=Duration.seconds(window) if window else None,
        # Without it Lambda deletes the failed messages of a batch too.
        report_batch_item_failures=mapping.report_batch_item_failures,
        max_concurrency=max_concurrency,
    )


def _processor_tuning(settings: PipelineSettings) -> dict[str, str]:
    """Optional variables: unset ones leave the service's own defaults in force."""
    optional = {
        # Always set: the service's own default follows CONTACT the same way.
        "UPSTREAM_MAX_RPS": f"{settings.upstream_max_rps_for_deployment:g}",
        "ENRICHMENT_SOURCES": settings.enrichment_sources,
        "CONTACT": settings.contact,
        "GOOGLE_BOOKS_API_KEY": settings.google_books_api_key,
    }
    return {name: value for name, value in optional.items() if value is not None}
