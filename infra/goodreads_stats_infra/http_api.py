"""The public HTTP API: four routes to the API function, throttled and access-logged.

services/api/README.md ("What infra provides") is the other half of this construct: the routes,
the payload format and the CORS settings must agree with what the function expects.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Final, cast

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

# (method, path): the function's routes, and nothing else reaches it. Any other request is
# answered by API Gateway itself (404 {"message": "Not Found"}) without invoking the function.
ROUTES: Final = (
    (apigwv2.HttpMethod.POST, "/jobs"),
    (apigwv2.HttpMethod.GET, "/jobs/{id}"),
    (apigwv2.HttpMethod.GET, "/jobs/{id}/dashboard"),
    (apigwv2.HttpMethod.DELETE, "/jobs/{id}"),
)

# One JSON object per request (CloudWatch Logs Insights discovers the fields). The path is left
# out on purpose: it holds the job id, the reader's capability; the route key names the route.
ACCESS_LOG_FIELDS: Final = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "latency": "$context.responseLatency",  # ms, as the client saw it
    "integrationLatency": "$context.integrationLatency",
    "integrationStatus": "$context.integrationStatus",
    "integrationError": "$context.integrationErrorMessage",  # e.g. the 30 s integration timeout
    "error": "$context.error.message",  # API Gateway's own answers: throttled, route not found
}

# API Gateway gives up after at most 30 s; the function may run on to its own timeout (60 s),
# so that a very large delete finishes even though the reader saw a 503 (services/api/README.md).
INTEGRATION_TIMEOUT: Final = Duration.seconds(29)  # the most the CDK accepts

# Preflight answers are cached this long by browsers (the function's own value).
CORS_MAX_AGE: Final = Duration.seconds(600)


@dataclasses.dataclass(frozen=True)
class JobsHttpApiProps:
    handler: lambda_.IFunction
    # Exact web origins whose pages may call the API; empty: no CORS at all (same-origin and
    # non-browser clients only).
    allowed_origins: Sequence[str]
    throttle_rate_limit: float  # requests per second, steady, all clients together
    throttle_burst_limit: int  # the most requests at once (the token bucket's size)
    access_log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH


class JobsHttpApi(Construct):  # type: ignore[misc]  # Any to mypy without the CDK installed
    """An HTTP API (payload format 2.0) with the `$default` stage, auto-deployed.

    CORS is the API's own configuration, not OPTIONS routes to the function: API Gateway then
    answers preflights without invoking (and paying for) the function, and no route exists that
    the function does not serve. The function gets the same origins (ALLOWED_ORIGINS) and would
    answer the same way; API Gateway replaces its CORS headers with the configured ones.
    """

    def __init__(self, scope: Construct, id: str, props: JobsHttpApiProps) -> None:
        super().__init__(scope, id)
        self.api = apigwv2.HttpApi(
            self,
            "Api",
            api_name=f"{Stack.of(self).stack_name}-Api",  # environments share an account
            description="goodreads-stats: create a job, upload, follow it, fetch, delete",
            cors_preflight=_cors(props.allowed_origins),
            # The stage below is the `$default` one, with throttling and access logs, which
            # the stage HttpApi would create cannot have.
            create_default_stage=False,
        )
        integration = integrations.HttpLambdaIntegration(
            "Function",
            props.handler,
            payload_format_version=apigwv2.PayloadFormatVersion.VERSION_2_0,
            timeout=INTEGRATION_TIMEOUT,
        )
        self.routes: list[apigwv2.HttpRoute] = []
        for method, path in ROUTES:
            self.routes.extend(
                self.api.add_routes(path=path, methods=[method], integration=integration)
            )
        for route in self.routes:
            NagSuppressions.add_resource_suppressions(
                route,
                [
                    NagPackSuppression(
                        id="AwsSolutions-APIG4",
                        reason="A public API by design: readers have no accounts. A job id is a "
                        "random UUID returned only to its creator (an unguessable capability), "
                        "DELETE also requires the job's delete token, and the stage is throttled.",
                    )
                ],
            )

        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=props.access_log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.stage = apigwv2.HttpStage(
            self,
            "DefaultStage",
            http_api=self.api,
            stage_name="$default",  # URLs without a stage segment
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(
                rate_limit=props.throttle_rate_limit, burst_limit=props.throttle_burst_limit
            ),
        )
        # Set on the CloudFormation resource: the L2 option takes a jsii interface, which
        # Python can only implement with the `jsii` package that the infra resolve does not
        # declare. For an HTTP API the result is the same (a destination ARN and a format).
        cfn_stage = cast(apigwv2.CfnStage, self.stage.node.default_child)
        cfn_stage.access_log_settings = apigwv2.CfnStage.AccessLogSettingsProperty(
            destination_arn=self.access_logs.log_group_arn,
            format=json.dumps(ACCESS_LOG_FIELDS),
        )

    @property
    def url(self) -> str:
        """https://<api id>.execute-api.<region>.amazonaws.com/"""
        url: str | None = self.stage.url
        assert url is not None
        return url


def _cors(origins: Sequence[str]) -> apigwv2.CorsPreflightOptions | None:
    """The same rules as the function's (services/api/app.py, cors_config)."""
    if not origins:
        return None
    return apigwv2.CorsPreflightOptions(
        allow_origins=list(origins),
        allow_methods=[
            apigwv2.CorsHttpMethod.GET,
            apigwv2.CorsHttpMethod.POST,
            apigwv2.CorsHttpMethod.DELETE,
        ],
        allow_headers=["authorization", "content-type"],  # the delete token; a JSON body
        expose_headers=["location", "retry-after"],  # the new job; when to ask again
        max_age=CORS_MAX_AGE,
    )
