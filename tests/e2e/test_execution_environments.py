"""Execution environments are isolated like Lambda's (the emulator's fixes: test_emulator_fixes.py)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from local_runtime.functions import Handler, LocalFunction, new_environment_loader
from tests.e2e import stateful_handler

STATEFUL = stateful_handler.__name__


def test_each_environment_has_its_own_module_state() -> None:
    load = new_environment_loader(STATEFUL)
    first, second = load(), load()

    first({"name": "a"}, None)
    response = second({"name": "b"}, None)

    assert response["seen"] == ["b"]
    assert first({"name": "c"}, None)["seen"] == ["a", "c"]


def test_concurrent_invocations_get_separate_environments_and_idle_ones_are_reused() -> None:
    load = new_environment_loader(STATEFUL)
    together = threading.Barrier(2, timeout=10)

    def environment() -> Handler:
        handler = load()

        def lambda_handler(event: dict[str, Any], context: Any) -> Any:
            if event["name"] == "together":
                together.wait()  # returns only when both invocations are in flight
            return handler(event, context)

        return lambda_handler

    function = LocalFunction("f", environment(), 30, new_environment=environment)
    function.invoke({"name": "cold"})
    with ThreadPoolExecutor(2) as pool:
        concurrent = list(pool.map(function.invoke, [{"name": "together"}] * 2))
    later = function.invoke({"name": "later"})

    environments = {invocation.response["environment"] for invocation in concurrent}
    assert all(invocation.succeeded for invocation in concurrent)
    assert len(environments) == 2
    assert function.stats.cold_starts == 2
    assert later.response["environment"] in environments  # a warm start
