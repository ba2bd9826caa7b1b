"""The aggregator's environment: required names, defaults, and refusals of bad values."""

from __future__ import annotations

import pytest

from services.aggregator.settings import Settings

BASE = {"DATA_BUCKET": "bucket", "JOBS_TABLE": "jobs"}


def test_defaults_are_a_five_minute_lease_and_a_fifteen_minute_deadline() -> None:
    settings = Settings.from_environment(BASE)
    assert (settings.lease_seconds, settings.default_deadline_seconds) == (300, 900)


def test_lease_and_deadline_are_configurable() -> None:
    env = BASE | {"AGGREGATION_LEASE_SECONDS": "60", "JOB_DEADLINE_SECONDS": "120"}
    settings = Settings.from_environment(env)
    assert (settings.lease_seconds, settings.default_deadline_seconds) == (60, 120)


@pytest.mark.parametrize("value", ["0", "-5", "five", "1.5"])
def test_a_lease_that_is_not_a_positive_whole_number_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="AGGREGATION_LEASE_SECONDS"):
        Settings.from_environment(BASE | {"AGGREGATION_LEASE_SECONDS": value})


def test_bucket_and_table_are_required() -> None:
    with pytest.raises(ValueError, match="DATA_BUCKET, JOBS_TABLE"):
        Settings.from_environment({})
