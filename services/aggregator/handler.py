"""Aggregator Lambda: the schedule's sweep, completion signals, and direct invocations.

Events:
  EventBridge scheduled event ("detail-type": "Scheduled Event")  -> sweep the open jobs
  SQS batch of job.completion.v1 from the completion queue      -> aggregate those jobs;
                                                                    returns batchItemFailures
  {"job_id": "<uuid>"}                                            -> aggregate that job if due
"""

from __future__ import annotations

import functools
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from contracts.codec import completion_decoder
from contracts.storage import parse_job_id
from services.aggregator.fan_in import (
    Aggregation,
    AggregatorDependencies,
    Outcome,
    aggregate_if_due,
    aggregate_job,
    sweep_open_jobs,
)
from services.aggregator.settings import Settings

logger = Logger(service="aggregator")
metrics = Metrics(namespace="GoodreadsStats", service="aggregator")
processor = BatchProcessor(event_type=EventType.SQS)

# The sweep starts no aggregation with less time left than this (one takes about a second).
SWEEP_RESERVE_MILLIS = 10_000

# One count per aggregation attempt, by what came of it.
_METRIC_BY_OUTCOME = {
    Outcome.COMPLETE: "JobsComplete",
    Outcome.PARTIAL: "JobsPartial",
    Outcome.NOT_READY: "JobsNotDue",
    Outcome.NOT_FOUND: "ClaimsRefused",
    Outcome.NOT_QUEUED: "ClaimsRefused",
    Outcome.ALREADY_FINAL: "ClaimsRefused",
    Outcome.CLAIMED_ELSEWHERE: "ClaimsRefused",
    Outcome.LEASE_LOST: "AggregationLeasesLost",
    Outcome.NEVER_QUEUED: "JobsNeverQueued",
}


class SweepIncomplete(RuntimeError):
    """Some open jobs could not be aggregated; they stay open for the next sweep."""


@functools.lru_cache(maxsize=4)
def dependencies_for(settings: Settings) -> AggregatorDependencies:
    """Built once per configuration: once per cold start in Lambda, where it never changes."""
    session = boto3.session.Session()
    return AggregatorDependencies.create(
        settings, dynamodb=session.client("dynamodb"), s3=session.client("s3")
    )


def dependencies() -> AggregatorDependencies:
    return dependencies_for(Settings.from_environment())


def _record(aggregation: Aggregation) -> Aggregation:
    metrics.add_metric(name=_METRIC_BY_OUTCOME[aggregation.outcome], unit=MetricUnit.Count, value=1)
    return aggregation


def handle_completion_signal(record: SQSRecord) -> str:
    """One completion signal; a body that is not one raises, so it is reported as failed."""
    signal = completion_decoder.decode(record.body)
    return _record(aggregate_job(parse_job_id(signal.job_id), dependencies())).outcome.value


def _is_sqs_batch(event: dict[str, Any]) -> bool:
    records = event.get("Records")
    return (
        isinstance(records, list)
        and bool(records)
        and all(
            isinstance(record, dict) and record.get("eventSource") == "aws:sqs"
            for record in records
        )
    )


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("detail-type") == "Scheduled Event":
        report = sweep_open_jobs(
            dependencies(),
            has_time_left=lambda: context.get_remaining_time_in_millis() > SWEEP_RESERVE_MILLIS,
        )
        for aggregation in report.aggregations:
            _record(aggregation)
        summary = {"outcomes": report.outcome_counts(), "deferred": report.deferred}
        logger.info("sweep finished", extra=summary)
        if report.failed_job_ids:
            raise SweepIncomplete(f"aggregation failed for jobs {report.failed_job_ids}")
        return summary
    if _is_sqs_batch(event):
        response = process_partial_response(
            event=event,
            record_handler=handle_completion_signal,
            processor=processor,
            context=context,
        )
        return dict(response)
    if "job_id" in event:
        aggregation = _record(aggregate_if_due(parse_job_id(event["job_id"]), dependencies()))
        return {
            "job_id": aggregation.job_id,
            "outcome": aggregation.outcome.value,
            "missing_book_ids": list(aggregation.missing_book_ids),
        }
    raise ValueError("unrecognised event: expected a scheduled event, an SQS batch or a job_id")
