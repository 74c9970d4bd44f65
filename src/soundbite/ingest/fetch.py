"""Fetching user-supplied URLs without becoming a proxy into our own network (SSRF).

The address check happens where the connection is made, not where the URL is read. A custom
httpcore network backend resolves the hostname itself, refuses the whole host if any of its
addresses is not allowed (`ingest/addresses.py`), and then connects to one of the addresses it
checked, by IP literal. Checking a URL up front and letting the HTTP library resolve it again
would lose to DNS rebinding (a name that answers 8.8.8.8 to the check and 127.0.0.1 to the
connect). TLS is unaffected: httpcore starts TLS on the returned stream with the URL's hostname
as SNI and for certificate verification (`HTTPConnection._connect` passes `server_hostname`).

Redirects are followed by hand, so that every hop passes the scheme check as well as the
connect-time check, and the hop count is capped. Proxies and .netrc from the environment are
ignored (`trust_env=False`): a proxy would make the connect-time check meaningless. The CA
bundle does follow SSL_CERT_FILE / SSL_CERT_DIR, for self-hosters with an internal CA.

Time: `timeout_s` bounds each phase (connect, every read and write), which stops a dead server;
`total_timeout_s` bounds a whole call, which stops a server that trickles one byte at a time.
Size: the body is counted while it streams and refused past `max_bytes` (early, when
Content-Length already says so). `download` keeps its partial file on network errors and on
running out of time, so the next call resumes with a Range request.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import ipaddress
import json
import os
import re
import socket
import ssl
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpcore
import httpx

from soundbite.domain.progress import ProgressFn, no_progress
from soundbite.errors import FetchError, FetchRefused, TooLarge
from soundbite.ingest.addresses import IPNetwork, refusal_reason


@dataclass(frozen=True)
class FetchPolicy:
    """What the fetcher may connect to and how long it may take.

    FetchPolicy()                                    # public internet only
    FetchPolicy(allow_private=True)                  # a self-hoster's LAN too
    FetchPolicy(allow_networks=("10.0.5.0/24",))     # just that network
    """

    allow_private: bool = False
    allow_networks: Sequence[IPNetwork | str] = ()
    timeout_s: float = 30
    total_timeout_s: float | None = 300
    max_redirects: int = 5
    user_agent: str = "Soundbite/0.1 (+https://github.com/soundbite)"

    def __post_init__(self) -> None:
        networks = tuple(ipaddress.ip_network(n) for n in self.allow_networks)
        object.__setattr__(self, "allow_networks", networks)

    def refusal(self, ip: str) -> str | None:
        networks = cast(tuple[IPNetwork, ...], self.allow_networks)  # see __post_init__
        return refusal_reason(ip, allow_private=self.allow_private, allow_networks=networks)


@dataclass(frozen=True)
class FetchResult:
    status: int
    content: bytes
    url: str  # after redirects
    content_type: str | None
    etag: str | None
    last_modified: str | None
    not_modified: bool = False


@dataclass(frozen=True)
class Download:
    path: Path
    sha256: str
    size: int
    content_type: str | None
    final_url: str


class _GuardedBackend(httpcore.SyncBackend):
    def __init__(self, policy: FetchPolicy) -> None:
        self._policy = policy

    def connect_tcp(  # type: ignore[override]  # httpcore calls it with keywords only
        self, host: str, port: int, timeout: float | None = None, **options: Any
    ) -> httpcore.NetworkStream:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        ips = list(dict.fromkeys(str(info[4][0]) for info in infos))
        for ip in ips:
            # One bad address refuses the host: an attacker's DNS could list a public and a
            # private address and hope we fall through to the second.
            if reason := self._policy.refusal(ip):
                shown = host if host == ip else f"{host} ({ip})"
                raise FetchRefused(
                    f"refusing to connect to {shown}: it is {reason}; private and local "
                    "addresses can only be fetched if an administrator allows them"
                )
        error: Exception = httpcore.ConnectError(f"{host} has no addresses")
        for ip in ips:
            try:
                return super().connect_tcp(ip, port, timeout, **options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error


@functools.lru_cache(maxsize=4)
def _ssl_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    return httpx.create_ssl_context()  # certifi's CAs, or SSL_CERT_FILE / SSL_CERT_DIR's


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self, policy: FetchPolicy) -> None:
        context = _ssl_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
        super().__init__(verify=context, trust_env=False)
        # httpx builds its pool without a way to pass a network backend, so we replace it.
        # Fail loudly if httpx's internals change, rather than silently fetching unguarded.
        if not isinstance(getattr(self, "_pool", None), httpcore.ConnectionPool):
            raise RuntimeError("httpx.HTTPTransport internals changed; cannot guard fetches")
        self._pool = httpcore.ConnectionPool(
            ssl_context=context, network_backend=_GuardedBackend(policy)
        )


def _checked_url(url: str, redirected_from: httpx.URL | None = None) -> httpx.URL:
    try:
        parsed = redirected_from.join(url) if redirected_from else httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError) as exc:
        raise FetchRefused(f"not a valid URL: {url!r}") from exc
    prefix = f"{redirected_from} redirected to {parsed}: " if redirected_from else ""
    if parsed.scheme not in ("http", "https"):
        raise FetchRefused(f"{prefix}only http and https URLs can be fetched")
    if not parsed.host:
        raise FetchRefused(f"{prefix}the URL has no host")
    return parsed


class _Call:
    """One fetch() or download(): its client, its deadline and its error messages."""

    def __init__(self, url: str, policy: FetchPolicy) -> None:
        self.url, self.policy, self.first_url = url, policy, _checked_url(url)
        total = policy.total_timeout_s
        self.end = None if total is None else time.monotonic() + total
        self.client = httpx.Client(
            transport=_GuardedTransport(policy),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": policy.user_agent},
        )

    def check_time(self) -> None:
        if self.end is not None and time.monotonic() > self.end:
            raise FetchError(f"gave up on {self.url} after {self.policy.total_timeout_s:g} s")

    def _timeout(self) -> httpx.Timeout:
        self.check_time()
        left = self.policy.timeout_s if self.end is None else self.end - time.monotonic()
        return httpx.Timeout(max(0.001, min(self.policy.timeout_s, left)))

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        """Close the client, and turn httpx's exceptions into ours with messages to act on."""
        try:
            with self.client:
                yield
        except httpx.TimeoutException as exc:
            self.check_time()
            message = f"{self.url} did not answer within {self.policy.timeout_s:g} s"
            raise FetchError(message) from exc
        except httpx.ConnectError as exc:
            raise FetchError(f"could not connect for {self.url}: {exc}") from exc
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise FetchError(f"the connection broke off while fetching {self.url}: {exc}") from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"fetching {self.url} failed: {exc}") from exc

    @contextlib.contextmanager
    def get(self, headers: dict[str, str], ok: int = 200) -> Iterator[httpx.Response]:
        """GET, following redirects by hand; yields the final response if it is no error (or
        is `ok`, an error status the caller handles). Credentials in a URL never follow a
        redirect to another host: httpx builds Basic auth from each hop's own URL.
        """
        current = self.first_url
        for _ in range(self.policy.max_redirects + 1):
            request = self.client.build_request(
                "GET", current, headers=headers, timeout=self._timeout()
            )
            response = self.client.send(request, stream=True)
            if not response.has_redirect_location:
                try:
                    if response.status_code >= 400 and response.status_code != ok:
                        status = f"{response.status_code} {response.reason_phrase}".strip()
                        raise FetchError(f"{response.url} answered HTTP {status}")
                    yield response
                finally:
                    response.close()
                return
            response.close()
            current = _checked_url(response.headers["location"], current)
        raise FetchError(f"{self.url} redirected more than {self.policy.max_redirects} times")


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


def _too_large(url: object, max_bytes: int) -> TooLarge:
    return TooLarge(f"{url} is larger than the limit of {max_bytes:,} bytes")


def fetch(
    url: str,
    policy: FetchPolicy,
    *,
    max_bytes: int,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FetchResult:
    """GET a small document (a feed, a chapters file) into memory, conditionally if asked.

    Pass the `etag` / `last_modified` of the previous result to get `not_modified=True` and no
    content when the server says nothing changed (HTTP 304).
    """
    validators = (("If-None-Match", etag), ("If-Modified-Since", last_modified))
    headers = {name: value for name, value in validators if value}
    call = _Call(url, policy)
    with call.errors(), call.get(headers) as response:
        unchanged = response.status_code == 304  # it may omit validators: keep those we sent
        return FetchResult(
            status=response.status_code,
            content=b"" if unchanged else _read_capped(response, max_bytes, call),
            url=str(response.url),
            content_type=response.headers.get("content-type"),
            etag=response.headers.get("etag", etag if unchanged else None),
            last_modified=response.headers.get(
                "last-modified", last_modified if unchanged else None
            ),
            not_modified=unchanged,
        )


def _read_capped(response: httpx.Response, max_bytes: int, call: _Call) -> bytes:
    if (_content_length(response) or 0) > max_bytes:
        raise _too_large(response.url, max_bytes)
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise _too_large(response.url, max_bytes)
        call.check_time()
    return bytes(body)


# --- download: resumable, streamed to disk ------------------------------------------------

_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)")
_MAX_REQUESTS = 8  # restarts after a stale part, or continuing after short 206 answers


@dataclass
class _Part:
    """The partial file on disk (`dest`.part), and where its bytes came from (`dest`.part.json)."""

    dest: Path
    url: str
    max_bytes: int
    progress: ProgressFn
    size: int = 0
    hasher: Any = field(default_factory=hashlib.sha256)
    validator: str | None = None  # for If-Range: a strong ETag or a Last-Modified date
    content_type: str | None = None

    def __post_init__(self) -> None:
        self.path = self.dest.with_name(self.dest.name + ".part")
        self.info_path = self.dest.with_name(self.dest.name + ".part.json")
        try:
            info = json.loads(self.info_path.read_text())
        except (OSError, ValueError):
            info = {}
        if not self.path.exists() or info.get("url") != self.url:
            self.discard()  # bytes of unknown origin cannot be resumed
            return
        self.validator, self.content_type = info.get("validator"), info.get("content_type")
        with self.path.open("rb") as f:
            while chunk := f.read(1024 * 1024):
                self.hasher.update(chunk)
                self.size += len(chunk)

    def restart(self, response: httpx.Response) -> None:
        self.size, self.hasher = 0, hashlib.sha256()
        etag = response.headers.get("etag", "")
        strong = etag if etag and not etag.startswith("W/") else None
        self.validator = strong or response.headers.get("last-modified")
        self.content_type = response.headers.get("content-type")
        self.path.write_bytes(b"")
        info = {"url": self.url, "validator": self.validator, "content_type": self.content_type}
        self.info_path.write_text(json.dumps(info))

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
        self.info_path.unlink(missing_ok=True)
        self.size, self.hasher = 0, hashlib.sha256()

    def refuse_if_over(self, size: int | None, url: object) -> None:
        if size is not None and size > self.max_bytes:
            self.discard()
            raise _too_large(url, self.max_bytes)

    def append(self, response: httpx.Response, total: int | None, call: _Call) -> None:
        reported = -1.0  # percent, or MB when the total is unknown; reported about every 1
        with self.path.open("ab") as out:
            for chunk in response.iter_raw():  # as received: a broken-off read keeps every byte
                self.refuse_if_over(self.size + len(chunk), response.url)
                out.write(chunk)
                self.hasher.update(chunk)
                self.size += len(chunk)
                done = 100 * self.size / total if total else self.size / 1e6
                if done - reported >= 1:
                    reported = done
                    of = f" of {total / 1e6:.1f}" if total else ""
                    percent = min(done, 100.0) if total else 0.0
                    self.progress(percent, f"downloaded {self.size / 1e6:.1f}{of} MB")
                call.check_time()

    def finish(self, response: httpx.Response) -> Download:
        self.path.replace(self.dest)
        self.info_path.unlink(missing_ok=True)
        self.progress(100.0, f"downloaded {self.size / 1e6:.1f} MB")
        sha256, final_url = self.hasher.hexdigest(), str(response.url)
        return Download(self.dest, sha256, self.size, self.content_type, final_url)


def _content_range(response: httpx.Response) -> tuple[int | None, int | None]:
    """(first byte, complete length) from Content-Range; None where absent or unknown."""
    match = _CONTENT_RANGE.fullmatch(response.headers.get("content-range", "").strip())
    first, _, total = match.groups() if match else (None, None, None)
    return (int(first) if first else None), (int(total) if total and total != "*" else None)


def download(
    url: str,
    dest: Path,
    policy: FetchPolicy,
    *,
    max_bytes: int,
    progress: ProgressFn = no_progress,
) -> Download:
    """Stream `url` into `dest`, hashing as it goes; resume from `dest`.part if one is there.

    Resuming sends `Range: bytes=N-` with `If-Range` (the validator of the response that
    started the file), so a changed file is sent whole instead of being spliced onto old bytes.
    The partial file is deleted when the size cap refuses it, and kept on any other failure.
    """
    call = _Call(url, policy)  # refuses a bad URL before we touch any file
    with call.errors():
        part = _Part(dest, url, max_bytes, progress)
        for _ in range(_MAX_REQUESTS):
            headers = {"Accept-Encoding": "identity"}  # byte offsets must mean stored bytes
            if part.size:
                headers["Range"] = f"bytes={part.size}-"
                if part.validator:
                    headers["If-Range"] = part.validator
            with call.get(headers, ok=416 if part.size else 200) as response:
                first, total = _content_range(response)
                if response.status_code == 416:
                    if total == part.size:  # we already had every byte
                        return part.finish(response)
                    part.discard()  # shorter than our part: the file changed
                    continue
                partial = response.status_code == 206
                if partial and first not in (part.size, 0):
                    raise FetchError(f"{response.url} sent a range we did not ask for")
                if not partial or first == 0:
                    # A whole file: the server ignored Range, or If-Range found it changed.
                    part.restart(response)
                    total = total if partial else _content_length(response)
                part.refuse_if_over(total, response.url)
                part.append(response, total, call)
                if total is None or part.size >= total:
                    return part.finish(response)
        raise FetchError(f"could not complete the download of {url}")
