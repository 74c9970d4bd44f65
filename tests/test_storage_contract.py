"""One contract for blob storage, run against LocalStorage and against S3Storage on SeaweedFS.

Whatever the pipeline and the web layer may rely on is asserted here once for both, so the
two modes cannot drift apart. What only S3 has (multipart, ranged reads that fetch a window,
presigned URLs, the download cache, errors when the store is down) follows the contract.
"""

from __future__ import annotations

import hashlib
import io
import os
import time
import wave
from pathlib import Path

import httpx
import numpy as np
import pytest

from soundbite.errors import NotFound
from soundbite.media.ffmpeg import run_ffmpeg
from soundbite.media.probe import probe
from soundbite.media.render import RenderProfile, render_clip
from soundbite.media.seeking import SeekPointRecorder
from soundbite.ops.cluster import free_port
from soundbite.store.blobs import BlobStorage, LocalStorage, media_key
from soundbite.store.blobs.s3 import MIB, S3Storage, StorageUnavailable
from tests.scaleout.fixtures import BUCKET, s3_options, s3_storage, seaweedfs  # noqa: F401
from tests.scaleout.services import SeaweedFS

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStorage:
    if request.param == "local":
        return LocalStorage(tmp_path / "media")
    s3: S3Storage = request.getfixturevalue("s3_storage")
    return s3


def blob(size: int, seed: int = 1) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()


# --- the contract ------------------------------------------------------------------------


def test_bytes_round_trip_and_metadata(storage: BlobStorage) -> None:
    data = blob(3000)
    key = media_key(hashlib.sha256(data).hexdigest())
    assert not storage.exists(key)
    storage.put_bytes(key, data)
    assert storage.exists(key) and storage.size(key) == 3000
    assert storage.get_bytes(key) == data
    storage.put_bytes(key, data)  # writing the same content again is harmless
    assert storage.get_bytes(key) == data


def test_missing_blobs_are_not_found(storage: BlobStorage) -> None:
    key = media_key("0" * 64)
    assert not storage.exists(key)
    for call in (storage.get_bytes, storage.size, storage.open):
        with pytest.raises(NotFound):
            call(key)
    with pytest.raises(NotFound), storage.local_path(key):
        pass
    storage.delete(key)  # deleting what is not there is not an error


def test_put_file_copies_or_moves(storage: BlobStorage, tmp_path: Path) -> None:
    src = tmp_path / "episode.bin"
    src.write_bytes(blob(5000, seed=2))
    storage.put_file("media/aa/copied", src)
    assert src.exists() and storage.get_bytes("media/aa/copied") == src.read_bytes()
    data = src.read_bytes()
    storage.put_file("media/aa/moved", src, move=True)
    assert not src.exists() and storage.get_bytes("media/aa/moved") == data
    # a second store of the same key (a racing writer) changes nothing and consumes the source
    again = tmp_path / "again.bin"
    again.write_bytes(data)
    storage.put_file("media/aa/moved", again, move=True)
    assert not again.exists() and storage.get_bytes("media/aa/moved") == data


def test_open_is_a_seekable_stream(storage: BlobStorage) -> None:
    data = blob(700_000, seed=3)
    storage.put_bytes("derived/x/ab/ab-1", data)
    with storage.open("derived/x/ab/ab-1") as f:
        assert f.read(10) == data[:10]
        f.seek(500_000)
        assert f.tell() == 500_000 and f.read(1000) == data[500_000:501_000]
        f.seek(-5, io.SEEK_END)
        assert f.read() == data[-5:] and f.read(10) == b""
        f.seek(100)
        assert f.read() == data[100:]


@pytest.mark.parametrize(("start", "end"), [(0, 0), (0, 99_999), (1, 1), (65_536, 70_000)])
def test_iter_range_yields_exactly_the_range(storage: BlobStorage, start: int, end: int) -> None:
    data = blob(100_000, seed=4)
    storage.put_bytes("derived/x/cd/cd-1", data)
    assert b"".join(storage.iter_range("derived/x/cd/cd-1", start, end)) == data[start : end + 1]


def test_local_path_holds_the_blob(storage: BlobStorage) -> None:
    data = blob(20_000, seed=5)
    storage.put_bytes("media/ef/ef", data)
    with storage.local_path("media/ef/ef") as path:
        assert path.read_bytes() == data
    with storage.local_path("media/ef/ef") as path:  # a second use (S3: from the cache)
        assert path.read_bytes() == data


def test_delete_removes(storage: BlobStorage) -> None:
    storage.put_bytes("media/01/01", b"x")
    with storage.local_path("media/01/01"):
        pass
    storage.delete("media/01/01")
    assert not storage.exists("media/01/01")
    with pytest.raises(NotFound):
        storage.get_bytes("media/01/01")


def test_keys_cannot_escape_the_store(storage: BlobStorage) -> None:
    with pytest.raises(ValueError):
        storage.put_bytes("../outside", b"x")


# --- S3 only ----------------------------------------------------------------------------


def test_large_files_upload_in_parts(
    seaweedfs: SeaweedFS,  # noqa: F811
    s3_storage: S3Storage,  # noqa: F811
    tmp_path: Path,
) -> None:
    small_parts = S3Storage(
        s3_options(
            seaweedfs.endpoint,
            s3_storage.bucket,
            tmp_path / "c2",
            prefix=s3_storage.options.prefix,
            multipart_threshold=5 * MIB,
            multipart_chunksize=5 * MIB,
        )
    )
    src = tmp_path / "long-episode.bin"
    src.write_bytes(blob(12 * MIB, seed=6))
    small_parts.put_file("media/12/big", src)
    head = small_parts.client.head_object(
        Bucket=small_parts.bucket, Key=small_parts.object_key("media/12/big")
    )
    assert head["ETag"].strip('"').endswith("-3")  # S3's mark of a 3-part multipart upload
    assert small_parts.get_bytes("media/12/big") == src.read_bytes()


def _wav(path: Path, seconds: int, rate: int = 16_000) -> None:
    t = np.arange(seconds * rate) / rate
    tone = (np.sin(2 * np.pi * 440 * t) * 8000).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(tone.tobytes())


EPISODE_ENCODINGS = {
    "m4a": ["-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart"],
    "flac": ["-c:a", "flac"],
    "mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
}


def ten_minutes_of_speech(folder: Path, fmt: str) -> Path:
    episode = folder / f"episode.{fmt}"
    source = Path(__file__).parent / "data" / "web" / "librispeech_61-70968-0000.flac"
    run_ffmpeg(["-stream_loop", "-1", "-i", source, "-t", "600", *EPISODE_ENCODINGS[fmt], episode])
    return episode


@pytest.mark.parametrize(
    ("fmt", "seek_points", "most"),
    # measured: 11 % for M4A, FLAC, and MP3 from its
    # seek points; without them an MP3 is read from the start to the span's end (48 %)
    [("m4a", False, 0.2), ("flac", False, 0.2), ("mp3", True, 0.2), ("mp3", False, 0.6)],
)
def test_a_clip_render_on_s3_reads_its_span_not_the_episode(
    s3_storage: S3Storage,  # noqa: F811
    tmp_path: Path,
    fmt: str,
    seek_points: bool,
    most: float,
) -> None:
    episode = ten_minutes_of_speech(tmp_path, fmt)
    key = f"media/ep/{fmt}"
    s3_storage.put_file(key, episode)
    size = episode.stat().st_size
    recorder = SeekPointRecorder()
    probe(episode, seek_points=recorder)
    index = recorder.index()
    assert (index is not None) == (fmt == "mp3")  # only MP3 needs them
    if not seek_points:
        index = None

    before = s3_storage.bytes_downloaded
    with s3_storage.decodable(key) as src:
        assert not isinstance(src, Path)  # nothing on this host: a ranged stream
        render_clip(src, 240_000, 270_000, tmp_path / "s3.mp3", RenderProfile(), seek_index=index)
    fetched = s3_storage.bytes_downloaded - before
    assert fetched < most * size, f"fetched {fetched} of {size} bytes"
    # the very same clip as from the whole file
    render_clip(episode, 240_000, 270_000, tmp_path / "file.mp3", RenderProfile())
    assert (tmp_path / "s3.mp3").read_bytes() == (tmp_path / "file.mp3").read_bytes()

    # once this host holds a copy (the pipeline downloaded it), renders read that instead
    with s3_storage.local_path(key):
        pass
    before = s3_storage.bytes_downloaded
    with s3_storage.decodable(key) as src:
        assert isinstance(src, Path)
    assert s3_storage.bytes_downloaded == before


def test_presigned_urls_work_and_expire(s3_storage: S3Storage) -> None:  # noqa: F811
    data = blob(4000, seed=7)
    s3_storage.put_bytes("media/pr/pr", data)
    url = s3_storage.presigned_url("media/pr/pr", 60, content_type="audio/mpeg")
    r = httpx.get(url)
    assert r.status_code == 200 and r.content == data
    assert r.headers["content-type"] == "audio/mpeg"
    ranged = httpx.get(url, headers={"Range": "bytes=10-19"})
    assert ranged.status_code == 206 and ranged.content == data[10:20]
    assert httpx.get(url.replace("Signature=", "Signature=0")).status_code == 403
    short = s3_storage.presigned_url("media/pr/pr", 1)
    time.sleep(2.1)
    assert httpx.get(short).status_code == 403


def test_the_download_cache_keeps_recent_files_under_its_cap(
    seaweedfs: SeaweedFS,  # noqa: F811
    s3_storage: S3Storage,  # noqa: F811
    tmp_path: Path,
) -> None:
    capped = S3Storage(
        s3_options(
            seaweedfs.endpoint,
            s3_storage.bucket,
            tmp_path / "c3",
            prefix=s3_storage.options.prefix,
            cache_max_bytes=250_000,
        )
    )
    for i in range(3):
        capped.put_bytes(f"media/c{i}/c{i}", blob(100_000, seed=10 + i))
    paths = []
    for i in range(3):
        with capped.local_path(f"media/c{i}/c{i}") as p:
            paths.append(p)
            past = time.time() - 3600 + i  # age them past the grace period, oldest first
            os.utime(p, (past, past))
    with capped.local_path("media/c0/c0"):  # used again: now the most recent
        pass
    capped.put_bytes("media/c3/c3", blob(100_000, seed=13))
    with capped.local_path("media/c3/c3"):
        pass
    # 400 kB against a 250 kB cap: the two least recently used go, c0 (used again) stays
    assert paths[0].exists() and not paths[1].exists() and not paths[2].exists()


def test_an_unreachable_store_fails_clearly_after_retries(tmp_path: Path) -> None:
    down = S3Storage(
        s3_options(f"http://127.0.0.1:{free_port()}", "nowhere", tmp_path / "c4", max_attempts=3)
    )
    attempts: list[str] = []
    down.client.meta.events.register("before-send.s3", lambda **kw: attempts.append("x"))
    started = time.monotonic()
    with pytest.raises(StorageUnavailable, match=r"storage unavailable.*try again"):
        down.get_bytes("media/aa/aa")
    assert len(attempts) == 3 and time.monotonic() - started < 15
    assert StorageUnavailable.status_code == 503


# --- media delivery -----------------------------------------------------------------


def test_media_can_be_delivered_by_presigned_redirect(
    seaweedfs: SeaweedFS,  # noqa: F811
    tmp_path: Path,
) -> None:
    from soundbite.bootstrap import Soundbite
    from soundbite.services.library import add_media_file
    from tests.conftest import make_settings
    from tests.scaleout.fixtures import s3_settings
    from tests.scaleout.pipeline import SPEECH, owner
    from tests.test_web_support import make_client, sign_in

    settings = make_settings(
        tmp_path / "data", None, media_delivery="presigned", **s3_settings(seaweedfs.endpoint)
    )
    sb = Soundbite.from_settings(settings)
    try:
        eid = add_media_file(sb, SPEECH, owner(sb))
        client = make_client(sb)
        sign_in(client)
        sha = client.get(f"/api/episodes/{eid}").json()["media_sha256"]
        r = client.get(f"/media/{sha}", follow_redirects=False)
        assert r.status_code == 307 and "max-age=450" in r.headers["cache-control"]
        located = httpx.get(r.headers["location"], headers={"Range": "bytes=0-99"})
        assert located.status_code == 206 and located.content == SPEECH.read_bytes()[:100]
        assert located.headers["content-type"] == "audio/flac"
    finally:
        sb.close()


def test_a_web_host_renders_an_mp3_clip_from_the_probes_seek_points(
    seaweedfs: SeaweedFS,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The probe stage (on a worker) stores the MP3's seek points; a web host that holds no
    copy of the episode then renders a clip from a few windows of it."""
    from soundbite.bootstrap import Soundbite
    from soundbite.derived import RenderJob, load_seek_index
    from soundbite.domain.progress import no_progress
    from soundbite.jobs.stages import STAGES
    from soundbite.services.library import add_media_file
    from tests.conftest import make_settings
    from tests.scaleout.fixtures import s3_settings
    from tests.scaleout.pipeline import owner

    episode = tmp_path / "episode.mp3"
    source = Path(__file__).parent / "data" / "web" / "librispeech_61-70968-0000.flac"
    run_ffmpeg(
        ["-stream_loop", "-1", "-i", source, "-t", "600", *EPISODE_ENCODINGS["mp3"], episode]
    )
    s3 = s3_settings(seaweedfs.endpoint)
    database = f"sqlite:///{tmp_path / 'soundbite.db'}"
    worker = Soundbite.from_settings(make_settings(tmp_path / "worker", database, **s3))
    web = Soundbite.from_settings(make_settings(tmp_path / "web", database, **s3))
    try:
        episode_id = add_media_file(worker, episode, owner(worker))
        STAGES["probe"](worker, episode_id, no_progress)
        sha = hashlib.sha256(episode.read_bytes()).hexdigest()
        index = load_seek_index(web.storage, sha)
        assert index is not None and len(index.points) == 120  # one per 5 s of 600 s

        job = RenderJob(sha, 300_000, 330_000, RenderProfile())
        assert web.renders.render(job) > 0
        # 30 s of 600 plus two container openings and the preroll: measured 11 %
        assert web.storage.bytes_downloaded < 0.15 * episode.stat().st_size
        web.renders.close()
    finally:
        worker.close()
        web.close()
