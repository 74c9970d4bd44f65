"""What the web layer tells analytics about a request, without waiting for anything.

Each function builds a RawEvent from what the request already carries (client address,
User-Agent, DNT / Sec-GPC, the Range header it was answered with) and appends it to this
process's sink (analytics/sink.py); hashing, app detection and the database write happen in
the sink's thread. The rules about what counts are in analytics/counting.py, not here.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Request, Response

from soundbite.analytics.sink import RawEvent
from soundbite.bootstrap import Soundbite


def do_not_track(request: Request) -> bool:
    """DNT: 1 or Sec-GPC: 1 (Global Privacy Control): count, but link nothing."""
    return request.headers.get("dnt") == "1" or request.headers.get("sec-gpc") == "1"


def _client(request: Request) -> dict[str, object]:
    return {
        "at": datetime.now(UTC),
        "address": request.client.host if request.client else "",
        "user_agent": request.headers.get("user-agent", ""),
        "do_not_track": do_not_track(request),
    }


def count_media(sb: Soundbite, request: Request, sha256: str, response: Response) -> None:
    """An answer to a request for episode audio: the bytes it was given (or, for a redirect
    to S3, the bytes it asked for)."""
    if not sb.analytics.enabled or response.status_code not in (200, 206, 307):
        return
    start = end = None
    content_range = response.headers.get("content-range", "")
    if response.status_code == 206 and content_range.startswith("bytes "):
        span, _, size = content_range[6:].partition("/")
        first, _, last = span.partition("-")
        start, end, file_size = int(first), int(last), int(size)
    elif response.status_code == 200:
        file_size = int(response.headers.get("content-length", "0"))
    else:
        start, end, file_size = _asked_range(request.headers.get("range"))
    sb.analytics.add(
        RawEvent(
            kind="media",
            method=request.method,
            sha256=sha256,
            range_start=start,
            range_end=end,
            file_size=file_size or None,
            **_client(request),  # type: ignore[arg-type]
        )
    )


def _asked_range(header: str | None) -> tuple[int | None, int | None, int]:
    """A redirect's single `bytes=a-b` range, taken at its word (S3 will answer it)."""
    if header and header.startswith("bytes=") and "," not in header:
        first, _, last = header[6:].partition("-")
        if first.isdigit() and last.isdigit():
            return int(first), int(last), 0
    return None, None, 0


def count_clip(
    sb: Soundbite,
    request: Request,
    kind: str,
    *,
    clip_id: int,
    episode_id: int,
    podcast_id: int,
    clip_ms: int | None = None,
    played_ms: int | None = None,
    channel: str = "",
    referrer: str = "",
) -> None:
    """A share-page view, an embed view, a play beacon, a share or a click-through."""
    sb.analytics.add(
        RawEvent(
            kind=kind,
            clip_id=clip_id,
            episode_id=episode_id,
            podcast_id=podcast_id,
            clip_ms=clip_ms,
            played_ms=played_ms,
            channel=channel,
            referrer=referrer,
            **_client(request),  # type: ignore[arg-type]
        )
    )
