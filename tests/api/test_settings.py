"""The API's environment: required names, defaults, and exact origins only."""

from __future__ import annotations

import pytest

from services.api.settings import Settings, SettingsError, parse_allowed_origins

BASE = {"DATA_BUCKET": "bucket", "JOBS_TABLE": "jobs"}


def test_defaults_give_a_five_minute_form_and_no_cors() -> None:
    settings = Settings.from_environment(BASE)
    assert (settings.data_bucket, settings.jobs_table) == ("bucket", "jobs")
    assert settings.allowed_origins == ()
    assert settings.upload_url_seconds == 300 and settings.upload_grace_seconds == 900
    assert settings.dashboard_url_seconds == 60
    assert settings.dashboard_inline_max_bytes == 5_000_000


def test_every_setting_is_read() -> None:
    settings = Settings.from_environment(
        {
            **BASE,
            "ALLOWED_ORIGINS": "https://a.example, https://b.example:8443,,http://localhost:5173",
            "UPLOAD_URL_SECONDS": "120",
            "UPLOAD_GRACE_SECONDS": "0",
            "DASHBOARD_URL_SECONDS": "30",
            "DASHBOARD_INLINE_MAX_BYTES": "1000",
            "JOB_RETENTION_DAYS": "7",
            "RECEIVED_STALE_SECONDS": "3600",
        }
    )
    assert settings.allowed_origins == (
        "https://a.example",
        "https://b.example:8443",
        "http://localhost:5173",
    )
    assert (settings.upload_url_seconds, settings.upload_grace_seconds) == (120, 0)
    assert (settings.dashboard_url_seconds, settings.dashboard_inline_max_bytes) == (30, 1000)
    assert (settings.job_retention_days, settings.received_stale_seconds) == (7, 3600)


@pytest.mark.parametrize(
    "origins",
    [
        "*",
        "https://*.example.com",
        "http://app.example.com",  # plain http only on loopback
        "https://app.example.com/",
        "https://app.example.com/path",
        "https://App.Example.com",
        "app.example.com",
        "https://",
    ],
)
def test_an_origin_that_is_not_exact_is_refused(origins: str) -> None:
    with pytest.raises(SettingsError):
        parse_allowed_origins(origins)


@pytest.mark.parametrize(
    "environment",
    [
        {"JOBS_TABLE": "jobs"},
        {"DATA_BUCKET": "bucket"},
        {**BASE, "UPLOAD_URL_SECONDS": "five minutes"},
        {**BASE, "UPLOAD_URL_SECONDS": "0"},
        {**BASE, "DASHBOARD_URL_SECONDS": "-1"},
    ],
)
def test_a_missing_or_malformed_setting_is_refused(environment: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        Settings.from_environment(environment)
