"""A small library for "For you" tests: shows about different things, listeners who play them,
and a training run through the job queue (the way `soundbite serve` runs it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from soundbite.bootstrap import Soundbite
from soundbite.domain.pipeline import RECOMMEND
from soundbite.jobs.worker import WorkerPool
from soundbite.store.models import Episode, Podcast

MINUTE = 60_000
TOPICS = {
    "Kitchen Table": ("public", "bread dough yeast oven flour baking sourdough crust"),
    "Orbit Hour": ("public", "rocket orbit planet telescope galaxy astronaut launch moon"),
    "Garden Talk": ("public", "tomato soil compost seeds garden pruning roses harvest"),
    "Members Lounge": ("private", "secret members lounge insider whisper backstage"),
}


def add_shows(app: Soundbite, owner_id: int, per_show: int = 4) -> dict[str, list[int]]:
    """Podcast title -> its episode ids (oldest first); each show talks about its own words."""
    now = datetime.now(UTC)
    shows: dict[str, list[int]] = {}
    with app.db.write() as s:
        for n, (title, (visibility, words)) in enumerate(TOPICS.items()):
            podcast = Podcast(owner_id=owner_id, title=title, visibility=visibility)
            s.add(podcast)
            s.flush()
            shows[title] = []
            for k in range(per_show):
                episode = Episode(
                    owner_id=owner_id,
                    podcast_id=podcast.id,
                    guid=f"{title}-{k}",
                    title=f"{title} {k + 1}",
                    description=f"{words} " * 5 + f"part {k + 1}",
                    published_at=now - timedelta(days=30 - k - n),
                    duration_ms=(10 + 5 * k) * MINUTE,
                )
                s.add(episode)
                s.flush()
                shows[title].append(episode.id)
    return shows


def finish(client: TestClient, episode_id: int) -> None:
    """Play an episode to its end (a play and a completion)."""
    url = f"/api/episodes/{episode_id}/progress"
    assert client.put(url, json={"position_ms": 0}).status_code == 200
    assert client.put(url, json={"position_ms": 10**9}).status_code == 200


def podcast_of(client: TestClient, episode_id: int) -> int:
    podcast: int = client.get(f"/api/episodes/{episode_id}").json()["podcast_id"]
    return podcast


def train(app: Soundbite) -> int:
    """Queue the training job and run it (and anything else queued) to the end."""
    app.enqueue(None, [RECOMMEND])
    return WorkerPool(app, 0).run_until_idle()


def feed(client: TestClient, **params: object) -> dict[str, object]:
    r = client.get("/api/for-you", params=params)
    assert r.status_code == 200, r.text
    data: dict[str, object] = r.json()
    return data


def items(data: dict[str, object]) -> list[dict[str, object]]:
    return [i for row in data["rows"] for i in row["items"]]  # type: ignore[attr-defined, index]


def titles(data: dict[str, object]) -> list[str]:
    return [str(i["title"]) for i in items(data)]
