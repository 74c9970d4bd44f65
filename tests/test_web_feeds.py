"""Adding a feed over the API, against a real HTTP server on the loopback interface.

Loopback is exactly what the SSRF guard refuses by default, so the same server shows both
the refusal and, with ``allow_private_networks``, the whole path: feed, enclosure download,
probe and peaks, then the audio served back with Range.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from soundbite.bootstrap import Soundbite
from soundbite.services.accounts import ensure_owner
from tests.conftest import make_settings
from tests.pipeline_support import run_pipeline
from tests.test_web_support import SPEECH, make_client, row_counts, sign_in


def _feed(base: str) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
  <title>Loopback Radio</title><link>{base}/</link><description>Test feed</description>
  <item>
    <title>The wizard</title><guid>wizard-1</guid>
    <pubDate>Tue, 02 Jan 2024 10:00:00 +0000</pubDate>
    <enclosure url="{base}/wizard.flac" type="audio/flac" length="{SPEECH.stat().st_size}"/>
  </item>
</channel></rss>""".encode()


@pytest.fixture(scope="module")
def feed_server() -> Iterator[str]:
    """Serves /feed.xml and the enclosure it points to, on 127.0.0.1."""
    files: dict[str, tuple[bytes, str]] = {"/wizard.flac": (SPEECH.read_bytes(), "audio/flac")}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body, ctype = files.get(self.path, (b"not found", "text/plain"))
            self.send_response(200 if self.path in files else 404)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    files["/feed.xml"] = (_feed(base), "application/rss+xml")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    server.server_close()


def test_loopback_feeds_are_refused_by_default(
    app: Soundbite, client: TestClient, feed_server: str
) -> None:
    r = client.post("/api/feeds", json={"url": f"{feed_server}/feed.xml"})
    assert r.status_code == 422, r.text
    assert "127.0.0.1" in r.json()["detail"] or "loopback" in r.json()["detail"]
    assert client.get("/api/podcasts").json() == []
    assert row_counts(app) == (0, 0)


def test_feed_on_a_private_network_when_allowed(
    tmp_path: Path, database_url: str, feed_server: str
) -> None:
    settings = make_settings(tmp_path / "d", database_url, allow_private_networks=True)
    sb = Soundbite.from_settings(settings)
    try:
        ensure_owner(sb)
        client = make_client(sb)
        sign_in(client)
        r = client.post("/api/feeds", json={"url": f"{feed_server}/feed.xml"})
        assert r.status_code == 201, r.text
        added = r.json()
        assert added["podcast"]["title"] == "Loopback Radio"
        assert added["podcast"]["episode_count"] == 1
        assert added["new_episode_ids"] == added["queued_episode_ids"] and added["new_episode_ids"]
        episode_id = added["new_episode_ids"][0]

        # everything but transcription, which another test covers
        ran = run_pipeline(sb, stages=["fetch", "probe", "peaks"])
        assert ran == 3
        episode = client.get(f"/api/episodes/{episode_id}").json()
        sha = hashlib.sha256(SPEECH.read_bytes()).hexdigest()
        assert episode["media_sha256"] == sha and episode["has_peaks"]
        assert episode["enclosure_url"] == f"{feed_server}/wizard.flac"
        assert episode["status"] == "processing"  # transcribe is still queued
        audio = client.get(episode["audio_url"], headers={"Range": "bytes=0-3"})
        assert audio.status_code == 206 and audio.content == b"fLaC"

        again = client.post(f"/api/podcasts/{added['podcast']['id']}/refresh")
        assert again.status_code == 200, again.text
        assert again.json()["new_episode_ids"] == [] and again.json()["queued_episode_ids"] == []
    finally:
        sb.close()


GIANTBOMB = Path(__file__).parent / "data" / "feeds" / "real" / "giantbomb-podcast-excerpt.rss"


@pytest.fixture
def changing_feed() -> Iterator[tuple[str, dict[str, bytes]]]:
    """Serves /feed.xml with whatever bytes the test puts in the dict, on 127.0.0.1."""
    content = {"feed": b""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = content["feed"]
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/feed.xml", content
    server.shutdown()
    server.server_close()


def test_a_malformed_feed_is_added_with_its_problems_listed(
    tmp_path: Path, database_url: str, changing_feed: tuple[str, dict[str, bytes]]
) -> None:
    url, content = changing_feed
    clean = GIANTBOMB.read_bytes()
    # a misspelt entity in one item, and the file cut inside the last one
    broken = clean.replace(b"Easy Chicken", b"Easy &Chiken; Chicken", 1)
    content["feed"] = broken[: broken.rindex(b"<enclosure")]
    settings = make_settings(
        tmp_path / "d", database_url, allow_private_networks=True, feed_process_latest=0
    )
    sb = Soundbite.from_settings(settings)
    try:
        ensure_owner(sb)
        client = make_client(sb)
        sign_in(client)
        r = client.post("/api/feeds", json={"url": url})
        assert r.status_code == 201, r.text
        podcast = r.json()["podcast"]
        assert podcast["episode_count"] == 2
        problems = podcast["feed_problems"]
        assert {
            "item": "Giant Bombcast 602: Easy Chicken",
            "reason": "unknown entity &Chiken; left out",
        } in problems
        assert {
            "item": "Giant Bombcast 601: Chief Daedra Officer",
            "reason": "the feed ends inside this item, so it was skipped",
        } in problems
        assert client.get("/api/podcasts").json()[0]["feed_problems"] == problems

        # the publisher fixes the feed: the next refresh adds the last item and clears the list
        content["feed"] = clean
        again = client.post(f"/api/podcasts/{podcast['id']}/refresh")
        assert again.status_code == 200, again.text
        assert len(again.json()["new_episode_ids"]) == 1
        assert again.json()["podcast"]["feed_problems"] == []
        assert client.get(f"/api/podcasts/{podcast['id']}").json()["feed_problems"] == []

        # a feed with nothing to salvage is refused and changes nothing
        content["feed"] = clean[: clean.index(b"</item>")]
        refused = client.post(f"/api/podcasts/{podcast['id']}/refresh")
        assert refused.status_code == 422
        assert "malformed XML at line" in refused.json()["detail"]
        assert client.get(f"/api/podcasts/{podcast['id']}").json()["episode_count"] == 3
    finally:
        sb.close()
