"""GET /api/v1/events: server-sent events from a real uvicorn server (an in-process transport buffers whole
responses, so it cannot show a stream): new chain events arrive, Last-Event-ID resumes, heartbeats flow, and a
client that leaves ends its stream."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn

from tests.backend.api.conftest import ApiEnv
from tests.backend.localchain import free_port

PATH = "/api/v1/events"


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """The app on a free port in a background thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class Stream:
    """Reads SSE messages (id, data) and comments from an open response."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.iter_lines()
        self.comments: list[str] = []

    def next_message(self, timeout: float = 15) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        fields: dict[str, str] = {}
        for line in self.lines:
            assert time.monotonic() < deadline, "no message in time"
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
            elif line == "":
                if "data" in fields:
                    data = json.loads(fields["data"])
                    assert data["id"] == fields["id"]
                    return dict(data)
                fields = {}
            else:
                name, _, value = line.partition(":")
                fields[name] = value.lstrip(" ")
        raise AssertionError("the stream ended")

    def until(self, predicate: Any, timeout: float = 15) -> list[dict[str, Any]]:
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen.append(self.next_message(timeout))
            if predicate(seen[-1]):
                return seen
        raise AssertionError(f"not seen in {timeout}s: {seen}")


@pytest.fixture
def sse_env(make_env: Any) -> ApiEnv:
    env: ApiEnv = make_env(sse_poll_interval=0.05, sse_heartbeat=0.3)
    return env


def test_a_new_chain_event_appears_on_the_stream_and_resume_replays_after_the_last_id(sse_env: ApiEnv) -> None:
    env = sse_env
    with serve(env.app) as url, httpx.Client(base_url=url, timeout=20) as http:
        with http.stream("GET", PATH) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            stream = Stream(response)
            invoice_id = env.driver.mint(face=4_321 * 10**6, tag="sse")
            env.sync()
            seen = stream.until(lambda m: m["event"] == "InvoiceMinted" and m["invoiceId"] == invoice_id)
            minted = seen[-1]
            receipt_block = env.node.w3.eth.get_block(minted["block"])
            assert minted["time"] == receipt_block["timestamp"]
            assert minted["txHash"] in {"0x" + bytes(t).hex() for t in receipt_block["transactions"]}  # type: ignore[arg-type]
            assert minted["account"] == env.driver.address(1).lower()
            first_id = seen[0]["id"]
            env.driver.verify(invoice_id)
            env.sync()
            later = stream.until(lambda m: m["event"] == "InvoiceVerified" and m["invoiceId"] == invoice_id)
            assert "heartbeat" in stream.comments or "connected" in stream.comments
        # Reconnect after the first event seen: everything after it arrives again, in order, nothing before it.
        with http.stream("GET", PATH, headers={"Last-Event-ID": first_id}) as response:
            again = Stream(response).until(lambda m: m["id"] == later[-1]["id"])
        assert [m["id"] for m in again] == [m["id"] for m in (seen + later)[1:]]
        with http.stream("GET", PATH, params={"lastEventId": first_id}) as response:
            assert Stream(response).next_message()["id"] == again[0]["id"]


def test_heartbeats_flow_while_nothing_happens_and_a_client_leaving_ends_its_stream(sse_env: ApiEnv) -> None:
    env = sse_env
    env.sync()
    streams = env.context.cache
    with serve(env.app) as url, httpx.Client(base_url=url, timeout=20) as http:
        with http.stream("GET", PATH) as response:
            beats = 0
            deadline = time.monotonic() + 10
            # Hold the line iterator: dropping it (as a bare `for` loop's break does) makes httpcore close the
            # connection at once, and the server would rightly count the stream as closed.
            lines = response.iter_lines()
            for line in lines:
                beats += line == ": heartbeat"
                if beats >= 2 or time.monotonic() > deadline:
                    break
            assert beats >= 2
            assert streams["sse"]["open"] == 1, streams
            lines.close()
        deadline = time.monotonic() + 10
        while streams["sse"]["open"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert streams["sse"] == {"open": 0, "closed": 1}
        assert http.get("/healthz").status_code == 200


def test_a_malformed_last_event_id_is_a_422(env: ApiEnv) -> None:
    for bad in ("abc", "1", "1-", "-1-2", "1-2-3", "99999999999999999999-1"):
        reply = env.client.get(PATH, headers={"Last-Event-ID": bad})
        assert reply.status_code == 422, bad
        assert reply.json()["error"]["code"] == "invalid_request"
        assert env.client.get(PATH, params={"lastEventId": bad}).status_code == 422, bad
