"""Server-sent events: every new chain event the indexer stores, as it stores it.

The stream polls ``chain_event`` by position (block, log index), which is also each message's SSE ``id``. A client
that reconnects with ``Last-Event-ID`` (EventSource does it by itself) resumes right after the last event it saw;
a new client starts from the newest stored event. Comments are sent as heartbeats when nothing happens, so proxies
keep the connection open and dead clients are noticed; a disconnect cancels the stream and its polling.

Positions of events orphaned by a reorg may be reused by the replacing events; a client that saw an orphaned
event resumes after its position.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.engine import Row
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from backend.api import queries
from backend.api.deps import ApiContext, Context, DeploymentId
from backend.api.errors import ERROR_RESPONSES
from backend.api.read_models import ChainEventMessage

router = APIRouter(prefix="/api/v1", tags=["events"])

EVENT_ID = r"^[0-9]{1,18}-[0-9]{1,9}$"
#: Events sent per poll at most (a reconnect far behind catches up over several polls).
BATCH = 500
#: Reconnection delay suggested to EventSource, in milliseconds.
RETRY_MS = 3000


def parse_event_id(value: str) -> tuple[int, int]:
    block, log_index = value.split("-")
    return int(block), int(log_index)


def message(row: Row[Any]) -> str:
    """One SSE message: `id` is the event's position, `data` its JSON (ChainEventMessage)."""
    body = ChainEventMessage(
        id=f"{row.block_number}-{row.log_index}",
        event=row.event,
        contract=row.contract,
        invoiceId=row.invoice_id,
        account=row.account,
        block=row.block_number,
        logIndex=row.log_index,
        time=row.block_timestamp,
        txHash=row.tx_hash,
    )
    return f"id: {body.id}\ndata: {json.dumps(body.model_dump(), separators=(',', ':'))}\n\n"


def _fetch(context: ApiContext, deployment_id: int, after: tuple[int, int] | None) -> list[Row[Any]]:
    with Session(context.engine) as session:  # type: ignore[arg-type]
        return queries.events_after(session, deployment_id, after, BATCH)


def _newest(context: ApiContext, deployment_id: int) -> tuple[int, int] | None:
    with Session(context.engine) as session:  # type: ignore[arg-type]
        return queries.last_event_position(session, deployment_id)


@router.get(
    "/events",
    summary="Server-sent events: new chain events as the indexer stores them",
    description="`text/event-stream`. Each message has `id: <block>-<logIndex>` and `data:` a ChainEventMessage "
    "JSON. Resume with the `Last-Event-ID` header (or the `lastEventId` query parameter, for a first connection). "
    "Lines starting with `:` are heartbeats.",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}, "description": "the event stream"},
        **ERROR_RESPONSES,
    },
)
async def events(
    request: Request,
    context: Context,
    deployment_id: DeploymentId,
    lastEventId: Annotated[
        str | None, Query(pattern=EVENT_ID, description="resume after this event id (<block>-<logIndex>)")
    ] = None,
    last_event_id: Annotated[
        str | None, Header(alias="Last-Event-ID", pattern=EVENT_ID, description="set by EventSource on reconnect")
    ] = None,
) -> StreamingResponse:
    resume = last_event_id or lastEventId
    start = parse_event_id(resume) if resume else await run_in_threadpool(_newest, context, deployment_id)
    settings = context.settings
    streams: dict[str, int] = context.cache.setdefault("sse", {"open": 0, "closed": 0})

    async def stream() -> AsyncIterator[str]:
        streams["open"] += 1
        position = start
        try:
            yield f"retry: {RETRY_MS}\n: connected\n\n"
            quiet_since = time.monotonic()
            while not await request.is_disconnected():
                rows = await run_in_threadpool(_fetch, context, deployment_id, position)
                for row in rows:
                    yield message(row)
                    position = (int(row.block_number), int(row.log_index))
                if rows:
                    quiet_since = time.monotonic()
                    if len(rows) == BATCH:
                        continue  # catching up: no pause
                elif time.monotonic() - quiet_since >= settings.sse_heartbeat:
                    yield ": heartbeat\n\n"
                    quiet_since = time.monotonic()
                await asyncio.sleep(settings.sse_poll_interval)
        finally:
            streams["open"] -= 1
            streams["closed"] += 1

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
