"""Rendered share and embed pages, kept a few seconds: one cache per instance
(``Soundbite.pages``), so every web app of a process sees what its API changed."""

from __future__ import annotations

import threading
import time


class PageCache:
    """Rendered share and embed pages of public and unlisted clips, kept for `ttl_s`.

    A shared link is opened by many people and crawlers within seconds, and those pages are
    the same for all of them: we already let any CDN keep them for a minute
    (``Cache-Control: public, max-age=60``), so keeping them ten seconds here changes nothing a
    visitor could see, and saves the query and the template for every repeat. Changes made
    through this process's API drop the clip's pages at once (``forget``).
    """

    def __init__(self, ttl_s: float = 10.0, size: int = 2048) -> None:
        self.ttl_s, self.size = ttl_s, size
        self._pages: dict[tuple[str, str, str], tuple[float, bytes, dict[str, str]]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> tuple[bytes, dict[str, str]] | None:
        """The page's body and headers, while it is fresh."""
        with self._lock:
            hit = self._pages.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1], hit[2]

    def put(self, key: tuple[str, str, str], body: bytes, headers: dict[str, str]) -> None:
        with self._lock:
            if len(self._pages) >= self.size:
                self._pages.pop(next(iter(self._pages)))
            self._pages[key] = (time.monotonic() + self.ttl_s, body, headers)

    def forget(self, share_id: str) -> None:
        with self._lock:
            for key in [k for k in self._pages if k[1] == share_id]:
                del self._pages[key]
