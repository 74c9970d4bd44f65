"""The render cache: each (media, span, profile) is encoded once, however many ask at once.

A render is stored in blob storage under a key made of its inputs (the media's SHA-256, the
span, the profile name; for a video also a digest of what its frames show), so it never goes
stale and any number of clips share it. Getting there
exactly once takes two guards:

- In this process, one ``Flight`` per key (a dict under a lock): the first request starts the
  render on the render pool, every later one waits on the same flight. The pool is bounded
  (``clip_render_workers``), so a burst of new clips queues instead of starting an encoder
  each and starving the web process of CPU.
- Across processes (several web processes, ``soundbite`` CLI commands, later other machines
  on PostgreSQL and S3), a row in ``clip_renders`` claimed atomically: insert (a second insert
  of the same key fails on the primary key) or take over a claim whose lease ran out (its
  holder died; ``SELECT … FOR UPDATE`` on PostgreSQL, the single writer on SQLite). A process
  that finds the claim held waits for the blob to appear in storage.

Streaming: an MP3 being encoded by this process is served while it grows, and it is already
the stored file's bytes. The render writes its Info/LAME header frame first, with the frame
count, byte count, encoder delay and padding worked out from the span, rate and bit rate
(``media/mp3_info.py``), and libmp3lame's frames follow with no header of their own; so the
final size is known before the first byte (``Flight.announced``), and the web layer sends
Content-Length, the ETag and the usual caching with it. Any range can be asked for mid-encode:
``Flight.read`` sends each byte once the encoder has written it (a reader waiting for bytes
gives up after ``STALL_S`` without progress), and the render fails loudly if the encoder's
output is not exactly the announced size. An M4A is served once finished (``+faststart``
moves its index to the front at the end).

Loudness: the render's gain comes from the episode's loudness blocks, measured once by the
peaks stage (``jobs/stages.py``, ``media/loudness.py``), so no loudness pass stands between the
request and the first encoded frame; episodes processed before those blocks existed fall back
to measuring the span.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO, Literal

from sqlalchemy.exc import IntegrityError
from starlette.concurrency import iterate_in_threadpool

from soundbite.context import Context
from soundbite.derived import RenderJob, load_seek_index, load_span_loudness
from soundbite.errors import MediaError
from soundbite.media.render import render_clip
from soundbite.media.video import render_video
from soundbite.store.base import as_utc, utcnow
from soundbite.store.blobs import media_key
from soundbite.store.clip_models import ClipRender
from soundbite.store.queue import worker_identity

log = logging.getLogger(__name__)

STALL_S = 60.0  # a reader waiting for bytes gives up when the encoder wrote none for this long
POLL_S = 0.05  # how often a process waiting on another one's render looks for the blob
READ_CHUNK = 64 * 1024
STORED_MEMO = 100_000  # render keys known to be stored (about 20 MB at most)
Claim = Literal["claimed", "busy", "done"]


class Flight:
    """One render under way in this process, and everyone waiting for it."""

    def __init__(self, job: RenderJob) -> None:
        self.job = job
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._generation = 0
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._path: Path | None = None  # the encoder's output while it may be read
        self.size: int | None = None
        self.announced: int | None = None  # the MP3's size, known before it is encoded
        self.progress = 0.0  # 0..1, reported by video renders (the share dialog shows it)
        self.error: BaseException | None = None

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    def growing(self, path: Path | None, size: int | None = None) -> None:
        """The encoder writes `path` now, `size` bytes in the end (None: it is about to move,
        stop opening it)."""
        with self._lock:
            self._path = path
            if size is not None:
                self.announced = size
        self.notify()

    def advance(self, done: float) -> None:
        self.progress = done
        self.notify()

    def notify(self) -> None:
        with self._lock:
            self._generation += 1
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            loop.call_soon_threadsafe(_resolve, future)

    def finish(self, size: int | None, error: BaseException | None = None) -> None:
        self.size, self.error = size, error
        with self._lock:
            self._path = None
            self._done.set()
        self.notify()

    def wait(self, timeout: float | None = None) -> int:
        if not self._done.wait(timeout):
            raise MediaError(f"the clip was not rendered within {timeout:.0f} s")
        return self._result()

    async def wait_async(self) -> int:
        while not self.finished:
            await self._changed(self._generation)
        return self._result()

    def _result(self) -> int:
        if self.error is not None:
            raise self.error
        assert self.size is not None
        return self.size

    async def _changed(self, seen: int) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if self._generation != seen or self._done.is_set():
                return
            self._waiters.append((loop, future))
        await future

    def _open_growing(self) -> BinaryIO | None:
        with self._lock:
            if self._path is None or self._done.is_set():
                return None
            try:
                return self._path.open("rb")
            except FileNotFoundError:
                # moved into storage a moment before the flight is marked done (seen under
                # load in the authorization matrix): the caller waits and reads it from there
                return None

    async def growing_file(self) -> BinaryIO | None:
        """The encoder's output opened for reading as soon as this process starts encoding,
        or None once the render is finished (or was done by another process)."""
        while not self.finished:
            seen = self._generation
            f = self._open_growing()
            if f is not None:
                return f
            await self._changed(seen)
        return None

    async def planned_size(self) -> int | None:
        """The MP3's final size as soon as this process knows it (before its first byte is
        encoded), or None once the render is finished without it (done by another process)."""
        while not self.finished:
            seen = self._generation
            if self.announced is not None:
                return self.announced
            await self._changed(seen)
        return self.announced if self.error is None else None

    async def read(
        self, start: int, end: int, stored: Callable[[int, int], Iterator[bytes]]
    ) -> AsyncIterator[bytes]:
        """Bytes start..end (inclusive) of the render, each as soon as the encoder has written
        it; from `stored` (blob storage) if the render was finished before this began."""
        f = await self.growing_file()
        if f is None:
            await self.wait_async()
            async for chunk in iterate_in_threadpool(stored(start, end)):
                yield chunk
            return
        try:
            pos = start
            f.seek(pos)
            while pos <= end:
                seen, done = self._generation, self.finished
                data = f.read(min(READ_CHUNK, end + 1 - pos))
                if data:
                    pos += len(data)
                    yield data
                elif done:  # the descriptor outlives the move into storage: all bytes are here
                    if self.error is not None:
                        raise self.error
                    raise MediaError(f"the render ended at byte {pos}, before byte {end}")
                else:
                    try:
                        await asyncio.wait_for(self._changed(seen), STALL_S)
                    except TimeoutError as e:
                        raise MediaError(f"the render wrote nothing for {STALL_S:.0f} s") from e
        finally:
            f.close()


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class RenderCache:
    """Renders in this process. The composition root makes one per instance
    (``Soundbite.renders``), so every request in a process shares its flights."""

    def __init__(self, app: Context, *, workers: int, lease_s: float) -> None:
        self.app = app
        self.lease = timedelta(seconds=lease_s)
        self.holder = worker_identity(f"render-{id(self):x}")
        self.encodes = 0  # encodes this process ran: what tests and the bench count
        self._flights: dict[str, Flight] = {}
        self._stored: dict[str, int] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="clip-render")
        self._scratch = app.settings.cache_dir / "renders"
        self._scratch.mkdir(parents=True, exist_ok=True)

    def stored_size(self, job: RenderJob) -> int | None:
        """The render's size if it is in storage. Renders never change once stored, so the
        answer is remembered: a cached clip costs no storage call (an S3 HEAD) per request."""
        size = self._stored.get(job.key)
        if size is None and self.app.storage.exists(job.key):
            size = self._remember(job.key, self.app.storage.size(job.key))
        return size

    def known_size(self, job: RenderJob) -> int | None:
        """The size if this process already knows the render is stored (no I/O)."""
        return self._stored.get(job.key)

    def _remember(self, key: str, size: int) -> int:
        with self._lock:
            if len(self._stored) >= STORED_MEMO:
                self._stored.pop(next(iter(self._stored)))
            self._stored[key] = size
        return size

    def start(self, job: RenderJob) -> Flight | None:
        """The flight rendering `job` (started now if nobody had), or None if it is stored."""
        if self.stored_size(job) is not None:
            return None
        with self._lock:
            flight = self._flights.get(job.key)
            if flight is None:
                flight = self._flights[job.key] = Flight(job)
                self._pool.submit(self._run, flight)
        return flight

    def flight(self, job: RenderJob) -> Flight | None:
        """The flight rendering `job` in this process, if one is under way (no I/O)."""
        with self._lock:
            return self._flights.get(job.key)

    def render(self, job: RenderJob, timeout: float | None = None) -> int:
        """Render `job` if it is not stored yet, waiting for it; returns its size in bytes."""
        flight = self.start(job)
        if flight is None:
            return self.app.storage.size(job.key)
        return flight.wait(timeout or self.lease.total_seconds())

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, flight: Flight) -> None:
        key = flight.job.key
        try:
            size = self._claim_and_render(flight)
        except BaseException as exc:
            log.warning("rendering %s failed: %s", key, exc)
            flight.finish(None, exc)
        else:
            self._remember(key, size)
            flight.finish(size)
        finally:
            with self._lock:
                self._flights.pop(key, None)

    def _claim_and_render(self, flight: Flight) -> int:
        key = flight.job.key
        deadline = time.monotonic() + 2 * self.lease.total_seconds()
        while time.monotonic() < deadline:
            state = self._claim(key)
            if state == "claimed":
                try:
                    return self._encode(flight)
                except BaseException:
                    self._release(key)
                    raise
            if state == "done" or self.app.storage.exists(key):
                return self.app.storage.size(key)
            time.sleep(POLL_S)  # another process is rendering it
        raise MediaError("the clip's render did not finish in time")

    def _claim(self, key: str) -> Claim:
        now = utcnow()
        try:
            with self.app.db.write() as s:
                row = s.get(ClipRender, key, with_for_update=True)
                if row is None:
                    expires = now + self.lease
                    s.add(
                        ClipRender(
                            key=key,
                            state="rendering",
                            holder=self.holder,
                            lease_expires_at=expires,
                            created_at=now,
                            updated_at=now,
                        )
                    )
                    return "claimed"
                if row.state == "done" and self.app.storage.exists(key):
                    return "done"
                if row.state == "rendering" and as_utc(row.lease_expires_at) > now:
                    return "busy"
                row.state, row.holder, row.attempts = "rendering", self.holder, row.attempts + 1
                row.lease_expires_at, row.updated_at = now + self.lease, now
                return "claimed"
        except IntegrityError:
            return "busy"  # another process inserted the same key a moment before us

    def _release(self, key: str) -> None:
        with contextlib.suppress(Exception), self.app.db.write() as s:
            row = s.get(ClipRender, key)
            if row is not None and row.holder == self.holder and row.state == "rendering":
                s.delete(row)

    def _encode(self, flight: Flight) -> int:
        job = flight.job
        fd, name = tempfile.mkstemp(dir=self._scratch, suffix=f".{job.profile.format}")
        os.close(fd)
        out = Path(name)
        try:
            with self.app.storage.decodable(media_key(job.media_sha256)) as src:
                # an MP3's seek points: decoding starts at the one before the span, in a
                # ranged S3 stream (no read of the episode up to it) as in a local file
                seek_index = load_seek_index(self.app.storage, job.media_sha256)
                # None for episodes processed before the peaks stage measured loudness blocks:
                # the render then measures the span itself
                loudness = load_span_loudness(
                    self.app.storage, job.media_sha256, job.start_ms, job.end_ms
                )
                if job.video is not None:
                    art, logo = job.video.artwork_key, job.video.logo_key
                    render_video(
                        src,
                        job.start_ms,
                        job.end_ms,
                        out,
                        job.profile,
                        job.video,
                        self.app.storage.get_bytes(art) if art else None,
                        logo=self.app.storage.get_bytes(logo) if logo else None,
                        on_progress=flight.advance,
                        seek_index=seek_index,
                        loudness=loudness,
                    )
                else:
                    render_clip(
                        src,
                        job.start_ms,
                        job.end_ms,
                        out,
                        job.profile,
                        on_output=flight.notify,
                        on_size=lambda size: flight.growing(out, size),
                        seek_index=seek_index,
                        loudness=loudness,
                    )
            with self._lock:
                self.encodes += 1
            flight.growing(None)
            size = out.stat().st_size
            self.app.storage.put_file(job.key, out, move=True)
        finally:
            out.unlink(missing_ok=True)
        with self.app.db.write() as s:
            row = s.get_one(ClipRender, job.key)
            row.state, row.size, row.updated_at = "done", size, utcnow()
        return size
