"""Who is asking: the podcast app, device and OS behind a User-Agent, and whether it is a bot.

Two lists, both maintained elsewhere so that a new app or crawler is a data update:

- the OPAWG podcast user-agent list (``data/opawg-user-agents.json``, MIT, see
  ``data/SOURCES.md``): podcast apps, smart speakers and podcast-specific crawlers, each entry
  regular expressions naming an app, a device and an OS, ``"bot": true`` for servers;
- the ``crawler-user-agents`` patterns (PyPI, MIT): web crawlers in general.

OPAWG speaks first because it knows podcasts: "Overcast/3.0 (+http://overcast.fm/; iOS
podcast app)" is a listener's phone downloading an episode, although its "+http://" looks like
a crawler to the general list. Only when OPAWG names no app, or calls it a bot, does the
general list decide. An empty User-Agent is a bot (no listening app sends none).

Classification is cached per distinct User-Agent: a server sees a few thousand of them, so
the 361 + 600 regular expressions run once for each.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files

import crawleruseragents

UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Agent:
    app: str
    device: str
    os: str
    bot: bool


@dataclass(frozen=True, slots=True)
class _Entry:
    patterns: tuple[re.Pattern[str], ...]
    app: str | None
    device: str | None
    os: str | None
    bot: bool


@cache
def _opawg() -> tuple[_Entry, ...]:
    data = files("soundbite.analytics").joinpath("data/opawg-user-agents.json")
    raw = json.loads(data.read_text(encoding="utf-8"))
    entries = []
    for item in raw:
        patterns = []
        for source in item["user_agents"]:
            try:
                patterns.append(re.compile(source))
            except re.error:  # a JavaScript-only construct: that one pattern is left out
                continue
        entries.append(
            _Entry(
                tuple(patterns),
                item.get("app"),
                item.get("device"),
                item.get("os"),
                bool(item.get("bot")),
            )
        )
    return tuple(entries)


@lru_cache(maxsize=8192)
def classify(user_agent: str) -> Agent:
    """The app, device and OS a User-Agent names (``unknown`` where no list says), and bot."""
    if not user_agent.strip():
        return Agent(UNKNOWN, UNKNOWN, UNKNOWN, True)
    app = device = os = None
    opawg_bot = False
    # several entries may match: one names the app, another only the OS (generic "Android")
    for entry in _opawg():
        if not any(p.search(user_agent) for p in entry.patterns):
            continue
        opawg_bot = opawg_bot or entry.bot
        app = app or entry.app
        device = device or entry.device
        os = os or entry.os
    if app is not None and not opawg_bot:
        bot = False
    else:
        bot = opawg_bot or crawleruseragents.is_crawler(user_agent)
    if app is None and not bot:
        app = _browser(user_agent)
    return Agent(app or UNKNOWN, device or UNKNOWN, os or UNKNOWN, bot)


def _browser(user_agent: str) -> str | None:
    """Browsers are not in the OPAWG list, yet the share page's listeners use them."""
    for name, marker in (
        ("Edge", "Edg/"),
        ("Chrome", "Chrome/"),
        ("Firefox", "Firefox/"),
        ("Safari", "Safari/"),
    ):
        if marker in user_agent:
            return f"{name} (browser)"
    return None
