"""Faults the local runtime can inject around the functions, for chaos runs: what AWS does to
code that runs in it, never a flag inside the services.

- **Crashes.** An execution environment dies (killed, out of memory, the host lost) at a chosen
  point of an invocation: just before or just after its n-th call of an AWS operation, or after
  its handler returned but before Lambda took the response. `InjectedCrash` is raised from
  botocore's `before-call` or `after-call` event, in whichever thread of the function makes the
  call; it is a `BaseException`, so no `except Exception` in the services can swallow it, and
  once it has fired every later AWS call of that invocation raises it too (the process is
  gone). The runtime reports the invocation as failed, as Lambda would, and the event source
  does what it does with a failed invocation (SQS: the batch returns after its visibility
  timeout; S3: the asynchronous invocation is retried).
- **Duplicate deliveries.** SQS delivers a batch twice, at the same time (at-least-once
  delivery); S3 sends one upload's notification twice, at the same time.

What to inject is decided by a `FaultPlan` (`RunOptions.faults`), asked once per invocation,
batch and upload; the benchmarks' chaos run has a seeded one (tests/support/chaos.py).

Calls from threads a function starts (the orchestrator sends its batches from a pool) are tied
to their invocation through the botocore session they come from: every execution environment
builds its own session, and all its clients share that session's credentials object.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Iterator
from typing import Any, Protocol

import botocore.handlers

RETURNED = "returned"  # the crash point after the handler returned


class InjectedCrash(BaseException):  # noqa: N818 - it is not an error of the code, it is death
    """The execution environment died here: nothing after it runs, nothing catches it."""


@dataclasses.dataclass(frozen=True)
class Crash:
    """Where an invocation dies: before or after its `occurrence`-th call of `operation`
    ("dynamodb.TransactWriteItems", as instrumentation names calls), or once its handler has
    returned (`operation` = RETURNED)."""

    operation: str
    occurrence: int = 1
    before: bool = False

    def __str__(self) -> str:
        if self.operation == RETURNED:
            return "after the handler returned"
        ordinal = "" if self.occurrence == 1 else f" #{self.occurrence}"
        return f"{'before' if self.before else 'after'} {self.operation}{ordinal}"


class FaultPlan(Protocol):
    """Decides the faults of a run; called from many threads at once."""

    def crash_for(self, function: str, event: dict[str, Any]) -> Crash | None:
        """Where this invocation dies, or None."""
        ...

    def crashed(self, function: str, crash: Crash) -> None:
        """The crash happened (an invocation may end before reaching its crash point)."""
        ...

    def duplicate_batch(self, function: str, messages: list[dict[str, Any]]) -> bool:
        """Whether SQS also delivers this batch to a second poller, at the same time."""
        ...

    def duplicate_notification(self, key: str) -> bool:
        """Whether S3 sends this upload's notification twice, at the same time."""
        ...


class InvocationScope:
    """One invocation's crash point, and the AWS calls it has made so far."""

    def __init__(self, function: str, crash: Crash | None, plan: FaultPlan) -> None:
        self.function = function
        self.crash = crash
        self.dead = False
        self._plan = plan
        self._calls: dict[str, int] = {}
        self._lock = threading.Lock()

    def before_call(self, operation: str) -> int:
        """Counts the call (its number among this operation's calls) and dies if due."""
        with self._lock:
            if self.dead:
                raise InjectedCrash(f"{self.function}: the environment is gone")
            number = self._calls[operation] = self._calls.get(operation, 0) + 1
            if self._is_point(operation, number, before=True):
                self._die()
            return number

    def after_call(self, operation: str, number: int) -> None:
        with self._lock:
            if self.dead:
                raise InjectedCrash(f"{self.function}: the environment is gone")
            if self._is_point(operation, number, before=False):
                self._die()

    def _is_point(self, operation: str, number: int, *, before: bool) -> bool:
        crash = self.crash
        return (
            crash is not None
            and crash.before == before
            and crash.operation == operation
            and crash.occurrence == number
        )

    def after_return(self) -> None:
        with self._lock:
            if self.crash is not None and self.crash.operation == RETURNED and not self.dead:
                self._die()

    def _die(self) -> None:  # with the lock held
        self.dead = True
        assert self.crash is not None
        self._plan.crashed(self.function, self.crash)
        raise InjectedCrash(f"{self.function} crashed {self.crash}")


class _Registry:
    """The running invocations' scopes: by thread, and by the environment their calls come from."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.current = threading.local()
        self.by_environment: dict[int, InvocationScope] = {}
        self.environment_of_credentials: dict[int, int] = {}

    def scope_of_call(self, request_signer: Any) -> InvocationScope | None:
        credentials = id(getattr(request_signer, "_credentials", None))
        scope: InvocationScope | None = getattr(self.current, "scope", None)
        environment: int | None = getattr(self.current, "environment", None)
        with self.lock:
            if scope is not None and environment is not None:
                self.environment_of_credentials[credentials] = environment
                return scope
            known = self.environment_of_credentials.get(credentials)
            return None if known is None else self.by_environment.get(known)


_registry = _Registry()
_active_plan: FaultPlan | None = None
_registered = False
_SCOPE = "local_runtime_fault_scope"


def _operation(event_name: str) -> str:
    # "before-call.dynamodb.TransactWriteItems" -> "dynamodb.TransactWriteItems"
    return event_name.split(".", 1)[1]


def _before_call(
    event_name: str = "",
    request_signer: Any = None,
    context: dict[str, Any] | None = None,
    **_: Any,
) -> None:
    if _active_plan is None or context is None:
        return
    scope = _registry.scope_of_call(request_signer)
    if scope is not None:
        # after-call has no signer: it finds the scope, and the call's number, here.
        context[_SCOPE] = (scope, scope.before_call(_operation(event_name)))


def _after_call(event_name: str = "", context: dict[str, Any] | None = None, **_: Any) -> None:
    called: tuple[InvocationScope, int] | None = (context or {}).get(_SCOPE)
    if called is not None:
        scope, number = called
        scope.after_call(_operation(event_name), number)


def install(plan: FaultPlan | None) -> None:
    """Injects `plan`'s faults into the calls of every botocore session created from now on
    (None: no faults). Register after local_runtime.instrumentation, so that a call that
    crashes after it returned is still counted."""
    global _active_plan, _registered
    with _registry.lock:
        if not _registered and plan is not None:
            botocore.handlers.BUILTIN_HANDLERS.append(("before-call", _before_call))
            botocore.handlers.BUILTIN_HANDLERS.append(("after-call", _after_call))
            _registered = True
        _active_plan = plan


def active_plan() -> FaultPlan | None:
    return _active_plan


@contextlib.contextmanager
def invocation(
    function: str, environment: object, event: dict[str, Any]
) -> Iterator[InvocationScope | None]:
    """The scope of one invocation in `environment` (the handler instance it runs in), while
    the handler runs on this thread; None when no plan is installed."""
    plan = _active_plan
    if plan is None:
        yield None
        return
    scope = InvocationScope(function, plan.crash_for(function, event), plan)
    key = id(environment)
    with _registry.lock:
        _registry.by_environment[key] = scope
    _registry.current.scope, _registry.current.environment = scope, key
    try:
        yield scope
    finally:
        _registry.current.scope = _registry.current.environment = None
        with _registry.lock:
            if _registry.by_environment.get(key) is scope:
                del _registry.by_environment[key]
