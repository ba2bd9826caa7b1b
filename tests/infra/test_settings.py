"""Deployment settings from CDK context, and where the Lambda packages are looked for."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match

from infra import app as cdk_app
from infra.goodreads_stats_infra.assets import REPO_ROOT, BuildArtifacts, MissingBuildArtifact
from infra.goodreads_stats_infra.config import PipelineSettings, SettingsError
from tests.infra.conftest import (
    PRODUCTION_CONTEXT,
    Synthesized,
    synthesis_messages,
    write_placeholder_dist,
)

PRODUCTION_PROCESSOR_VARIABLES = {
    "UPSTREAM_MAX_RPS": "0.5",
    "ENRICHMENT_SOURCES": "openlibrary",
    "CONTACT": "ops@example.org",
    "GOOGLE_BOOKS_API_KEY": "test-key",
}


def _settings(context: dict[str, Any]) -> PipelineSettings:
    return PipelineSettings.from_context(cdk.App(context=context).node)


def test_cdk_json_defaults_give_the_documented_settings(placeholder_dist: Path) -> None:
    settings = _settings({**cdk_app.cdk_json_context(), "distDir": str(placeholder_dist)})

    assert settings == PipelineSettings(
        artifacts=BuildArtifacts.from_dist_dir(placeholder_dist),
        environment="dev",
        allowed_origins=(),
        processor_max_concurrency=5,
        job_deadline_seconds=900,
        aggregation_lease_seconds=300,
        api_rate_limit=20.0,
        api_burst_limit=50,
    )
    assert not settings.is_production


def test_context_strings_become_typed_settings(placeholder_dist: Path) -> None:
    settings = _settings({**PRODUCTION_CONTEXT, "distDir": str(placeholder_dist)})

    assert settings.environment == "prod" and settings.is_production
    assert settings.allowed_origins == (
        "https://books.example.org",
        "https://staging.books.example.org:8443",
    )
    assert settings.processor_max_concurrency == 8
    assert settings.upstream_max_rps == 0.5
    assert settings.job_deadline_seconds == 1800
    assert settings.api_rate_limit == 2.5
    assert settings.api_burst_limit == 10
    assert settings.alarm_email == "ops@example.org"


@pytest.mark.parametrize(
    "value",
    [
        ["https://a.example.org", "https://b.example.org"],  # cdk.json
        "https://a.example.org, https://b.example.org",  # -c allowedOrigins=...
        '["https://a.example.org", "https://b.example.org"]',  # -c with a JSON list
        "https://a.example.org,https://b.example.org,https://a.example.org,",
    ],
)
def test_allowed_origins_are_read_from_a_list_or_a_comma_separated_string(
    placeholder_dist: Path, value: Any
) -> None:
    settings = _settings({"allowedOrigins": value, "distDir": str(placeholder_dist)})

    assert settings.allowed_origins == ("https://a.example.org", "https://b.example.org")


@pytest.mark.parametrize(
    "origin",
    [
        "http://books.example.org",  # plain HTTP
        "https://books.example.org/",  # a path, even "/", is not part of an origin
        "https://books.example.org/upload",
        "https://*.example.org",
        "*",
        "https://user@books.example.org",
        "https://Books.Example.org",  # browsers send the host in lower case
        "https://books.example.org:notaport",
        "books.example.org",
    ],
)
def test_an_allowed_origin_must_be_an_exact_https_origin(
    placeholder_dist: Path, origin: str
) -> None:
    with pytest.raises(SettingsError, match="is not an https origin"):
        _settings({"allowedOrigins": origin, "distDir": str(placeholder_dist)})


@pytest.mark.parametrize("environment", ["Prod", "prod_1", "1dev", "a" * 21, "dev env"])
def test_an_environment_name_must_be_usable_in_stack_names(
    placeholder_dist: Path, environment: str
) -> None:
    with pytest.raises(SettingsError, match="environment must be"):
        _settings({"environment": environment, "distDir": str(placeholder_dist)})


def test_only_the_prod_environment_is_production(placeholder_dist: Path) -> None:
    def is_production(environment: str) -> bool:
        return _settings(
            {"environment": environment, "distDir": str(placeholder_dist)}
        ).is_production

    assert is_production("prod")
    assert not any(map(is_production, ["dev", "staging", "alice", "production-test"]))


def test_each_environment_has_its_own_three_stacks(
    synthesized: Synthesized, production: Synthesized
) -> None:
    assert [stack.stack_name for stack in synthesized.deployment.stacks] == [
        "GoodreadsStats-dev-Data",
        "GoodreadsStats-dev-Pipeline",
        "GoodreadsStats-dev-Web",
    ]
    assert [stack.stack_name for stack in production.deployment.stacks] == [
        "GoodreadsStats-prod-Data",
        "GoodreadsStats-prod-Pipeline",
        "GoodreadsStats-prod-Web",
    ]


def test_resources_are_tagged_with_their_environment(production: Synthesized) -> None:
    tag = Match.array_with([{"Key": "environment", "Value": "prod"}])

    production.data.has_resource_properties("AWS::S3::Bucket", {"Tags": tag})
    production.pipeline.has_resource_properties("AWS::Lambda::Function", {"Tags": tag})


def test_an_empty_enrichment_sources_value_is_kept_because_it_switches_enrichment_off(
    placeholder_dist: Path,
) -> None:
    settings = _settings({"enrichmentSources": "", "distDir": str(placeholder_dist)})

    assert settings.enrichment_sources == ""


@pytest.mark.parametrize(
    ("contact", "concurrency", "expected_rps"),
    [
        # Open Library: 3 requests/s for a client with a contact, 1 without, for the whole
        # deployment: the processors share one pace, however many run at once.
        ("ops@example.org", "5", 3.0),
        ("ops@example.org", "50", 3.0),
        (None, "5", 1.0),
    ],
)
def test_without_upstream_max_rps_the_deployment_keeps_to_open_librarys_limit(
    placeholder_dist: Path, contact: str | None, concurrency: str, expected_rps: float
) -> None:
    context = {"processorMaxConcurrency": concurrency, "distDir": str(placeholder_dist)}
    if contact is not None:
        context["contact"] = contact

    settings = _settings(context)

    assert settings.upstream_max_rps_for_deployment == pytest.approx(expected_rps)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("processorMaxConcurrency", "1", "between 2 and 1000"),
        ("processorMaxConcurrency", "five", "must be an integer"),
        ("upstreamMaxRps", "0", "positive number"),
        ("upstreamMaxRps", "fast", "must be a number"),
        ("jobDeadlineSeconds", "30", "at least 60"),
        ("apiRateLimit", "0", "apiRateLimit must be above 0"),
        ("apiRateLimit", "-1", "apiRateLimit must be above 0"),
        ("apiRateLimit", "nan", "apiRateLimit must be above 0"),
        ("apiRateLimit", "20000", "at most 10000"),
        ("apiRateLimit", "lots", "must be a number"),
        ("apiBurstLimit", "0", "apiBurstLimit must be between 1 and 5000"),
        ("apiBurstLimit", "5001", "apiBurstLimit must be between 1 and 5000"),
        ("apiBurstLimit", "2.5", "must be an integer"),
        ("allowedOrigins", 42, "must be a list of origins"),
        ("allowedOrigins", '["https://a.example.org"', "not a JSON list"),
        ("allowedOrigins", '{"origins": []}', "not an https origin"),
    ],
)
def test_invalid_context_values_are_refused_before_synthesis(
    placeholder_dist: Path, key: str, value: Any, message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        _settings({key: value, "distDir": str(placeholder_dist)})


def test_a_lease_shorter_than_an_aggregator_run_is_refused(placeholder_dist: Path) -> None:
    app = cdk.App(context={"distDir": str(placeholder_dist), "aggregationLeaseSeconds": "60"})

    with pytest.raises(SettingsError, match="must exceed the aggregator's timeout"):
        cdk_app.build_app(app)


def test_missing_packages_name_the_build_command(tmp_path: Path) -> None:
    with pytest.raises(MissingBuildArtifact, match=r"\./pants package services:: web:site"):
        BuildArtifacts.from_dist_dir(tmp_path)


def test_packages_are_looked_for_in_the_repository_dist_directory_by_default() -> None:
    assert cdk_app.cdk_json_context()["distDir"] == "dist"
    with pytest.raises(MissingBuildArtifact) as missing:
        BuildArtifacts.from_dist_dir("no-such-dist")

    assert str(REPO_ROOT / "no-such-dist" / "services.orchestrator" / "lambda.zip") in str(
        missing.value
    )


def test_a_relative_dist_directory_is_taken_from_the_repository_root(tmp_path: Path) -> None:
    dist = write_placeholder_dist(tmp_path / "dist")
    relative = os.path.relpath(dist, REPO_ROOT)

    assert BuildArtifacts.from_dist_dir(relative).orchestrator.resolve() == (
        dist / "services.orchestrator" / "lambda.zip"
    )


def test_tuning_reaches_the_processor_environment_and_mapping(production: Synthesized) -> None:
    processor = production.pipeline_stack.book_processor.function
    variables = production.properties(processor)["Environment"]["Variables"]
    (mapping,) = (
        resource["Properties"]
        for resource in production.pipeline_cfn["Resources"].values()
        if resource["Type"] == "AWS::Lambda::EventSourceMapping"
        and resource["Properties"]["FunctionName"] == {"Ref": production.logical_id(processor)}
    )

    assert {name: variables[name] for name in PRODUCTION_PROCESSOR_VARIABLES} == (
        PRODUCTION_PROCESSOR_VARIABLES
    )
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 8}


def test_tuning_reaches_the_orchestrator_and_aggregator(production: Synthesized) -> None:
    stack = production.pipeline_stack

    def variables(function: Any) -> dict[str, Any]:
        environment: dict[str, Any] = production.properties(function)["Environment"]
        return environment["Variables"]  # type: ignore[no-any-return]

    assert variables(stack.orchestrator.function)["JOB_DEADLINE_SECONDS"] == "1800"
    assert variables(stack.aggregator.function)["AGGREGATION_LEASE_SECONDS"] == "600"
    assert variables(stack.aggregator.function)["JOB_DEADLINE_SECONDS"] == "1800"


def test_the_production_stacks_are_also_free_of_cdk_nag_findings(
    production: Synthesized,
) -> None:
    for stack in production.deployment.stacks:
        for level in ("error", "warning"):
            messages = synthesis_messages(production, stack, level)
            assert [m for m in messages if m.startswith("AwsSolutions-")] == [], stack.stack_name
