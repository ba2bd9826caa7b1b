"""Deployment settings from CDK context, and where the Lambda packages are looked for."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match, Template

from infra import app as cdk_app
from infra.goodreads_stats_infra.assets import REPO_ROOT, LambdaAssets, MissingLambdaAsset
from infra.goodreads_stats_infra.config import PipelineSettings
from infra.goodreads_stats_infra.stack import GoodreadsStatsStack
from tests.infra.conftest import write_placeholder_dist

# As `cdk deploy -c key=value` passes them: strings.
TUNED_CONTEXT = {
    "processorMaxConcurrency": "8",
    "upstreamMaxRps": "0.5",
    "enrichmentSources": "openlibrary",
    "contact": "ops@example.org",
    "googleBooksApiKey": "test-key",
    "jobDeadlineSeconds": "1800",
    "aggregationLeaseSeconds": "600",
    "alarmEmail": "ops@example.org",
}
TUNED_PROCESSOR_VARIABLES = {
    "UPSTREAM_MAX_RPS": "0.5",
    "ENRICHMENT_SOURCES": "openlibrary",
    "CONTACT": "ops@example.org",
    "GOOGLE_BOOKS_API_KEY": "test-key",
}


def _settings(context: dict[str, Any]) -> PipelineSettings:
    return PipelineSettings.from_context(cdk.App(context=context).node)


@pytest.fixture(scope="module")
def tuned(
    placeholder_dist: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GoodreadsStatsStack]:
    app = cdk.App(
        context={**cdk_app.cdk_json_context(), **TUNED_CONTEXT, "distDir": str(placeholder_dist)},
        outdir=str(tmp_path_factory.mktemp("tuned.out")),
    )
    stack = cdk_app.build_app(app)
    app.synth()
    yield stack


def test_cdk_json_defaults_give_the_documented_settings(placeholder_dist: Path) -> None:
    settings = _settings({**cdk_app.cdk_json_context(), "distDir": str(placeholder_dist)})

    assert settings == PipelineSettings(
        lambda_assets=LambdaAssets.from_dist_dir(placeholder_dist),
        processor_max_concurrency=5,
        job_deadline_seconds=900,
        aggregation_lease_seconds=300,
    )


def test_context_strings_become_typed_settings(placeholder_dist: Path) -> None:
    settings = _settings({**TUNED_CONTEXT, "distDir": str(placeholder_dist)})

    assert settings.processor_max_concurrency == 8
    assert settings.upstream_max_rps == 0.5
    assert settings.job_deadline_seconds == 1800
    assert settings.alarm_email == "ops@example.org"


def test_an_empty_enrichment_sources_value_is_kept_because_it_switches_enrichment_off(
    placeholder_dist: Path,
) -> None:
    settings = _settings({"enrichmentSources": "", "distDir": str(placeholder_dist)})

    assert settings.enrichment_sources == ""


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("processorMaxConcurrency", "1", "between 2 and 1000"),
        ("processorMaxConcurrency", "five", "must be an integer"),
        ("upstreamMaxRps", "0", "positive number"),
        ("upstreamMaxRps", "fast", "must be a number"),
        ("jobDeadlineSeconds", "30", "at least 60"),
    ],
)
def test_invalid_context_values_are_refused_before_synthesis(
    placeholder_dist: Path, key: str, value: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        _settings({key: value, "distDir": str(placeholder_dist)})


def test_a_lease_shorter_than_an_aggregator_run_is_refused(placeholder_dist: Path) -> None:
    app = cdk.App(context={"distDir": str(placeholder_dist), "aggregationLeaseSeconds": "60"})

    with pytest.raises(ValueError, match="must exceed the aggregator's timeout"):
        cdk_app.build_app(app)


def test_missing_packages_name_the_build_command(tmp_path: Path) -> None:
    with pytest.raises(MissingLambdaAsset, match=r"\./pants package services::"):
        LambdaAssets.from_dist_dir(tmp_path)


def test_packages_are_looked_for_in_the_repository_dist_directory_by_default() -> None:
    assert cdk_app.cdk_json_context()["distDir"] == "dist"
    with pytest.raises(MissingLambdaAsset) as missing:
        LambdaAssets.from_dist_dir("no-such-dist")

    assert str(REPO_ROOT / "no-such-dist" / "services.orchestrator" / "lambda.zip") in str(
        missing.value
    )


def test_a_relative_dist_directory_is_taken_from_the_repository_root(tmp_path: Path) -> None:
    dist = write_placeholder_dist(tmp_path / "dist")
    relative = os.path.relpath(dist, REPO_ROOT)

    assert LambdaAssets.from_dist_dir(relative).orchestrator.resolve() == (
        dist / "services.orchestrator" / "lambda.zip"
    )


def test_tuning_reaches_the_processor_environment_and_mapping(
    tuned: GoodreadsStatsStack,
) -> None:
    resources = Template.from_stack(tuned).to_json()["Resources"]
    processor_id = tuned.get_logical_id(
        cast(cdk.CfnElement, tuned.book_processor.function.node.default_child)
    )
    variables = resources[processor_id]["Properties"]["Environment"]["Variables"]
    (mapping,) = (
        resource["Properties"]
        for resource in resources.values()
        if resource["Type"] == "AWS::Lambda::EventSourceMapping"
        and resource["Properties"]["FunctionName"] == {"Ref": processor_id}
    )

    assert {name: variables[name] for name in TUNED_PROCESSOR_VARIABLES} == (
        TUNED_PROCESSOR_VARIABLES
    )
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 8}


def test_tuning_reaches_the_orchestrator_and_aggregator(tuned: GoodreadsStatsStack) -> None:
    resources = Template.from_stack(tuned).to_json()["Resources"]

    def variables(function: Any) -> dict[str, Any]:
        logical_id = tuned.get_logical_id(cast(cdk.CfnElement, function.node.default_child))
        return cast(dict[str, Any], resources[logical_id]["Properties"]["Environment"]["Variables"])

    assert variables(tuned.orchestrator.function)["JOB_DEADLINE_SECONDS"] == "1800"
    assert variables(tuned.aggregator.function)["AGGREGATION_LEASE_SECONDS"] == "600"
    assert variables(tuned.aggregator.function)["JOB_DEADLINE_SECONDS"] == "1800"


def test_an_alarm_email_subscribes_to_a_tls_only_topic_that_every_alarm_notifies(
    tuned: GoodreadsStatsStack,
) -> None:
    template = Template.from_stack(tuned)
    topics = template.find_resources("AWS::SNS::Topic")
    (topic_id,) = topics

    template.has_resource_properties(
        "AWS::SNS::Subscription",
        {"Protocol": "email", "Endpoint": "ops@example.org", "TopicArn": {"Ref": topic_id}},
    )
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            }
        },
    )
    template.all_resources_properties(
        "AWS::CloudWatch::Alarm", Match.object_like({"AlarmActions": [{"Ref": topic_id}]})
    )


def test_the_tuned_stack_is_also_free_of_cdk_nag_errors(tuned: GoodreadsStatsStack) -> None:
    errors = Annotations.from_stack(tuned).find_error(
        "*", Match.string_like_regexp("AwsSolutions-.*")
    )

    assert errors == []
