"""Lambda entry point: API Gateway HTTP API (payload format 2.0) events.

Thin on purpose: settings come from the environment (`settings.py`), AWS clients and the
resolver are built once per configuration (once per cold start in Lambda), and the routes call `services.api.jobs.JobsApi`, whose methods the tests also call directly.
"""

from __future__ import annotations

import functools
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.api.app import build_app, metrics
from services.api.jobs import Clients
from services.api.settings import Settings

logger = Logger(service="api")


@functools.lru_cache(maxsize=4)
def dependencies_for(settings: Settings) -> APIGatewayHttpResolver:
    """Built once per configuration: once per cold start in Lambda, where it never changes."""
    return build_app(settings, Clients.from_session(boto3.session.Session(), settings))


def dependencies() -> APIGatewayHttpResolver:
    return dependencies_for(Settings.from_environment())


@metrics.log_metrics
# Never the event: it holds `Authorization: Bearer <delete token>`. Explicit, so that
# POWERTOOLS_LOGGER_LOG_EVENT=true in the environment cannot turn it on.
@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True, log_event=False
)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response: dict[str, Any] = dependencies().resolve(event, context)
    return response
