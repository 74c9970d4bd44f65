"""Moderation over JSON: report a clip (anyone), and the moderators' queue and actions.

The rules (who may report what, who moderates which podcast) are in
``services/moderation.py``; a route only translates. Hiding or deleting a clip also drops
this process's cached pages of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from soundbite.domain.moderation import REPORT_NOTE_MAX_CHARS, Reason
from soundbite.services import moderation
from soundbite.web.api.clip_schemas import ClipPublic, clip_public
from soundbite.web.deps import CurrentUser, OptionalWriter, SoundbiteDep, client_ip, public_base

router = APIRouter(tags=["moderation"])


class ReportCreate(BaseModel):
    reason: Reason
    note: str = Field("", max_length=REPORT_NOTE_MAX_CHARS)


class ReportReceived(BaseModel):
    received: bool = True


class ReportPublic(BaseModel):
    reason: Reason
    note: str
    reporter: str | None = Field(description="The reporter's user name; null when signed out.")
    created_at: datetime


class QueueItemPublic(BaseModel):
    clip: ClipPublic
    author_disabled: bool
    reasons: dict[str, int] = Field(description="Open reports per reason, most frequent first.")
    reports: list[ReportPublic]


class QueuePublic(BaseModel):
    items: list[QueueItemPublic]


class HiddenClipPublic(BaseModel):
    clip: ClipPublic
    hidden_at: datetime


class HiddenPublic(BaseModel):
    items: list[HiddenClipPublic]


class ActionDone(BaseModel):
    done: str


@router.post("/clips/{share_id}/reports", response_model=ReportReceived, status_code=201)
def report_clip(
    share_id: str, body: ReportCreate, request: Request, sb: SoundbiteDep, auth: OptionalWriter
) -> ReportReceived:
    """Report a public or unlisted clip to the moderators. Anyone may, signed in or not;
    limited per address and per account (429 with Retry-After)."""
    moderation.report_clip(
        sb,
        share_id,
        auth.account if auth else None,
        reason=body.reason,
        note=body.note,
        ip=client_ip(request),
        limits=sb.limits,
    )
    return ReportReceived()


@router.get("/moderation/queue", response_model=QueuePublic)
def queue(request: Request, sb: SoundbiteDep, user: CurrentUser) -> QueuePublic:
    """Clips with open reports that you moderate, most reported first (403 if none)."""
    base = public_base(request, sb.settings)
    items = [
        QueueItemPublic(
            clip=clip_public(item.clip, base, sb.settings),
            author_disabled=item.author_disabled,
            reasons=item.reasons,
            reports=[ReportPublic.model_validate(r, from_attributes=True) for r in item.reports],
        )
        for item in moderation.queue(sb, user)
    ]
    return QueuePublic(items=items)


@router.get("/moderation/hidden", response_model=HiddenPublic)
def hidden(request: Request, sb: SoundbiteDep, user: CurrentUser) -> HiddenPublic:
    """Hidden clips that you moderate, the most recently hidden first (403 if you moderate
    nothing): `POST .../{share_id}/unhide` brings one back."""
    base = public_base(request, sb.settings)
    return HiddenPublic(
        items=[
            HiddenClipPublic(clip=clip_public(v, base, sb.settings), hidden_at=v.hidden_at)
            for v in moderation.hidden_clips(sb, user)
            if v.hidden_at is not None
        ]
    )


@router.post("/moderation/clips/{share_id}/{action}", response_model=ActionDone)
def act(
    share_id: str,
    action: Literal["hide", "unhide", "dismiss", "disable-author"],
    sb: SoundbiteDep,
    user: CurrentUser,
) -> ActionDone:
    """`hide`: the clip is gone for everyone (410) and its reports are closed; `unhide`: a
    hidden clip comes back (409 if it is not hidden); `dismiss`: close its reports, keep the
    clip; `disable-author`: its author can no longer sign in."""
    done = moderation.act(sb, user, share_id, action)
    sb.pages.forget(share_id)
    return ActionDone(done=done)


@router.delete("/moderation/clips/{share_id}", status_code=204)
def delete(share_id: str, sb: SoundbiteDep, user: CurrentUser) -> Response:
    """Delete the clip, its events and its reports."""
    moderation.delete_clip(sb, user, share_id)
    sb.pages.forget(share_id)
    return Response(status_code=204)
