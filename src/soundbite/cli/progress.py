"""Waiting for episodes to be processed, with a progress bar per episode."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn

from soundbite.bootstrap import Soundbite
from soundbite.domain.pipeline import DONE, FAILED
from soundbite.jobs.worker import WorkerPool
from soundbite.services import episodes
from soundbite.services.schemas import JobPublic

POLL_S = 0.3


@dataclass(frozen=True)
class EpisodeOutcome:
    episode_id: int
    title: str
    failed: list[tuple[str, str]]  # (stage, error)


def wait_for_episodes(
    app: Soundbite, episode_ids: list[int], *, threads: int, show: bool
) -> list[EpisodeOutcome]:
    """Process the episodes' jobs in this process (another `serve` or `worker` on the same
    data may take some of them: the job table shares the work) until all have finished."""
    pool = WorkerPool(app, max(1, threads))
    pool.start()
    console = Console(file=sys.stderr)
    try:
        with Progress(
            TextColumn("{task.description}", style="bold"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.fields[status]}"),
            console=console,
            disable=not show,
            transient=False,
        ) as bars:
            tasks: dict[int, TaskID] = {}
            while True:
                snapshot = _snapshot(app, episode_ids)
                for episode_id, (title, jobs) in snapshot.items():
                    if episode_id not in tasks:
                        tasks[episode_id] = bars.add_task(title[:40], total=100, status="")
                    bars.update(tasks[episode_id], completed=_overall(jobs), status=_status(jobs))
                if all(_finished(jobs) for _, jobs in snapshot.values()):
                    break
                time.sleep(POLL_S)
    finally:
        pool.stop()
    return [
        EpisodeOutcome(
            eid, title, [(j.stage, j.error or "failed") for j in jobs if j.state == FAILED]
        )
        for eid, (title, jobs) in _snapshot(app, episode_ids).items()
    ]


def _snapshot(app: Soundbite, episode_ids: list[int]) -> dict[int, tuple[str, list[JobPublic]]]:
    return episodes.progress_of(app, episode_ids)


def _finished(jobs: list[JobPublic]) -> bool:
    # a failed stage leaves later ones waiting forever: the episode is finished for now
    return all(j.state in (DONE, FAILED) for j in jobs) or any(j.state == FAILED for j in jobs)


def _overall(jobs: list[JobPublic]) -> float:
    return sum(j.progress for j in jobs) / len(jobs) if jobs else 100.0


def _status(jobs: list[JobPublic]) -> str:
    for job in jobs:
        if job.state == FAILED:
            return f"[red]{job.stage} failed: {job.error}[/red]"
    for job in jobs:
        if job.state == "running":
            return f"{job.stage}: {job.message}"
    if all(j.state == DONE for j in jobs):
        return "[green]ready[/green]"
    return "waiting"
