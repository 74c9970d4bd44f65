"""`soundbite bench`, `capacity` and `cluster`: measuring, planning and trying scale-out."""

from __future__ import annotations

import json
from pathlib import Path

import click

from soundbite.cli.base import Context, cli, emit_json, handle_errors, pass_ctx


def _bench_file(ctx: Context) -> Path:
    return ctx.settings.data_dir / "bench.json"


@cli.command()
@click.option("--seconds", type=float, default=10, show_default=True, help="Web load duration.")
@click.option("--concurrency", type=int, default=32, show_default=True, help="Web clients.")
@click.option("--skip", multiple=True, type=click.Choice(["transcribe", "render", "web"]))
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to keep the figures for `capacity` (default: <data_dir>/bench.json).",
)
@pass_ctx
@handle_errors
def bench(
    ctx: Context, seconds: float, concurrency: int, skip: tuple[str, ...], output: Path | None
) -> None:
    """Measure this host: transcription RTF, clip renders/s, web requests/s (loopback)."""
    from soundbite.ops import bench as b

    figures: dict[str, object] = {"host": b.host()}
    if "transcribe" not in skip:
        click.echo("transcribing the bundled recording ...", err=True)
        figures["transcribe"] = b.bench_transcription(ctx.settings)
    if "render" not in skip:
        click.echo("rendering clips ...", err=True)
        figures["render"] = b.bench_renders()
    if "web" not in skip:
        click.echo(f"loading a web process for {seconds:g} s ...", err=True)
        figures["web"] = b.bench_web(seconds=min(seconds, 60), concurrency=concurrency)
    path = output or _bench_file(ctx)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2))
    emit_json(figures)


@cli.command()
@click.option("--hours-per-day", type=float, required=True, help="Audio published per day.")
@click.option("--episode-minutes", type=float, default=60, show_default=True)
@click.option(
    "--rtf",
    type=float,
    default=None,
    help="Real-time factor per worker (default: from `soundbite bench`), e.g. a GPU's.",
)
@click.option("--peak-rps", type=float, default=None, help="Peak share-page requests/s to serve.")
@click.option("--utilisation", type=float, default=0.7, show_default=True)
@click.option("--bench-file", type=click.Path(path_type=Path), default=None)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@handle_errors
def capacity(
    ctx: Context,
    hours_per_day: float,
    episode_minutes: float,
    rtf: float | None,
    peak_rps: float | None,
    utilisation: float,
    bench_file: Path | None,
    as_json: bool,
) -> None:
    """Workers (or GPUs) and web processes needed, and the delay to a clippable transcript."""
    from soundbite.errors import InvalidInput
    from soundbite.ops.capacity import plan

    path = bench_file or _bench_file(ctx)
    figures = json.loads(path.read_text()) if path.exists() else {}
    rtf = rtf or (figures.get("transcribe") or {}).get("rtf")
    if not rtf:
        raise InvalidInput(f"no RTF: run `soundbite bench` first (looked in {path}) or pass --rtf")
    web_rps = (figures.get("web") or {}).get("rps")
    result = plan(
        audio_hours_per_day=hours_per_day,
        rtf=rtf,
        episode_minutes=episode_minutes,
        target_utilisation=utilisation,
        peak_requests_per_s=peak_rps,
        web_rps_per_process=web_rps,
    )
    if as_json:
        emit_json(result.to_json())
        return
    device = (figures.get("transcribe") or {}).get("device", "the measured device")
    click.echo(f"{hours_per_day:g} h of audio a day at RTF {rtf:g} ({device}):")
    click.echo(f"  transcription workers: {result.workers}  (busy {result.utilisation:.0%})")
    click.echo(
        f"  one {episode_minutes:g}-min episode transcribes in {result.transcribe_minutes:g} min"
    )
    click.echo(f"  waiting for a worker: {result.mean_wait_minutes:g} min on average")
    click.echo(f"  publish → clippable transcript: ≤ {result.p95_delay_minutes:g} min for 95 %")
    if result.web_processes:
        click.echo(f"  web processes for {peak_rps:g} req/s: {result.web_processes}")


@cli.command()
@click.option(
    "--database-url",
    default="postgresql+psycopg://postgres@127.0.0.1:5432/soundbite_cluster",
    show_default=True,
    help="PostgreSQL (the database is created if missing).",
)
@click.option("--broker-url", default="redis://127.0.0.1:6379/15", show_default=True)
@click.option("--web-port", "web_ports", type=int, multiple=True, help="Default: 8001 and 8002.")
@click.option("--workers", type=int, default=2, show_default=True)
@click.option("--seconds", type=float, default=None, help="Stop by itself after this long.")
@pass_ctx
@handle_errors
def cluster(
    ctx: Context,
    database_url: str,
    broker_url: str,
    web_ports: tuple[int, ...],
    workers: int,
    seconds: float | None,
) -> None:
    """Run a local scale-out cluster: SeaweedFS, Celery workers, web processes. Ctrl-C stops it."""
    from soundbite.ops.cluster import ClusterPlan, LocalCluster, describe, run_until_interrupted

    plan = ClusterPlan(
        data_dir=(ctx.settings.data_dir / "cluster").resolve(),
        database_url=database_url,
        broker_url=broker_url,
        web_ports=list(web_ports or (8001, 8002)),
        workers=workers,
    )
    if ctx.settings.owner_password:
        plan.owner_password = ctx.settings.owner_password
    local = LocalCluster(plan)
    click.echo("starting SeaweedFS, workers and web processes ...", err=True)
    local.start()
    try:
        for name, value in describe(local).items():
            click.echo(f"  {name}: {value}")
        click.echo("sign in as `owner`; Ctrl-C stops everything", err=True)
        run_until_interrupted(local, seconds)
    finally:
        click.echo("stopping ...", err=True)
        local.stop()
