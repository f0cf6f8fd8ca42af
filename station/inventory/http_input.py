"""Reading a request body safely: content type, size limit, strict JSON.

The limit is enforced while reading, not only from Content-Length, so a chunked upload
cannot make the server buffer more than it allows.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from station.inventory.problems import Problem


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def read_json(request: Request, limit: int) -> Any:
    content_type = request.headers.get("content-type", "")
    if not _is_json(content_type):
        raise Problem(
            415,
            "unsupported_media_type",
            f"send JSON with Content-Type: application/json, not {content_type or 'none'!r}",
        )
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
    try:
        return loads_strict(b"".join(chunks))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem(400, "malformed_json", f"the body is not valid JSON: {exc}") from exc


def loads_strict(data: bytes) -> Any:
    """JSON with duplicate keys refused: two values for one key would let what is indexed
    and what is shown disagree."""

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise ValueError(f"duplicate key {next(k for k in keys if keys.count(k) > 1)!r}")
        return dict(pairs)

    return json.loads(data, object_pairs_hook=no_duplicates)
