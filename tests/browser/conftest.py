"""Browser tests: Playwright for Python driving Debian's Chromium against a real server.

A real ``soundbite serve`` runs in a subprocess on 127.0.0.1 with a temporary data dir
(SQLite, local files, in-process workers) and the real Whisper model, exactly as a listener
would meet it; the tests touch nothing else. Playwright cannot download browsers here, so it
launches ``/usr/bin/chromium`` (``make test`` installs it with apt when it is missing).

Every test saves screenshots of its steps in ``test-artifacts/screenshots/`` (kept after the
run, ignored by git), so a person can look at what the browser showed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright import sync_api as playwright_api

from soundbite.media.ffmpeg import run_ffmpeg
from soundbite.ops.cluster import free_port
from tests.conftest import DATA, MODEL_DIR, OWNER_PASSWORD
from tests.scaleout.processes import wait_until_serving

CHROMIUM = Path(os.environ.get("SOUNDBITE_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
APP_SHELL = ROOT / "src" / "soundbite" / "web" / "static" / "app" / "index.html"
SONNET = ROOT / "src" / "soundbite" / "demo" / "sonnet001.mp3"
SONNET_SRT = DATA / "insight" / "sonnet001.srt"
LONG_SECONDS = 3 * 3600
READY_TIMEOUT_S = 240


@dataclass
class Server:
    base: str
    data_dir: Path

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not APP_SHELL.exists():
        pytest.fail("the web app is not built: run `make install` (npm ci && npm run build)")
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    data = tmp_path_factory.mktemp("browser-data")
    port = free_port()
    env = {
        **os.environ,
        "SOUNDBITE_DATA_DIR": str(data),
        "SOUNDBITE_OWNER_PASSWORD": OWNER_PASSWORD,
        "SOUNDBITE_MODEL_DIR": str(MODEL_DIR),
        "SOUNDBITE_HOST": "127.0.0.1",
        "SOUNDBITE_PORT": str(port),
        "SOUNDBITE_WORKERS": "2",
        "SOUNDBITE_LOG_LEVEL": "warning",
        # the community journey signs a listener up with an admin's invite link
        "SOUNDBITE_SIGNUP_MODE": "invite",
        # with the `speakers` extra, the 3-hour episode would be diarized before it is ready
        "SOUNDBITE_DIARIZE": "false",
    }
    cli = Path(sys.executable).parent / "soundbite"
    log = (data / "serve.log").open("wb")
    proc = subprocess.Popen([str(cli), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, proc, data / "serve.log")
        yield Server(base, data)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def api(server: Server) -> Iterator[httpx.Client]:
    """A signed-in API client (cookie + CSRF header), for arranging what tests need."""
    with httpx.Client(base_url=server.base, timeout=60) as client:
        r = client.post("/api/auth/login", json={"username": "owner", "password": OWNER_PASSWORD})
        r.raise_for_status()
        client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        yield client


def upload(api: httpx.Client, path: Path, title: str, transcript: Path | None = None) -> int:
    files = {"file": (path.name, path.read_bytes(), "audio/mpeg")}
    if transcript is not None:
        files["transcript"] = (transcript.name, transcript.read_bytes(), "application/json")
    r = api.post("/api/episodes", files=files, data={"title": title})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def wait_ready(api: httpx.Client, episode_id: int, *, stages: set[str] | None = None) -> dict:
    """Wait until every stage (or the ones named) is done; fail on a failed stage."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        episode = api.get(f"/api/episodes/{episode_id}").json()
        wanted = [j for j in episode["stages"] if stages is None or j["stage"] in stages]
        failed = [j for j in wanted if j["state"] == "failed"]
        assert not failed, f"processing failed: {failed}"
        if wanted and all(j["state"] == "done" for j in wanted):
            return episode
        assert time.monotonic() < deadline, f"episode {episode_id} not ready: {episode['stages']}"
        time.sleep(0.5)


@pytest.fixture(scope="session")
def sonnet(api: httpx.Client) -> dict:
    """The demo recording (53 s), transcribed by the real model."""
    episode_id = upload(api, SONNET, "Sonnet 1: From fairest creatures we desire increase")
    return wait_ready(api, episode_id, stages={"probe", "peaks", "transcribe"})


def _srt_words() -> list[tuple[float, float, str]]:
    """The sonnet's words with times spread over each caption line (test data only)."""
    words = []
    for block in SONNET_SRT.read_text().strip().split("\n\n"):
        lines = block.splitlines()
        times = re.findall(r"(\d+):(\d+):(\d+),(\d+)", lines[1])
        start, end = (
            int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000 for h, m, s, ms in times
        )
        tokens = " ".join(lines[2:]).split()
        step = (end - start) / max(len(tokens), 1)
        words += [(start + i * step, start + (i + 0.9) * step, w) for i, w in enumerate(tokens)]
    return words


@pytest.fixture(scope="session")
def long_episode(api: httpx.Client, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A 3-hour episode: the sonnet looped and stream-copied (no 3-hour encode), with a
    publisher's word-level JSON transcript so that nothing needs transcribing."""
    folder = tmp_path_factory.mktemp("long")
    short = folder / "short.mp3"
    run_ffmpeg(
        ["-i", SONNET, "-ac", "1", "-ar", "16000", "-c:a", "libmp3lame", "-b:a", "16k", short]
    )
    loops = LONG_SECONDS // 50
    long = folder / "three-hours.mp3"
    run_ffmpeg(
        ["-stream_loop", str(loops), "-i", short, "-t", str(LONG_SECONDS), "-c", "copy", long]
    )
    period = 53.3
    words = _srt_words()
    segments = [
        {"startTime": round(n * period + a, 3), "endTime": round(n * period + b, 3), "body": w}
        for n in range(int(LONG_SECONDS // period))
        for a, b, w in words
    ]
    transcript = folder / "three-hours.json"
    transcript.write_text(json.dumps({"version": "1.0.0", "segments": segments}))
    episode_id = upload(api, long, "Three hours of sonnets, a very long episode", transcript)
    return wait_ready(api, episode_id, stages={"probe", "peaks", "transcribe"})


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Shots:
    """Numbered screenshots of one test's steps, in the folder the run keeps."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.n = 0
        SHOTS.mkdir(parents=True, exist_ok=True)
        for old in SHOTS.glob(f"{name}-*.png"):
            old.unlink()

    def __call__(self, page: object, step: str, *, full_page: bool = False) -> Path:
        self.n += 1
        path = SHOTS / f"{self.name}-{self.n:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=full_page)  # type: ignore[attr-defined]
        return path


def sign_in(context: object, server: Server) -> None:
    """Sign a browser context in through the API (its cookies are the context's)."""
    r = context.request.post(  # type: ignore[attr-defined]
        server.url("/api/auth/login"), data={"username": "owner", "password": OWNER_PASSWORD}
    )
    assert r.ok, r.text()


def audio_state(page: object) -> dict:
    return page.evaluate(  # type: ignore[attr-defined]
        "() => { const a = document.getElementById('sb-audio');"
        " return {t: a.currentTime, paused: a.paused, src: a.currentSrc, preload: a.preload}; }"
    )


# Controls a screen reader could not name: no aria-label(ledby), no <label>, no text.
UNLABELLED = """() => Array.from(document.querySelectorAll(
    'button, a[href], input:not([type=hidden]), select, textarea, [role=slider], [role=tab]'))
  .filter((el) => el.getClientRects().length)
  .filter((el) => {
    if ((el.getAttribute('aria-label') || '').trim()) return false;
    const by = el.getAttribute('aria-labelledby');
    const named = (id) => document.getElementById(id)?.textContent.trim();
    if (by && by.split(' ').some(named)) return false;
    if (el.labels && el.labels.length) return false;
    if (el.closest('label')) return false;
    return !(el.textContent || '').trim() && !el.getAttribute('title');
  })
  .map((el) => el.outerHTML.slice(0, 120))"""


def unlabelled_controls(page: object) -> list[str]:
    return page.evaluate(UNLABELLED)  # type: ignore[attr-defined,no-any-return]


def collect_errors(page: object) -> list[str]:
    """Uncaught page errors: a test that ends with any has found a bug."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))  # type: ignore[attr-defined]
    return errors


def open_clip_editor(page: Any, title: str, *, heard_s: float, tap: bool = False) -> Any:
    """Play the episode `title` from its page until `heard_s`, press the scissors, and pause:
    the clip editor with its waveform drawn and the sentence heard as its span. `tap` for a
    touch screen's context."""

    def press(control: Any) -> None:
        control.tap() if tap else control.click()

    press(page.get_by_role("button", name=f"Play {title}"))
    page.wait_for_function(f"() => document.getElementById('sb-audio').currentTime > {heard_s}")
    press(page.get_by_test_id("scissors"))
    editor = page.get_by_test_id("clip-editor")
    playwright_api.expect(editor.locator(".waveform[data-status=ready]")).to_be_visible()
    press(page.get_by_role("button", name="Pause").first)
    return editor


def shared_link(dialog: object) -> str:
    """The share dialog's link without its channel tag, which must be ``?ch=copy`` (arrivals
    by a copied link count for the "copy" channel)."""
    value: str = dialog.locator("#share-link").input_value()  # type: ignore[attr-defined]
    base, _, tag = value.partition("?")
    assert tag == "ch=copy", value
    return base
