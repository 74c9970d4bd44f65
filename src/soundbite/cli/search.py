"""`soundbite search`: find the moment in every transcript, from the terminal.

Prints one line per hit (time of the matching words, episode, snippet with the match in bold)
or, with --json, the same fields the API returns, so scripts can turn a hit into a clip.
"""

from __future__ import annotations

import html
import re
from datetime import datetime

import click

from soundbite.cli.base import Context, cli, emit_json, handle_errors, pass_ctx
from soundbite.search.backend import Filters
from soundbite.search.service import MAX_LIMIT, Hit, search

_MARK = re.compile(r"</?mark>")


def clock(ms: int) -> str:
    s = ms // 1000
    return (
        f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )


def terminal_snippet(snippet: str) -> str:
    """The HTML snippet for a terminal: matches in bold, entities decoded."""
    parts = _MARK.split(snippet)
    return "".join(
        click.style(html.unescape(p), bold=True) if i % 2 else html.unescape(p)
        for i, p in enumerate(parts)
    )


def hit_json(hit: Hit) -> dict[str, object]:
    return {
        "episode": {
            "id": hit.episode_id,
            "title": hit.episode_title,
            "podcast_id": hit.podcast_id,
            "podcast_title": hit.podcast_title,
            "published_at": hit.published_at,
        },
        "start_ms": hit.start_ms,
        "end_ms": hit.end_ms,
        "snippet": hit.snippet,
        "score": hit.score,
        "clip": {
            "episode_id": hit.episode_id,
            "start_ms": hit.clip_start_ms,
            "end_ms": hit.clip_end_ms,
            "title": hit.clip_title,
            "source": "suggested",
        },
    }


@cli.command(name="search")
@click.argument("query", nargs=-1, required=True)
@click.option("--podcast", "podcast_id", type=int, help="Only this podcast.")
@click.option(
    "--from", "published_from", type=click.DateTime(["%Y-%m-%d"]), help="Published on or after."
)
@click.option(
    "--to", "published_to", type=click.DateTime(["%Y-%m-%d"]), help="Published on or before."
)
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT), default=10, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable output.")
@pass_ctx
@handle_errors
def search_command(
    ctx: Context,
    query: tuple[str, ...],
    podcast_id: int | None,
    published_from: datetime | None,
    published_to: datetime | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """Search every transcript: words, "quoted phrases", prefixes (pod*).

    \b
      soundbite search show notes
      soundbite search '"ideal podcast length"' --json
    """
    from soundbite.web.api.routes.search import day_bounds

    lo, hi = day_bounds(
        published_from and published_from.date(), published_to and published_to.date()
    )
    filters = Filters(podcast_id=podcast_id, published_from=lo, published_to=hi)
    page = search(ctx.app.db, " ".join(query), filters, limit=limit, offset=offset)
    if as_json:
        emit_json(
            {
                "query": page.query,
                "total": page.total,
                "matched": page.matched,
                "items": [hit_json(h) for h in page.hits],
            }
        )
        return
    if not page.hits:
        click.echo("no matches", err=True)
        return
    for hit in page.hits:
        where = f"{hit.podcast_title} / {hit.episode_title} (episode {hit.episode_id})"
        click.echo(f"{clock(hit.start_ms):>8}  {where}")
        click.echo(f"          {terminal_snippet(hit.snippet)}")
    shown = f"{offset + 1}-{offset + len(page.hits)}"
    note = " (no hit had every word; showing hits with any)" if page.matched == "any" else ""
    click.echo(f"{shown} of {page.total}{note}", err=True)
