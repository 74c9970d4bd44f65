"""Search over the API and the CLI, on SQLite (FTS5) and PostgreSQL (GIN + BM25 in SQL).

Word timings are those of the saved transcript, so "word-accurate" is checked exactly: a hit's
start and end must be the start of its first matching word and the end of its last.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from soundbite.bootstrap import Soundbite
from soundbite.cli import cli
from soundbite.domain.transcript import Transcript, Word
from tests.test_insight_support import (
    add_episode,
    find_word,
    podcast_tips,
    process,
    segment_of,
)

HOSTILE = (
    "Our guest wrote <script>alert('pwned')</script> & left. "
    "The word café is spelled with an accent. She said don't stop."
)


@pytest.fixture
def library(app: Soundbite, owner_id: int) -> dict[str, int]:
    tips = podcast_tips()
    pid, tips_id = add_episode(app, owner_id, tips, published_at=datetime(2021, 3, 1, tzinfo=UTC))
    hostile = Transcript("en", (segment_of(HOSTILE, 0, 9_000),), "publisher")
    other_pid, hostile_id = add_episode(
        app, owner_id, hostile, title="Hostile", published_at=datetime(2023, 6, 1, tzinfo=UTC)
    )
    process(app, tips_id, hostile_id)
    return {"podcast": pid, "tips": tips_id, "other_podcast": other_pid, "hostile": hostile_id}


def words_of(phrase: str) -> tuple[Word, Word]:
    words = podcast_tips().words
    first = find_word(words, phrase)
    return words[first], words[first + len(phrase.split()) - 1]


def test_words_phrases_and_prefixes_come_back_word_accurate(
    client: TestClient, library: dict[str, int]
) -> None:
    page = client.get("/api/search", params={"q": '"Joe Rogan"'}).json()
    assert page["total"] == 1 and page["matched"] == "all"
    hit = page["items"][0]
    first, last = words_of("Joe Rogan")
    assert (hit["start_ms"], hit["end_ms"]) == (first.start_ms, last.end_ms)
    assert hit["episode"]["id"] == library["tips"] and hit["episode"]["title"] == "Ten things"
    assert "<mark>Joe Rogan</mark>" in hit["snippet"]
    assert hit["clip"]["start_ms"] <= hit["start_ms"] < hit["end_ms"] <= hit["clip"]["end_ms"]
    assert hit["clip"]["source"] == "suggested"

    # two words anywhere in a unit: the span is the tightest stretch holding both
    both = client.get("/api/search", params={"q": "hours Rogan"}).json()["items"][0]
    first, last = words_of("Rogan has some episodes that are three hours")
    assert (both["start_ms"], both["end_ms"]) == (first.start_ms, last.end_ms)
    assert len(both["matches"]) == 3  # Rogan, hours, and "up to three hours" later

    prefix = client.get("/api/search", params={"q": "Buzzspr*"}).json()["items"]
    assert prefix[0]["snippet"].count("<mark>Buzzsprout") == 2  # Buzzsprout, Buzzsprouts
    assert prefix[0]["start_ms"] == words_of("Buzzsprout chances")[0].start_ms

    ranked = client.get("/api/search", params={"q": "notes"}).json()["items"]
    assert [h["score"] for h in ranked] == sorted((h["score"] for h in ranked), reverse=True)
    # several words: units saying all of them first, whatever BM25 thinks of the rest
    both = client.get("/api/search", params={"q": "show notes", "limit": 100}).json()["items"]
    has_both = ["<mark>show notes" in h["snippet"] for h in both]
    assert has_both[0] and has_both == sorted(has_both, reverse=True)


def test_snippets_escape_transcript_text_and_only_mark_is_live(
    client: TestClient, library: dict[str, int]
) -> None:
    hit = client.get("/api/search", params={"q": "alert pwned"}).json()["items"][0]
    snippet = hit["snippet"]
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet and "&amp;" in snippet
    assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0
    accent = client.get("/api/search", params={"q": "cafe"}).json()["items"][0]
    assert "<mark>café</mark>" in accent["snippet"], "accents fold in search, not in display"
    dont = client.get("/api/search", params={"q": "don't"}).json()["items"][0]
    assert "<mark>don&#x27;t</mark>" in dont["snippet"]


def test_filters_and_paging(client: TestClient, library: dict[str, int]) -> None:
    def get(**params: object) -> dict:  # type: ignore[type-arg]
        r = client.get("/api/search", params={"q": "the", **params})
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    everything = get(limit=100)
    assert {h["episode"]["id"] for h in everything["items"]} == {
        library["tips"],
        library["hostile"],
    }
    only = get(podcast_id=library["other_podcast"])
    assert only["total"] == 1 and only["items"][0]["episode"]["id"] == library["hostile"]
    assert get(**{"from": "2022-01-01"})["total"] == 1
    assert get(**{"to": "2021-03-01"})["total"] == everything["total"] - 1
    pages = [get(limit=5, offset=o)["items"] for o in range(0, everything["total"], 5)]
    seen = [(h["episode"]["id"], h["unit_start_ms"]) for page in pages for h in page]
    assert len(seen) == len(set(seen)) == everything["total"], "pages neither skip nor repeat"
    past = get(limit=5, offset=everything["total"] + 10)
    assert past["items"] == [] and past["total"] == everything["total"]


# (query, what the listener sees): a word the first hit marks, NO_HITS, or REFUSED (422 + reason).
# Operators and quotes are read as plain words, never as query syntax.
NO_HITS = ""
REFUSED = None
MALFORMED: list[tuple[str, str | None]] = [
    ('"unbalanced quote', NO_HITS),
    ("NEAR(show notes) OR ^col:x", "notes"),
    ('AND OR NOT "', "or"),
    ("a*", "a"),
    ("*", REFUSED),
    ("zzzz-not-a-word", NO_HITS),
    ("show' notes\" -- ;drop table search_units", "show notes"),
    ("(((", REFUSED),
    ("\u00e9\u00e8\u00ea\u0301 \U0001f600", NO_HITS),
    ("x" * 501, REFUSED),
]


def test_malformed_queries_are_read_as_words_or_refused_with_a_reason(
    client: TestClient, library: dict[str, int]
) -> None:
    # one library for all queries: building it per query would cost a second each
    for query, marked in MALFORMED:
        r = client.get("/api/search", params={"q": query})
        if marked is REFUSED:
            assert r.status_code == 422 and r.json()["detail"], (query, r.text)
            continue
        assert r.status_code == 200, (query, r.text)
        page = r.json()
        if marked == NO_HITS:
            assert page["total"] == 0 and page["items"] == [], query
            continue
        assert page["total"] > 0 and f"<mark>{marked}" in page["items"][0]["snippet"].lower(), query
    # the quote-and-semicolon query left the index whole
    assert client.get("/api/search", params={"q": '"Joe Rogan"'}).json()["total"] == 1


def test_no_word_has_everything_falls_back_to_any_word(
    client: TestClient, library: dict[str, int]
) -> None:
    page = client.get("/api/search", params={"q": "Rogan xylophone"}).json()
    assert page["matched"] == "any" and page["total"] == 1
    assert client.get("/api/search", params={"q": ""}).status_code == 422
    assert client.get("/api/search", params={"q": "x", "limit": 0}).status_code == 422


def test_cli_search_prints_hits_and_json(
    app: Soundbite, library: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = app.settings
    monkeypatch.setenv("SOUNDBITE_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("SOUNDBITE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SOUNDBITE_MODEL_DIR", str(settings.model_dir))
    monkeypatch.setenv("SOUNDBITE_OWNER_PASSWORD", settings.owner_password or "")
    runner = CliRunner()
    shown = runner.invoke(cli, ["search", "Joe", "Rogan"])
    assert shown.exit_code == 0, shown.output
    assert "3:4" in shown.output and "Joe Rogan" in shown.output
    as_json = runner.invoke(cli, ["search", "--json", "--podcast", str(library["podcast"]), "pod*"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert data["total"] >= 10 and all(h["episode"]["id"] == library["tips"] for h in data["items"])
    bad = runner.invoke(cli, ["search", "***"])
    assert bad.exit_code == 2 and "no words to search for" in bad.output


def test_pruning_and_capping_keep_answers_valid_on_both_databases(
    app: Soundbite, library: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from soundbite.search import planner
    from soundbite.search.service import search

    full = search(app.db, "podcast show notes", limit=50)
    monkeypatch.setattr(planner, "PRUNE_FROM_UNITS", 0)  # as in a big library
    monkeypatch.setattr(planner, "RANK_CAP", 3)
    planner._counts.clear()
    capped = search(app.db, "podcast show notes", limit=50)
    # "podcast" is in most units here, so it stops ranking and counting, like a stopword
    assert 0 < capped.total < full.total
    assert {(h.episode_id, h.unit_start_ms) for h in capped.hits} <= {
        (h.episode_id, h.unit_start_ms) for h in full.hits
    }
    assert "<mark>show notes" in capped.hits[0].snippet
    single = search(app.db, "the", limit=10)
    assert single.total > 3 and 0 < len(single.hits) <= 3, "only the newest 3 matches are ranked"
