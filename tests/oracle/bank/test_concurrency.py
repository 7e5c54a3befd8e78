"""Ten concurrent deliveries of one payment, over real HTTP, give exactly one payment row and one report.

The deliveries are split between two uvicorn servers, each with its own BankIntake and its own engine (as two
oracle processes would be), so only the database's unique constraint can make the outcome right. On SQLite and
Postgres.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from oracle.bank.intake import BankIntake
from oracle.bank.router import PATH, bank_router
from oracle.db.session import make_engine
from tests.oracle.bank.conftest import SECRET, Bank, Directory, Server, Sink, count_rows

DELIVERIES = 10


def _node(engine: Engine, directory: Directory) -> tuple[FastAPI, Sink]:
    sink = Sink()
    intake = BankIntake(engine, directory, sink, [SECRET])
    app = FastAPI()
    app.include_router(bank_router(intake))
    return app, sink


def _deliver_concurrently(urls: list[str], body: bytes, headers: dict[str, str]) -> list[httpx.Response]:
    barrier = threading.Barrier(DELIVERIES)
    responses: list[Any] = [None] * DELIVERIES

    def deliver(index: int) -> None:
        with httpx.Client(timeout=60) as client:
            barrier.wait()
            try:
                responses[index] = client.post(urls[index % len(urls)] + PATH, content=body, headers=headers)
            except Exception as exc:  # recorded, so the assertion below names it
                responses[index] = exc

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(DELIVERIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for response in responses:
        assert isinstance(response, httpx.Response), f"a delivery failed: {response!r}"
    return responses


@pytest.mark.parametrize("known", [True, False], ids=["reported", "held"])
def test_ten_concurrent_deliveries_of_one_payment_make_one_row_and_at_most_one_report(
    engine: Engine, known: bool
) -> None:
    directory = Directory()
    if known:
        directory.add(7, "INV-2025-0042")
    other_engine = make_engine(engine.url.render_as_string(hide_password=False))
    app_a, sink_a = _node(engine, directory)
    app_b, sink_b = _node(other_engine, directory)
    bank = Bank(clock=time.time)
    body = bank.body(paid_at=int(bank.clock()) - 60)
    headers = bank.headers(body)

    try:
        with Server(app_a) as a, Server(app_b) as b:
            responses = _deliver_concurrently([a.url, b.url], body, headers)
    finally:
        other_engine.dispose()

    answers = [r.json() for r in responses]
    first = [answer for answer in answers if not answer["duplicate"]]
    assert len(first) == 1, answers
    assert all(answer == {**first[0], "duplicate": True} for answer in answers if answer["duplicate"])
    expected_status = 200 if known else 202
    assert sorted(r.status_code for r in responses) == sorted([expected_status] + [200] * (DELIVERIES - 1))
    calls = sink_a.calls + sink_b.calls
    if known:
        assert first[0]["outcome"] == "reported"
        assert len(calls) == 1
        assert count_rows(engine) == (1, 1)
    else:
        assert first[0]["outcome"] == "held"
        assert calls == []
        assert count_rows(engine) == (1, 0)
    assert len(directory.calls) == 1  # the losers never got as far as matching the invoice
