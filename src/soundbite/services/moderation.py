"""Moderation: reports about clips, the queue moderators work from, and what they can do.

Who moderates what is decided in one place, ``may_moderate``: admins moderate every podcast,
a podcast's creators (``Account.creator_of``) the clips of their own podcasts. Every function
here asks it, so routes, pages and the CLI need no rule of their own.

- Anyone may report a public or unlisted clip (a reason from a fixed list, a short note),
  signed in or not, within the abuse limits (``AbuseLimits.report``). No address is stored.
- The queue lists clips with open reports, most reported first.
- Hiding a clip makes it gone for everyone (``Gone``, 410: share page, audio, video, card,
  captions, oEmbed, the API) and closes its reports; deleting it removes the row, its events
  and its reports; dismissing closes the reports and leaves the clip as it is; disabling the
  author signs them out everywhere and stops them signing in (``accounts.disable_user``).

The callers in ``web/`` drop the clip's cached pages (``Soundbite.pages``) after hiding or
deleting it; other web processes drop theirs within the page cache's 10 s.
"""

from __future__ import annotations

import secrets
import time
import weakref
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from soundbite.clips.service import ClipView, clip_by_share_id, clips_by_id, get_clip
from soundbite.context import Context
from soundbite.domain import moderation as rules
from soundbite.domain.accounts import Account
from soundbite.errors import Conflict, Forbidden, InvalidInput, NotFound
from soundbite.services.abuse import AbuseLimits
from soundbite.services.accounts import disable_user
from soundbite.store.base import as_utc, utcnow
from soundbite.store.clip_models import Clip, ClipReport, SiteKey
from soundbite.store.db import Database, rowcount
from soundbite.store.models import User

QUEUE_LIMIT = 200
FORM_KEY = "report-form"


def may_moderate(account: Account | None, podcast_id: int | None = None) -> bool:
    """Whether `account` moderates the clips of `podcast_id` (None: of any podcast at all,
    which is what opening the queue needs). The only place this rule lives."""
    if account is None:
        return False
    if account.is_admin:
        return True
    return bool(account.creator_of) if podcast_id is None else account.creates_for(podcast_id)


def _sees(moderator: Account, view: ClipView) -> bool:
    """A private clip (a draft, or one its owner took back) is its owner's alone, as everywhere
    else: nobody can report it, so there is nothing to moderate, and an admin or creator must
    not learn it exists. Its open reports wait until it is shared again."""
    return view.visibility != "private" or view.owner_id == moderator.id


def _require_moderator(account: Account) -> None:
    if not may_moderate(account):
        raise Forbidden("only moderators (admins, and creators for their podcasts) may do this")


# reports


def report_clip(
    app: Context,
    share_id: str,
    reporter: Account | None,
    *,
    reason: str,
    note: str = "",
    ip: str,
    limits: AbuseLimits,
) -> None:
    """File a report. 404 for a clip the reporter cannot see, 410 for one already hidden."""
    view = get_clip(app, share_id, reporter)
    if view.visibility == "private":  # only its owner sees it: there is nobody to protect
        raise InvalidInput("a private clip cannot be reported")
    if reason not in rules.REASONS:
        raise InvalidInput(f"reason must be one of: {', '.join(rules.REASONS)}")
    note = note.strip()
    if len(note) > rules.REPORT_NOTE_MAX_CHARS:
        raise InvalidInput(f"a note is at most {rules.REPORT_NOTE_MAX_CHARS} characters")
    limits.report(reporter, ip)
    with app.db.write() as s:
        s.add(
            ClipReport(
                clip_id=view.id,
                reason=reason,
                note=note,
                reporter_id=reporter.id if reporter else None,
            )
        )


# the signed token of the share page's report form (domain/moderation.py says why)

_keys: weakref.WeakKeyDictionary[Database, str] = weakref.WeakKeyDictionary()


def _form_key(app: Context) -> str:
    key = _keys.get(app.db)
    if key is None:
        key = _keys[app.db] = _site_key(app, FORM_KEY)
    return key


def _site_key(app: Context, name: str) -> str:
    with app.db.read() as s:
        value = s.scalar(select(SiteKey.value).where(SiteKey.name == name))
    if value is not None:
        return value
    try:
        with app.db.write() as s:
            s.add(SiteKey(name=name, value=secrets.token_hex(32)))
    except IntegrityError:
        pass  # another process made it first: theirs is the one
    with app.db.read() as s:
        return s.scalars(select(SiteKey.value).where(SiteKey.name == name)).one()


def report_form_token(app: Context, share_id: str) -> str:
    return rules.form_token(_form_key(app), share_id, int(time.time()))


def check_report_form(app: Context, share_id: str, token: str) -> None:
    if not rules.form_token_valid(_form_key(app), share_id, token, int(time.time())):
        raise Forbidden("this report form is out of date: reload the clip's page and try again")


# the queue


@dataclass(frozen=True, slots=True)
class ReportView:
    reason: str
    note: str
    reporter: str | None  # None: signed out
    created_at: datetime


@dataclass(frozen=True, slots=True)
class QueueItem:
    clip: ClipView
    author_disabled: bool
    reports: list[ReportView] = field(default_factory=list)

    @property
    def reasons(self) -> dict[str, int]:
        return dict(Counter(r.reason for r in self.reports).most_common())

    @property
    def first_reported_at(self) -> datetime:
        return min(r.created_at for r in self.reports)


def queue(app: Context, moderator: Account) -> list[QueueItem]:
    """Clips with open reports that `moderator` moderates: most reported first, then the
    longest waiting. At most QUEUE_LIMIT clips."""
    _require_moderator(moderator)
    with app.db.read() as s:
        rows = s.execute(
            select(ClipReport, User.username)
            .outerjoin(User, User.id == ClipReport.reporter_id)
            .where(ClipReport.resolved_at.is_(None))
            .order_by(ClipReport.created_at, ClipReport.id)
        ).all()
        by_clip: dict[int, list[ReportView]] = {}
        for report, reporter in rows:
            by_clip.setdefault(report.clip_id, []).append(
                ReportView(report.reason, report.note, reporter, as_utc(report.created_at))
            )
    views = clips_by_id(app, list(by_clip))
    mine = [
        v for v in views.values() if _sees(moderator, v) and may_moderate(moderator, v.podcast_id)
    ]
    with app.db.read() as s:
        disabled = set(
            s.scalars(
                select(User.id).where(
                    User.id.in_({v.owner_id for v in mine}), User.disabled_at.is_not(None)
                )
            )
        )
    items = [QueueItem(v, v.owner_id in disabled, by_clip[v.id]) for v in mine]
    items.sort(key=lambda i: (-len(i.reports), i.first_reported_at))
    return items[:QUEUE_LIMIT]


# actions


def _moderated_clip(app: Context, moderator: Account, share_id: str) -> ClipView:
    _require_moderator(moderator)
    view = clip_by_share_id(app, share_id)
    if not _sees(moderator, view):  # its existence is not theirs to learn
        raise NotFound("no such clip")
    if not may_moderate(moderator, view.podcast_id):
        raise Forbidden("you do not moderate this clip's podcast")
    return view


def _resolve(s: Session, clip_id: int, moderator: Account, resolution: rules.Resolution) -> int:
    return rowcount(
        s.execute(
            update(ClipReport)
            .where(ClipReport.clip_id == clip_id, ClipReport.resolved_at.is_(None))
            .values(resolved_at=utcnow(), resolution=resolution, resolved_by=moderator.id)
        )
    )


def hide_clip(app: Context, moderator: Account, share_id: str) -> int:
    """Hide the clip for everyone and close its open reports; returns how many were closed."""
    view = _moderated_clip(app, moderator, share_id)
    with app.db.write() as s:
        s.execute(
            update(Clip)
            .where(Clip.id == view.id, Clip.hidden_at.is_(None))
            .values(hidden_at=utcnow())
        )
        return _resolve(s, view.id, moderator, "hidden")


def unhide_clip(app: Context, moderator: Account, share_id: str) -> bool:
    """Bring a hidden clip back (a mistaken hide): its link, audio and lists work again.
    Returns False if it was not hidden. Its closed reports stay closed."""
    view = _moderated_clip(app, moderator, share_id)
    with app.db.write() as s:
        changed = s.execute(
            update(Clip)
            .where(Clip.id == view.id, Clip.hidden_at.is_not(None))
            .values(hidden_at=None)
        )
        return rowcount(changed) > 0


def hidden_clips(app: Context, moderator: Account) -> list[ClipView]:
    """Clips hidden by moderators that `moderator` moderates, the most recently hidden first
    (at most HIDDEN_LIST_LIMIT): where a mistaken hide is undone."""
    _require_moderator(moderator)
    with app.db.read() as s:
        ids = list(
            s.scalars(
                select(Clip.id)
                .where(Clip.hidden_at.is_not(None))
                .order_by(Clip.hidden_at.desc(), Clip.id.desc())
            )
        )
    views = clips_by_id(app, ids)
    in_order = (views[i] for i in ids if i in views)
    mine = [v for v in in_order if _sees(moderator, v) and may_moderate(moderator, v.podcast_id)]
    return mine[: rules.HIDDEN_LIST_LIMIT]


def delete_clip(app: Context, moderator: Account, share_id: str) -> None:
    """Delete the clip with its events and reports (renders stay: other clips share them)."""
    view = _moderated_clip(app, moderator, share_id)
    with app.db.write() as s:
        clip = s.get(Clip, view.id)
        if clip is not None:
            s.delete(clip)


def dismiss_reports(app: Context, moderator: Account, share_id: str) -> int:
    """Close the clip's open reports and leave the clip as it is; returns how many."""
    view = _moderated_clip(app, moderator, share_id)
    with app.db.write() as s:
        return _resolve(s, view.id, moderator, "dismissed")


def disable_author(app: Context, moderator: Account, share_id: str) -> str:
    """Disable the account that made the clip; returns its user name. A creator may not
    disable an admin, and nobody disables themselves here."""
    view = _moderated_clip(app, moderator, share_id)
    if view.owner_id == moderator.id:
        raise Conflict("this is your own clip: you cannot disable your own account here")
    with app.db.write() as s:
        author = s.get_one(User, view.owner_id)
        if author.role == "admin" and not moderator.is_admin:
            raise Forbidden("only an admin may disable an admin")
        disable_user(s, author)
        return author.username


def act(app: Context, moderator: Account, share_id: str, action: str) -> str:
    """Apply one of ``ACTIONS`` (the queue's buttons and the API alike); returns a sentence
    saying what was done."""
    if action == "hide":
        closed = hide_clip(app, moderator, share_id)
        return f"Clip hidden ({_reports(closed)} closed): its link now says it was removed."
    if action == "unhide":
        if not unhide_clip(app, moderator, share_id):
            raise Conflict("this clip is not hidden")
        return "Clip back: its link plays again."
    if action == "delete":
        delete_clip(app, moderator, share_id)
        return "Clip deleted, with its reports."
    if action == "dismiss":
        closed = dismiss_reports(app, moderator, share_id)
        return f"{_reports(closed)} dismissed; the clip stays."
    if action == "disable-author":
        name = disable_author(app, moderator, share_id)
        return f"{name} can no longer sign in."
    raise NotFound(f"no action {action!r}: one of {', '.join(rules.ACTIONS)}")


def _reports(n: int) -> str:
    return f"{n} report{'' if n == 1 else 's'}"
