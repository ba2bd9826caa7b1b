"""The sample dashboard shipped in docs/sample/ (and in the web app) is what the local command
makes of the CC0 export today, offline: regenerate it when the aggregator's output changes."""

from __future__ import annotations

import json
from pathlib import Path

from local_runtime.pipeline import RunOptions, run_pipeline
from tests.support.dashboards import SAMPLE_DASHBOARD
from tests.support.samples import CC0_EXPORT

# Differ on every run by design.
RUN_FIELDS = ("job_id", "generated_at")
REGENERATE = (
    "python -m local_runtime.cli samples/goodreads_library_export_cc0_2024.csv "
    "--out OUT --offline && cp OUT/dashboard.json docs/sample/dashboard.json"
)


def test_the_committed_sample_is_what_the_pipeline_makes_of_the_cc0_export(tmp_path: Path) -> None:
    outcome = run_pipeline(CC0_EXPORT, tmp_path, RunOptions(offline=True, aws="in-process"))
    assert outcome.dashboard_path is not None
    fresh = json.loads(outcome.dashboard_path.read_bytes())
    committed = json.loads(SAMPLE_DASHBOARD.read_bytes())
    for field in RUN_FIELDS:
        fresh.pop(field)
        committed.pop(field)
    assert fresh == committed, f"docs/sample/dashboard.json is out of date: {REGENERATE}"
