"""How every service reads its settings from the environment the deployment gives it.

Each service has a frozen `Settings` dataclass in its `settings.py`, built by
`Settings.from_environment(env=os.environ)` with a `SettingsReader`: typed values, validated
when read, and one error type, `SettingsError`, whose message and `variables` name what to fix.
A function whose environment is unusable fails its cold start loudly rather than doing the
wrong thing. Missing required variables are reported together.

    reader = SettingsReader(env)
    settings = Settings(jobs_table=reader.required("JOBS_TABLE"), lease=reader.integer(...))
    reader.finish()  # raises SettingsError naming every required variable that is not set
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping


class SettingsError(ValueError):
    """The environment is unusable; `variables` are the names to fix."""

    def __init__(self, message: str, *variables: str) -> None:
        super().__init__(message)
        self.variables = variables


class SettingsReader:
    """Reads one service's variables; blank values count as unset."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env
        self._missing: list[str] = []

    def _raw(self, name: str) -> str:
        return (self._env.get(name) or "").strip()

    def required(self, name: str) -> str:
        """A value that must be set (collected and reported by `finish`)."""
        value = self._raw(name)
        if not value:
            self._missing.append(name)
        return value

    def text(self, name: str, default: str | None = None) -> str | None:
        return self._raw(name) or default

    def integer(self, name: str, default: int, *, minimum: int = 1) -> int:
        text = self._raw(name)
        if not text:
            return default
        try:
            value = int(text)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number, got {text!r:.40}", name) from None
        return _at_least(name, value, minimum)

    def number(self, name: str, default: float, *, minimum: float = 0.0) -> float:
        text = self._raw(name)
        if not text:
            return default
        try:
            value = float(text)
        except ValueError:
            raise SettingsError(f"{name} must be a number, got {text!r:.40}", name) from None
        if not math.isfinite(value):
            raise SettingsError(f"{name} must be a finite number, got {text!r:.40}", name)
        return _at_least(name, value, minimum)

    def url(self, name: str, default: str) -> str:
        """An http(s) base URL, without a trailing slash."""
        value = (self._raw(name) or default).rstrip("/")
        if not value.startswith(("https://", "http://")):
            raise SettingsError(f"{name} must be an http(s) URL, got {value!r:.100}", name)
        return value

    def finish(self) -> None:
        """Raises SettingsError if a required variable was not set."""
        if self._missing:
            verb = "is" if len(self._missing) == 1 else "are"
            raise SettingsError(f"{', '.join(self._missing)} {verb} not set", *self._missing)


def is_loopback_host(host: str) -> bool:
    """`localhost` or a loopback address: where plain http and local endpoints are allowed."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _at_least[N: (int, float)](name: str, value: N, minimum: float) -> N:
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum:g}, got {value:g}", name)
    return value
