"""Tokens for search and for topic statistics, with one definition of a "word".

Search needs the same tokens in Python as in the database index, so that a hit's matching words
can be found again in the unit's text and timed exactly. SQLite FTS5's ``unicode61`` tokenizer
treats runs of letters and digits as tokens, folds case and (with ``remove_diacritics``) strips
accents; :func:`tokens` does the same in Python and the index is fed its output, so both
databases index exactly the tokens Python sees (see ``search/units.py``).

Topic statistics want fewer, more meaningful tokens: :func:`content_terms` drops stopwords and
fillers ("um", "yeah") and strips plural endings with a deliberately tiny stemmer. A full
Porter stemmer conflates too much for titles ("general" / "generate") and would be one more
thing to keep in step with the database; plurals are most of the benefit.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from soundbite.insight.stopwords import STOPWORDS

_TOKEN = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lower case without accents: 'Müller' -> 'muller'. ASCII takes the fast path."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    """Search tokens: runs of letters and digits, folded. "Don't" -> ['don', 't']."""
    return _TOKEN.findall(fold(text))


@lru_cache(maxsize=65536)
def stem(token: str) -> str:
    """Plural and possessive endings only: podcasts -> podcast, stories -> story."""
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def is_content(token: str) -> bool:
    return len(token) > 2 and token not in STOPWORDS and not token.isdigit()


def content_terms(text: str) -> list[str]:
    """Stemmed tokens that carry meaning, in order."""
    return [stem(t) for t in tokens(text) if is_content(t)]
