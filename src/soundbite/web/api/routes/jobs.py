"""Pipeline jobs: what is queued, running, done or failed, and retrying a failed one.

The job table is the source of truth for pipeline state, so this is a direct view of it.
Retrying also queues the stages after the retried one (they consumed its output).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from soundbite.services import episodes
from soundbite.services.schemas import JobPublic
from soundbite.web.api.params import RowIdPath, RowIdQuery
from soundbite.web.deps import CurrentUser, SoundbiteDep, Viewer

router = APIRouter(tags=["jobs"])


@router.get("/jobs", response_model=list[JobPublic])
def list_jobs(
    sb: SoundbiteDep,
    viewer: Viewer,
    state: Literal["queued", "running", "done", "failed"] | None = None,
    episode_id: RowIdQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[JobPublic]:
    """Newest first."""
    return episodes.list_jobs(sb, viewer, state=state, episode_id=episode_id, limit=limit)


@router.post(
    "/jobs/{job_id}/retry",
    response_model=JobPublic,
    responses={409: {"description": "The job is queued or running"}},
)
def retry_job(job_id: RowIdPath, sb: SoundbiteDep, user: CurrentUser) -> JobPublic:
    """Queue a finished (failed or done) job again."""
    return episodes.retry_job(sb, user, job_id)
