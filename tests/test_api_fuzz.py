"""Fuzzing the JSON API from its own OpenAPI document (schemathesis): no call may answer 5xx.

A real ``soundbite serve`` runs on 127.0.0.1 with a temporary data dir (SQLite, no workers:
uploads are probed and stored, never transcribed). schemathesis reads ``/openapi.json`` from
it and sends, with a fixed seed, a bounded number of generated requests to every operation:
valid ones and ones that break the schema (wrong types, missing fields, numbers past the
stated bounds, odd bytes in names). A stateful run then follows the schema's OpenAPI links:
upload → read the episode → clip it → read, change, delete the clip.

Everything stays on this machine. Adding a feed makes the server fetch it, so the feed URL
of every generated ``POST /api/feeds`` is replaced by a feed this module serves on loopback
(the server may fetch loopback only: ``fetch_allow_networks``); its enclosures point there
too, and with no workers nothing downloads them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pydantic
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis import engine
from schemathesis.checks import not_a_server_error
from schemathesis.engine import Status, events
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.conftest import OWNER_PASSWORD
from tests.scaleout.processes import wait_until_serving
from tests.scaleout.services import free_port
from tests.test_web_support import SPEECH, VTT

SEED = 20261130
EXAMPLES_PER_OPERATION = 25
STATEFUL_SCENARIOS = 200
STEPS_PER_SCENARIO = 10
# the length of SPEECH as the server probes it; spans within it make clips that exist
SPEECH_MS = 4905
AS_INT = pydantic.TypeAdapter(int)  # how FastAPI reads an integer path parameter
SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,  # a real server on a shared machine: time is not what is tested
    database=None,  # the same seed gives the same run, whatever ran before
    suppress_health_check=list(hypothesis.HealthCheck),
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
)


@dataclass
class FuzzServer:
    base: str
    token: str
    token_id: int
    feed_url: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _feed(base: str) -> bytes:
    items = "".join(
        f"<item><title>Episode {n}</title><guid>fuzz-{n}</guid>"
        f"<pubDate>Mon, 0{n} Jan 2024 10:00:00 GMT</pubDate>"
        f'<enclosure url="{base}/episode-{n}.mp3" type="audio/mpeg" length="1000"/></item>'
        for n in (1, 2)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Loopback feed</title><link>{base}/</link><description>Served by the fuzz test"
        f"</description>{items}</channel></rss>"
    ).encode()


@pytest.fixture(scope="module")
def feed_url() -> Iterator[str]:
    """A podcast feed on loopback, the same document at every path."""
    port = free_port()
    body = _feed(f"http://127.0.0.1:{port}")

    class Feed(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", port), Feed)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}/feed.xml"
    httpd.shutdown()
    httpd.server_close()


def _arrange(base: str) -> tuple[str, int]:
    """Sign in, make the API token the fuzzer uses, and add an episode with a transcript and
    a clip, so that reads of real rows are fuzzed too."""
    with httpx.Client(base_url=base, timeout=60) as c:
        r = c.post("/api/auth/login", json={"username": "owner", "password": OWNER_PASSWORD})
        r.raise_for_status()
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        # a spare token first: DELETE /api/tokens/{token_id} is fuzzed too, and ids near 1
        # come up most often; the fuzzer's own token is never a target (see the hook below)
        c.post("/api/tokens", json={"name": "spare"}).raise_for_status()
        made = c.post("/api/tokens", json={"name": "fuzz"})
        made.raise_for_status()
        files = {
            "file": (SPEECH.name, SPEECH.read_bytes(), "audio/flac"),
            "transcript": ("speech.vtt", VTT, "text/vtt"),
        }
        episode = c.post("/api/episodes", files=files)
        assert episode.status_code == 201, episode.text
        assert episode.json()["duration_ms"] == SPEECH_MS
        span = {"episode_id": episode.json()["id"], "start_ms": 500, "end_ms": 3000}
        clip = c.post("/api/clips", json=span)
        assert clip.status_code == 201, clip.text
    return made.json()["token"], made.json()["id"]


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory, feed_url: str) -> Iterator[FuzzServer]:
    data = tmp_path_factory.mktemp("fuzz-data")
    port = free_port()
    env = {
        **os.environ,
        "SOUNDBITE_DATA_DIR": str(data),
        "SOUNDBITE_OWNER_PASSWORD": OWNER_PASSWORD,
        "SOUNDBITE_HOST": "127.0.0.1",
        "SOUNDBITE_PORT": str(port),
        "SOUNDBITE_WORKERS": "0",
        "SOUNDBITE_CLIP_PRERENDER": "false",  # rendering is not part of the JSON API
        "SOUNDBITE_FEED_PROCESS_LATEST": "0",
        "SOUNDBITE_FETCH_ALLOW_NETWORKS": '["127.0.0.1/32"]',
        "SOUNDBITE_LOG_LEVEL": "warning",
    }
    env.pop("SOUNDBITE_DATABASE_URL", None)
    log = data / "serve.log"
    cli = Path(sys.executable).parent / "soundbite"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(cli), "serve"], env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, proc, log)
        token, token_id = _arrange(base)
        yield FuzzServer(base, token, token_id, feed_url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _made_safe(case: Any, server: FuzzServer) -> Any:
    """The case, changed where sending it as generated would reach past this test.

    Done on the case just before it is sent, not by schemathesis hooks, because the cases of
    the examples and coverage phases do not pass through hooks.
    """
    params = case.path_parameters
    if case.operation.label == "POST /api/feeds" and isinstance(case.body, dict):
        # the server fetches what this names (the schema's own example is example.org)
        case.body = {**case.body, "url": server.feed_url}
    elif case.operation.label == "DELETE /api/tokens/{token_id}" and params:
        # revoking the fuzzer's own token would turn every later call into a 401; the id
        # is compared as the server reads it, since cases also send it as text ("2")
        try:
            target = AS_INT.validate_python(str(params.get("token_id")))
        except pydantic.ValidationError:
            return case
        if target == server.token_id:
            params["token_id"] = server.token_id + 1
    return case


def _real_upload(body: dict[str, Any]) -> dict[str, Any]:
    return {"file": SPEECH.read_bytes(), "title": body.get("title") or "Fuzzed upload"}


def _with_a_valid_span(body: Any) -> st.SearchStrategy[Any]:
    """The generated body, or the same with a span inside SPEECH: generated spans almost
    never fit an episode, and a clip must exist before it can be read, changed or deleted."""
    if not isinstance(body, dict):
        return st.just(body)
    valid = st.integers(0, SPEECH_MS - 1000).flatmap(
        lambda start: st.integers(start + 1000, SPEECH_MS).map(
            lambda end: {**body, "start_ms": start, "end_ms": end}
        )
    )
    return st.one_of(st.just(body), valid)


def _install_hooks(schema: OpenApiSchema) -> None:
    def label(context: schemathesis.HookContext) -> str:
        return context.operation.label if context.operation else ""

    @schema.hook
    def flatmap_body(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy[Any]:
        if label(context) == "POST /api/episodes" and isinstance(body, dict):
            # half the uploads are real audio, so episodes get made and linked calls follow
            return st.one_of(st.just(body), st.just(_real_upload(body)))
        if label(context) == "POST /api/clips":
            return _with_a_valid_span(body)
        return st.just(body)


@pytest.fixture(scope="module")
def api_schema(fuzz_server: FuzzServer) -> OpenApiSchema:
    schema = schemathesis.openapi.from_url(fuzz_server.base + "/openapi.json")
    assert isinstance(schema, OpenApiSchema)
    schema.config.seed = SEED
    _install_hooks(schema)
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def _schemathesis_node_id(request: pytest.FixtureRequest) -> None:
    # schemathesis 4.32 reads and renames `node._nodeid` to name each operation's subtest;
    # pytest 9.2 keeps node ids elsewhere, so give it the attribute it expects to find
    request.node._nodeid = request.node.nodeid


@schema.parametrize()
@SETTINGS
@pytest.mark.usefixtures("_schemathesis_node_id")
def test_no_operation_answers_a_server_error(case: Any, fuzz_server: FuzzServer) -> None:
    _made_safe(case, fuzz_server).call_and_validate(
        headers=fuzz_server.auth, checks=[not_a_server_error], timeout=60
    )


def test_linked_calls_never_answer_a_server_error(fuzz_server: FuzzServer) -> None:
    """Upload → episode → clip → read, change, delete the clip, by the schema's links.

    schemathesis's own engine runs this phase, as its CLI does: a scenario's steps depend on
    what the server answered, which differs between replays of a shared live server, and the
    engine restarts such scenarios where Hypothesis alone would stop at "flaky"."""
    # the operations above ran with this token; had it been revoked they proved nothing
    me = httpx.get(fuzz_server.base + "/api/auth/me", headers=fuzz_server.auth)
    assert me.status_code == 200, me.text
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "headers": fuzz_server.auth,
            "workers": 1,
            "request-timeout": 60,
            "checks": {"enabled": False, "not_a_server_error": {"enabled": True}},
            "generation": {"max-examples": STATEFUL_SCENARIOS},
            "phases": {
                "examples": {"enabled": False},
                "coverage": {"enabled": False},
                "fuzzing": {"enabled": False},
                "stateful": {"enabled": True, "max-steps": STEPS_PER_SCENARIO},
            },
        }
    )
    schema = schemathesis.openapi.from_url(fuzz_server.base + "/openapi.json", config=config)
    # the clip and episode operations only: no feeds (fetching), no tokens (revoking ours)
    schema = schema.include(path_regex=r"^/api/(episodes|clips)")
    assert isinstance(schema, OpenApiSchema)
    _install_hooks(schema)
    failures: list[str] = []
    followed: set[str] = set()
    for event in engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for case_id, interaction in event.recorder.interactions.items():
                label = event.recorder.cases[case_id].value.operation.label
                if interaction.response is not None and interaction.response.status_code < 300:
                    followed.add(label)
            if event.status == Status.FAILURE:
                failures += [
                    f"{event.recorder.cases[case_id].value.operation.label}: {check.name}"
                    for case_id, checks in event.recorder.checks.items()
                    for check in checks
                    if check.status == Status.FAILURE
                ]
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            failures.append(f"{type(event).__name__}: {event}")
    assert not failures, "\n".join(failures)
    assert httpx.get(fuzz_server.base + "/api/auth/me", headers=fuzz_server.auth).status_code == 200
    # the links were followed, not just declared: episodes made, read and clipped, and the
    # clips then read, changed or deleted (which of the three varies with what the live
    # server answered, so any one will do)
    made = {"POST /api/episodes", "GET /api/episodes/{episode_id}", "POST /api/clips"}
    used = {
        "GET /api/clips/{share_id}",
        "PATCH /api/clips/{share_id}",
        "DELETE /api/clips/{share_id}",
    }
    assert made <= followed and used & followed, sorted(followed)
