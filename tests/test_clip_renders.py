"""The render cache under load: one encode per (media, span, profile), however many ask, in one
process (threads of a real server) or several; streaming while encoding; HTTP Range on clips.

Encodes are counted (``RenderCache.encodes`` and the claim row's ``attempts``), not requests.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import av
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from soundbite.bootstrap import Soundbite
from soundbite.clips import service
from soundbite.clips.links import render_job
from soundbite.derived import load_span_loudness, loudness_blocks_key
from soundbite.domain.progress import no_progress
from soundbite.jobs.stages import STAGES
from soundbite.services.accounts import create_api_token, ensure_owner, owner_account
from soundbite.services.library import add_feed_document
from soundbite.store.clip_models import ClipRender
from tests.conftest import make_settings
from tests.test_clip_support import add_sonnet, serve
from tests.test_render import ebur128
from tests.test_web_support import make_client, sign_in

SPAN = {"start_ms": 15_050, "end_ms": 27_270}


def decoded_ms(data: bytes) -> float:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        samples = sum(f.samples for f in container.decode(stream))
        return 1000 * samples / stream.codec_context.sample_rate


@pytest.fixture
def lazy_app(tmp_path: Path, database_url: str) -> Soundbite:
    """An instance that renders only when audio is asked for (no prerender on create)."""
    sb = Soundbite.from_settings(
        make_settings(tmp_path / "lazy", database_url, clip_prerender=False)
    )
    ensure_owner(sb)
    yield sb  # type: ignore[misc]
    sb.renders.close()
    sb.close()


def test_a_hundred_concurrent_creates_make_one_render(app: Soundbite, owner_id: int) -> None:
    episode_id = add_sonnet(app, owner_id)
    token = create_api_token(app, owner_id, "load")
    start = threading.Barrier(100, timeout=30)

    def create_and_play(base: str) -> tuple[str, str, bytes, int]:
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as c:
            start.wait()
            r = c.post("/api/clips", json={"episode_id": episode_id, **SPAN})
            assert r.status_code == 201, r.text
            body = r.json()
            audio = c.get(body["audio_url"])
            assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg"
            return body["id"], body["audio_url"], audio.content, body["duration_ms"]

    with serve(app) as base, ThreadPoolExecutor(100) as pool:
        results = list(pool.map(create_and_play, [base] * 100))
    assert len({share_id for share_id, _, _, _ in results}) == 100  # a hundred clips...
    assert len({url.split("?v=")[1] for _, url, _, _ in results}) == 1  # ...of one audio
    assert app.renders.encodes == 1
    with app.db.read() as s:
        [claim] = s.scalars(select(ClipRender)).all()
    assert (claim.state, claim.attempts) == ("done", 1)
    stored = app.storage.get_bytes(claim.key)
    for _, _, data, duration_ms in results:
        # whether streamed while encoding or sent from storage, the same bytes
        assert data == stored
        assert abs(decoded_ms(data) - duration_ms) <= 1


WORKER = """
import json, os, sys, time
from pathlib import Path
from soundbite.bootstrap import Soundbite
from soundbite.derived import RenderJob
from soundbite.media.render import RenderProfile
from soundbite.settings import Settings
args = json.loads(sys.argv[1])
settings = Settings(data_dir=args["data_dir"], database_url=args["db"])
app = Soundbite.from_settings(settings, migrate=False)
job = RenderJob(args["sha"], args["start"], args["end"], RenderProfile(**args["profile"]))
cache = app.renders
ready = Path(args["ready"])
(ready / str(os.getpid())).touch()
while len(list(ready.iterdir())) < args["processes"]:  # all started: now ask at once
    time.sleep(0.005)
size = cache.render(job, timeout=120)
print(json.dumps({"encodes": cache.encodes, "size": size}))
"""


def test_several_processes_render_once(app: Soundbite, owner_id: int, tmp_path: Path) -> None:
    """Three processes ask for the same render at the same moment: one encodes, two wait."""
    view = service.create_clip(
        app, owner_account(app), episode_id=add_sonnet(app, owner_id), **SPAN
    )
    job = render_job(view, app.settings, "mp3")
    ready = tmp_path / "ready"
    ready.mkdir()
    args = {
        "data_dir": str(app.settings.data_dir),
        "db": app.settings.resolved_database_url,
        "sha": job.media_sha256,
        "start": job.start_ms,
        "end": job.end_ms,
        "profile": {
            "format": "mp3",
            "kbps": job.profile.kbps,
            "loudness_lufs": job.profile.loudness_lufs,
        },
        "ready": str(ready),
        "processes": 3,
    }
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent / "src")}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, json.dumps(args)], stdout=subprocess.PIPE, env=env
        )
        for _ in range(3)
    ]
    outputs = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sum(o["encodes"] for o in outputs) == 1
    assert len({o["size"] for o in outputs}) == 1
    with app.db.read() as s:
        claim = s.get_one(ClipRender, job.key)
    assert (claim.state, claim.attempts, claim.size) == ("done", 1, outputs[0]["size"])


def test_the_first_listener_gets_the_bytes_of_the_stored_file(lazy_app: Soundbite) -> None:
    client = make_client(lazy_app)
    sign_in(client)
    me = owner_account(lazy_app).id
    body = client.post("/api/clips", json={"episode_id": add_sonnet(lazy_app, me), **SPAN}).json()
    assert not any(lazy_app.settings.resolved_storage_dir.rglob("*.mp3"))  # nothing rendered yet

    first = client.get(body["audio_url"])  # answered from the encoder's output as it grows
    assert first.status_code == 200 and first.headers["etag"] == f'"{body["audio_url"][-16:]}"'
    assert first.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert int(first.headers["content-length"]) == len(first.content)
    second = client.get(body["audio_url"])
    assert second.status_code == 200 and second.headers["etag"] == first.headers["etag"]
    assert second.content == first.content
    view = service.get_clip(lazy_app, body["id"], owner_account(lazy_app))
    assert (
        lazy_app.storage.get_bytes(render_job(view, lazy_app.settings, "mp3").key) == first.content
    )
    assert lazy_app.renders.encodes == 1
    unpinned = client.get(body["audio_url"].split("?")[0])
    assert unpinned.headers["cache-control"] == "public, no-cache"


def test_a_range_asked_for_mid_encode_has_the_bytes_of_the_stream_and_the_file(
    lazy_app: Soundbite,
) -> None:
    """One listener streams a new clip; a second seeks into it before the encoder is done."""
    me = owner_account(lazy_app).id
    token = create_api_token(lazy_app, me, "listeners")
    cache = lazy_app.renders
    span = {"start_ms": 1_000, "end_ms": 52_000}  # most of the recording: a long encode
    auth = {"Authorization": f"Bearer {token}"}
    with (
        serve(lazy_app) as base,
        httpx.Client(base_url=base, headers=auth, timeout=60) as one,
        httpx.Client(base_url=base, headers=auth, timeout=60) as two,
    ):
        body = one.post("/api/clips", json={"episode_id": add_sonnet(lazy_app, me), **span}).json()
        with one.stream("GET", body["audio_url"]) as stream:
            assert stream.status_code == 200
            size = int(stream.headers["content-length"])
            chunks = stream.iter_raw()
            streamed = next(chunks)
            start = size * 3 // 4  # the last quarter: not encoded yet
            with two.stream("GET", body["audio_url"], headers={"Range": f"bytes={start}-"}) as part:
                mid_encode = cache.encodes == 0
                assert part.status_code == 206
                assert part.headers["content-range"] == f"bytes {start}-{size - 1}/{size}"
                assert part.headers["etag"] == stream.headers["etag"]
                ranged = part.read()
            streamed += b"".join(chunks)
    assert mid_encode, "the range was answered after the encode: the test proves nothing"
    view = service.get_clip(lazy_app, body["id"], owner_account(lazy_app))
    stored = lazy_app.storage.get_bytes(render_job(view, lazy_app.settings, "mp3").key)
    assert len(stored) == size and streamed == stored and ranged == stored[start:]
    assert cache.encodes == 1
    assert abs(decoded_ms(stored) - body["duration_ms"]) <= 1  # gapless: the span, exactly


def test_clip_audio_follows_rfc_9110_ranges(lazy_app: Soundbite) -> None:
    client = make_client(lazy_app)
    sign_in(client)
    me = owner_account(lazy_app).id
    body = client.post("/api/clips", json={"episode_id": add_sonnet(lazy_app, me), **SPAN}).json()
    m4a = body["links"]["audio"]["m4a"]
    # a range asked for while the render runs waits for it, then is answered from the file
    part = client.get(m4a, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.headers["content-type"] == "audio/mp4"
    whole = client.get(m4a)
    size = len(whole.content)
    assert (
        whole.headers["content-length"] == str(size) and whole.headers["accept-ranges"] == "bytes"
    )
    assert (
        part.headers["content-range"] == f"bytes 0-99/{size}"
        and part.content == whole.content[:100]
    )
    tail = client.get(m4a, headers={"Range": "bytes=-100"})
    assert tail.status_code == 206 and tail.content == whole.content[-100:]
    over = client.get(m4a, headers={"Range": f"bytes={size}-"})
    assert over.status_code == 416 and over.headers["content-range"] == f"bytes */{size}"
    etag = whole.headers["etag"]
    assert client.get(m4a, headers={"If-None-Match": etag}).status_code == 304
    stale = client.get(m4a, headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert stale.status_code == 200 and len(stale.content) == size
    many = ",".join(f"{i * 1000}-{i * 1000 + 1}" for i in range(80))
    assert client.get(m4a, headers={"Range": f"bytes={many}"}).status_code == 200
    head = client.head(m4a)
    assert (
        head.status_code == 200 and head.headers["content-length"] == str(size) and not head.content
    )
    with av.open(io.BytesIO(whole.content)) as container:
        assert container.format.name.startswith("mov")  # +faststart: the index comes first
    assert whole.content[4:8] == b"ftyp" and whole.content.find(b"moov") < whole.content.find(
        b"mdat"
    )


def test_private_audio_is_not_cached_publicly_and_missing_media_is_409(lazy_app: Soundbite) -> None:
    client = make_client(lazy_app)
    sign_in(client)
    me = owner_account(lazy_app).id
    body = client.post(
        "/api/clips", json={"episode_id": add_sonnet(lazy_app, me), **SPAN, "visibility": "private"}
    ).json()
    client.get(body["audio_url"])
    cached = client.get(body["audio_url"])
    assert cached.headers["cache-control"] == "private, max-age=31536000, immutable"
    assert TestClient(client.app).get(body["audio_url"]).status_code == 404  # signed out

    feed = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><title>E</title>'
        b"<guid>e</guid><enclosure url='https://example.org/e.mp3' type='audio/mpeg'/>"
        b"<itunes:duration xmlns:itunes='http://www.itunes.com/dtds/podcast-1.0.dtd'>60</itunes:duration>"
        b"</item></channel></rss>"
    )
    [episode_id] = add_feed_document(
        lazy_app, feed, "https://example.org/f.xml", me
    ).new_episode_ids
    remote = client.post(
        "/api/clips", json={"episode_id": episode_id, "start_ms": 0, "end_ms": 5000}
    )
    assert remote.status_code == 201  # a clip is a pointer: it exists before the audio does
    r = client.get(remote.json()["audio_url"])
    assert r.status_code == 409 and "not downloaded yet" in r.json()["detail"]


def test_episodes_without_loudness_blocks_still_render_at_the_target(
    lazy_app: Soundbite, tmp_path: Path
) -> None:
    """An episode processed before the peaks stage stored loudness blocks: the render measures
    the span itself; running the stage again adds the blocks and the render uses them."""
    me = owner_account(lazy_app).id
    episode_id = add_sonnet(lazy_app, me)
    view = service.create_clip(lazy_app, owner_account(lazy_app), episode_id=episode_id, **SPAN)
    job = render_job(view, lazy_app.settings, "mp3")
    blocks = loudness_blocks_key(job.media_sha256)
    assert load_span_loudness(lazy_app.storage, job.media_sha256, job.start_ms, job.end_ms)
    lazy_app.storage.delete(blocks)
    assert load_span_loudness(lazy_app.storage, job.media_sha256, job.start_ms, job.end_ms) is None

    lazy_app.renders.render(job, timeout=120)
    out = tmp_path / "clip.mp3"
    out.write_bytes(lazy_app.storage.get_bytes(job.key))
    assert abs(ebur128(out)[0] - -16) <= 1.0
    assert abs(decoded_ms(out.read_bytes()) - (job.end_ms - job.start_ms)) <= 1

    STAGES["peaks"](lazy_app, episode_id, no_progress)
    assert lazy_app.storage.exists(blocks)
