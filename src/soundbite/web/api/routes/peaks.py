"""An episode's waveform peaks, for drawing it (wavesurfer.js) without decoding the audio.

The peaks stage stores one file per media hash at ``PEAKS_PER_SECOND``; coarser zoom
levels are downsampled from it on request, which is cheap next to decoding. When the URL
carries the media hash (``?v=``, as ``peaks_url`` in the episode does), the answer can
never change and is cached for good; without it, caches revalidate against the ETag.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from soundbite.derived import PEAKS_PER_SECOND, load_peaks, peaks_key
from soundbite.errors import NotFound
from soundbite.media.peaks import downsample, peaks_to_dat, peaks_to_json
from soundbite.services import episodes
from soundbite.web.api.params import RowIdPath
from soundbite.web.deps import SoundbiteDep, Viewer
from soundbite.web.headers import cache_control
from soundbite.web.ranges import none_match

router = APIRouter(tags=["episodes"])

MIN_VERSION_CHARS = 16  # 64 bits of the hash: a typo cannot pass for the real one


@router.get(
    "/episodes/{episode_id}/peaks",
    response_class=Response,
    responses={
        200: {
            "content": {"application/json": {}, "application/octet-stream": {}},
            "description": "audiowaveform v2 JSON, or its binary .dat form",
        },
        304: {"description": "Not modified (If-None-Match)"},
        404: {"description": "No such episode, or no peaks computed yet"},
    },
)
def get_peaks(
    request: Request,
    episode_id: RowIdPath,
    sb: SoundbiteDep,
    viewer: Viewer,
    pixels_per_second: Annotated[int | None, Query(ge=1, le=PEAKS_PER_SECOND)] = None,
    format: Literal["json", "dat"] = "json",
    v: Annotated[str | None, Query(description="The media hash (or a prefix), for caching")] = None,
) -> Response:
    """Min/max peaks in the audiowaveform v2 format, optionally at fewer pixels per second."""
    episode, place = episodes.readable_ref(sb, viewer, episode_id)
    sha = episode.media_sha256
    if sha is None or not sb.storage.exists(peaks_key(sha)):
        raise NotFound(
            f"episode {episode_id} has no waveform yet; it appears when the peaks stage is done"
        )
    pps = pixels_per_second or PEAKS_PER_SECOND
    etag = f'"{sha}-{pps}pps-{format}"'
    pinned = v is not None and len(v) >= MIN_VERSION_CHARS and sha.startswith(v)
    headers = {
        "ETag": etag,
        "Cache-Control": cache_control(public=place.cacheable, immutable=pinned),
    }
    if none_match(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    peaks = load_peaks(sb.storage, sha)  # validated: a damaged file is an error, not a waveform
    if peaks is None:
        raise NotFound(f"episode {episode_id} has no waveform yet")
    if pps != PEAKS_PER_SECOND:
        peaks = downsample(peaks, pps)
    if format == "dat":
        return Response(peaks_to_dat(peaks), media_type="application/octet-stream", headers=headers)
    body = json.dumps(peaks_to_json(peaks), separators=(",", ":"))
    return Response(body, media_type="application/json", headers=headers)
