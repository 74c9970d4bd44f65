"""The blob storage interface.

Keys are relative paths such as ``media/ab/abcdef…`` (original media, named by SHA-256) or
``derived/peaks/<sha256>-100.dat`` (made from a media file, named by what it was made from).
Because a key names its content, a blob is written once and never changed: writers may race,
and the loser's write is a harmless no-op.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO

from soundbite.domain.media import MediaSource

CHUNK = 1024 * 1024


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def media_key(sha256: str) -> str:
    return f"media/{sha256[:2]}/{sha256}"


def derived_key(kind: str, source_sha256: str, variant: str) -> str:
    return f"derived/{kind}/{source_sha256[:2]}/{source_sha256}-{variant}"


class BlobStorage(ABC):
    @abstractmethod
    def put_file(self, key: str, src: Path, *, move: bool = False) -> None:
        """Store a file under key (moving it when allowed and cheap)."""

    @abstractmethod
    def put_bytes(self, key: str, data: bytes) -> None: ...

    @abstractmethod
    def get_bytes(self, key: str) -> bytes: ...

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A readable, seekable binary stream."""

    @abstractmethod
    def local_path(self, key: str) -> AbstractContextManager[Path]:
        """A path on this machine holding the blob, for tools that need a file (ffmpeg, PyAV)."""

    def decodable(self, key: str) -> AbstractContextManager[MediaSource]:
        """The blob for a decoder that seeks to what it needs (a clip render): a local path
        where the blob is on this machine, else a seekable stream (S3 ranged reads)."""
        return self.local_path(key)

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def size(self, key: str) -> int: ...

    @abstractmethod
    def delete(self, key: str) -> None: ...

    def presigned_url(
        self,
        key: str,
        expires_s: int,
        *,
        content_type: str | None = None,
        content_disposition: str | None = None,
    ) -> str | None:
        """A URL that serves the blob without us, valid for ``expires_s`` seconds; None when
        this store cannot make one (local files), and the web process serves the bytes."""
        return None

    def iter_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes start..end inclusive, in chunks (for HTTP Range responses)."""
        with self.open(key) as f:
            f.seek(start)
            remaining = end - start + 1
            while remaining > 0:
                chunk = f.read(min(CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                yield chunk
