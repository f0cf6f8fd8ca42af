"""Reading a request body safely: content type, size limit, strict JSON.

The limit is enforced while reading, not only from Content-Length, so a chunked upload
cannot make the server buffer more than it allows. JSON nested deeper than any Station
document is refused (a `[` x 100,000 body would otherwise exhaust the parser's recursion,
or a later recursive walk's): 400 `malformed_json`, on every route that reads JSON.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from station.inventory.problems import Problem

# A record body nests about five levels; 64 leaves room and stays far below recursion limits.
MAX_JSON_DEPTH = 64


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, read chunk by chunk and refused (413) as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Problem(
            413, "too_large", f"the body is {declared} bytes; the limit is {limit}", limit=limit
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(
                413, "too_large", f"the body is over the limit of {limit} bytes", limit=limit
            )
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, limit: int) -> Any:
    content_type = request.headers.get("content-type", "")
    if not _is_json(content_type):
        raise Problem(
            415,
            "unsupported_media_type",
            f"send JSON with Content-Type: application/json, not {content_type or 'none'!r}",
        )
    raw = await read_limited(request, limit)
    try:
        return loads_strict(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise Problem(400, "malformed_json", f"the body is not valid JSON: {reason}") from exc


def nesting_depth(value: Any) -> int:
    """How deep arrays and objects nest in a parsed document, walked without recursion
    (a recursive walk would fail on the very documents it is meant to refuse)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest if isinstance(value, dict | list) else 0


def loads_strict(data: bytes) -> Any:
    """JSON with duplicate keys refused (two values for one key would let what is indexed
    and what is shown disagree) and nesting deeper than MAX_JSON_DEPTH refused (the C
    parser itself raises RecursionError on far deeper input)."""

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise ValueError(f"duplicate key {next(k for k in keys if keys.count(k) > 1)!r}")
        return dict(pairs)

    value = json.loads(data, object_pairs_hook=no_duplicates)
    if nesting_depth(value) > MAX_JSON_DEPTH:
        raise ValueError(f"arrays and objects nest deeper than {MAX_JSON_DEPTH} levels")
    return value
