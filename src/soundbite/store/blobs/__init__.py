"""Blob storage: a tiny interface with two implementations, a local folder and S3.

``S3Storage`` is imported on first use, so the embedded install runs without boto3 (it comes
with the ``scale`` extra).
"""

from typing import TYPE_CHECKING, Any

from soundbite.store.blobs.base import BlobStorage, media_key, sha256_file
from soundbite.store.blobs.local import LocalStorage

if TYPE_CHECKING:
    from soundbite.store.blobs.s3 import S3Options, S3Storage, StorageUnavailable

__all__ = [
    "BlobStorage",
    "LocalStorage",
    "S3Options",
    "S3Storage",
    "StorageUnavailable",
    "media_key",
    "sha256_file",
]


def __getattr__(name: str) -> Any:
    if name in ("S3Options", "S3Storage", "StorageUnavailable"):
        from soundbite.store.blobs import s3

        return getattr(s3, name)
    raise AttributeError(name)
