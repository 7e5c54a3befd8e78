"""Opaque keyset cursors: ``?limit=`` and ``?cursor=`` on every list that can grow.

A cursor is the base64url JSON of the last item's sort key and id, plus the sort it belongs to. The next page is
"after (key, id) in the sort order", so a page never repeats or skips an item because rows were inserted or
removed before it (unlike OFFSET). A cursor that does not decode, or that was made for another sort, is a 422.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from backend.api.errors import ApiError

T = TypeVar("T")

#: Largest integer key a cursor may carry (amounts and dates are at most uint128), and largest id (ids are BIGINT).
MAX_CURSOR_INT = 2**128 - 1
MAX_CURSOR_ID = 2**63 - 1
MAX_CURSOR_CHARS = 512

CursorParam = Annotated[
    str | None,
    Query(
        max_length=MAX_CURSOR_CHARS,
        description="opaque `nextCursor` of the previous page; omit for the first page",
    ),
]


class Page(BaseModel, Generic[T]):
    """One page of a list, and the cursor of the next one (null on the last page)."""

    items: list[T]
    nextCursor: str | None = Field(description="pass as `cursor` to get the next page; null when this is the last")


def limit_param(default: int = 20) -> Any:
    """The `limit` query parameter (1..settings.page_limit_max; larger values are clamped by the route)."""
    return Query(default, ge=1, le=1000, description="items per page (at most the server's page_limit_max)")


def encode_cursor(sort: str, key: Any, last_id: Any) -> str:
    """The cursor that resumes after the item with sort key `key` and id `last_id` (in sort `sort`)."""
    raw = json.dumps({"s": sort, "k": key, "i": last_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _invalid(reason: str) -> ApiError:
    return ApiError(
        422,
        "invalid_cursor",
        f"the cursor is not valid here ({reason}): pass the `nextCursor` of the previous page unchanged, with the "
        "same sort, or omit it to start over",
    )


def decode_cursor(
    cursor: str, sort: str, key_kind: type, *, key_max: int = MAX_CURSOR_INT, id_kind: type = int
) -> tuple[Any, Any]:
    """(key, id) from a cursor made by :func:`encode_cursor` for `sort`; 422 for anything else.

    `key_kind` is int, float or str: the type the sort key must have (a float must be finite, an int within
    0..`key_max`, so that no database ever sees an out-of-range parameter).
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.b64decode(padded, altchars=b"-_", validate=True))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _invalid("it does not decode") from None
    if not isinstance(data, dict) or set(data) != {"s", "k", "i"}:
        raise _invalid("unexpected content")
    if data["s"] != sort:
        raise _invalid(f"it was made for sort {data['s']!r}, not {sort!r}")
    return _check(data["k"], key_kind, "key", key_max), _check(data["i"], id_kind, "id", MAX_CURSOR_ID)


def _check(value: Any, kind: type, what: str, maximum: int) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, kind):
        raise _invalid(f"its {what} is not a {kind.__name__}")
    if isinstance(value, int) and not 0 <= value <= maximum:
        raise _invalid(f"its {what} is out of range")
    if isinstance(value, float) and not math.isfinite(value):
        raise _invalid(f"its {what} is not finite")
    if isinstance(value, str) and len(value) > 200:
        raise _invalid(f"its {what} is too long")
    return value
