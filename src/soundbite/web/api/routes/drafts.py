"""Mark and Drafts: one tap saves the last seconds heard as a private draft clip
(``services/drafts.py``). Refine one with PATCH /api/clips/{id}; give it a visibility there to
share it; DELETE /api/clips/{id} undoes a Mark."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from soundbite.services import drafts
from soundbite.web.api.clip_schemas import ClipPagePublic, ClipPublic, clip_public
from soundbite.web.api.listener_schemas import MarkCreate
from soundbite.web.api.params import Offset
from soundbite.web.deps import CurrentUser, SoundbiteDep, client_ip, public_base

router = APIRouter(tags=["drafts"])


@router.post("/drafts", response_model=ClipPublic, status_code=201)
def mark(body: MarkCreate, request: Request, sb: SoundbiteDep, user: CurrentUser) -> ClipPublic:
    """Mark: a draft of the last `seconds` (your setting by default) before `at_ms`, widened
    to whole sentences when there is a transcript. Private until you share it."""
    sb.limits.create_clip(user, client_ip(request))  # a Mark is a clip: the same limit
    view = drafts.mark(sb, user, body.episode_id, body.at_ms, seconds=body.seconds)
    return clip_public(view, public_base(request, sb.settings), sb.settings)


@router.get("/drafts", response_model=ClipPagePublic)
def list_drafts(
    request: Request,
    sb: SoundbiteDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> ClipPagePublic:
    """Your drafts, newest first."""
    page = drafts.list_drafts(sb, user, limit=limit, offset=offset)
    base = public_base(request, sb.settings)
    items = [clip_public(v, base, sb.settings) for v in page.items]
    return ClipPagePublic(items=items, total=page.total, limit=limit, offset=offset)
