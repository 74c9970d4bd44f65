"""Who may read, list and change a podcast and everything in it: the one place for these rules.

Every service asks here (``services/``, ``clips/``, ``search/``); ``store/access.py`` only
turns ``ListScope`` into SQL. The rules, per podcast visibility (``Visibility``):

=============  ==========================  =====================================================
visibility     read (by id or link)        listed (podcast lists, episode lists, search, clips)
=============  ==========================  =====================================================
public         anyone                      anyone
unlisted       anyone                      its creators and admins only
private        signed-in accounts          signed-in accounts
=============  ==========================  =====================================================

Changing a podcast (its episodes, jobs, uploads into it, creator soundbites, its analytics) is
for admins and the podcast's creators; adding a podcast (a feed or an upload podcast) and
choosing visibility is for admins. A reader who may not read something is told it does not
exist (404), never that it is forbidden (403): a 403 would confirm a private podcast exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from soundbite.domain.accounts import Account, Visibility

Viewer = Account | None


def may_read(viewer: Viewer, visibility: str, podcast_id: int) -> bool:
    if viewer is not None and (viewer.is_admin or viewer.creates_for(podcast_id)):
        return True
    return visibility != Visibility.PRIVATE or viewer is not None


def may_list(viewer: Viewer, visibility: str, podcast_id: int) -> bool:
    """Whether the podcast shows up in lists and search for `viewer` (reading a link to it
    is ``may_read``)."""
    if viewer is None:
        return visibility == Visibility.PUBLIC
    if viewer.is_admin or viewer.creates_for(podcast_id):
        return True
    return visibility != Visibility.UNLISTED


def may_edit(viewer: Viewer, podcast_id: int) -> bool:
    """Edit the podcast and its episodes, run their jobs, upload into it, make creator clips,
    see its analytics."""
    return viewer is not None and (viewer.is_admin or viewer.creates_for(podcast_id))


def may_add_podcast(viewer: Viewer) -> bool:
    """Adding a feed or an upload creates a podcast, and a podcast's visibility and creators
    are an admin's to choose, so adding one is for admins."""
    return viewer is not None and viewer.is_admin


def may_set_visibility(viewer: Viewer) -> bool:
    return viewer is not None and viewer.is_admin


def cacheable(visibility: str) -> bool:
    """Shared caches (CDNs, proxies) may keep what anyone may read."""
    return visibility != Visibility.PRIVATE


@dataclass(frozen=True, slots=True)
class ListScope:
    """Which podcasts a viewer's lists include: everything, or those with one of
    `visibilities` plus the podcasts in `also` (the viewer's own, as a creator)."""

    everything: bool
    visibilities: frozenset[str] = frozenset()
    also: frozenset[int] = frozenset()


def list_scope(viewer: Viewer) -> ListScope:
    """``may_list`` for a whole table at once (store/access.py renders it as SQL)."""
    if viewer is None:
        return ListScope(False, frozenset({Visibility.PUBLIC.value}))
    if viewer.is_admin:
        return ListScope(True)
    listed = frozenset({Visibility.PUBLIC.value, Visibility.PRIVATE.value})
    return ListScope(False, listed, viewer.creator_of)


def read_scope(viewer: Viewer) -> ListScope:
    """``may_read`` for a whole table at once."""
    if viewer is not None:
        return ListScope(True)
    return ListScope(False, frozenset({Visibility.PUBLIC.value, Visibility.UNLISTED.value}))
