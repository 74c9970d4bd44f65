"""Blobs in an S3 bucket (AWS, SeaweedFS, MinIO, R2…): the scale-out store.

Why it looks like this:

- boto3's managed transfer uploads large files in parallel parts (multipart above
  ``multipart_threshold``), so an hour of audio is not one long PUT that restarts from zero.
- ``open`` returns a seekable stream that reads by ranged GETs in windows that double while
  reading goes forward and shrink again after a seek. A Range request or a clip render that
  seeks into an episode therefore fetches the bytes it reads and a window around them, never
  the whole episode.
- ``local_path`` is for tools that need a file (probe, peaks, Whisper): it downloads once into
  a local cache keyed by blob key and evicts least-recently-used files over a size cap. Keys
  name content, so a cached file is never stale.
- botocore's ``standard`` retry mode retries throttling, 5xx and connection errors with
  exponential backoff and jitter. When the attempts run out the caller gets
  :class:`StorageUnavailable` (HTTP 503 "try again") rather than a botocore traceback; a
  missing key is :class:`~soundbite.errors.NotFound` as in ``LocalStorage``.
- Nothing here talks to S3 at construction, so a web process starts (and serves what does
  not need media) while S3 is down.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from soundbite.domain.media import MediaSource
from soundbite.errors import NotFound, StorageMisconfigured, StorageUnavailable
from soundbite.store.blobs.base import CHUNK, BlobStorage

MIB = 1024 * 1024
MIN_WINDOW = 256 * 1024
MAX_WINDOW = 8 * MIB
# a file used this recently may be open in another process sharing the cache: keep it
EVICT_GRACE_S = 120.0
_MISSING = {"NoSuchKey", "404", "NotFound"}
_TRANSIENT = {"SlowDown", "ServiceUnavailable", "RequestTimeout", "InternalError", "503", "500"}


@dataclass(frozen=True, slots=True)
class S3Options:
    """Where the bucket is and how hard to try.

    >>> S3Options(bucket="media", endpoint_url="http://127.0.0.1:8333", cache_dir=Path("/tmp/c"))
    """

    bucket: str
    cache_dir: Path
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    multipart_threshold: int = 64 * MIB
    multipart_chunksize: int = 16 * MIB
    max_attempts: int = 4
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 30.0
    cache_max_bytes: int = 2048 * MIB


class S3Storage(BlobStorage):
    def __init__(self, options: S3Options) -> None:
        self.options = options
        self.bucket = options.bucket
        self._prefix = options.prefix.strip("/") + "/" if options.prefix.strip("/") else ""
        session = boto3.session.Session(
            aws_access_key_id=options.access_key_id,
            aws_secret_access_key=options.secret_access_key,
            region_name=options.region or ("us-east-1" if options.endpoint_url else None),
        )
        self.client: Any = session.client(
            "s3",
            endpoint_url=options.endpoint_url,
            config=Config(
                signature_version="s3v4",
                retries={"total_max_attempts": options.max_attempts, "mode": "standard"},
                connect_timeout=options.connect_timeout_s,
                read_timeout=options.read_timeout_s,
                max_pool_connections=32,
                # virtual-host addressing needs DNS per bucket, which self-hosted stores lack
                s3={"addressing_style": "path" if options.endpoint_url else "auto"},
                # S3-compatible stores do not all accept the newer default CRC checksums
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )
        self._transfer = TransferConfig(
            multipart_threshold=options.multipart_threshold,
            multipart_chunksize=options.multipart_chunksize,
            max_concurrency=4,
        )
        self.cache_dir = options.cache_dir
        self._lock = threading.Lock()
        self.bytes_downloaded = 0  # counted for tests and `soundbite bench`

    # --- keys, errors -------------------------------------------------------------------
    def object_key(self, key: str) -> str:
        if key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"blob key escapes the store: {key!r}")
        return self._prefix + key

    @contextmanager
    def _errors(self, key: str) -> Iterator[None]:
        try:
            yield
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            if code in _MISSING or (status == 404 and code != "NoSuchBucket"):
                raise NotFound(f"blob {key} is missing from the store") from None
            if code in _TRANSIENT or status >= 500:
                raise StorageUnavailable(
                    f"storage unavailable ({code or status}), try again shortly"
                ) from exc
            raise StorageMisconfigured(
                f"the S3 store refused the request for {key} ({code}: "
                f"{error.get('Message', '')}); check the bucket and credentials settings"
            ) from exc
        except BotoCoreError as exc:
            # connection refused or reset, timeouts, a body cut short: after botocore's retries
            raise StorageUnavailable(
                f"storage unavailable ({type(exc).__name__}), try again shortly"
            ) from exc

    def _count(self, n: int) -> None:
        with self._lock:
            self.bytes_downloaded += n

    # --- the BlobStorage interface ------------------------------------------------------
    def put_file(self, key: str, src: Path, *, move: bool = False) -> None:
        if not self.exists(key):  # content-addressed: a key present is the same bytes
            with self._errors(key):
                self.client.upload_file(
                    str(src), self.bucket, self.object_key(key), Config=self._transfer
                )
        if move:
            # the next stage usually needs this very file (probe, peaks): keep it as cache
            self._adopt_into_cache(key, src)

    def put_bytes(self, key: str, data: bytes) -> None:
        with self._errors(key):
            self.client.put_object(Bucket=self.bucket, Key=self.object_key(key), Body=data)

    def get_bytes(self, key: str) -> bytes:
        with self._errors(key):
            body = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))["Body"]
            data: bytes = body.read()
        self._count(len(data))
        return data

    def open(self, key: str) -> BinaryIO:
        raw = RangedReader(self, key, self.size(key))
        return cast(BinaryIO, io.BufferedReader(raw, buffer_size=64 * 1024))

    def iter_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        # one GET for the whole range: the web layer already asked for exactly these bytes
        with self._errors(key):
            body = self._get_range(key, start, end)
            try:
                while chunk := body.read(CHUNK):
                    self._count(len(chunk))
                    yield chunk
            finally:
                body.close()

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        path = self._cache_path(key)
        if self._cache_hit(path):
            yield path
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".download-")
        os.close(fd)
        try:
            with self._errors(key):
                self.client.download_file(
                    self.bucket, self.object_key(key), tmp, Config=self._transfer
                )
            self._count(Path(tmp).stat().st_size)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._evict(keep=path)
        yield path

    @contextmanager
    def decodable(self, key: str) -> Iterator[MediaSource]:
        # A render seeks to its span: with an index (MP4, FLAC, WAV, Ogg) that is a few
        # windows of the object, not the episode; an MP3 from the seek points its probe
        # stored (media/seeking.py)
        path = self._cache_path(key)
        if self._cache_hit(path):
            yield path
            return
        with self.open(key) as stream:
            yield stream

    def exists(self, key: str) -> bool:
        try:
            self._head(key)
        except NotFound:
            return False
        return True

    def size(self, key: str) -> int:
        return int(self._head(key)["ContentLength"])

    def delete(self, key: str) -> None:
        with self._errors(key):
            self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))
        self._cache_path(key).unlink(missing_ok=True)

    def presigned_url(
        self,
        key: str,
        expires_s: int,
        *,
        content_type: str | None = None,
        content_disposition: str | None = None,
    ) -> str:
        """A presigned GET URL, valid for ``expires_s`` seconds (signed locally: no request)."""
        params: dict[str, str] = {"Bucket": self.bucket, "Key": self.object_key(key)}
        if content_type:
            params["ResponseContentType"] = content_type
        if content_disposition:
            params["ResponseContentDisposition"] = content_disposition
        url: str = self.client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=expires_s
        )
        return url

    def ensure_bucket(self) -> None:
        """Create the bucket if it is missing (tests, `soundbite cluster`; production makes it)."""
        with self._errors(self.bucket):
            try:
                self.client.head_bucket(Bucket=self.bucket)
            except ClientError as exc:
                if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 404:
                    raise
                self.client.create_bucket(Bucket=self.bucket)

    # --- internals ----------------------------------------------------------------------
    def _head(self, key: str) -> dict[str, Any]:
        with self._errors(key):
            head: dict[str, Any] = self.client.head_object(
                Bucket=self.bucket, Key=self.object_key(key)
            )
            return head

    def _get_range(self, key: str, start: int, end: int) -> Any:
        return self.client.get_object(
            Bucket=self.bucket, Key=self.object_key(key), Range=f"bytes={start}-{end}"
        )["Body"]

    def _cache_path(self, key: str) -> Path:
        return self.cache_dir / self.object_key(key)

    @staticmethod
    def _cache_hit(path: Path) -> bool:
        if not path.exists():
            return False
        os.utime(path)  # most recently used: what eviction keeps
        return True

    def _adopt_into_cache(self, key: str, src: Path) -> None:
        dest = self._cache_path(key)
        if self.options.cache_max_bytes <= 0 or dest.exists():
            src.unlink(missing_ok=True)
            return
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".incoming-")
        os.close(fd)
        try:
            shutil.move(src, tmp)
            os.replace(tmp, dest)
        except OSError:
            Path(tmp).unlink(missing_ok=True)
            src.unlink(missing_ok=True)
            return
        self._evict(keep=dest)

    def _evict(self, keep: Path) -> None:
        """Drop least-recently-used cache files until the cache fits its cap."""
        files = []
        for p in self.cache_dir.rglob("*"):
            if p.is_file() and not p.name.startswith("."):
                try:
                    st = p.stat()
                except FileNotFoundError:
                    continue  # another process evicted it meanwhile
                files.append((st.st_mtime, st.st_size, p))
        total = sum(size for _, size, _ in files)
        cutoff = time.time() - EVICT_GRACE_S
        for mtime, size, p in sorted(files):
            if total <= self.options.cache_max_bytes:
                break
            if p == keep or mtime > cutoff:
                continue
            p.unlink(missing_ok=True)
            total -= size


class RangedReader(io.RawIOBase):
    """A seekable read-only view of one object, fetched by ranged GETs.

    Reading forward continues the open response and doubles the next window (up to 8 MiB) so
    a sequential read costs few requests; a seek drops the response and starts small again.
    """

    def __init__(self, storage: S3Storage, key: str, size: int) -> None:
        self._storage, self._key, self.size = storage, key, size
        self._pos = 0
        self._body: Any = None
        self._body_end = 0  # exclusive end of the window the open body covers
        self._window = MIN_WINDOW

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        target = max(0, base + offset)
        if target != self._pos:
            self._drop()
            self._window = MIN_WINDOW
            self._pos = target
        return self._pos

    def readinto(self, buffer: Any) -> int:
        if self._pos >= self.size:
            return 0
        with self._storage._errors(self._key):
            if self._body is None or self._pos >= self._body_end:
                if self._body is not None:
                    self._window = min(self._window * 2, MAX_WINDOW)
                self._drop()
                end = min(self.size, self._pos + self._window)
                self._body = self._storage._get_range(self._key, self._pos, end - 1)
                self._body_end = end
            want = min(len(buffer), self._body_end - self._pos)
            data = self._body.read(want)
        if not data:
            raise StorageUnavailable("storage closed the connection early, try again shortly")
        n = len(data)
        buffer[:n] = data
        self._pos += n
        self._storage._count(n)
        return n

    def close(self) -> None:
        self._drop()
        super().close()

    def _drop(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None
