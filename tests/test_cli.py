"""The CLI as a script would use it: real data dir, real database, real model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from soundbite.bootstrap import Soundbite
from soundbite.cli import cli
from soundbite.store.models import Episode, FeedSoundbite, MediaBlob, Podcast
from tests.conftest import MODEL_DIR, OWNER_PASSWORD, make_settings

SHARED = Path(__file__).parent / "data"


@pytest.fixture
def run(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SOUNDBITE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SOUNDBITE_DATABASE_URL", database_url)
    monkeypatch.setenv("SOUNDBITE_MODEL_DIR", str(MODEL_DIR))
    monkeypatch.setenv("SOUNDBITE_OWNER_PASSWORD", OWNER_PASSWORD)
    monkeypatch.setenv("SOUNDBITE_FEED_PROCESS_LATEST", "0")  # never fetch the feeds' example.com
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), catch_exceptions=False)

    opened: list[Soundbite] = []

    def app() -> Soundbite:
        """The instance the commands work on, opened beside them to look at what they did."""
        opened.append(Soundbite.from_settings(make_settings(tmp_path / "data", database_url)))
        return opened[-1]

    invoke.app = app  # type: ignore[attr-defined]
    yield invoke
    for sb in opened:  # left open, their pooled connections would outlive the test
        sb.close()


def counts(app: Soundbite) -> tuple[int, int]:
    with app.db.read() as s:
        return (
            s.scalar(select(func.count()).select_from(Episode)) or 0,
            s.scalar(select(func.count()).select_from(MediaBlob)) or 0,
        )


def test_add_a_recording_then_read_its_transcript(run) -> None:  # type: ignore[no-untyped-def]
    result = run("add", str(SHARED / "audio" / "jfk_ask_not.flac"), "--json")
    assert result.exit_code == 0, result.stderr
    [episode_id] = json.loads(result.stdout)["added"][0]["episode_ids"]

    listing = json.loads(run("episodes", "--json").stdout)
    [episode] = [e for e in listing if e["id"] == episode_id]
    assert abs(episode["duration_ms"] - 11_000) < 100
    assert {"probe", "peaks", "transcribe"} <= set(episode["stages"])
    assert set(episode["stages"].values()) == {"done"}

    vtt = run("transcript", str(episode_id), "--format", "vtt").stdout
    assert vtt.startswith("WEBVTT") and "Americans" in vtt
    segments = json.loads(run("transcript", str(episode_id), "--json").stdout)["segments"]
    assert any("Americans" in seg["body"] for seg in segments)
    jobs = json.loads(run("jobs", "--json").stdout)
    assert {j["stage"] for j in jobs} >= {"probe", "peaks", "transcribe"}
    assert {j["state"] for j in jobs} == {"done"}
    assert run("retry", str(jobs[0]["id"]), "--json").exit_code == 0


def test_publisher_transcript_is_imported_instead_of_transcribing(run) -> None:  # type: ignore[no-untyped-def]
    vtt = SHARED / "transcripts" / "example.vtt"
    result = run(
        "add", str(SHARED / "audio" / "jfk_ask_not.flac"), "--transcript", str(vtt), "--json"
    )
    assert result.exit_code == 0, result.stderr
    jobs = {j["stage"]: j for j in json.loads(run("jobs", "--json").stdout)}
    assert jobs["transcribe"]["message"] == "kept the publisher's transcript"
    episode_id = jobs["transcribe"]["episode_id"]
    text = run("transcript", str(episode_id)).stdout
    assert text.strip() and "Americans" not in text  # the publisher's words, not Whisper's


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["add", "/no/such/file.mp3"], 4, "no such file"),
        (["add", "file:///etc/passwd"], 2, "http"),
        (["add", "ftp://example.org/feed.xml"], 2, "http"),
        (["transcript", "999"], 4, "no episode 999"),
        (["retry", "999"], 4, "no job 999"),
    ],
)
def test_errors_go_to_stderr_with_an_exit_code(run, args, code, message) -> None:  # type: ignore[no-untyped-def]
    result = run(*args)
    assert result.exit_code == code
    assert message in result.stderr and result.stderr.startswith("error: ")


@pytest.mark.parametrize(
    "name", ["emptyfile.mp3", "too-short.mp3", "mono.zero.wav", "nero-chapters.m4b"]
)
def test_undecodable_media_is_refused_and_leaves_nothing(run, name: str) -> None:  # type: ignore[no-untyped-def]
    app = run.app()
    before = counts(app)
    result = run("add", str(SHARED / "media" / name))
    assert result.exit_code == 2 and result.stderr.startswith("error: ")
    assert counts(app) == before
    media_dir = app.settings.resolved_storage_dir / "media"
    assert not media_dir.exists() or not any(p.is_file() for p in media_dir.rglob("*"))


def test_feed_file_is_added_once_with_its_podcasting_2_tags(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    feed = SHARED / "feeds" / "podcast-namespace" / "example.xml"
    first = run("add", str(feed), "--json", "--no-wait")
    assert first.exit_code == 0, first.stderr
    again = run("add", str(feed), "--json", "--no-wait")
    assert json.loads(again.stdout)["added"][0]["episode_ids"] == []
    app = run.app()
    with app.db.read() as s:
        episodes = s.scalars(select(Episode)).all()
        assert s.scalar(select(func.count()).select_from(Podcast)) == 1
        bites = s.scalars(select(FeedSoundbite)).all()
    assert len(episodes) == len(json.loads(first.stdout)["added"][0]["episode_ids"]) > 0
    assert len(bites) == 3
    assert any(e.transcript_url for e in episodes) and any(e.chapters_url for e in episodes)


@pytest.mark.parametrize(
    "name", ["feedparser/illformed_aaa_illformed.xml", "rss-parser/input/unrecognized.rss"]
)
def test_malformed_feed_file_is_refused_and_stores_nothing(run, name: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / Path(name).name
    shutil.copy(SHARED / "feeds" / name, path)
    result = run("add", str(path))
    assert result.exit_code == 2 and "error: " in result.stderr
    with run.app().db.read() as s:
        assert s.scalar(select(func.count()).select_from(Podcast)) == 0


def test_a_malformed_feed_file_is_imported_with_warnings(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A real feed with a bad byte in one title and an undefined entity in another item's
    notes: every item is imported, exit code 0, and stderr says what was repaired, where."""
    clean = (SHARED / "feeds" / "real" / "giantbomb-podcast-excerpt.rss").read_bytes()
    broken = clean.replace(b"Easy Chicken", b"Easy Chicken \x96 Part 1", 1)
    broken = broken.replace(b"Surely we talk", b"Surely we&nbps;talk")
    path = tmp_path / "feed.xml"
    path.write_bytes(broken)
    result = run("add", str(path), "--no-wait")
    assert result.exit_code == 0, result.stderr
    assert "episode ids 1, 2, 3" in result.stdout
    assert "warning: the feed is malformed" in result.stderr
    assert (
        "item “Giant Bombcast 602: Easy Chicken – Part 1”: "
        "text that is not valid UTF-8 was read as Windows-1252"
    ) in result.stderr
    assert (
        "item “Giant Bombcast 603: Call of Tuesday”: unknown entity &nbps; left out"
        in result.stderr
    )
    as_json = json.loads(run("add", str(path), "--no-wait", "--json").stdout)
    [added] = as_json["added"]
    assert added["episode_ids"] == []  # already there
    assert {
        "item": "Giant Bombcast 603: Call of Tuesday",
        "reason": "unknown entity &nbps; left out",
    } in added["problems"]


@pytest.mark.parametrize(
    ("queues", "message"),
    [
        (
            "bogus",
            "the queues are fetch, probe, peaks, transcribe, analyze, index, recommend, analytics, "
            "render",
        ),
        ("render", "the render queue needs SOUNDBITE_BROKER_URL"),
    ],
)
def test_worker_refuses_queues_it_cannot_serve(run, queues: str, message: str) -> None:  # type: ignore[no-untyped-def]
    result = run("worker", "--queues", queues)
    assert result.exit_code == 2 and message in result.stderr
