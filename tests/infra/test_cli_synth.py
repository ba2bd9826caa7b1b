"""`python app.py`, as the CDK CLI runs it from infra/ (cdk.json "app"), synthesizes the stack.

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


def test_app_py_synthesizes_the_stack_into_the_cli_output_directory(
    placeholder_dist: Path, tmp_path: Path
) -> None:
    outdir = tmp_path / "cdk.out"
    environment = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps({"distDir": str(placeholder_dist)}),
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
    template = json.loads((outdir / "GoodreadsStats.template.json").read_text())
    mappings = [
        resource["Properties"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::EventSourceMapping"
    ]
    assert {tuple(m["FunctionResponseTypes"]) for m in mappings} == {("ReportBatchItemFailures",)}
    manifest = json.loads((outdir / "manifest.json").read_text())
    errors = [
        entry
        for entries in manifest["artifacts"]["GoodreadsStats"].get("metadata", {}).values()
        for entry in entries
        if entry["type"] == "aws:cdk:error"
    ]
    assert errors == []
    assert (outdir / "AwsSolutions-GoodreadsStats-NagReport.csv").is_file()
