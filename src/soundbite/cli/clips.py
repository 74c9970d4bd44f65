"""`soundbite clip` (make one) and `soundbite clips …` (list, show, stats, export, delete).

Times on the command line are seconds (`--start 73.5`), as people read them off a player;
everything printed with `--json` is the API's shape, milliseconds included. Links are built
from `SOUNDBITE_PUBLIC_BASE_URL` (else `http://<host>:<port>`), since there is no request to
take a host from. Commands act as the owner account, like the rest of the CLI.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import click

from soundbite.cli.base import Context, cli, emit_json, handle_errors, pass_ctx
from soundbite.clips import service
from soundbite.clips.links import FORMATS
from soundbite.clips.service import ClipView
from soundbite.domain.clips import SNAP_MODES, VISIBILITIES, clock
from soundbite.errors import InvalidInput
from soundbite.media.frames import ASPECTS, Aspect, VideoStyle
from soundbite.media.render import Format
from soundbite.services.accounts import owner_account


def _json(ctx: Context, view: ClipView) -> dict[str, Any]:
    from soundbite.clips.links import clip_links

    links = clip_links(ctx.settings.base_url, view, ctx.settings)
    return {
        "id": view.share_id,
        "episode_id": view.episode_id,
        "episode_title": view.episode_title,
        "podcast_title": view.podcast_title,
        "start_ms": view.start_ms,
        "end_ms": view.end_ms,
        "duration_ms": view.duration_ms,
        "snap": view.snap,
        "title": view.title,
        "text": view.text,
        "visibility": view.visibility,
        "source": view.source,
        "created_at": view.created_at.isoformat(),
        "share_url": links.share,
        "audio_url": links.audio["mp3"],
        "links": {
            "embed": links.embed,
            "audio": links.audio,
            "captions": links.captions,
            "card": links.card,
        },
    }


def _line(ctx: Context, view: ClipView) -> str:
    share = f"{ctx.settings.base_url}/c/{view.share_id}"
    span = f"{clock(view.start_ms)}–{clock(view.end_ms)}"
    return f"{share}  {span}  [{view.visibility}]  {view.title}"


def _format(path: Path) -> Format:
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in (*FORMATS, "mp4"):
        raise InvalidInput(f"--render writes .mp3, .m4a or .mp4 (video) files, not {path.name!r}")
    return fmt  # type: ignore[return-value]


def _write_render(
    ctx: Context, view: ClipView, path: Path, aspect: Aspect = "9x16", captions: bool = True
) -> int:
    from soundbite.clips.links import clip_links, render_job
    from soundbite.clips.videos import start_video

    fmt = _format(path)
    if fmt == "mp4":
        share = clip_links(ctx.settings.base_url, view, ctx.settings).share
        style = VideoStyle(aspect=aspect, captions=captions)
        status = start_video(ctx.app, ctx.app.renders, view, style, share)
        if status.note:
            click.echo(f"  {status.note}", err=True)
        job = status.job
    else:
        job = render_job(view, ctx.settings, fmt)
    size = ctx.app.renders.render(job)
    with ctx.app.storage.open(job.key) as src, path.open("wb") as out:
        shutil.copyfileobj(src, out)
    return size


@cli.command(name="clip")
@click.argument("episode_id", type=int)
@click.option("--start", "start_s", type=float, required=True, help="Start, in seconds.")
@click.option("--end", "end_s", type=float, required=True, help="End, in seconds.")
@click.option(
    "--snap",
    type=click.Choice(SNAP_MODES),
    default="word",
    show_default=True,
    help="Widen to whole words or sentences, or keep the exact times.",
)
@click.option("--title", help="Default: the clip's first words.")
@click.option("--visibility", type=click.Choice(VISIBILITIES), default="public", show_default=True)
@click.option(
    "--render",
    "render_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also render the audio into this .mp3 or .m4a file, or a video into this .mp4.",
)
@click.option(
    "--aspect",
    type=click.Choice(ASPECTS),
    default="9x16",
    show_default=True,
    help="With --render x.mp4: 9x16 (1080×1920), 1x1 (1080×1080) or 16x9 (1920×1080).",
)
@click.option("--no-captions", is_flag=True, help="With --render x.mp4: no word captions.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable output.")
@pass_ctx
@handle_errors
def clip_command(
    ctx: Context,
    episode_id: int,
    start_s: float,
    end_s: float,
    snap: str,
    title: str | None,
    visibility: str,
    render_path: Path | None,
    aspect: Aspect,
    no_captions: bool,
    as_json: bool,
) -> None:
    """Clip EPISODE_ID from --start to --end and print its share link.

    \b
      soundbite clip 12 --start 73.5 --end 101
      soundbite clip 12 --start 73.5 --end 101 --snap sentence --render moment.mp3
      soundbite clip 12 --start 73.5 --end 101 --render moment.mp4 --aspect 9x16
    """
    if render_path:
        _format(render_path)  # refuse a bad file name before making the clip
    view = service.create_clip(
        ctx.app,
        owner_account(ctx.app),
        episode_id=episode_id,
        start_ms=round(start_s * 1000),
        end_ms=round(end_s * 1000),
        snap=snap,  # type: ignore[arg-type]
        title=title,
        visibility=visibility,  # type: ignore[arg-type]
    )
    written = (
        _write_render(ctx, view, render_path, aspect, not no_captions) if render_path else None
    )
    if as_json:
        data = _json(ctx, view)
        if render_path:
            data["rendered"] = {"path": str(render_path), "bytes": written}
        emit_json(data)
        return
    click.echo(f"{ctx.settings.base_url}/c/{view.share_id}")
    if view.text:
        click.echo(f"  “{view.text}”", err=True)
    if render_path:
        click.echo(f"  wrote {render_path} ({written} bytes)", err=True)


@cli.group(name="clips")
def clips_group() -> None:
    """List, show, export and delete clips."""


@clips_group.command(name="list")
@click.option("--episode", "episode_id", type=int, help="Only clips of this episode.")
@click.option("--all", "show_all", is_flag=True, help="Everyone's public clips, not yours.")
@click.option("--limit", type=click.IntRange(1, 200), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable output.")
@pass_ctx
@handle_errors
def list_command(
    ctx: Context, episode_id: int | None, show_all: bool, limit: int, as_json: bool
) -> None:
    """Your clips, newest first (with --all: every public clip)."""
    page = service.list_clips(
        ctx.app, owner_account(ctx.app), episode_id=episode_id, mine=not show_all, limit=limit
    )
    if as_json:
        emit_json({"items": [_json(ctx, v) for v in page.items], "total": page.total})
        return
    for view in page.items:
        click.echo(_line(ctx, view))


@clips_group.command(name="show")
@click.argument("clip_id")
@click.option(
    "--render",
    "render_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Render the audio into this .mp3 or .m4a file.",
)
@pass_ctx
@handle_errors
def show_command(ctx: Context, clip_id: str, render_path: Path | None) -> None:
    """Everything about one clip (by share id), as JSON."""
    view = service.get_clip(ctx.app, clip_id, owner_account(ctx.app))
    data = _json(ctx, view)
    if render_path:
        data["rendered"] = {
            "path": str(render_path),
            "bytes": _write_render(ctx, view, render_path),
        }
    emit_json(data)


@clips_group.command(name="stats")
@click.argument("clip_id")
@pass_ctx
@handle_errors
def stats_command(ctx: Context, clip_id: str) -> None:
    """Plays, shares by channel and click-throughs of a clip, as JSON."""
    from dataclasses import asdict

    from soundbite.clips.events import stats

    view = service.get_clip(ctx.app, clip_id, owner_account(ctx.app))
    emit_json(asdict(stats(ctx.app, view.id)))


@clips_group.command(name="export")
@click.argument("clip_ids", nargs=-1, required=True)
@pass_ctx
@handle_errors
def export_command(ctx: Context, clip_ids: tuple[str, ...]) -> None:
    """Print `<podcast:soundbite>` elements for the clips, grouped by episode."""
    from soundbite.clips.export import soundbites_xml

    owner = owner_account(ctx.app)
    views = [service.get_clip(ctx.app, i, owner) for i in dict.fromkeys(clip_ids)]
    click.echo(soundbites_xml(ctx.app, views), nl=False)


@clips_group.command(name="delete")
@click.argument("clip_id")
@pass_ctx
@handle_errors
def delete_command(ctx: Context, clip_id: str) -> None:
    """Delete a clip (its share link stops working)."""
    service.delete_clip(ctx.app, clip_id, owner_account(ctx.app))
    click.echo(f"deleted {clip_id}", err=True)
