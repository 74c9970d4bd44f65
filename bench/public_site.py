"""Benchmark: the public episode page and "Your clips", with a big community against one owner.

    PYTHONPATH=src .venv/bin/python bench/public_site.py [--requests 300]

Two instances (SQLite, in-process through Starlette's TestClient, so no network is timed):
the anchor has 1 account and 100 clips; ours has 1,000 accounts and 100,000 clips, 20,000 of
them on the measured episode (the rest on nine other episodes), as a popular show on a busy
server would. Both serve the demo recording's public episode page with its transcript and two
chapters. "Your clips" is what the app's page fetches (`GET /api/clips?mine=true&limit=100`,
signed in by cookie) for the owner, who holds 100 clips in both instances, so only the size of
everyone else's data differs. Prints the p50 and p95 latency of each for each instance, and the
ratio of the p95s (issue 12's target: <= 1.5).
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import make_settings  # noqa: E402
from tests.test_clip_support import add_sonnet  # noqa: E402
from tests.test_public_site import add_feed  # noqa: E402
from tests.test_web_support import make_client, sign_in  # noqa: E402

from soundbite.bootstrap import Soundbite  # noqa: E402
from soundbite.services.accounts import ensure_owner, owner_account  # noqa: E402
from soundbite.store.clip_models import Clip  # noqa: E402
from soundbite.store.models import Episode, Podcast, User  # noqa: E402

BATCH = 5_000


def build(folder: Path, accounts: int, clips: int, on_page: int) -> tuple[Soundbite, str]:
    app = Soundbite.from_settings(make_settings(folder))
    ensure_owner(app)
    owner = owner_account(app).id
    episode_id = add_sonnet(app, owner, title="Sonnet 1")
    _, others = add_feed(app, "Others", *((f"g{i}", f"Other {i}") for i in range(9)))
    with app.db.write() as s:
        podcast_id = s.get_one(Episode, episode_id).podcast_id
        s.execute(update(Podcast).where(Podcast.id == podcast_id).values(visibility="public"))
        chapters = [
            {"start_ms": 0, "end_ms": 31_000, "title": "Beauty's rose"},
            {"start_ms": 31_210, "end_ms": None, "title": "The world's fresh ornament"},
        ]
        s.execute(update(Episode).where(Episode.id == episode_id).values(chapters=chapters))
        if accounts > 1:
            s.execute(
                insert(User),
                [{"username": f"listener{i}", "role": "listener"} for i in range(accounts - 1)],
            )
    owners = [owner, *range(owner + 1, owner + accounts)]
    rng = random.Random(1)
    alphabet = string.ascii_letters + string.digits
    for first in range(0, clips, BATCH):
        rows = []
        for n in range(first, min(first + BATCH, clips)):
            start = rng.randrange(0, 40_000)
            rows.append(
                {
                    "share_id": "".join(rng.choices(alphabet, k=17)),
                    "episode_id": episode_id if n < on_page else others[n % len(others)],
                    "owner_id": owners[n % len(owners)],
                    "start_ms": start,
                    "end_ms": start + 10_000,
                    "title": f"Clip {n}",
                    "visibility": "public" if n % 4 else "private",
                    "text": "From fairest creatures we desire increase",
                }
            )
        with app.db.write() as s:
            s.execute(insert(Clip), rows)
    return app, f"/podcasts/{podcast_id}/episodes/{episode_id}-sonnet-1"


YOUR_CLIPS = "/api/clips?mine=true&limit=100"


def measure(
    app: Soundbite, path: str, requests: int, *, signed_in: bool = False
) -> tuple[float, float]:
    client = make_client(app)
    if signed_in:
        sign_in(client)
    for _ in range(10):  # warm caches and the connection pool
        assert client.get(path).status_code == 200
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        r = client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        assert r.status_code == 200
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        anchor, path = build(Path(tmp) / "small", accounts=1, clips=100, on_page=100)
        big, big_path = build(Path(tmp) / "big", accounts=1_000, clips=100_000, on_page=20_000)
        try:
            pages = {
                "public episode page": (
                    measure(big, big_path, args.requests),
                    measure(anchor, path, args.requests),
                ),
                "Your clips (100 of the owner's)": (
                    measure(big, YOUR_CLIPS, args.requests, signed_in=True),
                    measure(anchor, YOUR_CLIPS, args.requests, signed_in=True),
                ),
            }
        finally:
            anchor.close()
            big.close()
    for name, ((o50, o95), (a50, a95)) in pages.items():
        print(f"{name}, {args.requests} GETs each")
        print(f"  ours   (1,000 accounts, 100,000 clips): p50 {o50:.1f} ms  p95 {o95:.1f} ms")
        print(f"  anchor (1 account, 100 clips):          p50 {a50:.1f} ms  p95 {a95:.1f} ms")
        print(f"  ratio of p95s: {o95 / a95:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
