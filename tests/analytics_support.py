"""Helpers for the analytics tests (no tests here): the golden log's library and its reader.

``golden_library`` makes the podcast, episodes and clips the log speaks of, as rows (the
counting needs their sizes, lengths and ids, not their audio). ``read_log`` turns the log into
the RawEvents the web layer would have handed the sink, with the log's own times.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from soundbite.analytics.sink import RawEvent
from soundbite.bootstrap import Soundbite
from soundbite.store.clip_models import Clip
from soundbite.store.models import Episode, MediaBlob, Podcast

GOLDEN_LOG = Path(__file__).parent / "data" / "analytics" / "golden.log"
DAY0 = date(2026, 11, 2)
EP1_SHA, EP2_SHA = "1" * 64, "2" * 64
EP1_SIZE, EP1_MS = 30_720_000, 32 * 60_000
EP2_SIZE, EP2_MS = 720_000, 45_000
CLIP_MS = {1: 20_000, 2: 4_000}


@dataclass(frozen=True, slots=True)
class Library:
    podcast_id: int
    episodes: dict[int, int]  # the log's episode number -> id
    clips: dict[int, int]  # the log's clip number -> id


def golden_library(app: Soundbite, owner_id: int) -> Library:
    with app.db.write() as s:
        podcast = Podcast(owner_id=owner_id, feed_url="https://example.org/feed", title="Golden")
        s.add(podcast)
        s.add_all(
            [
                MediaBlob(sha256=EP1_SHA, size=EP1_SIZE, content_type="audio/mpeg"),
                MediaBlob(sha256=EP2_SHA, size=EP2_SIZE, content_type="audio/mpeg"),
            ]
        )
        s.flush()
        episodes = {}
        for number, sha, ms in ((1, EP1_SHA, EP1_MS), (2, EP2_SHA, EP2_MS)):
            episode = Episode(
                owner_id=owner_id,
                podcast_id=podcast.id,
                guid=f"golden-{number}",
                title=f"Episode {number}",
                duration_ms=ms,
                media_sha256=sha,
            )
            s.add(episode)
            s.flush()
            episodes[number] = episode.id
        clips = {}
        for number, ms in CLIP_MS.items():
            clip = Clip(
                share_id=f"goldenclip{number}",
                episode_id=episodes[1],
                owner_id=owner_id,
                start_ms=60_000,
                end_ms=60_000 + ms,
                title=f"Clip {number}",
            )
            s.add(clip)
            s.flush()
            clips[number] = clip.id
        return Library(podcast.id, episodes, clips)


def read_log(library: Library, path: Path = GOLDEN_LOG) -> tuple[list[RawEvent], dict[str, str]]:
    """The log's requests as RawEvents, and its agent table (name -> User-Agent)."""
    agents: dict[str, str] = {}
    events: list[RawEvent] = []
    kinds = {"view": "view", "embed": "embed", "play": "play", "share": "share"}
    kinds["click"] = "clickthrough"
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("agent "):
            _, name, *ua = line.split(None, 2)
            agents[name] = ua[0] if ua else ""
            continue
        day, clock, what, address, agent, *details = shlex.split(line)
        name, _, n = agent.partition("#")
        user_agent = agents[name] + (f" sb/{n}" if n else "")
        at = datetime.combine(
            DAY0 + timedelta(days=int(day)), datetime.strptime(clock, "%H:%M:%S").time(), UTC
        )
        fields = dict(d.split("=", 1) if "=" in d else (d, "1") for d in details)
        common = {
            "at": at,
            "address": address,
            "user_agent": user_agent,
            "do_not_track": "dnt" in fields,
        }
        if what in ("GET", "HEAD"):
            number = int(fields["ep"])
            start = end = None
            if "range" in fields:
                start, end = (int(x) for x in fields["range"].split("-"))
            events.append(
                RawEvent(
                    kind="media",
                    method=what,
                    sha256=EP1_SHA if number == 1 else EP2_SHA,
                    range_start=start,
                    range_end=end,
                    file_size=EP1_SIZE if number == 1 else EP2_SIZE,
                    **common,  # type: ignore[arg-type]
                )
            )
            continue
        clip = int(fields["clip"])
        events.append(
            RawEvent(
                kind=kinds[what],
                podcast_id=library.podcast_id,
                episode_id=library.episodes[1],
                clip_id=library.clips[clip],
                played_ms=int(fields["played"]) if "played" in fields else None,
                clip_ms=CLIP_MS[clip] if what == "play" else None,
                channel=fields.get("ch", ""),
                referrer=fields.get("ref", ""),
                **common,  # type: ignore[arg-type]
            )
        )
    return events, agents
