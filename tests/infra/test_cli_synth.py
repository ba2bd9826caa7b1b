"""`python app.py`, as the CDK CLI runs it from infra/ (cdk.json "app"), synthesizes the stacks.

The CLI passes `-c` values in CDK_CONTEXT_JSON and the output directory in CDK_OUTDIR; this
runs the script the same way, in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from infra.app import INFRA_DIR


def test_app_py_synthesizes_the_three_stacks_into_the_cli_output_directory(
    placeholder_dist: Path, tmp_path: Path
) -> None:
    outdir = tmp_path / "cdk.out"
    environment = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps({"distDir": str(placeholder_dist), "environment": "qa"}),
        "CDK_OUTDIR": str(outdir),
        # The same packages as this interpreter, wherever they are installed.
        "PYTHONPATH": os.pathsep.join(sys.path),
    }

    completed = subprocess.run(
        [sys.executable, "app.py"],
        cwd=INFRA_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr[-3000:]
    manifest = json.loads((outdir / "manifest.json").read_text())
    stacks = sorted(
        name
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    )
    assert stacks == [
        "GoodreadsStats-qa-Data",
        "GoodreadsStats-qa-Pipeline",
        "GoodreadsStats-qa-Web",
    ]
    template = json.loads((outdir / "GoodreadsStats-qa-Pipeline.template.json").read_text())
    mappings = [
        resource["Properties"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::EventSourceMapping"
    ]
    assert {tuple(m["FunctionResponseTypes"]) for m in mappings} == {("ReportBatchItemFailures",)}
    errors = [
        entry
        for stack in stacks
        for entries in manifest["artifacts"][stack].get("metadata", {}).values()
        for entry in entries
        if entry["type"] == "aws:cdk:error"
    ]
    assert errors == []
    for stack in stacks:
        assert (outdir / f"AwsSolutions-{stack}-NagReport.csv").is_file()


def test_without_the_lambda_packages_app_py_stops_with_the_build_command_and_no_traceback(
    tmp_path: Path,
) -> None:
    environment = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps({"distDir": str(tmp_path / "empty-dist")}),
        "CDK_OUTDIR": str(tmp_path / "cdk.out"),
        "PYTHONPATH": os.pathsep.join(sys.path),
    }

    completed = subprocess.run(
        [sys.executable, "app.py"],
        cwd=INFRA_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert "Build artifacts not found" in completed.stderr
    assert "./pants package services:: web:site" in completed.stderr
    assert not (tmp_path / "cdk.out" / "manifest.json").exists()
