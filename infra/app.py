"""The CDK app: `cdk synth` / `cdk deploy` run this file from infra/ (see cdk.json)."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

INFRA_DIR = Path(__file__).resolve().parent

# The repository root is the one source root (`infra.…` imports), also when the CDK CLI runs
# this file as a script from infra/.
if str(INFRA_DIR.parent) not in sys.path:
    sys.path.insert(0, str(INFRA_DIR.parent))

import aws_cdk as cdk  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from infra.goodreads_stats_infra.assets import MissingBuildArtifact  # noqa: E402
from infra.goodreads_stats_infra.config import PipelineSettings, SettingsError  # noqa: E402
from infra.goodreads_stats_infra.data_stack import DataStack  # noqa: E402
from infra.goodreads_stats_infra.pipeline_stack import PipelineStack  # noqa: E402
from infra.goodreads_stats_infra.web_stack import WebStack  # noqa: E402

STACK_NAME_PREFIX = "GoodreadsStats"


@dataclasses.dataclass(frozen=True)
class Deployment:
    """One environment: its stateful stack, the stateless stack that uses it, and the web
    front end in front of both."""

    settings: PipelineSettings
    data: DataStack
    pipeline: PipelineStack
    web: WebStack

    @property
    def stacks(self) -> tuple[DataStack, PipelineStack, WebStack]:
        return (self.data, self.pipeline, self.web)


def stack_names(environment: str) -> tuple[str, str, str]:
    """Data, pipeline and web stack names: distinct per environment, so environments coexist."""
    prefix = f"{STACK_NAME_PREFIX}-{environment}"
    return (f"{prefix}-Data", f"{prefix}-Pipeline", f"{prefix}-Web")


def build_app(app: cdk.App) -> Deployment:
    """The environment's three stacks, configured from the app's context, with the AWS
    Solutions rules applied."""
    settings = PipelineSettings.from_context(app.node)
    data_name, pipeline_name, web_name = stack_names(settings.environment)
    target = cdk.Environment(
        account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
        region=os.environ.get("CDK_DEFAULT_REGION"),
    )
    data = DataStack(
        app,
        data_name,
        settings=settings,
        description=f"goodreads-stats ({settings.environment}): data bucket and tables",
        env=target,
        # Production data may only be deleted on purpose: turn this off first (README).
        termination_protection=settings.is_production,
    )
    pipeline = PipelineStack(
        app,
        pipeline_name,
        settings=settings,
        data_stack=data,
        description=f"goodreads-stats ({settings.environment}): queues, functions, HTTP API, alarms",
        env=target,
    )
    web = WebStack(
        app,
        web_name,
        settings=settings,
        data_stack=data,
        pipeline_stack=pipeline,
        description=f"goodreads-stats ({settings.environment}): the web front end (CloudFront)",
        env=target,
    )
    for stack in (data, pipeline, web):
        cdk.Tags.of(stack).add("project", "goodreads-stats")
        cdk.Tags.of(stack).add("environment", settings.environment)
    # Findings fail `cdk synth`/`cdk deploy`; suppressions sit beside their resources with reasons.
    cdk.Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return Deployment(settings=settings, data=data, pipeline=pipeline, web=web)


def cdk_json_context() -> dict[str, Any]:
    """The context of cdk.json (settings and feature flags). The CLI passes it on its own; as
    App defaults, it makes a plain `python app.py` synthesize the same template."""
    context: dict[str, Any] = json.loads((INFRA_DIR / "cdk.json").read_text())["context"]
    return context


def main(*, context: Mapping[str, Any] | None = None, outdir: str | None = None) -> Deployment:
    """Synthesizes into `outdir`, else $CDK_OUTDIR (set by the CLI), else infra/cdk.out.

    `context` adds to cdk.json's; the CLI's `-c` values (CDK_CONTEXT_JSON) override both.
    """
    app = cdk.App(
        context={**cdk_json_context(), **(context or {})},
        outdir=outdir or os.environ.get("CDK_OUTDIR") or str(INFRA_DIR / "cdk.out"),
    )
    deployment = build_app(app)
    app.synth()
    return deployment


if __name__ == "__main__":
    try:
        main()
    except (MissingBuildArtifact, SettingsError) as error:
        # A deployment input is missing or wrong: the message says what to do, a traceback
        # through the CDK would only bury it.
        sys.exit(f"goodreads-stats infra: {error}")
