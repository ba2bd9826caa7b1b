"""The environment the functions of a local run see: what their configuration in AWS would
say, with local clocks, endpoints and, when the enrichment sources cannot be reached, no
enrichment (and a notice saying so)."""

from __future__ import annotations

import dataclasses
import logging
import os
import urllib.parse
from collections.abc import Callable, Mapping

from contracts.settings import is_loopback_host
from local_runtime import netcheck
from local_runtime.clocks import Clocks, resolve_clocks
from local_runtime.emulator import loopback_no_proxy
from local_runtime.options import RunOptions

log = logging.getLogger("local_runtime")

ALL_SOURCES = ("openlibrary", "google_books")


@dataclasses.dataclass(frozen=True)
class FunctionEnvironment:
    variables: dict[str, str | None]  # None: unset the variable
    clocks: Clocks
    notices: tuple[str, ...]  # what the reader should know about this run


def function_environment(options: RunOptions, *, expected_books: int) -> FunctionEnvironment:
    """What the functions' configuration would say, with local clocks and endpoints.

    `expected_books` sizes the default deadline when enriching from the real APIs. Probes the
    enrichment sources unless `options.offline` or not `options.check_network`; raises
    ValueError for a setting that cannot work."""
    notices: list[str] = []

    def notice(text: str) -> None:
        notices.append(text)
        log.warning("%s", text)

    env: dict[str, str | None] = {
        "AGGREGATION_LEASE_SECONDS": str(options.aggregation_lease_seconds),
        "NO_PROXY": loopback_no_proxy(),
        # Metrics stay on, as in Lambda: each invocation flushes its own (Powertools keeps
        # them in process-wide state, which a disabled flush never clears, so values would
        # pass from one run to the next) as CloudWatch EMF lines on stdout, which the run's
        # log capture sends to pipeline.log, as Lambda sends them to CloudWatch Logs.
        "POWERTOOLS_METRICS_DISABLED": "false",
        # Nothing to send traces to.
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": os.environ.get(
            "POWERTOOLS_METRICS_NAMESPACE", "goodreads-stats"
        ),
    }
    env["no_proxy"] = env["NO_PROXY"]
    if options.openlibrary_base_url:
        env["OPENLIBRARY_BASE_URL"] = options.openlibrary_base_url
    if options.google_books_base_url:
        env["GOOGLE_BOOKS_BASE_URL"] = options.google_books_base_url
    env.update(options.environment)
    requested = enabled_sources({**os.environ, **env})
    unknown = [source for source in requested if source not in ALL_SOURCES]
    if unknown:
        raise ValueError(
            f"ENRICHMENT_SOURCES names unknown sources {', '.join(unknown)} "
            f"(known: {', '.join(ALL_SOURCES)})"
        )
    if options.offline:
        env["ENRICHMENT_SOURCES"] = ""
    elif options.check_network:
        _check_network(env, notice)

    merged: dict[str, str | None] = {**os.environ, **env}
    deadline_from_env = merged.get("JOB_DEADLINE_SECONDS")
    if options.deadline_seconds is None and deadline_from_env:
        try:
            options = dataclasses.replace(options, deadline_seconds=int(deadline_from_env))
        except ValueError:
            raise ValueError(
                f"JOB_DEADLINE_SECONDS must be whole seconds, got {deadline_from_env!r}"
            ) from None
    remote = any(not is_loopback_url(_base_url(source, merged)) for source in _sources(merged))
    clocks = resolve_clocks(
        options,
        remote_upstream=remote,
        expected_books=expected_books,
        upstream_rps=_upstream_rps(options, merged) if _sources(merged) else 0.0,
    )
    env["JOB_DEADLINE_SECONDS"] = str(clocks.deadline_seconds)
    env["UPSTREAM_MAX_RPS"] = clocks.upstream_max_rps
    if "REDELIVERY_BASE_SECONDS" not in merged:
        env["REDELIVERY_BASE_SECONDS"] = clocks.redelivery_base_seconds
    if remote and not merged.get("CONTACT"):
        notice(
            "set CONTACT to an e-mail address or URL: Open Library asks API clients to "
            "identify themselves in the User-Agent."
        )
    return FunctionEnvironment(variables=env, clocks=clocks, notices=tuple(notices))


def _upstream_rps(options: RunOptions, environment: Mapping[str, str | None]) -> float | None:
    """The run's rate per host: the option, else UPSTREAM_MAX_RPS, else None (the default)."""
    if options.upstream_rps is not None:
        if options.upstream_rps < 0:
            raise ValueError("the upstream rate cannot be negative")
        return options.upstream_rps
    text = (environment.get("UPSTREAM_MAX_RPS") or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"UPSTREAM_MAX_RPS must be a number, got {text!r:.40}") from None
    if value < 0:
        raise ValueError("UPSTREAM_MAX_RPS cannot be negative")
    return value


def _check_network(env: dict[str, str | None], notice: Callable[[str], None]) -> None:
    merged: dict[str, str | None] = {**os.environ, **env}
    sources = _sources(merged)
    if not sources:
        return
    results = netcheck.probe_sources({source: _base_url(source, merged) for source in sources})
    unreachable = [result for result in results if not result.reachable]
    if not unreachable:
        return
    reasons = "; ".join(f"{result.url}: {result.detail}" for result in unreachable)
    if len(unreachable) == len(results):
        env["ENRICHMENT_SOURCES"] = ""
        notice(
            f"no network: cannot reach the enrichment sources ({reasons}). Enrichment is "
            "skipped and every book is marked not enriched; the statistics from the export "
            "itself are complete. Use --offline to skip this check."
        )
    else:
        notice(f"cannot reach {reasons}; books that only it could enrich are marked not enriched.")


def enabled_sources(environment: Mapping[str, str | None]) -> list[str]:
    """The sources the processor will use, read as it reads ENRICHMENT_SOURCES."""
    value = environment.get("ENRICHMENT_SOURCES")
    if value is None:
        return list(ALL_SOURCES)
    return [part.strip().lower() for part in value.split(",") if part.strip()]


def is_loopback_url(url: str) -> bool:
    return is_loopback_host(urllib.parse.urlsplit(url).hostname or "")


def _sources(environment: Mapping[str, str | None]) -> list[str]:
    return [source for source in enabled_sources(environment) if source in ALL_SOURCES]


def _base_url(source: str, environment: Mapping[str, str | None]) -> str:
    return (
        environment.get(netcheck.BASE_URL_VARIABLES[source]) or netcheck.DEFAULT_BASE_URLS[source]
    )
