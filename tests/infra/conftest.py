"""The app is synthesized once for the whole infra suite: the CDK's jsii runtime costs seconds.

Tests never need the real Lambda packages: placeholder zips in a temporary dist directory
stand in for `./pants package services::`, passed through the `distDir` context like a deploy.
"""

from __future__ import annotations

import dataclasses
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from constructs import IConstruct

from infra import app as cdk_app
from infra.goodreads_stats_infra.assets import AGGREGATOR_ZIP, BOOK_PROCESSOR_ZIP, ORCHESTRATOR_ZIP
from infra.goodreads_stats_infra.stack import GoodreadsStatsStack

SERVICE_ZIPS = {
    "orchestrator": ORCHESTRATOR_ZIP,
    "book_processor": BOOK_PROCESSOR_ZIP,
    "aggregator": AGGREGATOR_ZIP,
}


def write_placeholder_dist(root: Path) -> Path:
    """A dist directory laid out like Pants', one distinct zip per service."""
    for service, relative_path in SERVICE_ZIPS.items():
        path = root / relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(
                "lambda_function.py", f"# placeholder package of {service} for synthesis tests\n"
            )
    return root


@dataclasses.dataclass(frozen=True)
class Synthesized:
    stack: GoodreadsStatsStack
    template: Template
    cfn: dict[str, Any]  # the template as CloudFormation JSON
    outdir: Path

    def logical_id(self, construct: IConstruct) -> str:
        """The logical id of an L2 construct's CloudFormation resource."""
        element = construct.node.default_child
        assert isinstance(element, cdk.CfnElement), construct.node.path
        return str(self.stack.get_logical_id(element))

    def readable_names(self) -> Mapping[str, str]:
        """Logical id -> the name tests use for it in expected grants."""
        stack = self.stack
        named = {
            "bucket": stack.data.bucket,
            "jobs-table": stack.tables.jobs,
            "cache-table": stack.tables.cache,
            "task-queue": stack.queues.tasks,
            "task-dlq": stack.queues.tasks_dlq,
            "completion-queue": stack.queues.completions,
            "completion-dlq": stack.queues.completions_dlq,
            "failed-uploads-queue": stack.queues.failed_uploads,
            "orchestrator-logs": stack.orchestrator.log_group,
            "processor-logs": stack.book_processor.log_group,
            "aggregator-logs": stack.aggregator.log_group,
        }
        return {self.logical_id(construct): name for name, construct in named.items()}


@pytest.fixture(scope="session")
def placeholder_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_placeholder_dist(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def synthesized(placeholder_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The app exactly as `cdk synth` runs it (cdk.json context, cdk-nag), with test zips."""
    outdir = tmp_path_factory.mktemp("cdk.out")
    stack = cdk_app.main(context={"distDir": str(placeholder_dist)}, outdir=str(outdir))
    template = Template.from_stack(stack)
    return Synthesized(
        stack=stack,
        template=template,
        cfn=cast(dict[str, Any], template.to_json()),
        outdir=outdir,
    )
