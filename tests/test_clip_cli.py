"""`soundbite clip` and `soundbite clips …` as a script would use them."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import av
import pytest
from click.testing import CliRunner, Result

from soundbite.bootstrap import Soundbite
from soundbite.cli import cli
from soundbite.domain import clips as rules
from soundbite.services.accounts import ensure_owner, owner_account
from tests.conftest import MODEL_DIR, OWNER_PASSWORD, make_settings
from tests.test_clip_support import add_sonnet, word


@pytest.fixture
def run(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    for name, value in {
        "DATA_DIR": str(data),
        "DATABASE_URL": database_url,
        "MODEL_DIR": str(MODEL_DIR),
        "OWNER_PASSWORD": OWNER_PASSWORD,
        "PUBLIC_BASE_URL": "https://clips.example.org",
    }.items():
        monkeypatch.setenv(f"SOUNDBITE_{name}", value)
    app = Soundbite.from_settings(make_settings(data, database_url))
    ensure_owner(app)
    episode_id = add_sonnet(app, owner_account(app).id)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)

    invoke.episode_id = episode_id  # type: ignore[attr-defined]
    yield invoke
    app.close()


def test_clip_prints_the_share_link_and_renders(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    start, end = word("fairest").start_ms / 1000 + 0.05, word("memory").end_ms / 1000 - 0.05
    out = tmp_path / "moment.mp3"
    result = run("clip", run.episode_id, "--start", start, "--end", end, "--render", out)
    assert result.exit_code == 0, result.stderr
    share = result.stdout.strip()
    assert share.startswith("https://clips.example.org/c/") and len(share.rsplit("/", 1)[1]) == 17
    assert "fairest creatures" in result.stderr and "wrote" in result.stderr
    with av.open(str(out)) as container:
        assert container.format.name == "mp3"
        assert 10 < float(container.duration or 0) / 1e6 < 13

    made = json.loads(
        run(
            "clip",
            run.episode_id,
            "--start",
            31,
            "--end",
            36,
            "--snap",
            "none",
            "--title",
            "Thou that art",
            "--json",
        ).stdout
    )
    assert (made["start_ms"], made["end_ms"], made["title"]) == (31_000, 36_000, "Thou that art")
    assert made["audio_url"].startswith(made["share_url"] + "/audio.mp3?v=")

    listed = json.loads(run("clips", "list", "--json").stdout)
    assert listed["total"] == 2 and {c["id"] for c in listed["items"]} >= {made["id"]}
    lines = run("clips", "list").stdout.splitlines()
    assert len(lines) == 2 and "Thou that art" in lines[0]

    xml = run("clips", "export", made["id"]).stdout
    bite = ElementTree.fromstring(xml).find(
        "item/{https://podcastindex.org/namespace/1.0}soundbite"
    )
    assert bite is not None
    assert (bite.get("startTime"), bite.get("duration"), bite.text) == ("31", "5", "Thou that art")

    shown = json.loads(run("clips", "show", made["id"], "--render", tmp_path / "m.m4a").stdout)
    assert shown["rendered"]["bytes"] == (tmp_path / "m.m4a").stat().st_size > 0
    assert json.loads(run("clips", "stats", made["id"]).stdout)["plays"] == 0
    assert run("clips", "delete", made["id"]).exit_code == 0
    assert run("clips", "show", made["id"]).exit_code == 4  # NotFound


def test_clip_errors_say_which_rule(run) -> None:  # type: ignore[no-untyped-def]
    result = run("clip", run.episode_id, "--start", 20, "--end", 10)
    assert result.exit_code == 2 and "reversed" in result.stderr
    result = run("clip", run.episode_id, "--start", 50, "--end", 70)
    assert result.exit_code == 2 and "ends after the episode" in result.stderr
    result = run("clip", run.episode_id, "--start", 1, "--end", 5, "--render", "x.ogg")
    assert result.exit_code == 2 and ".mp3, .m4a or .mp4" in result.stderr
    assert json.loads(run("clips", "list", "--json").stdout)["total"] == 0  # none half-made


def test_clip_renders_a_video_in_the_aspect_asked_for(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # a phrase with pauses at both ends, so snapping keeps its words and adds the edge padding
    start, end = word("From").start_ms / 1000, word("increase").end_ms / 1000
    out = tmp_path / "moment.mp4"
    result = run(
        "clip", run.episode_id, "--start", start, "--end", end, "--render", out, "--aspect", "1x1"
    )
    assert result.exit_code == 0, result.stderr
    with av.open(str(out)) as container:
        video = container.streams.video[0].codec_context
        assert (video.name, video.width, video.height) == ("h264", 1080, 1080)
        padded = float(container.duration or 0) / 1e6 - (end - start)
        assert 0 <= padded <= 2 * rules.EDGE_PAD_MS / 1000 + 0.05
