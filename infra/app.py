"""The CDK app: `cdk synth` / `cdk deploy` run this file from infra/ (see cdk.json)."""

from __future__ import annotations

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

from infra.goodreads_stats_infra.config import PipelineSettings  # noqa: E402
from infra.goodreads_stats_infra.stack import GoodreadsStatsStack  # noqa: E402

STACK_NAME = "GoodreadsStats"


def build_app(app: cdk.App) -> GoodreadsStatsStack:
    """The stack, configured from the app's context, with the AWS Solutions rules applied."""
    stack = GoodreadsStatsStack(
        app,
        STACK_NAME,
        settings=PipelineSettings.from_context(app.node),
        description="goodreads-stats: Goodreads export CSV -> dashboard JSON pipeline",
        env=cdk.Environment(
            account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
            region=os.environ.get("CDK_DEFAULT_REGION"),
        ),
    )
    # Findings fail `cdk synth`/`cdk deploy`; suppressions sit beside their resources with reasons.
    cdk.Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return stack


def cdk_json_context() -> dict[str, Any]:
    """The context of cdk.json (settings and feature flags). The CLI passes it on its own; as
    App defaults, it makes a plain `python app.py` synthesize the same template."""
    context: dict[str, Any] = json.loads((INFRA_DIR / "cdk.json").read_text())["context"]
    return context


def main(
    *, context: Mapping[str, Any] | None = None, outdir: str | None = None
) -> GoodreadsStatsStack:
    """Synthesizes into `outdir`, else $CDK_OUTDIR (set by the CLI), else infra/cdk.out.

    `context` adds to cdk.json's; the CLI's `-c` values (CDK_CONTEXT_JSON) override both.
    """
    app = cdk.App(
        context={**cdk_json_context(), **(context or {})},
        outdir=outdir or os.environ.get("CDK_OUTDIR") or str(INFRA_DIR / "cdk.out"),
    )
    stack = build_app(app)
    app.synth()
    return stack


if __name__ == "__main__":
    main()
