"""Lambda entry point: S3 ObjectCreated for uploads/{job_id}/…, or a direct {"job_id": "…"}.

Thin on purpose: settings come from the environment (`settings.py`), AWS clients are built once
per configuration (once per cold start in Lambda), and the work is done by
`services.orchestrator.orchestrate`, whose functions the tests call directly.
"""

from __future__ import annotations

import functools
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.orchestrator.orchestrate import REJECTED, Clients, handle_event
from services.orchestrator.settings import Settings

logger = Logger(service="orchestrator")
metrics = Metrics(namespace="GoodreadsStats", service="orchestrator")


@functools.lru_cache(maxsize=4)
def dependencies_for(settings: Settings) -> Clients:
    """Built once per configuration: once per cold start in Lambda, where it never changes."""
    return Clients.from_session(boto3.session.Session(), settings)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = Settings.from_environment()
    outcomes = handle_event(event, settings, dependencies_for(settings))
    for outcome in outcomes:
        metric = "EventsRejected" if outcome.status == REJECTED else f"Jobs{outcome.status.title()}"
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
        if outcome.status == "QUEUED":
            metrics.add_metric(name="BooksQueued", unit=MetricUnit.Count, value=outcome.total)
    if len(outcomes) == 1:
        return outcomes[0].as_response()
    # S3 sends one record per notification; should one ever carry several, report each.
    return {"results": [outcome.as_response() for outcome in outcomes]}
