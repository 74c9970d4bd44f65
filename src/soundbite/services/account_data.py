"""One's own data: a JSON export of it, and deleting the account with it.

What is personal goes with the account: clips and drafts (and their counted events),
subscriptions, listening progress and history, listener settings, the signals and switches of
"For you", sessions, API tokens.
What is shared does not: podcasts and episodes a user added are part of the library everyone
listens to, so deleting the account hands them to the first admin rather than taking
them from every listener.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update

from soundbite.context import Context
from soundbite.domain.accounts import Role
from soundbite.services.accounts import (
    SessionInfo,
    TokenInfo,
    keep_an_admin,
    list_api_tokens,
    list_sessions,
)
from soundbite.services.listening import MARK_SECONDS_DEFAULT
from soundbite.store.base import as_utc, utcnow
from soundbite.store.clip_models import Clip
from soundbite.store.listener_models import ListenerSettings, Listening, Subscription
from soundbite.store.models import Episode, Podcast, User, WebSession
from soundbite.store.recommend_models import ListenerPrivacy, Signal

# 2: subscriptions, progress, history, drafts and listener settings are recorded
# 3: the signals of "For you", and its switches in settings
EXPORT_FORMAT = 3


def export_account(app: Context, user_id: int) -> dict[str, Any]:
    """Everything Soundbite keeps about one account, as JSON-ready data."""
    with app.db.read() as s:
        user = s.get_one(User, user_id)
        clips = s.execute(
            select(Clip, Episode.title)
            .join(Episode, Episode.id == Clip.episode_id)
            .where(Clip.owner_id == user_id)
            .order_by(Clip.created_at, Clip.id)
        ).all()
        subscriptions = s.execute(
            select(Subscription.created_at, Podcast.id, Podcast.title)
            .join(Podcast, Podcast.id == Subscription.podcast_id)
            .where(Subscription.user_id == user_id)
            .order_by(Subscription.created_at, Podcast.id)
        ).all()
        listened = s.execute(
            select(Listening, Episode.title)
            .join(Episode, Episode.id == Listening.episode_id)
            .where(Listening.user_id == user_id)
            .order_by(Listening.last_played_at.desc(), Listening.episode_id)
        ).all()
        prefs = s.get(ListenerSettings, user_id)
        privacy = s.get(ListenerPrivacy, user_id)
        signals = s.scalars(
            select(Signal).where(Signal.user_id == user_id).order_by(Signal.at, Signal.id)
        ).all()
        signal_rows = [_signal(x) for x in signals]
        account = {
            "id": user.id,
            "username": user.username,
            "role": user.role,
            "disabled": user.disabled_at is not None,
            "created_at": _time(user.created_at),
        }
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _time(utcnow()),
        "account": account,
        "clips": [_clip(c, title) for c, title in clips if not c.draft],
        "drafts": [_clip(c, title) for c, title in clips if c.draft],
        "api_tokens": [_token(t) for t in list_api_tokens(app, user_id)],
        "sessions": [_session(x) for x in list_sessions(app, user_id, None)],
        "subscriptions": [
            {"podcast_id": pid, "podcast_title": title, "subscribed_at": _time(at)}
            for at, pid, title in subscriptions
        ],
        # one row per episode is both: where you are in it, and when you played it
        "progress": [
            {
                "episode_id": row.episode_id,
                "episode_title": title,
                "position_ms": row.position_ms,
                "done": row.done,
            }
            for row, title in listened
        ],
        "history": [
            {
                "episode_id": row.episode_id,
                "episode_title": title,
                "first_played_at": _time(row.first_played_at),
                "last_played_at": _time(row.last_played_at),
            }
            for row, title in listened
        ],
        "settings": {
            "mark_seconds": prefs.mark_seconds if prefs else MARK_SECONDS_DEFAULT,
            "personalised": privacy.personalised if privacy else True,
            "history_paused": privacy.history_paused if privacy else False,
        },
        "signals": signal_rows,
    }


def delete_account(app: Context, user_id: int) -> None:
    """Delete an account and its personal data (not the last admin)."""
    with app.db.write() as s:
        user = s.get_one(User, user_id)
        if user.role == Role.ADMIN.value:
            keep_an_admin(s, user.id)
        heir = s.scalar(
            select(User.id)
            .where(User.role == Role.ADMIN.value, User.id != user_id)
            .order_by(User.id)
        )
        if heir is not None:
            for shared in (Podcast, Episode):
                s.execute(update(shared).where(shared.owner_id == user_id).values(owner_id=heir))
        # explicit rather than left to ON DELETE CASCADE, which SQLite honours only with
        # its foreign_keys pragma on
        s.execute(delete(Clip).where(Clip.owner_id == user_id))
        s.execute(delete(Signal).where(Signal.user_id == user_id))
        for mine in (Subscription, Listening, ListenerSettings, ListenerPrivacy):
            s.execute(delete(mine).where(mine.user_id == user_id))
        s.execute(delete(WebSession).where(WebSession.user_id == user_id))
        s.delete(user)


def _time(value: Any) -> str:
    return as_utc(value).isoformat()


def _signal(x: Signal) -> dict[str, Any]:
    return {
        "id": x.id,
        "kind": x.kind,
        "at": _time(x.at),
        "episode_id": x.episode_id,
        "clip_id": x.clip_id,
        "podcast_id": x.podcast_id,
        "query": x.query,
        "listened_ms": x.listened_ms,
    }


def _clip(clip: Clip, episode_title: str) -> dict[str, Any]:
    return {
        "share_id": clip.share_id,
        "episode_id": clip.episode_id,
        "episode_title": episode_title,
        "start_ms": clip.start_ms,
        "end_ms": clip.end_ms,
        "title": clip.title,
        "note": clip.note,
        "visibility": clip.visibility,
        "text": clip.text,
        "created_at": _time(clip.created_at),
    }


def _token(t: TokenInfo) -> dict[str, Any]:
    # the secret itself was shown once and is not kept: only what describes it
    last_used = _time(t.last_used_at) if t.last_used_at else None
    return {
        "name": t.name,
        "scope": t.scope.value,
        "created_at": _time(t.created_at),
        "last_used_at": last_used,
    }


def _session(x: SessionInfo) -> dict[str, Any]:
    return {
        "user_agent": x.user_agent,
        "created_at": _time(x.created_at),
        "expires_at": _time(x.expires_at),
    }
