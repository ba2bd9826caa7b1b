"""The fuzz suite's profiles (tests/README.md, "The fuzz suite").

`./pants test ::` runs the `ci` profile: a bounded number of examples per property,
derandomised (the same examples every run, so a red build is a bug, never luck). A longer
search explores new inputs on each run: `GOODREADS_STATS_FUZZ=nightly ./pants test tests/fuzz::`
(the variable passes through pants.toml's `[test] extra_env_vars`).
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings

VARIABLE = "GOODREADS_STATS_FUZZ"
SUPPRESSED = [HealthCheck.too_slow, HealthCheck.data_too_large]
# Examples per property, as a multiple of what each property asks for; and Hypothesis options.
PROFILES: dict[str, tuple[int, dict[str, Any]]] = {
    "ci": (1, {"derandomize": True, "database": None}),
    "nightly": (40, {"derandomize": False}),
}


def load() -> str:
    """Registers the profiles and loads the one the environment names (default `ci`)."""
    name = os.environ.get(VARIABLE, "ci")
    if name not in PROFILES:
        raise RuntimeError(f"{VARIABLE} must be one of {', '.join(PROFILES)}, not {name!r}")
    for profile, (_, options) in PROFILES.items():
        settings.register_profile(
            profile,
            deadline=None,  # a shared, loaded machine: an example is never judged by its time
            print_blob=True,  # a failure prints how to replay it (@reproduce_failure)
            suppress_health_check=SUPPRESSED,
            **options,
        )
    settings.load_profile(name)
    return name


def examples(count: int, *, suppress: tuple[HealthCheck, ...] = ()) -> settings:
    """Settings for a property that asks for `count` examples under the `ci` profile (and
    suppresses these health checks besides the profile's)."""
    factor = PROFILES[os.environ.get(VARIABLE, "ci")][0]
    return settings(max_examples=count * factor, suppress_health_check=[*SUPPRESSED, *suppress])
