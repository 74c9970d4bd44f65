"""Uploading episodes and following them through the pipeline over the API.

One test runs the real Whisper model (on 4.9 s of speech, once per database); the others
stop before transcription or keep an imported transcript, so they stay fast.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from soundbite.bootstrap import Soundbite
from soundbite.derived import PEAKS_PER_SECOND, peaks_key
from soundbite.domain.pipeline import stages_for
from soundbite.services.accounts import ensure_owner
from soundbite.store.blobs import media_key
from tests.conftest import make_settings
from tests.pipeline_support import run_pipeline
from tests.test_web_support import (
    BAD_MEDIA,
    SPEECH,
    VTT,
    make_client,
    row_counts,
    sign_in,
    stored_files,
    upload,
)


@pytest.mark.slow
def test_upload_is_transcribed_and_drawn(app: Soundbite, client: TestClient) -> None:
    r = upload(client, title="The wizard")
    assert r.status_code == 201, r.text
    episode = r.json()
    sha = hashlib.sha256(SPEECH.read_bytes()).hexdigest()
    assert episode["title"] == "The wizard" and episode["media_sha256"] == sha
    assert abs(episode["duration_ms"] - 4910) < 60
    assert (episode["codec"], episode["channels"], episode["sample_rate"]) == ("flac", 1, 16000)
    assert episode["audio_url"] == f"/media/{sha}" and episode["status"] == "queued"
    stages = stages_for(needs_download=False)
    assert [s["stage"] for s in episode["stages"]] == stages
    assert episode["transcript_urls"] == {} and episode["peaks_url"] is None

    assert run_pipeline(app) == len(stages)
    episode = client.get(f"/api/episodes/{episode['id']}").json()
    assert episode["status"] == "ready", episode["stages"]
    assert all(s["state"] == "done" and s["progress"] == 100 for s in episode["stages"])
    assert episode["has_transcript"] and episode["has_peaks"]
    assert episode["transcript_source"].startswith("whisper")

    urls = episode["transcript_urls"]
    assert set(urls) == {"json", "vtt", "srt", "txt"}
    as_json = client.get(urls["json"])
    assert as_json.headers["content-type"] == "application/json"
    assert "wizard" in json.dumps(as_json.json()).lower()
    text = client.get(urls["txt"])
    assert "wizard" in text.text.lower() and "curtain" in text.text.lower()
    assert text.headers["content-disposition"].startswith('inline; filename="The wizard.txt"')
    vtt = client.get(urls["vtt"])
    assert vtt.text.startswith("WEBVTT") and vtt.headers["content-type"].startswith("text/vtt")
    srt = client.get(urls["srt"] + "&download=true")  # (params= would replace the query)
    assert "-->" in srt.text and srt.headers["content-disposition"].startswith("attachment")

    peaks = client.get(episode["peaks_url"])
    assert "immutable" in peaks.headers["cache-control"]
    body = peaks.json()
    assert (body["version"], body["channels"], body["sample_rate"]) == (2, 1, 16000)
    assert body["samples_per_pixel"] == 16000 // PEAKS_PER_SECOND
    assert abs(body["length"] - 491) <= 2 and len(body["data"]) == 2 * body["length"]
    coarse = client.get(f"/api/episodes/{episode['id']}/peaks?pixels_per_second=10").json()
    assert coarse["samples_per_pixel"] == 1600 and abs(coarse["length"] - 50) <= 1
    assert "no-cache" in client.get(f"/api/episodes/{episode['id']}/peaks").headers["cache-control"]
    dat = client.get(episode["peaks_url"] + "&format=dat")
    assert dat.content == app.storage.get_bytes(peaks_key(sha))
    again = client.get(episode["peaks_url"], headers={"If-None-Match": peaks.headers["etag"]})
    assert again.status_code == 304

    listed = client.get("/api/episodes").json()["items"]
    assert [(e["id"], e["status"], e["has_transcript"]) for e in listed] == [
        (episode["id"], "ready", True)
    ]


def test_upload_with_a_transcript_keeps_it(app: Soundbite, client: TestClient) -> None:
    r = upload(client, transcript=("words.vtt", VTT, "text/vtt"))
    assert r.status_code == 201, r.text
    episode = r.json()
    assert episode["title"] == SPEECH.stem  # no title given: the file name
    assert episode["has_transcript"] and episode["transcript_source"] == "publisher"
    txt = client.get(episode["transcript_urls"]["txt"]).text
    assert "confused complaint" in txt and "wizard" in txt

    # the transcribe stage keeps it: no model needed
    assert run_pipeline(app) == len(stages_for(needs_download=False))
    episode = client.get(f"/api/episodes/{episode['id']}").json()
    assert episode["status"] == "ready"
    messages = {s["stage"]: s["message"] for s in episode["stages"]}
    assert messages["transcribe"] == "kept the publisher's transcript"


def test_refused_uploads_leave_nothing_behind(app: Soundbite, client: TestClient) -> None:
    before = (row_counts(app), stored_files(app))
    cases = [(path, "audio/mpeg") for path in sorted(BAD_MEDIA.iterdir())]
    for path, content_type in cases:
        r = upload(client, path, content_type=content_type)
        assert 400 <= r.status_code < 500, (path.name, r.status_code, r.text)
        assert r.json()["detail"], path.name
        assert (row_counts(app), stored_files(app)) == before, path.name

    bad_transcript = upload(client, transcript=("words.vtt", b"no cues in here", "text/vtt"))
    assert bad_transcript.status_code == 422, bad_transcript.text
    for fields, problem in [
        ({"files": {"other": ("x", b"1")}}, "unexpected form field"),
        ({"files": {"title": (None, b"no file")}}, "no `file` field"),
        ({"json": {"file": "x"}}, "multipart/form-data"),
    ]:
        r = client.post("/api/episodes", **fields)  # type: ignore[arg-type]
        assert r.status_code == 422 and problem in r.json()["detail"], r.text
    assert (row_counts(app), stored_files(app)) == before


def test_oversized_uploads_are_refused(tmp_path: Path, database_url: str) -> None:
    sb = Soundbite.from_settings(
        make_settings(tmp_path / "d", database_url, max_upload_bytes=50_000)
    )
    try:
        ensure_owner(sb)
        client = make_client(sb)
        sign_in(client)
        before = (row_counts(sb), stored_files(sb))
        r = upload(client)  # 97 kB: refused while streaming
        assert r.status_code == 413 and "50000" in r.json()["detail"]
        # refused from Content-Length alone, before any of the body is read
        r = client.post(
            "/api/episodes",
            content=b"x" * 10,
            headers={
                "Content-Type": "multipart/form-data; boundary=x",
                "Content-Length": str(10**12),
            },
        )
        assert r.status_code == 413
        assert (row_counts(sb), stored_files(sb)) == before
    finally:
        sb.close()


def test_a_failed_stage_is_listed_and_a_retry_runs_it_again(
    app: Soundbite, client: TestClient
) -> None:
    """A stage that fails for real (its media went missing from the store) can be retried
    once the cause is fixed, and then the episode finishes."""
    episode = upload(client, transcript=("words.vtt", VTT, "text/vtt")).json()
    probe_job = episode["stages"][0]
    assert client.post(f"/api/jobs/{probe_job['id']}/retry").status_code == 409  # queued
    media = media_key(episode["media_sha256"])
    kept = app.storage.get_bytes(media)
    app.storage.delete(media)

    run_pipeline(app)
    episode = client.get(f"/api/episodes/{episode['id']}").json()
    assert episode["status"] == "failed"
    assert "missing from the store" in episode["stages"][0]["error"]
    assert [s["state"] for s in episode["stages"][1:]] == ["queued"] * (len(episode["stages"]) - 1)
    failed = client.get("/api/jobs", params={"state": "failed"}).json()
    assert [j["id"] for j in failed] == [probe_job["id"]]
    listed = client.get("/api/jobs", params={"episode_id": episode["id"]}).json()
    assert len(listed) == len(stages_for(needs_download=False))
    assert client.get("/api/jobs", params={"episode_id": episode["id"] + 1}).status_code == 404
    assert client.get("/api/jobs", params={"state": "bogus"}).status_code == 422

    app.storage.put_bytes(media, kept)
    r = client.post(f"/api/jobs/{probe_job['id']}/retry")
    assert r.status_code == 200 and r.json()["state"] == "queued"
    assert run_pipeline(app) == len(stages_for(needs_download=False))
    episode = client.get(f"/api/episodes/{episode['id']}").json()
    assert episode["status"] == "ready", episode["stages"]
    assert episode["stages"][0]["attempts"] == 2 and episode["stages"][0]["error"] is None


def test_only_a_finished_job_can_be_retried(app: Soundbite, client: TestClient) -> None:
    probe_job = upload(client).json()["stages"][0]
    r = client.post(f"/api/jobs/{probe_job['id']}/retry")
    assert r.status_code == 409 and "queued" in r.json()["detail"]
    job = app.queue.claim("test-worker", ["probe"])
    assert job is not None and job.id == probe_job["id"]
    r = client.post(f"/api/jobs/{probe_job['id']}/retry")
    assert r.status_code == 409 and "running" in r.json()["detail"]
    assert app.queue.fail(job, "gave up")
    r = client.post(f"/api/jobs/{probe_job['id']}/retry")
    assert r.status_code == 200 and r.json()["state"] == "queued"
    assert client.post("/api/jobs/999999/retry").status_code == 404


def _feed(items: int) -> bytes:
    entries = "".join(
        f"<item><title>Episode {i}</title><guid>ep-{i}</guid>"
        f"<pubDate>Mon, {i:02d} Jan 2024 10:00:00 +0000</pubDate>"
        f'<enclosure url="https://example.org/{i}.mp3" type="audio/mpeg" length="1000"/></item>'
        for i in range(1, items + 1)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Test Cast</title>'
        f"<link>https://example.org</link><description>d</description>{entries}</channel></rss>"
    ).encode()


def test_episode_listing_podcasts_and_processing_on_request(
    app: Soundbite, owner_id: int, client: TestClient
) -> None:
    from soundbite.services.library import add_feed_document

    result = add_feed_document(app, _feed(7), "https://example.org/feed.xml", owner_id)
    assert len(result.queued_episode_ids) == app.settings.feed_process_latest == 5
    uploaded = upload(client).json()

    podcasts = {p["title"]: p for p in client.get("/api/podcasts").json()}
    assert podcasts["Test Cast"]["episode_count"] == 7
    assert podcasts["Uploads"]["episode_count"] == 1 and podcasts["Uploads"]["feed_url"] is None
    cast = client.get(f"/api/podcasts/{result.podcast_id}").json()
    assert cast["feed_url"] == "https://example.org/feed.xml"
    assert client.get("/api/podcasts/999999").status_code == 404

    page = client.get("/api/episodes", params={"podcast_id": result.podcast_id, "limit": 3}).json()
    assert page["total"] == 7 and [e["title"] for e in page["items"]] == [
        "Episode 7",
        "Episode 6",
        "Episode 5",
    ]
    rest = client.get(
        "/api/episodes", params={"podcast_id": result.podcast_id, "limit": 3, "offset": 6}
    ).json()
    assert [(e["title"], e["status"]) for e in rest["items"]] == [("Episode 1", "not processed")]
    everything = client.get("/api/episodes").json()
    assert everything["total"] == 8 and everything["items"][0]["id"] == uploaded["id"]
    assert client.get("/api/episodes", params={"limit": 0}).status_code == 422

    oldest = rest["items"][0]["id"]
    r = client.post(f"/api/episodes/{oldest}/process")
    assert r.status_code == 202
    assert [s["stage"] for s in r.json()["stages"]] == stages_for(needs_download=True)
    assert client.post(f"/api/episodes/{oldest}/process").status_code == 409
    assert client.post("/api/episodes/999999/process").status_code == 404
    missing = client.get(f"/api/episodes/{oldest}/transcript")
    assert missing.status_code == 404 and "no transcript yet" in missing.json()["detail"]
    assert client.get(f"/api/episodes/{oldest}/peaks").status_code == 404

    uploads_id = podcasts["Uploads"]["id"]
    r = client.post(f"/api/podcasts/{uploads_id}/refresh")
    assert r.status_code == 409 and "no feed" in r.json()["detail"]
    assert json.loads(client.get("/openapi.json").text)["paths"]["/api/episodes"]["post"]
