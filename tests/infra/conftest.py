"""The app is synthesized once per environment for the whole infra suite: the CDK's jsii runtime
costs seconds per synthesis.

Tests never need the real Lambda packages: placeholder zips in a temporary dist directory
stand in for `./pants package services::`, passed through the `distDir` context like a deploy.

Everything is read from the cloud assembly that one synthesis writes, as the CLI reads it:
`Template.from_stack` and `Annotations.from_stack` would synthesize (and run cdk-nag) again, on
a construct tree whose cross-stack references the first synthesis has already resolved.

Two deployments are synthesized: `synthesized`, with cdk.json's defaults (the disposable `dev`
environment), and `production`, the `prod` environment with every setting tuned, as
`cdk deploy -c key=value` passes them (strings).
"""

from __future__ import annotations

import dataclasses
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from constructs import IConstruct

from infra import app as cdk_app
from infra.goodreads_stats_infra.assets import (
    AGGREGATOR_ZIP,
    API_ZIP,
    BOOK_PROCESSOR_ZIP,
    ORCHESTRATOR_ZIP,
    SITE_ZIP,
)
from infra.goodreads_stats_infra.data_stack import DataStack
from infra.goodreads_stats_infra.pipeline_stack import PipelineStack
from infra.goodreads_stats_infra.web_stack import WebStack
from tests.infra.template_queries import referenced_id

SERVICE_ZIPS = {
    "orchestrator": ORCHESTRATOR_ZIP,
    "book_processor": BOOK_PROCESSOR_ZIP,
    "aggregator": AGGREGATOR_ZIP,
    "api": API_ZIP,
}

PRODUCTION_CONTEXT = {
    "environment": "prod",
    "allowedOrigins": "https://books.example.org,https://staging.books.example.org:8443",
    "processorMaxConcurrency": "8",
    "upstreamMaxRps": "0.5",
    "enrichmentSources": "openlibrary",
    "contact": "ops@example.org",
    "googleBooksApiKey": "test-key",
    "jobDeadlineSeconds": "1800",
    "aggregationLeaseSeconds": "600",
    "apiRateLimit": "2.5",
    "apiBurstLimit": "10",
    "alarmEmail": "ops@example.org",
}


def write_placeholder_dist(root: Path) -> Path:
    """A dist directory laid out like Pants', one distinct zip per service, and a site."""
    for service, relative_path in SERVICE_ZIPS.items():
        path = root / relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(
                "lambda_function.py", f"# placeholder package of {service} for synthesis tests\n"
            )
    site = root / SITE_ZIP
    site.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(site, "w") as archive:
        archive.writestr("index.html", "<!doctype html><title>placeholder site</title>\n")
        archive.writestr("assets/app-000000000000.js", "// placeholder\n")
    return root


@dataclasses.dataclass(frozen=True)
class Synthesized:
    """One environment's three stacks, their templates and the cloud assembly directory."""

    deployment: cdk_app.Deployment
    data: Template
    pipeline: Template
    web: Template
    outdir: Path

    @property
    def data_stack(self) -> DataStack:
        return self.deployment.data

    @property
    def pipeline_stack(self) -> PipelineStack:
        return self.deployment.pipeline

    @property
    def web_stack(self) -> WebStack:
        return self.deployment.web

    @property
    def data_cfn(self) -> dict[str, Any]:
        return cast(dict[str, Any], self.data.to_json())

    @property
    def pipeline_cfn(self) -> dict[str, Any]:
        return cast(dict[str, Any], self.pipeline.to_json())

    @property
    def web_cfn(self) -> dict[str, Any]:
        return cast(dict[str, Any], self.web.to_json())

    def cfn_of(self, stack: cdk.Stack) -> dict[str, Any]:
        templates = {
            id(self.data_stack): self.data,
            id(self.pipeline_stack): self.pipeline,
            id(self.web_stack): self.web,
        }
        assert id(stack) in templates, stack.node.path
        return cast(dict[str, Any], templates[id(stack)].to_json())

    def logical_id(self, construct: IConstruct) -> str:
        """The logical id of an L2 construct's CloudFormation resource."""
        element = construct.node.default_child
        assert isinstance(element, cdk.CfnElement), construct.node.path
        return str(cdk.Stack.of(construct).get_logical_id(element))

    def resource(self, construct: IConstruct) -> dict[str, Any]:
        """An L2 construct's CloudFormation resource, from its own stack's template."""
        resources = self.cfn_of(cdk.Stack.of(construct))["Resources"]
        return cast(dict[str, Any], resources[self.logical_id(construct)])

    def properties(self, construct: IConstruct) -> dict[str, Any]:
        return cast(dict[str, Any], self.resource(construct)["Properties"])

    def imported(self, construct: IConstruct, attribute: str = "Ref") -> dict[str, str]:
        """How the pipeline stack refers to a data stack resource: the import of the data
        stack's export of its Ref or of one of its attributes ("Arn")."""
        logical_id = self.logical_id(construct)
        value: dict[str, Any] = (
            {"Ref": logical_id} if attribute == "Ref" else {"Fn::GetAtt": [logical_id, attribute]}
        )
        (name,) = (
            output["Export"]["Name"]
            for output in self.data_cfn.get("Outputs", {}).values()
            if "Export" in output and output["Value"] == value
        )
        return {"Fn::ImportValue": name}

    def readable_names(self) -> Mapping[str, str]:
        """Logical id (or the name of a data stack export) -> the name tests use for it."""
        stack = self.pipeline_stack
        data = self.data_stack
        named = {
            "bucket": data.data.bucket,
            "jobs-table": data.tables.jobs,
            "cache-table": data.tables.cache,
            "task-queue": stack.queues.tasks,
            "task-dlq": stack.queues.tasks_dlq,
            "completion-queue": stack.queues.completions,
            "completion-dlq": stack.queues.completions_dlq,
            "failed-uploads-queue": stack.queues.failed_uploads,
            "orchestrator-logs": stack.orchestrator.log_group,
            "processor-logs": stack.book_processor.log_group,
            "aggregator-logs": stack.aggregator.log_group,
            "api-logs": stack.api.log_group,
        }
        names = {self.logical_id(construct): name for name, construct in named.items()}
        for output in self.data_cfn.get("Outputs", {}).values():
            if "Export" in output and referenced_id(output["Value"]) in names:
                names[output["Export"]["Name"]] = names[referenced_id(output["Value"])]
        return names


def synthesize(context: Mapping[str, Any], outdir: Path) -> Synthesized:
    """The app exactly as `cdk synth` runs it (cdk.json context, cdk-nag), with `context` as
    if given with `-c`."""
    deployment = cdk_app.main(context=context, outdir=str(outdir))

    def written(stack: cdk.Stack) -> Template:
        return Template.from_json(json.loads((outdir / stack.template_file).read_text()))

    return Synthesized(
        deployment=deployment,
        data=written(deployment.data),
        pipeline=written(deployment.pipeline),
        web=written(deployment.web),
        outdir=outdir,
    )


def synthesis_messages(synthesized: Synthesized, stack: cdk.Stack, level: str) -> list[str]:
    """The error or warning messages the synthesis left on a stack, as the CLI reads them
    from the cloud assembly (cdk-nag's unsuppressed findings among them)."""
    manifest = json.loads((synthesized.outdir / "manifest.json").read_text())
    metadata = manifest["artifacts"][stack.artifact_id].get("metadata", {})
    return [
        str(entry["data"])
        for entries in metadata.values()
        for entry in entries
        if entry["type"] == f"aws:cdk:{level}"
    ]


@pytest.fixture(scope="session")
def placeholder_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_placeholder_dist(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def synthesized(placeholder_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """cdk.json's defaults: the `dev` environment."""
    return synthesize({"distDir": str(placeholder_dist)}, tmp_path_factory.mktemp("dev.out"))


@pytest.fixture(scope="session")
def production(placeholder_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The `prod` environment with every setting given on the command line."""
    return synthesize(
        {**PRODUCTION_CONTEXT, "distDir": str(placeholder_dist)},
        tmp_path_factory.mktemp("prod.out"),
    )
