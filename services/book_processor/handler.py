"""Lambda entry point of the book processor: SQS batches of book.task.v1.

Thin by design: settings come from the environment (`settings.py`), dependencies are built
once per configuration (once per cold start in Lambda), and the work happens in `processing.process_batch`, which the tests call directly.
"""

from __future__ import annotations

import functools
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.book_processor.processing import BatchReport, Dependencies, process_batch
from services.book_processor.settings import Settings

SERVICE = "book_processor"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace="GoodreadsStats", service=SERVICE)  # explicit: no env needed
# A batch whose every record failed is still reported record by record, not raised.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@functools.lru_cache(maxsize=4)
def dependencies_for(settings: Settings) -> Dependencies:
    """Built once per configuration: once per cold start in Lambda, where it never changes."""
    return Dependencies.build(settings)


def dependencies() -> Dependencies:
    return dependencies_for(Settings.from_environment())


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    response, report = process_batch(event, context, dependencies(), processor)
    _publish(report)
    logger.info(
        "batch processed",
        extra={
            "records": len(event.get("Records", [])),
            "failures": len(response.get("batchItemFailures", [])),
            "recorded": dict(report.recorded),
            "duplicates": report.duplicates,
            "deferred_for_pace": report.deferred,
            "upstream_requests": dict(report.enrichment.requests),
            "enrichment_seconds": round(report.enrichment.seconds, 3),
        },
    )
    return response


def _publish(report: BatchReport) -> None:
    for status, count in report.recorded.items():
        metrics.add_metric(
            name=f"Books{status.title().replace('_', '')}", unit=MetricUnit.Count, value=count
        )
    figures = {
        "DuplicateDeliveries": report.duplicates,
        "PoisonMessages": report.poison,
        "BooksLeftForRetry": report.left_for_retry,
        "BooksDeferredForPace": report.deferred,
        "BooksFailedByDeadline": report.ended_by_deadline,
        "CompletionSignals": report.signals_sent,
        "TasksOfMissingJobs": report.dropped_for_missing_job,
        "CacheHits": report.enrichment.cache_hits,
        "CacheMisses": report.enrichment.cache_misses,
    }
    for source, count in report.enrichment.requests.items():
        figures[f"UpstreamRequests_{source}"] = count
    for name, value in figures.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
