"""The committed JSON Schemas are exactly what the code generates."""

from __future__ import annotations

import json
import pathlib

from contracts.codec import CONTRACTS
from contracts.schema_export import SCHEMA_DIR, render_schemas, schema_file_name, write_schemas

REGENERATE = "run `python -m contracts.schema_export` and commit contracts/schemas/"


def test_every_contract_has_a_committed_schema_equal_to_the_generated_one() -> None:
    for name, text in render_schemas().items():
        committed = SCHEMA_DIR / name
        assert committed.exists(), f"{name} is not committed: {REGENERATE}"
        assert committed.read_text(encoding="utf-8") == text, f"{name} drifted: {REGENERATE}"


def test_no_committed_schema_belongs_to_a_contract_that_no_longer_exists() -> None:
    expected = {schema_file_name(contract) for contract in CONTRACTS}
    committed = {path.name for path in SCHEMA_DIR.glob("*.json")}
    assert committed == expected, REGENERATE


def test_schemas_are_named_by_tag_and_describe_the_tag_field() -> None:
    for contract in CONTRACTS:
        schema = json.loads((SCHEMA_DIR / schema_file_name(contract)).read_text(encoding="utf-8"))
        definition = schema["$defs"][contract.__name__]
        assert definition["properties"]["type"]["enum"] == [schema_file_name(contract)[:-5]]
        assert "type" in definition["required"]


def test_the_generator_writes_the_schemas_and_removes_stale_ones(tmp_path: pathlib.Path) -> None:
    (tmp_path / "book.task.v0.json").write_text("{}")
    written = write_schemas(tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(path.name for path in written)
    assert {path.name for path in written} == set(render_schemas())


def test_a_changed_contract_shows_up_as_drift(tmp_path: pathlib.Path) -> None:
    write_schemas(tmp_path)
    task_schema = tmp_path / "book.task.v1.json"
    changed = json.loads(task_schema.read_text(encoding="utf-8"))
    changed["$defs"]["BookTask"]["properties"]["priority"] = {"type": "integer"}
    task_schema.write_text(json.dumps(changed, indent=2, sort_keys=True) + "\n")
    assert task_schema.read_text(encoding="utf-8") != render_schemas()["book.task.v1.json"]
