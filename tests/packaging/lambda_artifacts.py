"""Checks on a built Lambda zip: what it carries, and whether its handler imports alone."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

SERVICES = ("orchestrator", "book_processor", "aggregator", "api")

# Test tooling and the CDK must never ship in a function: dead weight at best, an attack
# surface at worst.
FORBIDDEN_TOP_LEVEL = frozenset(
    {
        "aws_cdk",
        "constructs",
        "cdk_nag",
        "jsii",
        "pytest",
        "_pytest",
        "moto",
        "tests",
        "local_runtime",
    }
)


def artifact_path(service: str) -> Path:
    """Where `pants package` puts a service's zip (relative to the build root or sandbox)."""
    return Path(f"services.{service}") / "lambda.zip"


def top_level_names(zip_path: Path) -> set[str]:
    with zipfile.ZipFile(zip_path) as archive:
        return {name.split("/", 1)[0] for name in archive.namelist()}


def forbidden_content(zip_path: Path, service: str) -> list[str]:
    """Forbidden packages, and other services' code, found in the zip."""
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
    problems = sorted({n.split("/", 1)[0] for n in names} & FORBIDDEN_TOP_LEVEL)
    for other in SERVICES:
        if other != service and any(n.startswith(f"services/{other}/") for n in names):
            problems.append(f"services/{other}")
    return problems


def import_handler_in_clean_interpreter(
    zip_path: Path, extract_to: Path
) -> subprocess.CompletedProcess[str]:
    """Unzips the artifact and imports its handler in an isolated CPython (-I -S: no site-packages,
    no user site, no PYTHON* variables), with nothing but the artifact on sys.path."""
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(extract_to)
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "import lambda_function; "
        "assert callable(lambda_function.handler), 'handler is not callable'; "
        "print(lambda_function.handler.__module__)"
    )
    env = {"AWS_DEFAULT_REGION": "us-east-1", "PATH": os.environ.get("PATH", "")}
    return subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe, str(extract_to)],
        capture_output=True,
        text=True,
        env=env,
        cwd=extract_to,
        timeout=120,
    )
