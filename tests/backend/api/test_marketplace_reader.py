"""SharedReader, the marketplace's way to the database: every read runs once and answers its own caller, reads that
queue up share a connection, never more connections are out than it has workers, none is held when idle, and a
failure (even one that breaks the connection, or a database that cannot be reached) stays with its own read."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError

from backend.api.routes.invoices import SharedReader
from backend.db.session import make_engine
from tests.backend.conftest import Databases


class PoolWatch:
    """Counts an engine's checkouts and the most connections out at once."""

    def __init__(self, engine: Engine) -> None:
        self.checkouts = self.out = self.most_out = 0
        self._lock = threading.Lock()
        event.listen(engine, "checkout", self._checkout)
        event.listen(engine, "checkin", self._checkin)

    def _checkout(self, *_args: Any) -> None:
        with self._lock:
            self.checkouts += 1
            self.out += 1
            self.most_out = max(self.most_out, self.out)

    def _checkin(self, *_args: Any) -> None:
        with self._lock:
            self.out -= 1

    def settled(self, seconds: float = 5.0) -> bool:
        """Whether every connection is back within `seconds` (a worker returns its connection just after it
        answered its last read)."""
        deadline = time.monotonic() + seconds
        while self.out and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.out == 0


@pytest.fixture
def engine(databases: Databases) -> Iterator[Engine]:
    engine = make_engine(databases.new(migrated=False))
    yield engine
    engine.dispose()


def test_each_read_runs_once_and_answers_its_own_caller_sharing_connections(engine: Engine) -> None:
    watch = PoolWatch(engine)
    reader = SharedReader(engine, threads=2)
    runs: list[int] = []

    def read(n: int) -> Any:
        def work(connection: Connection) -> int:
            runs.append(n)
            time.sleep(0.005)  # slower than the callers arrive: they queue up
            return int(connection.execute(text("SELECT :n * 2"), {"n": n}).scalar_one())

        return work

    async def main() -> list[int]:
        return list(await asyncio.gather(*(reader.run(read(n)) for n in range(40))))

    assert asyncio.run(main()) == [n * 2 for n in range(40)]
    assert sorted(runs) == list(range(40))
    assert watch.most_out <= 2, "more connections out than the reader has workers"
    assert watch.checkouts <= 10, f"{watch.checkouts} checkouts for 40 queued reads: they did not share connections"
    assert watch.settled(), "an idle reader still holds a connection"


def test_a_failure_stays_with_its_read_and_a_broken_connection_is_replaced(engine: Engine) -> None:
    watch = PoolWatch(engine)
    reader = SharedReader(engine, threads=1)  # one worker: every read below goes through the same loop

    def ok(connection: Connection) -> int:
        return int(connection.execute(text("SELECT 1")).scalar_one())

    def bad_sql(connection: Connection) -> int:
        return int(connection.execute(text("SELECT * FROM no_such_table")).scalar_one())

    def raises(_connection: Connection) -> int:
        raise ValueError("the read's own error")

    def breaks(connection: Connection) -> int:
        connection.invalidate()
        raise RuntimeError("the connection broke")

    async def main() -> list[Any]:
        reads = (ok, bad_sql, ok, raises, ok, breaks, ok)
        return await asyncio.gather(*(reader.run(work) for work in reads), return_exceptions=True)

    results = asyncio.run(main())
    assert results[0] == results[2] == results[4] == results[6] == 1
    assert isinstance(results[1], DBAPIError)
    assert isinstance(results[3], ValueError) and str(results[3]) == "the read's own error"
    assert isinstance(results[5], RuntimeError)
    assert watch.checkouts >= 2, "the read after the broken connection did not get a fresh one"
    assert watch.settled(), "an idle reader still holds a connection"


def test_a_read_whose_caller_left_is_not_run(engine: Engine) -> None:
    reader = SharedReader(engine, threads=1)
    started, release = threading.Event(), threading.Event()
    ran: list[str] = []

    def blocker(_connection: Connection) -> str:
        started.set()
        release.wait(10)
        return "first"

    def abandoned(_connection: Connection) -> str:
        ran.append("abandoned")
        return "abandoned"

    async def main() -> None:
        first = asyncio.ensure_future(reader.run(blocker))
        assert await asyncio.to_thread(started.wait, 10)
        second = asyncio.ensure_future(reader.run(abandoned))
        await asyncio.sleep(0.01)
        second.cancel()
        release.set()
        assert await first == "first"
        with pytest.raises(asyncio.CancelledError):
            await second
        assert await reader.run(lambda _connection: "third") == "third"

    asyncio.run(main())
    assert ran == []


def test_an_unreachable_database_fails_each_read_and_leaves_the_reader_usable(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'missing-folder' / 'hundi.db'}")
    reader = SharedReader(engine, threads=2)

    async def main() -> list[Any]:
        return await asyncio.gather(*(reader.run(lambda _c: 1) for _ in range(5)), return_exceptions=True)

    for _attempt in range(2):  # the second round shows the workers freed their slots
        results = asyncio.run(main())
        assert all(isinstance(result, OperationalError) for result in results), results
    (tmp_path / "missing-folder").mkdir()
    assert asyncio.run(reader.run(lambda c: int(c.execute(text("SELECT 7")).scalar_one()))) == 7
    engine.dispose()
