"""The checks every synthesis passes: the AWS Solutions rules (cdk-nag), cfn-lint on the
templates `cdk deploy` would use, and a cloud assembly without errors."""

from __future__ import annotations

import csv
import json

import pytest
from cfnlint.api import lint
from cfnlint.config import ManualArgs
from cfnlint.helpers import REGIONS

from tests.infra.conftest import Synthesized, synthesis_messages

# W3005 ("dependency already enforced by a GetAtt"): the CDK adds an explicit DependsOn from
# every function to its role (and the role's policy) on purpose, so that the policy exists
# before the function is; the repetition is harmless and not ours to remove.
CFN_LINT_IGNORED = ["W3005"]

STACK_KINDS = ("data", "pipeline", "web")
# CloudFront's response headers policies, functions and origin access control do not exist in
# AWS GovCloud (US) or the China regions: the web stack deploys to the standard partition.
WEB_REGIONS = [region for region in REGIONS if not region.startswith(("us-gov-", "cn-"))]


def _nag_rows(synthesized: Synthesized, stack_name: str) -> list[dict[str, str]]:
    report = synthesized.outdir / f"AwsSolutions-{stack_name}-NagReport.csv"
    with report.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("level", ["error", "warning"])
@pytest.mark.parametrize("kind", STACK_KINDS)
def test_cdk_nag_leaves_no_unsuppressed_finding(
    synthesized: Synthesized, kind: str, level: str
) -> None:
    messages = synthesis_messages(synthesized, getattr(synthesized, f"{kind}_stack"), level)

    assert [message for message in messages if message.startswith("AwsSolutions-")] == []


@pytest.mark.parametrize("kind", STACK_KINDS)
def test_the_app_runs_cdk_nag_and_every_finding_is_compliant_or_suppressed_with_a_reason(
    synthesized: Synthesized, kind: str
) -> None:
    rows = _nag_rows(synthesized, getattr(synthesized, f"{kind}_stack").stack_name)

    assert rows, "app.py must apply AwsSolutionsChecks"
    assert {row["Compliance"] for row in rows} <= {"Compliant", "Suppressed"}
    for row in rows:
        if row["Compliance"] == "Suppressed":
            assert len(row["Exception Reason"]) > 40, row


def test_suppressions_are_few_and_each_names_its_resource(synthesized: Synthesized) -> None:
    """Every suppression is attached to one resource (none stack-wide) and to one rule."""
    suppressed = {
        (row["Rule ID"], row["Resource ID"].split("/")[1])
        for stack in synthesized.deployment.stacks
        for row in _nag_rows(synthesized, stack.stack_name)
        if row["Compliance"] == "Suppressed"
    }

    assert {rule for rule, _ in suppressed} == {
        "AwsSolutions-S1",  # server access logs (data bucket, site bucket)
        "AwsSolutions-IAM5",  # object keys under one prefix; CDK's site deployment
        "AwsSolutions-IAM4",  # CDK's custom resource handlers
        "AwsSolutions-APIG4",  # the HTTP API's routes: public by design
        "AwsSolutions-CFR1",  # no geo restriction: readers anywhere
        "AwsSolutions-CFR2",  # no WAF in front of static files and a throttled API
        "AwsSolutions-CFR3",  # no CloudFront access logs: paths carry job ids
        "AwsSolutions-CFR4",  # the default certificate's TLS floor
    }
    web = synthesized.web_stack
    assert {construct for _, construct in suppressed} == {
        "Data",
        "Orchestrator",
        "Aggregator",
        "Api",
        "HttpApi",
        "Frontend",
        next(
            child.node.id
            for child in synthesized.pipeline_stack.node.children
            if child.node.id.startswith("BucketNotificationsHandler")
        ),
        *(
            child.node.id
            for child in web.node.children
            if child.node.id.startswith(
                ("Custom::CDKBucketDeployment", "AWS679f53fac002430cb0da5b7982bd2287")
            )
        ),
    }


@pytest.mark.parametrize("environment", ["dev", "prod"])
@pytest.mark.parametrize("kind", STACK_KINDS)
def test_cfn_lint_finds_nothing_in_the_templates_for_any_region(
    synthesized: Synthesized, production: Synthesized, environment: str, kind: str
) -> None:
    deployment = synthesized if environment == "dev" else production
    stack = getattr(deployment, f"{kind}_stack")
    template = (deployment.outdir / stack.template_file).read_text()

    regions = WEB_REGIONS if kind == "web" else REGIONS
    matches = lint(template, config=ManualArgs(regions=regions, ignore_checks=CFN_LINT_IGNORED))

    assert [f"{m.rule.id} {m.message} at {'/'.join(map(str, m.path))}" for m in matches] == []


def test_only_the_http_api_routes_are_public_and_each_says_why(synthesized: Synthesized) -> None:
    """cdk-nag's APIG4 (no authorizer) is suppressed on the four routes, with the reason."""
    findings = {
        row["Resource ID"]: row
        for stack in synthesized.deployment.stacks
        for row in _nag_rows(synthesized, stack.stack_name)
        if row["Rule ID"] == "AwsSolutions-APIG4"
    }

    route_resources = [
        route.node.default_child for route in synthesized.pipeline_stack.http_api.routes
    ]
    assert sorted(findings) == sorted(
        resource.node.path for resource in route_resources if resource is not None
    )
    assert len(findings) == 4
    for row in findings.values():
        assert row["Compliance"] == "Suppressed"
        assert "capability" in row["Exception Reason"]
        assert "delete token" in row["Exception Reason"]


def test_cfn_lint_would_report_a_broken_template() -> None:
    """The lint test above can fail: a queue with an unknown property is an error."""
    broken = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"Retention": 1}}}}

    matches = lint(json.dumps(broken), config=ManualArgs(regions=["us-east-1"]))

    assert [match.rule.id for match in matches] == ["E3002"]


def test_the_cloud_assembly_has_the_three_stacks_and_no_errors(synthesized: Synthesized) -> None:
    manifest = json.loads((synthesized.outdir / "manifest.json").read_text())

    for stack in synthesized.deployment.stacks:
        artifact = manifest["artifacts"][stack.artifact_id]
        assert artifact["type"] == "aws:cloudformation:stack"
        assert (synthesized.outdir / artifact["properties"]["templateFile"]).is_file()
        assert synthesis_messages(synthesized, stack, "error") == []
    pipeline = manifest["artifacts"][synthesized.pipeline_stack.artifact_id]
    assert synthesized.data_stack.artifact_id in pipeline["dependencies"]
    web = manifest["artifacts"][synthesized.web_stack.artifact_id]
    assert {synthesized.data_stack.artifact_id, synthesized.pipeline_stack.artifact_id} <= set(
        web["dependencies"]
    )
