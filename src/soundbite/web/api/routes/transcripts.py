"""An episode's transcript, rendered on request in the format asked for.

Rendering from the rows each time keeps one source of truth; a transcript is a few hundred
kilobytes at most, so caching the rendered files would save little. The URL does not name
the content (re-transcribing replaces it), so caches must revalidate.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from soundbite.services import episodes
from soundbite.speech.formats import FORMATS
from soundbite.web.api.params import RowIdPath
from soundbite.web.deps import SoundbiteDep, Viewer
from soundbite.web.headers import cache_control, content_disposition, download_name

router = APIRouter(tags=["transcripts"])

TranscriptFormat = Literal["json", "vtt", "srt", "txt"]


@router.get(
    "/episodes/{episode_id}/transcript",
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/json": {},
                "text/vtt": {},
                "application/x-subrip": {},
                "text/plain": {},
            }
        },
        404: {"description": "No such episode, or not transcribed yet"},
    },
)
def get_transcript(
    episode_id: RowIdPath,
    sb: SoundbiteDep,
    viewer: Viewer,
    format: TranscriptFormat = "json",
    download: Annotated[bool, Query(description="Ask the browser to save it as a file")] = False,
) -> Response:
    """The transcript as JSON (segments and words, times in ms), WebVTT, SRT or plain text.

    While the episode is being transcribed this is the part done so far, and the
    `X-Transcript-Complete` header says `false`.
    """
    transcript, place = episodes.transcript_of(sb, viewer, episode_id)
    episode = episodes.episode_ref(sb, episode_id)
    media_type, render = FORMATS[format]
    filename = download_name(episode.title, format)
    return Response(
        render(transcript),
        media_type=media_type,
        headers={
            "Content-Disposition": content_disposition(filename, attachment=download),
            "Cache-Control": cache_control(public=place.cacheable, immutable=False),
            # "false" while the episode is still being transcribed: this is its start only
            "X-Transcript-Complete": "true" if transcript.complete else "false",
        },
    )
