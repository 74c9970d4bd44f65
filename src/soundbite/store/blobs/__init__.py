"""Blob storage: a tiny interface with a local-folder implementation (S3 comes later)."""

from soundbite.store.blobs.base import BlobStorage, media_key, sha256_file
from soundbite.store.blobs.local import LocalStorage

__all__ = ["BlobStorage", "LocalStorage", "media_key", "sha256_file"]
