"""Fixtures shared by every test: an embedded AWS (moto) with the deployment's resources.

moto runs with the local runtime's emulator fixes (local_runtime/emulator_fixes.py), as it does
in the local runtime: among them the request-level lock that makes each DynamoDB and S3
request atomic, as the real services are, so that tests racing requests need nothing more.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from local_runtime.emulator_fixes import apply_emulator_fixes
from local_runtime.resources import ServiceEnvironment, create_resources

_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[boto3.Session, ServiceEnvironment]]:
    """moto in-process, the bucket, tables and queues created, and the services' env set."""
    for name, value in _FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    apply_emulator_fixes()
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        env = create_resources(session)
        for name, value in env.as_env().items():
            monkeypatch.setenv(name, value)
        yield session, env
