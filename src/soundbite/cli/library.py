"""`soundbite add`, `episodes`, `transcript`, `demo`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from soundbite.cli.base import Context, cli, emit_json, handle_errors, pass_ctx
from soundbite.cli.progress import EpisodeOutcome, wait_for_episodes
from soundbite.errors import NotFound
from soundbite.services import episodes as episodes_service
from soundbite.services.accounts import owner_account

DEMO_FILE = Path(__file__).parent.parent / "demo" / "sonnet001.mp3"
DEMO_TITLE = "Shakespeare, Sonnet 1 (LibriVox, public domain)"


def _looks_like_xml(path: Path) -> bool:
    with path.open("rb") as f:
        head = f.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<")


@cli.command()
@click.argument("targets", nargs=-1, required=True)
@click.option(
    "--transcript",
    "transcript_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Publisher transcript (VTT, SRT, Podcasting 2.0 JSON) to import, not transcribe.",
)
@click.option("--title", help="Episode title (default: the file name).")
@click.option("--no-wait", is_flag=True, help="Queue the work and return at once.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable output.")
@pass_ctx
@handle_errors
def add(
    ctx: Context,
    targets: tuple[str, ...],
    transcript_path: Path | None,
    title: str | None,
    no_wait: bool,
    as_json: bool,
) -> None:
    """Add feed URLs, feed files, or audio/video files, and process them.

    \b
      soundbite add https://example.org/feed.xml
      soundbite add episode.mp3 --transcript episode.vtt
    """
    from soundbite.services.library import add_feed_document, add_feed_url, add_media_file
    from soundbite.speech.formats import parse_transcript

    app = ctx.app
    owner = owner_account(app)
    transcript = None
    if transcript_path is not None:
        if len(targets) != 1:
            raise click.UsageError("--transcript goes with exactly one media file")
        transcript = parse_transcript(transcript_path.read_bytes(), filename=transcript_path.name)
    added: list[dict[str, object]] = []
    to_wait: list[int] = []
    for target in targets:
        path = Path(target)
        if "://" in target:
            result = add_feed_url(app, target, owner.id)
        elif not path.is_file():
            raise NotFound(f"no such file: {target}")
        elif _looks_like_xml(path):
            result = add_feed_document(app, path.read_bytes(), path.resolve().as_uri(), owner.id)
        else:
            episode_id = add_media_file(app, path, owner.id, title=title, transcript=transcript)
            added.append({"target": target, "episode_ids": [episode_id]})
            to_wait.append(episode_id)
            continue
        added.append(
            {
                "target": target,
                "podcast_id": result.podcast_id,
                "episode_ids": result.new_episode_ids,
                "queued_episode_ids": result.queued_episode_ids,
                "problems": [p.to_json() for p in result.problems],
            }
        )
        to_wait.extend(result.queued_episode_ids)
    outcomes = (
        []
        if no_wait or not to_wait
        else wait_for_episodes(
            app,
            to_wait,
            threads=max(1, ctx.settings.workers),
            show=not as_json and sys.stderr.isatty(),
        )
    )
    _report(added, outcomes, as_json)


def _report(added: list[dict[str, object]], outcomes: list[EpisodeOutcome], as_json: bool) -> None:
    failures = [o for o in outcomes if o.failed]
    if as_json:
        emit_json(
            {
                "added": added,
                "failed": [
                    {"episode_id": o.episode_id, "stages": dict(o.failed)} for o in failures
                ],
            }
        )
    else:
        for item in added:
            ids = ", ".join(str(i) for i in item["episode_ids"]) or "none new"  # type: ignore[attr-defined]
            click.echo(f"{item['target']}: episode ids {ids}")
            _warn_feed_problems(str(item["target"]), item.get("problems", []))  # type: ignore[arg-type]
        for o in failures:
            for stage, error in o.failed:
                click.echo(f"episode {o.episode_id} ({o.title}): {stage} failed: {error}", err=True)
    if failures:
        sys.exit(1)


def _warn_feed_problems(target: str, problems: list[dict[str, str | None]]) -> None:
    """A malformed feed was still imported: say what was repaired or skipped, on stderr, and
    let the exit code stay 0, since the items that made sense are in the library."""
    if not problems:
        return
    click.echo(f"{target}: warning: the feed is malformed; {len(problems)} problem(s):", err=True)
    for problem in problems:
        where = f"item “{problem['item']}”: " if problem["item"] else ""
        click.echo(f"  - {where}{problem['reason']}", err=True)


@cli.command()
@click.option("--podcast", "podcast_id", type=int, help="Only this podcast's episodes.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable output.")
@pass_ctx
@handle_errors
def episodes(ctx: Context, podcast_id: int | None, as_json: bool) -> None:
    """List episodes with their processing state."""
    lines = episodes_service.episode_lines(ctx.app, podcast_id)
    items = [
        {
            "id": e.id,
            "podcast_id": e.podcast_id,
            "podcast": e.podcast_title,
            "title": e.title,
            "duration_ms": e.duration_ms,
            "published_at": e.published_at,
            "stages": e.stages,
        }
        for e in lines
    ]
    if as_json:
        emit_json(items)
        return
    for e in lines:
        stages = " ".join(f"{k}:{v}" for k, v in e.stages.items()) or "not processed"
        duration = f"{e.duration_ms / 1000:.1f}s" if e.duration_ms else "?"
        click.echo(f"{e.id:>5}  {duration:>8}  {e.title[:50]:<50}  {stages}")


@cli.command()
@click.argument("episode_id", type=int)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "vtt", "srt", "txt"]),
    default="txt",
    show_default=True,
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@pass_ctx
@handle_errors
def transcript(ctx: Context, episode_id: int, fmt: str, as_json: bool) -> None:
    """Print an episode's transcript."""
    from soundbite.services.accounts import owner_account
    from soundbite.speech.formats import FORMATS

    found, _ = episodes_service.transcript_of(ctx.app, owner_account(ctx.app), episode_id)
    _, render = FORMATS["json" if as_json else fmt]
    click.echo(render(found), nl=False)


@cli.command()
@pass_ctx
@handle_errors
def demo(ctx: Context) -> None:
    """Add the bundled demo episode (public-domain LibriVox recording) and process it.

    It goes into a public podcast, "Soundbite demo", shown on the public site (/podcasts)."""
    from soundbite.services.library import add_media_file, demo_podcast
    from soundbite.services.public_site import public_episode_path
    from soundbite.store.blobs import sha256_file

    app = ctx.app
    sha = sha256_file(DEMO_FILE)
    existing = episodes_service.episode_with_media(app, sha)
    owner_id = owner_account(app).id
    episode_id = existing or add_media_file(
        app, DEMO_FILE, owner_id, title=DEMO_TITLE, podcast_id=demo_podcast(app, owner_id)
    )
    outcomes = wait_for_episodes(app, [episode_id], threads=1, show=sys.stderr.isatty())
    _report([{"target": "demo", "episode_ids": [episode_id]}], outcomes, as_json=False)
    public_page = public_episode_path(app, episode_id)
    if public_page:  # None for a demo added before it had its own public podcast
        click.echo(f"demo: on the public site at {public_page}")
