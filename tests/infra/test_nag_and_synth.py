"""The AWS Solutions rules (cdk-nag) and the cloud assembly that `cdk deploy` would use."""

from __future__ import annotations

import csv
import json

from aws_cdk.assertions import Annotations, Match

from tests.infra.conftest import Synthesized


def test_cdk_nag_reports_no_unsuppressed_errors(synthesized: Synthesized) -> None:
    errors = Annotations.from_stack(synthesized.stack).find_error(
        "*", Match.string_like_regexp("AwsSolutions-.*")
    )

    assert errors == []


def test_cdk_nag_reports_no_unsuppressed_warnings(synthesized: Synthesized) -> None:
    warnings = Annotations.from_stack(synthesized.stack).find_warning(
        "*", Match.string_like_regexp("AwsSolutions-.*")
    )

    assert warnings == []


def test_the_app_runs_cdk_nag_and_every_finding_is_compliant_or_suppressed_with_a_reason(
    synthesized: Synthesized,
) -> None:
    report = synthesized.outdir / "AwsSolutions-GoodreadsStats-NagReport.csv"
    with report.open(newline="") as handle:
        rows = list(csv.DictReader(handle))

    assert rows, "app.py must apply AwsSolutionsChecks"
    assert {row["Compliance"] for row in rows} <= {"Compliant", "Suppressed"}
    for row in rows:
        if row["Compliance"] == "Suppressed":
            assert len(row["Exception Reason"]) > 40, row


def test_the_cloud_assembly_has_the_stack_and_no_errors(synthesized: Synthesized) -> None:
    manifest = json.loads((synthesized.outdir / "manifest.json").read_text())
    stack_artifact = manifest["artifacts"]["GoodreadsStats"]
    entries = [
        entry for entries in stack_artifact.get("metadata", {}).values() for entry in entries
    ]

    assert stack_artifact["type"] == "aws:cloudformation:stack"
    assert (synthesized.outdir / stack_artifact["properties"]["templateFile"]).is_file()
    assert [entry for entry in entries if entry["type"] == "aws:cdk:error"] == []
