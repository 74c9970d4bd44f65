"""Uploading an episode: stream to a capped temp file, probe, store, queue.

Nothing is stored unless everything checks out: the transcript (if any) is parsed and the
media probed before ``add_media_file`` writes a row or a blob, and the temp folder is
removed whatever happens. Probing and hashing are blocking work, so they run in the thread
pool while the event loop keeps serving other requests.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from soundbite.bootstrap import Soundbite
from soundbite.domain.transcript import Transcript
from soundbite.errors import TooLarge
from soundbite.services import access, episodes, library
from soundbite.services.schemas import EpisodeDetail
from soundbite.speech.formats import MAX_TRANSCRIPT_BYTES, parse_transcript
from soundbite.web.api.routes.episodes import EPISODE_LINKS
from soundbite.web.deps import CurrentUser, SoundbiteDep
from soundbite.web.uploads import UploadForm, read_upload_form

router = APIRouter(tags=["episodes"])

# room for the multipart framing, the title and a transcript on top of the file itself
FORM_SLACK = MAX_TRANSCRIPT_BYTES + 64 * 1024
MAX_TITLE_CHARS = 500
AUDIO_TYPE = re.compile(r"audio/[a-z0-9][a-z0-9.+-]{0,80}")

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "Audio or video (its audio track is kept).",
                        },
                        "title": {"type": "string", "description": "Default: the file name."},
                        "transcript": {
                            "type": "string",
                            "format": "binary",
                            "description": "VTT, SRT or JSON transcript to use instead of "
                            "transcribing.",
                        },
                    },
                }
            }
        },
    }
}


def upload_dir(sb: Soundbite) -> Path:
    return sb.settings.data_dir / "uploads"


def _transcript(form: UploadForm) -> Transcript | None:
    if form.transcript is None:
        return None
    transcript = parse_transcript(
        form.transcript,
        content_type=form.transcript_content_type,
        filename=form.transcript_filename,
    )
    # "publisher" tells the transcribe stage to keep it rather than transcribe over it
    return dataclasses.replace(transcript, source="publisher")


def _audio_type(content_type: str | None) -> str | None:
    """The client's label only if it claims audio; browsers often send octet-stream, and
    the label is served back later, so anything else is left to the probed container."""
    mime = (content_type or "").split(";")[0].strip().lower()
    return mime if AUDIO_TYPE.fullmatch(mime) else None


@router.post(
    "/episodes",
    response_model=EpisodeDetail,
    status_code=201,
    openapi_extra=UPLOAD_BODY,
    responses={
        201: {"links": EPISODE_LINKS},
        413: {"description": "Over the upload size or duration limit"},
        422: {"description": "Not audio we can decode, or a bad transcript"},
    },
)
async def upload_episode(request: Request, sb: SoundbiteDep, user: CurrentUser) -> EpisodeDetail:
    """Upload an audio or video file as a new episode (multipart: `file`, optional `title`,
    `podcast_id` and `transcript`). Processing is queued; poll the episode for its stages.

    With a `podcast_id` form field the episode joins that podcast (its creators and admins
    may); without, an admin's "Uploads" podcast. (`podcast_id` is left out of the schema
    below on purpose: API fuzzers infer links from parameter names, and one on the upload
    made it a step inside their scenarios instead of where they start.)"""
    # a listener is refused before a byte of the file is read; which podcast is checked
    # once the form has named it
    access.require_may_upload(user)
    limit = sb.settings.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + FORM_SLACK:
        raise TooLarge(f"the request is {declared} bytes; the upload limit is {limit}")
    parent = upload_dir(sb)
    parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(dir=parent, prefix="upload-"))
    try:
        form = await read_upload_form(
            request, workdir, max_file_bytes=limit, max_transcript_bytes=MAX_TRANSCRIPT_BYTES
        )
        assert form.file_path is not None
        transcript = await run_in_threadpool(_transcript, form)
        title = form.title or PurePosixPath(form.filename).stem or "Untitled upload"
        episode_id = await run_in_threadpool(
            lambda: library.upload(
                sb,
                user,
                form.file_path,  # type: ignore[arg-type]
                podcast_id=form.podcast_id,
                title=title[:MAX_TITLE_CHARS],
                content_type=_audio_type(form.content_type),
                transcript=transcript,
            )
        )
    finally:
        await run_in_threadpool(shutil.rmtree, workdir, ignore_errors=True)
    return await run_in_threadpool(episodes.get_episode, sb, user, episode_id)
