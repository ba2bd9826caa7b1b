"""One Lambda function per service, from its Pants zip, with a role that starts empty."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.goodreads_stats_infra.assets import LAMBDA_HANDLER


@dataclasses.dataclass(frozen=True)
class ServiceFunctionProps:
    service: str  # the Powertools service name, e.g. "book_processor"
    description: str
    code_zip: Path
    timeout: Duration
    memory_size_mb: int
    environment: Mapping[str, str]
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH
    async_dead_letter_queue: sqs.IQueue | None = None  # for events Lambda gave up retrying


class ServiceFunction(Construct):  # type: ignore[misc]  # Any to mypy without the CDK installed
    """A python3.13 function whose role can write its own log group and nothing else until
    the stack grants it exactly what the service does (no AWSLambdaBasicExecutionRole)."""

    def __init__(self, scope: Construct, id: str, props: ServiceFunctionProps) -> None:
        super().__init__(scope, id)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=props.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"goodreads-stats {props.service}: least privilege",
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            description=props.description,
            runtime=lambda_.Runtime.PYTHON_3_13,
            # The Pants zips carry native wheels (msgspec) built for x86_64 Linux.
            architecture=lambda_.Architecture.X86_64,
            handler=LAMBDA_HANDLER,
            code=lambda_.Code.from_asset(str(props.code_zip)),
            timeout=props.timeout,
            memory_size=props.memory_size_mb,
            role=self.role,
            log_group=self.log_group,
            dead_letter_queue=props.async_dead_letter_queue,
            environment={
                "POWERTOOLS_SERVICE_NAME": props.service,
                "POWERTOOLS_METRICS_NAMESPACE": "GoodreadsStats",
                **props.environment,
            },
        )
