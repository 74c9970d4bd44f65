"""Request parameters with the bounds the API enforces (services/schemas.py says why), and
the OpenAPI links between operations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query

from soundbite.services.schemas import MAX_MS, MAX_OFFSET, MAX_ROW_ID

RowIdPath = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
RowIdQuery = Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
SpanMsQuery = Annotated[int, Query(ge=-MAX_MS, le=MAX_MS)]


def links_to(parameter: str, value: str, targets: dict[str, str]) -> dict[str, Any]:
    """OpenAPI links from a response to the operations (name: operationId) that take one of
    its values as `parameter`, e.g. a new clip's id to GET /api/clips/{share_id}. They tell
    a reader, and a stateful test client, which call can follow which."""
    return {
        name: {"operationId": operation_id, "parameters": {parameter: value}}
        for name, operation_id in targets.items()
    }
