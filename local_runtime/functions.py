"""The three Lambda functions, loaded from the services' unchanged handler modules.

A run is a fresh deployment: the service packages are imported anew with the run's environment,
so module-level settings and clients see this run's queues and upstreams.

Each concurrent invocation gets an execution environment of its own, as in Lambda: a separate
instance of the handler module, with its own module-level state (a Powertools BatchProcessor
keeps the current batch in module scope, so two invocations must never share one). An idle
environment is reused (a warm start); a new one is created only when all are busy (a cold
start). The modules the handler imports are shared, like the code on a Lambda's disk.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from local_runtime import faults
from local_runtime.instrumentation import calls_attributed_to
from local_runtime.lambda_events import LambdaContext

log = logging.getLogger("local_runtime")

Handler = Callable[[dict[str, Any], Any], Any]

ORCHESTRATOR = "orchestrator"
BOOK_PROCESSOR = "book_processor"
AGGREGATOR = "aggregator"

HANDLER_MODULES: dict[str, str] = {
    ORCHESTRATOR: "services.orchestrator.handler",
    BOOK_PROCESSOR: "services.book_processor.handler",
    AGGREGATOR: "services.aggregator.handler",
}


@dataclasses.dataclass(frozen=True)
class Invocation:
    """How one invocation ended, as the caller of a Lambda function sees it."""

    response: Any = None
    error: BaseException | None = None
    timed_out: bool = False
    duration_seconds: float = 0.0

    @property
    def succeeded(self) -> bool:
        return self.error is None and not self.timed_out


@dataclasses.dataclass
class FunctionStats:
    invocations: int = 0
    errors: int = 0
    timeouts: int = 0
    cold_starts: int = 0  # execution environments created
    busy_seconds: float = 0.0


class LocalFunction:
    """One Lambda function: its execution environments, its timeout, and the Lambda-side view
    of each invocation.

    `new_environment` loads one more instance of the handler (None: every invocation shares
    `handler`, for plain functions without module state). An invocation that runs past its
    timeout is reported as timed out and its response is dropped, as Lambda would (the thread
    cannot be killed, but nothing it returns counts).
    """

    def __init__(
        self,
        name: str,
        handler: Handler,
        timeout_seconds: float,
        *,
        new_environment: Callable[[], Handler] | None = None,
    ) -> None:
        self.name = name
        self.timeout_seconds = timeout_seconds
        self.stats = FunctionStats(cold_starts=1)
        self._new_environment = new_environment
        self._shared = handler
        self._idle: list[Handler] = [handler]
        self._pool_lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self._finished = threading.Condition(self._stats_lock)  # notified after each invocation

    def invoke(self, event: dict[str, Any]) -> Invocation:
        # Invocations start at once, however many: what handlers share lazily (boto3's default
        # session, botocore's loader) is initialised at setup, on one thread.
        if self._new_environment is None:
            return self._invoke(self._shared, event)
        handler = self._checkout(self._new_environment)
        try:
            return self._invoke(handler, event)
        finally:
            with self._pool_lock:
                self._idle.append(handler)

    def _checkout(self, new_environment: Callable[[], Handler]) -> Handler:
        with self._pool_lock:
            if self._idle:
                return self._idle.pop()
        handler = new_environment()
        with self._stats_lock:
            self.stats.cold_starts += 1
        return handler

    def _invoke(self, handler: Handler, event: dict[str, Any]) -> Invocation:
        context = LambdaContext(function_name=self.name, timeout_seconds=self.timeout_seconds)
        started = time.monotonic()
        response: Any = None
        error: BaseException | None = None
        with calls_attributed_to(self.name), faults.invocation(self.name, handler, event) as scope:
            try:
                response = handler(event, context)
                if scope is not None:
                    scope.after_return()
            except faults.InjectedCrash as crash:  # the environment died (a chaos run)
                error, response = crash, None
                log.warning("%s: %s (request %s)", self.name, crash, context.aws_request_id)
            except Exception as exc:  # a Lambda error, reported to the event source
                error = exc
                log.warning(
                    "%s raised %s: %s (request %s)",
                    self.name,
                    type(exc).__name__,
                    exc,
                    context.aws_request_id,
                    exc_info=exc,
                )
        duration = time.monotonic() - started
        timed_out = duration > self.timeout_seconds
        if timed_out:
            log.warning(
                "%s timed out after %.1f s (timeout %.1f s); its response is dropped",
                self.name,
                duration,
                self.timeout_seconds,
            )
        with self._finished:
            self.stats.invocations += 1
            self.stats.errors += error is not None
            self.stats.timeouts += timed_out
            self.stats.busy_seconds += duration
            self._finished.notify_all()
        return Invocation(
            response=None if timed_out else response,
            error=error,
            timed_out=timed_out,
            duration_seconds=duration,
        )

    def wait_for_invocations(self, count: int, timeout: float) -> int:
        """Waits up to `timeout` until more than `count` invocations have finished; returns
        how many have."""
        with self._finished:
            self._finished.wait_for(lambda: self.stats.invocations > count, timeout)
            return self.stats.invocations


def new_environment_loader(module_name: str) -> Callable[[], Handler]:
    """Loads another instance of a handler module: its module-level state is its own."""
    spec = importlib.util.find_spec(module_name)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot find the handler module {module_name}")
    loader = spec.loader

    def load() -> Handler:
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
        handler: Handler = module.lambda_handler
        return handler

    return load


def warm_up_handler_imports() -> None:
    """Imports the handler modules and what they import, once, before the run's environment
    exists: `cold_start_handlers` then re-executes only the services' own modules, while the
    third-party ones (Powertools, requests, ...) are already loaded, as on a Lambda's disk."""
    for module_name in HANDLER_MODULES.values():
        if module_name not in sys.modules:
            importlib.import_module(module_name)


def cold_start_handlers() -> tuple[dict[str, Handler], Callable[[], None]]:
    """Imports the three handler modules afresh, under the environment currently set.

    Returns the handlers and a function that puts back the service modules that were loaded
    before, so that the rest of the process (other tests, say) keeps the module objects it
    already refers to.
    """
    previous = {name: module for name, module in sys.modules.items() if _is_service_module(name)}
    for name in previous:
        del sys.modules[name]
    importlib.invalidate_caches()
    # Plain imports (not by name) so that the build sees the dependency on the handlers.
    from services.aggregator import handler as aggregator
    from services.book_processor import handler as book_processor
    from services.orchestrator import handler as orchestrator

    handlers: dict[str, Handler] = {
        ORCHESTRATOR: orchestrator.lambda_handler,
        BOOK_PROCESSOR: book_processor.lambda_handler,
        AGGREGATOR: aggregator.lambda_handler,
    }

    def restore() -> None:
        for name in [name for name in sys.modules if _is_service_module(name)]:
            del sys.modules[name]
        sys.modules.update(previous)

    return handlers, restore


def _is_service_module(name: str) -> bool:
    return any(name == package or name.startswith(package + ".") for package in _PACKAGES)


_PACKAGES = tuple(module.rsplit(".", 1)[0] for module in HANDLER_MODULES.values())
