"""The SSRF-safe fetcher against servers this file starts on 127.0.0.1 and 127.0.0.2.

No test talks to any other address: URLs that must be refused point at loopback too, so even a
broken check could only ever reach our own test servers (and each test checks they saw nothing).
"""

from __future__ import annotations

import hashlib
import http.server
import ipaddress
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpcore
import pytest

from soundbite.errors import FetchError, FetchRefused, TooLarge
from soundbite.ingest.fetch import FetchPolicy, download, fetch

pytestmark = pytest.mark.timeout(30)

FEED = b'<?xml version="1.0"?><rss><channel><title>Local</title></channel></rss>'
MEDIA = bytes(range(256)) * 4096  # 1 MiB, every offset distinguishable
MB = 1024 * 1024
PRIVATE = FetchPolicy(allow_private=True, timeout_s=5)
# Fixed answers: (status, body, headers). Content-Length is the true one unless given (None: none).
CANNED: dict[str, tuple[int, bytes, dict[str, str | None]]] = {
    "/loop": (302, b"", {"Location": "/loop"}),
    "/error": (500, b"boom", {}),
    "/declared-big": (200, b"x" * 10, {"Content-Length": str(10 * MB)}),  # a body that lies
    "/undeclared-big": (200, b"x" * 2 * MB, {"Content-Length": None}),  # HTTP/1.0: ends at close
    "/short-declared": (200, b"x" * MB, {"Content-Length": "5"}),
}


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str) -> None:
        super().__init__((host, 0), Handler)
        self.base = f"http://{host}:{self.server_address[1]}"
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.media, self.etag = MEDIA, '"m1"'
        self.fail_after: int | None = None  # close the next media response after N bytes
        self.ignore_range = False
        self.stop = threading.Event()


class Handler(http.server.BaseHTTPRequestHandler):
    server: Server

    def log_message(self, *args: object) -> None:
        pass

    def reply(self, status: int, body: bytes = b"", **headers: str | None) -> None:
        """Send a response; a Content_Length header replaces the true length, None omits it."""
        self.send_response(status)
        fields = {"Content-Length": str(len(body))}
        fields.update({name.replace("_", "-"): value for name, value in headers.items()})
        for name, value in fields.items():
            if value is not None:
                self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.requests.append((self.path, dict(self.headers)))
        path, _, query = self.path.partition("?")
        if path in CANNED:
            status, body, headers = CANNED[path]
            self.reply(status, body, **headers)
        else:
            getattr(self, "route_" + path.strip("/"), self.route_missing)(query)

    def route_missing(self, query: str) -> None:
        self.reply(404, b"no such route")

    def route_feed(self, query: str) -> None:
        if self.headers.get("If-None-Match") == '"v1"':
            self.reply(304, ETag='"v1"')
        else:
            self.reply(200, FEED, Content_Type="application/rss+xml", ETag='"v1"',
                       Last_Modified="Wed, 21 Oct 2015 07:28:00 GMT")  # fmt: skip

    def route_redirect(self, query: str) -> None:
        self.reply(302, Location=query)

    def route_slow(self, query: str) -> None:
        self.server.stop.wait(5)
        self.reply(200, b"late")

    def route_trickle(self, query: str) -> None:
        self.reply(200, b"", Content_Length="100")
        while not self.server.stop.wait(0.1) and self.wfile.write(b"x"):
            self.wfile.flush()

    def route_media(self, query: str) -> None:
        body, etag, start, status = self.server.media, self.server.etag, 0, 200
        wanted = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
        if_range = self.headers.get("If-Range")
        if wanted and not self.server.ignore_range and if_range in (None, etag):
            start, status = int(wanted[1]), 206
            if start >= len(body):
                self.reply(416, Content_Range=f"bytes */{len(body)}")
                return
        payload, cut, self.server.fail_after = body[start:], self.server.fail_after, None
        content_range = f"bytes {start}-{len(body) - 1}/{len(body)}" if status == 206 else None
        self.reply(status, payload[:cut], Content_Length=str(len(payload)), ETag=etag,
                   Content_Type="audio/mpeg", Content_Range=content_range)  # fmt: skip


def _serve(host: str) -> Iterator[Server]:
    server = Server(host)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield server
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    yield from _serve("127.0.0.1")


@pytest.fixture
def server2() -> Iterator[Server]:
    yield from _serve("127.0.0.2")


# --- what may be fetched ------------------------------------------------------------------


def test_loopback_is_refused_by_default_before_connecting(server: Server) -> None:
    with pytest.raises(FetchRefused, match=r"127\.0\.0\.1: it is a loopback address"):
        fetch(f"{server.base}/feed", FetchPolicy(), max_bytes=MB)
    assert server.requests == []


def test_loopback_is_fetched_when_private_networks_are_allowed(server: Server) -> None:
    result = fetch(f"{server.base}/feed", PRIVATE, max_bytes=MB)
    assert (result.status, result.content, result.not_modified) == (200, FEED, False)
    assert (result.url, result.content_type) == (f"{server.base}/feed", "application/rss+xml")
    assert (result.etag, result.last_modified) == ('"v1"', "Wed, 21 Oct 2015 07:28:00 GMT")
    assert server.requests[0][1]["User-Agent"].startswith("Soundbite/")


def test_redirect_to_a_refused_address_is_refused(server: Server, server2: Server) -> None:
    policy = FetchPolicy(allow_networks=("127.0.0.1/32",), timeout_s=5)
    url = f"{server.base}/redirect?{server2.base}/feed"
    with pytest.raises(FetchRefused, match=r"127\.0\.0\.2: it is a loopback address"):
        fetch(url, policy, max_bytes=MB)
    assert [path for path, _ in server.requests] == [f"/redirect?{server2.base}/feed"]
    assert server2.requests == []
    # Allowing the second address too, the same redirect is followed.
    both = FetchPolicy(allow_networks=("127.0.0.1/32", "127.0.0.2/32"), timeout_s=5)
    result = fetch(url, both, max_bytes=MB)
    assert (result.content, result.url) == (FEED, f"{server2.base}/feed")


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://127.0.0.1:{port}/feed", "gopher://127.0.0.1:{port}/feed",
     "javascript:alert(1)", "data:text/xml,<rss/>", "127.0.0.1:{port}/feed"],
)  # fmt: skip
def test_only_http_and_https(server: Server, url: str) -> None:
    port = server.server_address[1]
    with pytest.raises(FetchRefused, match="only http and https URLs can be fetched"):
        fetch(url.format(port=port), PRIVATE, max_bytes=MB)
    assert server.requests == []


def test_redirect_to_another_scheme_is_refused(server: Server) -> None:
    with pytest.raises(FetchRefused, match="redirected to file:/etc/passwd: only http"):
        fetch(f"{server.base}/redirect?file:///etc/passwd", PRIVATE, max_bytes=MB)


@pytest.mark.parametrize(
    "host",
    ["localhost", "2130706433", "127.1", "0x7f.0.0.1", "[::ffff:127.0.0.1]", "[::1]", "0.0.0.0"],
)
def test_names_and_spellings_of_local_addresses_are_refused(server: Server, host: str) -> None:
    with pytest.raises(FetchRefused, match="refusing to connect"):
        fetch(f"http://{host}:{server.server_address[1]}/feed", FetchPolicy(), max_bytes=MB)
    assert server.requests == []


def test_resolution_happens_once_at_connect_time(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What DNS answers when we connect is what we check: a rebinding name gets no second look.
    Fake DNS answers stand in for an attacker's; a guard fails any connect off loopback."""
    answers = {"rebind.test": ["127.0.0.1"], "mixed.test": ["8.8.8.8", "127.0.0.1"]}
    asked: list[str] = []
    real_resolve, real_connect = socket.getaddrinfo, httpcore.SyncBackend.connect_tcp

    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        if host not in answers:
            return real_resolve(host, port, *args, **kwargs)
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in answers[host]]

    def connect(backend: Any, host: str, *args: Any, **kwargs: Any) -> Any:
        assert ipaddress.ip_address(host).is_loopback, f"tried to connect to {host}"
        return real_connect(backend, host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", connect)
    port = server.server_address[1]
    with pytest.raises(FetchRefused, match=r"rebind\.test \(127\.0\.0\.1\): it is a loopback"):
        fetch(f"http://rebind.test:{port}/feed", FetchPolicy(), max_bytes=MB)
    # One refused answer refuses the host, though another answer is a public address.
    with pytest.raises(FetchRefused, match=r"mixed\.test \(127\.0\.0\.1\)"):
        fetch(f"http://mixed.test:{port}/feed", FetchPolicy(), max_bytes=MB)
    allowed = FetchPolicy(allow_networks=("127.0.0.1/32",))
    assert fetch(f"http://rebind.test:{port}/feed", allowed, max_bytes=MB).content == FEED
    assert asked == ["rebind.test", "mixed.test", "rebind.test"]  # once per connection
    assert server.requests[0][1]["Host"] == f"rebind.test:{port}"


def test_too_many_redirects(server: Server) -> None:
    policy = FetchPolicy(allow_private=True, max_redirects=3, timeout_s=5)
    with pytest.raises(FetchError, match="redirected more than 3 times"):
        fetch(f"{server.base}/loop", policy, max_bytes=MB)
    assert len(server.requests) == 4


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[Server, Path, list[str]]]:
    """An HTTPS server on 127.0.0.1 whose certificate names only "localhost"."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext",
         "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=20,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    sni: list[str] = []
    context.sni_callback = lambda sock, name, ctx: sni.append(name)
    for server in _serve("127.0.0.1"):
        server.socket = context.wrap_socket(server.socket, server_side=True)
        yield server, cert, sni


def test_tls_uses_the_hostname_though_we_connect_to_the_ip(
    tls_server: tuple[Server, Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, cert, sni = tls_server
    port = server.server_address[1]
    # The certificate is self-signed: verification must fail, after SNI named the host.
    with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED"):
        fetch(f"https://localhost:{port}/feed", PRIVATE, max_bytes=MB)
    assert sni == ["localhost"]
    # Trusted (as a self-hoster's internal CA would be), it is verified against "localhost".
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    assert fetch(f"https://localhost:{port}/feed", PRIVATE, max_bytes=MB).content == FEED
    # The same server by IP does not match the certificate's name: still refused.
    with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED"):
        fetch(f"https://127.0.0.1:{port}/feed", PRIVATE, max_bytes=MB)
    assert [path for path, _ in server.requests] == ["/feed"]


# --- size, status and time ----------------------------------------------------------------


@pytest.mark.parametrize("path", ["declared-big", "undeclared-big"])
def test_size_cap_with_and_without_content_length(server: Server, path: str) -> None:
    # declared-big sends only 10 of its 10 MB: refusing it means we trusted the header.
    with pytest.raises(TooLarge, match="larger than the limit of 1,048,576 bytes"):
        fetch(f"{server.base}/{path}", PRIVATE, max_bytes=MB)


def test_bytes_past_a_short_content_length_are_never_read(server: Server) -> None:
    assert fetch(f"{server.base}/short-declared", PRIVATE, max_bytes=100).content == b"xxxxx"


def test_conditional_get(server: Server) -> None:
    first = fetch(f"{server.base}/feed", PRIVATE, max_bytes=MB)
    validators = {"etag": first.etag, "last_modified": first.last_modified}
    again = fetch(f"{server.base}/feed", PRIVATE, max_bytes=MB, **validators)
    assert (again.status, again.not_modified, again.content) == (304, True, b"")
    assert (again.etag, again.last_modified) == (first.etag, first.last_modified)
    assert server.requests[1][1]["If-None-Match"] == '"v1"'
    assert server.requests[1][1]["If-Modified-Since"] == first.last_modified


@pytest.mark.parametrize("path", ["error", "missing"])
def test_http_errors(server: Server, path: str) -> None:
    status = "500" if path == "error" else "404"
    with pytest.raises(FetchError, match=f"answered HTTP {status}") as caught:
        fetch(f"{server.base}/{path}", PRIVATE, max_bytes=MB)
    assert not isinstance(caught.value, FetchRefused)


@pytest.mark.parametrize(
    ("path", "policy", "message"),
    [("slow", FetchPolicy(allow_private=True, timeout_s=0.5), r"did not answer within 0\.5 s"),
     ("trickle", FetchPolicy(allow_private=True, total_timeout_s=0.5), r"gave up .* after 0\.5 s")],
)  # fmt: skip
def test_silent_and_trickling_servers_time_out(
    server: Server, path: str, policy: FetchPolicy, message: str
) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match=message):
        fetch(f"{server.base}/{path}", policy, max_bytes=MB)
    assert time.monotonic() - started < 2


def test_refused_connection_is_a_fetch_error(server: Server) -> None:
    port = server.server_address[1]
    server.shutdown()
    server.server_close()
    with pytest.raises(FetchError, match="could not connect") as caught:
        fetch(f"http://127.0.0.1:{port}/feed", PRIVATE, max_bytes=MB)
    assert not isinstance(caught.value, FetchRefused)


# --- download -----------------------------------------------------------------------------


@pytest.fixture
def interrupted(server: Server, tmp_path: Path) -> Path:
    """Where a download broke off after 300,000 bytes; its .part file is waiting."""
    dest = tmp_path / "episode.mp3"
    server.fail_after = 300_000
    with pytest.raises(FetchError, match="broke off"):
        download(f"{server.base}/media", dest, PRIVATE, max_bytes=2 * MB)
    assert (tmp_path / "episode.mp3.part").stat().st_size == 300_000 and not dest.exists()
    return dest


def test_download_streams_hashes_and_reports_progress(server: Server, tmp_path: Path) -> None:
    percents: list[float] = []
    dest = tmp_path / "episode.mp3"
    got = download(
        f"{server.base}/media", dest, PRIVATE, max_bytes=2 * MB,
        progress=lambda percent, message: percents.append(percent),
    )  # fmt: skip
    assert got.sha256 == hashlib.sha256(MEDIA).hexdigest()
    assert (got.path, got.size, got.content_type) == (dest, len(MEDIA), "audio/mpeg")
    assert got.final_url == f"{server.base}/media"
    assert dest.read_bytes() == MEDIA
    assert list(tmp_path.iterdir()) == [dest]
    assert percents == sorted(percents) and percents[-1] == 100
    assert server.requests[0][1]["Accept-Encoding"] == "identity"


AFTER_INTERRUPTION = {
    # what changed on the server: (server attributes, final file, Range headers sent)
    "resumes": ({}, MEDIA, ["bytes=300000-"]),  # 206 from byte 300,000
    "server-ignores-range": ({"ignore_range": True}, MEDIA, ["bytes=300000-"]),  # 200: restart
    "file-changed": ({"media": MEDIA[::-1], "etag": '"m2"'}, MEDIA[::-1], ["bytes=300000-"]),
    "part-was-complete": ({"media": MEDIA[:300_000]}, MEDIA[:300_000], ["bytes=300000-"]),  # 416
    "file-shrank": ({"media": MEDIA[:1000]}, MEDIA[:1000], ["bytes=300000-", None]),  # 416, again
}


@pytest.mark.parametrize("case", AFTER_INTERRUPTION)
def test_download_after_an_interruption(server: Server, interrupted: Path, case: str) -> None:
    changes, expected, ranges = AFTER_INTERRUPTION[case]
    for name, value in changes.items():
        setattr(server, name, value)
    got = download(f"{server.base}/media", interrupted, PRIVATE, max_bytes=2 * MB)
    assert [headers.get("Range") for _, headers in server.requests[1:]] == ranges
    assert server.requests[1][1]["If-Range"] == '"m1"'  # the validator of the first response
    assert interrupted.read_bytes() == expected
    assert (got.sha256, got.size) == (hashlib.sha256(expected).hexdigest(), len(expected))
    assert got.content_type == "audio/mpeg"
    assert list(interrupted.parent.iterdir()) == [interrupted]  # no .part, no .part.json


def test_download_over_the_cap_leaves_nothing(server: Server, tmp_path: Path) -> None:
    dest = tmp_path / "episode.mp3"
    with pytest.raises(TooLarge):
        download(f"{server.base}/media", dest, PRIVATE, max_bytes=MB // 2)
    with pytest.raises(TooLarge):
        download(f"{server.base}/undeclared-big", dest, PRIVATE, max_bytes=MB)
    assert list(tmp_path.iterdir()) == []


def test_download_to_loopback_is_refused_by_default(server: Server, tmp_path: Path) -> None:
    with pytest.raises(FetchRefused):
        download(f"{server.base}/media", tmp_path / "x.mp3", FetchPolicy(), max_bytes=2 * MB)
    assert server.requests == [] and list(tmp_path.iterdir()) == []
