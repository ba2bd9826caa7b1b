"""The API under test: built like the handler builds it, against moto, with a clock to move."""

from __future__ import annotations

import pytest

from tests.api.support import START, ApiClient, AwsFixture, api_client
from tests.support.clocks import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def api(aws: AwsFixture, clock: Clock) -> ApiClient:
    return api_client(aws, clock)
