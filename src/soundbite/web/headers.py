"""Response headers that several routes compose: caching and download file names.

Cache policy follows from two facts: whether the URL names its content (then the response
never changes and may be kept for a year) and whether the library is public (if not,
shared caches such as a CDN must not keep it; the browser's own cache may).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

YEAR = 365 * 24 * 3600
_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_NOT_PLAIN_ASCII = re.compile(r"[^A-Za-z0-9._ ()\[\]-]+")


def cache_control(*, public: bool, immutable: bool) -> str:
    scope = "public" if public else "private"
    if immutable:
        return f"{scope}, max-age={YEAR}, immutable"
    return f"{scope}, no-cache"


def download_name(title: str, extension: str, fallback: str = "episode") -> str:
    """A file name made from a title: no path separators or characters Windows refuses."""
    name = " ".join(_UNSAFE_IN_NAME.sub(" ", title).split()).strip(". ")[:100].rstrip(". ")
    return f"{name or fallback}.{extension}"


def content_disposition(filename: str, *, attachment: bool) -> str:
    """RFC 6266: a plain ASCII ``filename`` for old clients, the exact name in ``filename*``."""
    kind = "attachment" if attachment else "inline"
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = _NOT_PLAIN_ASCII.sub("_", ascii_name).strip() or "download"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
