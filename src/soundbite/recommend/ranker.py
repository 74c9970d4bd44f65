"""Ranking: a listener's "For you" feed, row by row, every item with its reason.

The score of an item for a listener mixes (weights in model.Weights, each part scaled to
about 0..1): the collaborative prediction, the cosine of its words with what they played,
clipped and searched, server popularity, newness, a bonus for the shows they subscribe to
(more for high-scoring highlights), and how well its length suits this time of day for them;
items they skipped lose ``weights.skip``. The rows then cut this one ranking different ways:

- Continue listening: what they started and did not finish, newest first;
- Picked for you: the best of the mixed score, diversified (MMR, two per show in the top 10);
- New from your shows: the newest (and best highlights) of the shows they subscribe to;
- Because you clipped <title>: the closest in content to their latest clip;
- Fits your next N minutes: the mixed score times the fit to the session's time budget;
- Popular on this server.

An item appears in one row only (the first that claims it). A new listener with no history
gets popularity and their subscriptions' highlights, which is the same formula with the
personal parts at zero. ``public_feed`` is the opt-out: it is handed the catalogue only.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from soundbite.errors import InvalidInput
from soundbite.recommend import context as fit
from soundbite.recommend import diversity, reasons
from soundbite.recommend.catalogue import Catalogue
from soundbite.recommend.data import Context, Item
from soundbite.recommend.model import Model, Options
from soundbite.recommend.reasons import Reason
from soundbite.recommend.signals import Evidence

Scores = NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Pick:
    item: Item
    score: float
    reason: Reason


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    title: str
    picks: tuple[Pick, ...]


@dataclass(frozen=True, slots=True)
class Feed:
    personalised: bool
    rows: tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class Parts:
    """The weighted parts of every item's score for one listener, and their sum."""

    collaborative: Scores
    content: Scores
    popularity: Scores
    recency: Scores
    subscribed: Scores
    total: Scores


def _scaled(x: Scores | None, n: int) -> Scores:
    if x is None:
        return np.zeros(n, dtype=np.float32)
    out = np.zeros(n, dtype=np.float32)
    out[: len(x)] = x  # items added since training have no collaborative score
    top = float(np.abs(out).max()) if n else 0.0
    return out / top if top > 0 else out


def score(model: Model, evidence: Evidence, ctx: Context) -> Parts:
    cat, w, n = model.catalogue, model.options.weights, len(model.catalogue)
    liked = {cat.index[i]: c for i, c in evidence.liked.items() if i in cat.index}
    queries = [s.query for s in evidence.searches]
    collab = w.collaborative * _scaled(model.collab.scores(evidence.user), n)
    content = w.content * _scaled(cat.content.profile_scores(liked, queries), n)
    popularity = w.popularity * cat.popularity
    recency = w.recency * cat.recency(ctx.now, model.options.recency_half_life_days)
    subscribed = np.zeros(n, dtype=np.float32)
    if evidence.subscriptions:
        mine = cat.of_shows(evidence.subscriptions)
        subscribed = w.subscribed * mine * (0.5 + 0.5 * cat.highlight)
    total = collab + content + popularity + recency + subscribed + w.highlight * cat.highlight
    total += w.hour * fit.hour_fit(cat.durations, ctx.local_hour, evidence.finished_minutes)
    for item, c in evidence.skipped.items():
        if item in cat.index:
            total[cat.index[item]] -= w.skip * min(1.0, -c)
    return Parts(collab, content, popularity, recency, subscribed, total)


def _diverse(
    cat: Catalogue, opts: Options, relevance: Scores, exclude: set[int], k: int | None = None
) -> list[int]:
    """The top of ``relevance`` outside ``exclude``, re-ranked by MMR with the show cap."""
    masked = relevance.copy()
    masked[list(exclude)] = -np.inf
    pool = min(opts.pool, len(masked))
    if pool == 0:
        return []
    top = np.argpartition(-masked, pool - 1)[:pool]
    top = top[np.isfinite(masked[top])]
    top = top[np.argsort(-masked[top], kind="stable")]
    if not len(top):
        return []
    sim = cat.content.pairwise(top.tolist())
    return diversity.rerank(
        top.tolist(),
        masked[top],
        sim,
        cat.shows,
        k or opts.row_size,
        lam=opts.mmr_lambda,
        per_show=opts.per_show,
        window=opts.row_size,
    )


def _listener(model: Model, user: str) -> Evidence:
    if user in model.opted_out:
        raise InvalidInput("personalisation is off for this listener: use the public feed")
    return model.listeners.get(user) or Evidence(user)


def _seen(model: Model, evidence: Evidence) -> set[int]:
    idx = model.catalogue.index
    return {idx[i] for i in evidence.liked if i in idx}


def recommend(model: Model, user: str, ctx: Context, k: int = 10) -> list[int]:
    """The "Picked for you" ranking as item indices (what the offline benchmark scores)."""
    evidence = _listener(model, user)
    relevance = score(model, evidence, ctx).total
    return _diverse(model.catalogue, model.options, relevance, _seen(model, evidence), k)


def _reason(model: Model, evidence: Evidence, parts: Parts, j: int) -> Reason:
    cat = model.catalogue
    candidates = {
        "collaborative": float(parts.collaborative[j]),
        "content": float(parts.content[j]),
        "subscribed": float(parts.subscribed[j]),
        "popularity": float(parts.popularity[j]),
        "recency": float(parts.recency[j]),
    }
    cited = [cat.index[i] for i in evidence.cite if i in cat.index]
    for part in sorted(candidates, key=lambda p: -candidates[p]):
        if candidates[part] <= 0:
            break
        if part == "collaborative":
            known = [c for c in cited if c < model.collab.n_items]
            src = model.collab.closest_evidence(j, known) if j < model.collab.n_items else None
            if src is not None:
                return reasons.because_listened(cat.items[src], evidence.cite[cat.items[src].id])
        elif part == "content":
            if cited:
                sims = cat.content.pairwise([j, *cited])[0, 1:]
                src = cited[int(np.argmax(sims))]
                if sims.max() > 0:
                    item = cat.items[src]
                    return reasons.because_listened(item, evidence.cite[item.id])
            if evidence.searches:
                return reasons.because_searched(evidence.searches[0].query, evidence.searches[0])
        elif part == "subscribed":
            item = cat.items[j]
            return reasons.new_from_subscription(item, evidence.subscriptions[item.show])
        elif part == "recency":
            return reasons.new_on_server(cat.items[j])
        else:
            return reasons.popular()
    return reasons.popular()


def _row(
    key: str,
    title: str,
    cat: Catalogue,
    picks: Iterable[int],
    scores: Scores,
    why: Callable[[int], Reason],
    shown: set[int],
) -> Row | None:
    chosen = tuple(Pick(cat.items[j], float(scores[j]), why(j)) for j in picks)
    shown.update(cat.index[p.item.id] for p in chosen)
    return Row(key, title, chosen) if chosen else None


def feed(model: Model, user: str, ctx: Context, hidden: Collection[int] = ()) -> Feed:
    """The personal feed; refuses a listener who turned personalisation off.

    ``hidden`` are item indices this listener may not be shown (podcasts they may not read,
    podcasts an admin excluded after training): no row holds them.
    """
    evidence = _listener(model, user)
    cat, opts, size = model.catalogue, model.options, model.options.row_size
    parts = score(model, evidence, ctx)
    hide = set(hidden)
    shown = _seen(model, evidence) | hide
    rows: list[Row | None] = []

    started = sorted(evidence.in_progress.values(), key=lambda i: i.at, reverse=True)
    started = [i for i in started if i.item in cat.index and cat.index[i.item] not in hide]
    started = started[:size]
    progress = {cat.index[i.item]: i for i in started}
    rows.append(
        _row(
            "continue",
            "Continue listening",
            cat,
            progress,
            parts.total,
            lambda j: reasons.continue_listening(progress[j]),
            shown,
        )
    )

    picked = _diverse(cat, opts, parts.total, shown)
    rows.append(
        _row(
            "for_you",
            "Picked for you",
            cat,
            picked,
            parts.total,
            lambda j: _reason(model, evidence, parts, j),
            shown,
        )
    )

    if evidence.subscriptions:
        mine = cat.of_shows(evidence.subscriptions)
        fresh = np.where(mine, parts.recency + 0.5 * cat.highlight, -np.inf).astype(np.float32)
        new = _diverse(cat, opts, fresh, set(shown))
        rows.append(
            _row(
                "new_from_shows",
                "New from your shows",
                cat,
                new,
                fresh,
                lambda j: reasons.new_from_subscription(
                    cat.items[j], evidence.subscriptions[cat.shows[j]]
                ),
                shown,
            )
        )

    clip = next((c for c in evidence.clipped if c.item in cat.index), None)
    if clip is not None:
        source = cat.items[cat.index[clip.item]]
        near = cat.content.similar(cat.index[clip.item]) + 0.25 * parts.total
        closest = _diverse(cat, opts, near, shown | {cat.index[clip.item]})
        rows.append(
            _row(
                "because_clipped",
                f"Because you clipped {source.label}",
                cat,
                closest,
                near,
                lambda j: reasons.because_clipped(source, clip),
                shown,
            )
        )

    if ctx.budget_minutes is not None:
        fits = fit.budget_fit(cat.durations, ctx.budget_minutes)
        fitting = np.where(fits > 0, (parts.total + 1.0) * fits, -np.inf).astype(np.float32)
        budget = ctx.budget_minutes
        rows.append(
            _row(
                "fits",
                f"Fits your next {budget} minutes",
                cat,
                _diverse(cat, opts, fitting, shown),
                fitting,
                lambda j: reasons.fits_budget(budget),
                shown,
            )
        )

    rows.append(
        _row(
            "popular",
            "Popular on this server",
            cat,
            _diverse(cat, opts, cat.popularity, shown),
            cat.popularity,
            lambda j: reasons.popular(),
            shown,
        )
    )
    return Feed(personalised=True, rows=tuple(r for r in rows if r is not None))


def public_feed(
    catalogue: Catalogue,
    ctx: Context,
    options: Options | None = None,
    hidden: Collection[int] = (),
) -> Feed:
    """Popular and newest, for a listener with personalisation off (or nobody signed in).

    It is given the catalogue and nothing else: no listener, no evidence, no model vectors.
    """
    opts = options or Options()
    shown: set[int] = set(hidden)
    pop = catalogue.popularity
    newest = catalogue.recency(ctx.now, opts.recency_half_life_days)
    rows = [
        _row(
            "popular",
            "Popular on this server",
            catalogue,
            _diverse(catalogue, opts, pop, shown),
            pop,
            lambda j: reasons.popular(),
            shown,
        ),
        _row(
            "newest",
            "New on this server",
            catalogue,
            _diverse(catalogue, opts, newest, shown),
            newest,
            lambda j: reasons.new_on_server(catalogue.items[j]),
            shown,
        ),
    ]
    return Feed(personalised=False, rows=tuple(r for r in rows if r is not None))
