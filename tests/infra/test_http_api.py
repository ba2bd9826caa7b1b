"""The HTTP API in front of the API function: routes, integration, stage, throttling, access
logs, CORS and the URL output (services/api/README.md, "What infra provides")."""

from __future__ import annotations

import json
from typing import Any

from tests.infra.conftest import Synthesized
from tests.infra.template_queries import referenced_id, resources_of_type

ROUTE_KEYS = {"POST /jobs", "GET /jobs/{id}", "GET /jobs/{id}/dashboard", "DELETE /jobs/{id}"}


def _only(synthesized: Synthesized, type_name: str) -> tuple[str, dict[str, Any]]:
    (item,) = resources_of_type(synthesized.pipeline_cfn, type_name).items()
    logical_id, resource = item
    return logical_id, resource["Properties"]


def _api_id(synthesized: Synthesized) -> str:
    return synthesized.logical_id(synthesized.pipeline_stack.http_api.api)


def _routes(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    return {
        resource["Properties"]["RouteKey"]: resource["Properties"]
        for resource in resources_of_type(
            synthesized.pipeline_cfn, "AWS::ApiGatewayV2::Route"
        ).values()
    }


def _stage(synthesized: Synthesized) -> dict[str, Any]:
    return _only(synthesized, "AWS::ApiGatewayV2::Stage")[1]


def _access_log_format(synthesized: Synthesized) -> dict[str, str]:
    format_: dict[str, str] = json.loads(_stage(synthesized)["AccessLogSettings"]["Format"])
    return format_


def test_the_api_is_one_http_api_in_the_pipeline_stack(synthesized: Synthesized) -> None:
    api_id, api = _only(synthesized, "AWS::ApiGatewayV2::Api")

    assert api_id == _api_id(synthesized)
    assert api["ProtocolType"] == "HTTP"
    assert api["Name"] == "GoodreadsStats-dev-Pipeline-Api"  # two environments, two names
    assert not resources_of_type(synthesized.data_cfn, "AWS::ApiGatewayV2::Api")


def test_the_api_has_exactly_the_four_routes_of_the_service(synthesized: Synthesized) -> None:
    routes = _routes(synthesized)

    # No $default catch-all and no OPTIONS routes: nothing else reaches the function.
    assert set(routes) == ROUTE_KEYS
    for route in routes.values():
        assert route["ApiId"] == {"Ref": _api_id(synthesized)}
        assert route["AuthorizationType"] == "NONE"  # public by design (see the nag test)


def test_every_route_proxies_to_the_api_function_with_payload_format_2(
    synthesized: Synthesized,
) -> None:
    function_id = synthesized.logical_id(synthesized.pipeline_stack.api.function)
    integration_id, integration = _only(synthesized, "AWS::ApiGatewayV2::Integration")

    assert integration == {
        "ApiId": {"Ref": _api_id(synthesized)},
        "IntegrationType": "AWS_PROXY",
        "IntegrationUri": {"Fn::GetAtt": [function_id, "Arn"]},
        "PayloadFormatVersion": "2.0",
        "TimeoutInMillis": 29000,
    }
    for route in _routes(synthesized).values():
        assert route["Target"] == {"Fn::Join": ["", ["integrations/", {"Ref": integration_id}]]}


def test_the_function_outlives_the_integration_timeout_so_large_deletes_finish(
    synthesized: Synthesized,
) -> None:
    _, integration = _only(synthesized, "AWS::ApiGatewayV2::Integration")
    function = synthesized.properties(synthesized.pipeline_stack.api.function)

    assert function["Timeout"] * 1000 > integration["TimeoutInMillis"]


def test_only_this_apis_routes_may_invoke_the_api_function(synthesized: Synthesized) -> None:
    function_id = synthesized.logical_id(synthesized.pipeline_stack.api.function)
    permissions = [
        resource["Properties"]
        for resource in resources_of_type(
            synthesized.pipeline_cfn, "AWS::Lambda::Permission"
        ).values()
        if resource["Properties"]["FunctionName"] == {"Fn::GetAtt": [function_id, "Arn"]}
    ]
    source_paths = set()
    for permission in permissions:
        assert permission["Principal"] == "apigateway.amazonaws.com"
        parts = permission["SourceArn"]["Fn::Join"][1]
        assert {"Ref": _api_id(synthesized)} in parts
        source_paths.add(parts[-1])

    # Any stage and method, but only these paths of this API.
    assert source_paths == {"/*/*/jobs", "/*/*/jobs/{id}", "/*/*/jobs/{id}/dashboard"}


def test_the_default_stage_deploys_every_change_automatically(synthesized: Synthesized) -> None:
    stage = _stage(synthesized)

    assert stage["ApiId"] == {"Ref": _api_id(synthesized)}
    assert stage["StageName"] == "$default"  # URLs without a stage segment
    assert stage["AutoDeploy"] is True


def test_every_route_is_throttled_by_the_stage_defaults(synthesized: Synthesized) -> None:
    stage = _stage(synthesized)

    assert stage["DefaultRouteSettings"] == {"ThrottlingRateLimit": 20, "ThrottlingBurstLimit": 50}
    assert "RouteSettings" not in stage  # no route escapes the defaults


def test_throttling_follows_the_context(production: Synthesized) -> None:
    assert _stage(production)["DefaultRouteSettings"] == {
        "ThrottlingRateLimit": 2.5,
        "ThrottlingBurstLimit": 10,
    }


def test_access_logs_go_to_their_own_log_group_with_a_retention(synthesized: Synthesized) -> None:
    access_logs = synthesized.pipeline_stack.http_api.access_logs
    destination = _stage(synthesized)["AccessLogSettings"]["DestinationArn"]

    assert destination == {"Fn::GetAtt": [synthesized.logical_id(access_logs), "Arn"]}
    assert synthesized.properties(access_logs)["RetentionInDays"] == 30
    assert referenced_id(destination) != synthesized.logical_id(
        synthesized.pipeline_stack.api.log_group
    )


def test_each_access_log_line_is_a_json_object_with_the_request_and_its_outcome(
    synthesized: Synthesized,
) -> None:
    fields = _access_log_format(synthesized)

    assert {
        name: fields[name]
        for name in (
            "requestId",
            "ip",
            "routeKey",
            "status",
            "responseLength",
            "integrationError",
            "latency",
        )
    } == {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "integrationError": "$context.integrationErrorMessage",
        "latency": "$context.responseLatency",
    }
    assert all(value.startswith("$context.") for value in fields.values())


def test_access_logs_leave_out_the_path_because_it_holds_the_job_id(
    synthesized: Synthesized,
) -> None:
    format_text = _stage(synthesized)["AccessLogSettings"]["Format"]

    assert "$context.path" not in format_text
    assert "$context.routeKey" in format_text  # "GET /jobs/{id}": the route, not the id


def test_without_allowed_origins_the_api_answers_no_cross_origin_request(
    synthesized: Synthesized,
) -> None:
    _, api = _only(synthesized, "AWS::ApiGatewayV2::Api")

    assert "CorsConfiguration" not in api
    assert not any(key.startswith("OPTIONS ") for key in _routes(synthesized))


def test_cors_allows_exactly_the_configured_origins_and_what_the_pages_need(
    production: Synthesized,
) -> None:
    _, api = _only(production, "AWS::ApiGatewayV2::Api")

    assert api["CorsConfiguration"] == {
        "AllowOrigins": ["https://books.example.org", "https://staging.books.example.org:8443"],
        "AllowMethods": ["GET", "POST", "DELETE"],
        "AllowHeaders": ["authorization", "content-type"],  # the delete token; a JSON body
        "ExposeHeaders": ["location", "retry-after"],
        "MaxAge": 600,
    }
    # API Gateway answers preflights itself: no OPTIONS route invokes the function.
    assert set(_routes(production)) == ROUTE_KEYS


def test_the_api_and_its_function_allow_the_same_origins(production: Synthesized) -> None:
    _, api = _only(production, "AWS::ApiGatewayV2::Api")
    function = production.properties(production.pipeline_stack.api.function)

    assert function["Environment"]["Variables"]["ALLOWED_ORIGINS"].split(",") == (
        api["CorsConfiguration"]["AllowOrigins"]
    )


def test_the_api_url_is_a_stack_output(synthesized: Synthesized) -> None:
    output = synthesized.pipeline_cfn["Outputs"]["ApiUrl"]

    assert output["Value"] == {
        "Fn::Join": [
            "",
            [
                "https://",
                {"Ref": _api_id(synthesized)},
                ".execute-api.",
                {"Ref": "AWS::Region"},
                ".",
                {"Ref": "AWS::URLSuffix"},
                "/",
            ],
        ]
    }
