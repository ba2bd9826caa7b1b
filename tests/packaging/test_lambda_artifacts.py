"""Each service ships as one Lambda zip that carries only what it imports and runs on its own."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest

from tests.packaging.lambda_artifacts import (
    SERVICES,
    artifact_path,
    forbidden_content,
    import_handler_in_clean_interpreter,
    top_level_names,
)


@pytest.mark.parametrize("service", SERVICES)
def test_artifact_carries_no_test_tooling_cdk_or_other_service(service: str) -> None:
    zip_path = artifact_path(service)
    assert zip_path.is_file(), f"{zip_path} was not built"
    assert forbidden_content(zip_path, service) == []


@pytest.mark.parametrize("service", SERVICES)
def test_artifact_carries_its_service_the_contracts_and_its_runtime_packages(service: str) -> None:
    names = top_level_names(artifact_path(service))
    assert {"lambda_function.py", "services", "contracts", "msgspec", "boto3"} <= names


@pytest.mark.parametrize("service", SERVICES)
def test_handler_imports_in_a_clean_python_3_13_with_only_the_artifact(
    service: str, tmp_path: Path
) -> None:
    assert sys.version_info[:2] == (3, 13)
    result = import_handler_in_clean_interpreter(artifact_path(service), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"services.{service}.handler"


def _zip_with(tmp_path: Path, members: dict[str, str]) -> Path:
    path = tmp_path / "lambda.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


def test_the_check_catches_a_zip_that_carries_moto_or_another_service(tmp_path: Path) -> None:
    bad = _zip_with(
        tmp_path,
        {
            "lambda_function.py": "",
            "moto/__init__.py": "",
            "services/aggregator/handler.py": "",
            "services/orchestrator/handler.py": "",
        },
    )
    assert forbidden_content(bad, "orchestrator") == ["moto", "services/aggregator"]


def test_the_check_catches_a_handler_that_needs_something_outside_the_zip(tmp_path: Path) -> None:
    bad = _zip_with(
        tmp_path,
        {"lambda_function.py": "import moto\nhandler = lambda event, context: None\n"},
    )
    result = import_handler_in_clean_interpreter(bad, tmp_path / "unzipped")
    assert result.returncode != 0
    assert "No module named 'moto'" in result.stderr
