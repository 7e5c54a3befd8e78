"""Schema fuzzing: schemathesis generates requests for every operation of the app's own OpenAPI schema (in-process,
through ASGI) and checks that none answers 5xx and that every answer matches the schema: documented status, content
type and body shape. Operations that need a session get a fresh one (a fuzzed logout may revoke it).

A bounded number of examples per operation by default (the whole file stays under a minute); HUNDI_DEEP=1 runs
many more, with fresh randomness each time.
"""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.api.auth import INVESTOR, SME, issue_token
from tests.backend.api.conftest import ApiEnv, DocumentStore, MarketScenario

DEEP = os.environ.get("HUNDI_DEEP") == "1"
EXAMPLES = 200 if DEEP else 12
#: A stream never ends, so it cannot be fuzzed as a request/response; test_read_events.py covers it.
SKIPPED = {("GET", "/api/v1/events")}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def operation_secured(case: Any) -> bool:
    """Whether the case's operation declares a security requirement (a bearer session)."""
    return bool(case.operation.definition.raw.get("security"))


@pytest.mark.deep
def test_no_operation_answers_5xx_or_outside_its_schema(
    documents: DocumentStore, env: ApiEnv, market: MarketScenario
) -> None:
    env.sync()
    schema = schemathesis.openapi.from_asgi("/openapi.json", env.app)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    fuzzed: list[str] = []
    timings: dict[str, float] = {}
    # One account holding both roles, and its address used wherever the path names an account, half the time.
    signed_in = env.driver.address(2)
    for operation in operations:
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        fuzzed.append(f"{operation.method.upper()} {operation.path}")

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=not DEEP,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            headers = {}
            if operation_secured(case) or "address" in (case.path_parameters or {}):
                token = issue_token(env.context, signed_in, SME | INVESTOR)
                headers["Authorization"] = f"Bearer {token}"
                if case.path_parameters and "address" in case.path_parameters and hash(str(case.query)) % 2 == 0:
                    case.path_parameters["address"] = signed_in
            case.call_and_validate(headers=headers, checks=CHECKS)

        started = time.monotonic()
        run()
        timings[fuzzed[-1]] = time.monotonic() - started
    print(sorted(timings.items(), key=lambda t: -t[1])[:5])  # noqa: T201 (shown with -s: where the time goes)
    assert "GET /api/v1/invoices/marketplace" in fuzzed and "GET /api/v1/portfolio/{address}" in fuzzed
    assert len(fuzzed) >= 12


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v1/invoices/1/nothing"])
def test_an_unknown_route_answers_the_one_error_shape(env: ApiEnv, path: str) -> None:
    reply = env.client.get(path)
    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "not_found"
