"""Questions, not only keywords (search/questions.py), on SQLite and PostgreSQL.

The episode is the real 12.5-minute tips episode. A question is answered by passage: the hit
starts at the sentence that answers, where a keyword search ranks the same moment lower or
lands the listener elsewhere. Hostile questions get a 422 with a message or nothing, never a
500.
"""

from __future__ import annotations

from itertools import pairwise

import pytest
from fastapi.testclient import TestClient

from soundbite.bootstrap import Soundbite
from tests.test_insight_support import add_episode, find_word, podcast_tips, process


@pytest.fixture
def tips(app: Soundbite, owner_id: int) -> int:
    _, episode_id = add_episode(app, owner_id, podcast_tips())
    process(app, episode_id)
    return episode_id


def starts_at(phrase: str) -> int:
    words = podcast_tips().words
    return words[find_word(words, phrase)].start_ms


def ask(client: TestClient, q: str, **params: object) -> dict:
    response = client.get("/api/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_question_finds_the_answer_that_keyword_search_ranks_lower(
    client: TestClient, tips: int
) -> None:
    q = "What did they say about whether I need a custom website?"
    answer = starts_at("So let's talk about whether you actually need a custom podcast website")
    page = ask(client, q)
    assert page["kind"] == "question" and page["terms"] == ["custom", "website"]
    first = page["items"][0]
    assert first["start_ms"] == answer  # the player jumps to the answering sentence
    assert first["unit_start_ms"] <= answer < first["unit_end_ms"]
    assert "<mark>custom</mark>" in first["snippet"]
    assert first["clip"]["start_ms"] <= answer < first["clip"]["end_ms"]

    # the same words as keywords: every word is wanted, and another moment comes first
    keywords = ask(client, q, mode="keywords")
    assert keywords["kind"] == "keywords"
    top = keywords["items"][0]
    assert not top["unit_start_ms"] <= answer < top["unit_end_ms"]


def test_a_hit_starts_at_the_sentence_that_answers_not_at_its_passage(
    client: TestClient, tips: int
) -> None:
    page = ask(client, "What did Sarah say about recording in a closet?")
    first = page["items"][0]
    sentence = starts_at("And I have also recorded in places like in my home office")
    assert first["start_ms"] == sentence
    # passages never overlap one another: each hit is a different moment
    spans = sorted((h["unit_start_ms"], h["unit_end_ms"]) for h in page["items"])
    assert all(a[1] <= b[0] for a, b in pairwise(spans))
    # keyword search lands on the first matching word instead, before the answer
    keywords = ask(client, "What did Sarah say about recording in a closet?", mode="keywords")
    assert keywords["items"][0]["start_ms"] != sentence

    # the passage may begin sentences earlier; the hit still starts where the answer does
    long = ask(client, "What did they say about how long an episode should be?")["items"][0]
    rogan = starts_at("Joe Rogan has some episodes that are three hours long")
    assert long["unit_start_ms"] < rogan == long["start_ms"]


@pytest.mark.parametrize(
    "q",
    [
        "What is the?",  # only question words and stopwords
        "what did they say",
    ],
)
def test_a_question_of_nothing_but_question_words_is_refused_with_a_reason(
    client: TestClient, tips: int, q: str
) -> None:
    response = client.get("/api/search", params={"q": q})
    assert response.status_code == 422
    assert "question words" in response.json()["detail"]


@pytest.mark.parametrize(
    "q",
    [
        'What did they say about NEAR(custom website) AND "* OR ^col:x?',
        "Why does website* OR podcast) -intro : {terms} say?",
        "What did ' they \" say about '' \"custom website?",
        "What about custom web\u00e9site ☃ ?",
    ],
)
def test_database_syntax_in_a_question_is_only_words(client: TestClient, tips: int, q: str) -> None:
    page = ask(client, q, mode="question")
    assert page["kind"] == "question"
    for hit in page["items"]:
        assert hit["unit_start_ms"] <= hit["start_ms"] < hit["unit_end_ms"]


def test_empty_huge_and_unknown_mode_requests_are_refused_with_4xx(
    client: TestClient, tips: int
) -> None:
    assert client.get("/api/search", params={"q": ""}).status_code == 422
    huge = "What did they say about " + "website " * 1_250 + "?"
    assert len(huge) > 10_000
    assert client.get("/api/search", params={"q": huge}).status_code == 422
    bad = client.get("/api/search", params={"q": "website", "mode": "oracle"})
    assert bad.status_code == 422
    nul = client.get("/api/search", params={"q": "What about \x00 custom websites?"})
    assert nul.status_code == 422 and "NUL" in nul.json()["detail"]
    # a question about something never said finds nothing, quietly
    page = ask(client, "What did they say about the zeppelin's xylophone?")
    assert page["kind"] == "question" and page["items"] == [] and page["total"] == 0


def test_a_question_naming_a_speaker_answers_from_their_turns(
    app: Soundbite, owner_id: int, client: TestClient
) -> None:
    transcript = podcast_tips(keep_speakers=True)  # Travis, Sarah and Gilon take turns
    _, episode_id = add_episode(app, owner_id, transcript)
    process(app, episode_id)

    def said_by(t: int) -> str | None:
        return next(s.speaker for s in transcript.segments if s.start_ms <= t < s.end_ms)

    # both talk about guests; the name (never said aloud) picks whose answer comes first
    firsts = {}
    for name in ("Gilon", "Travis"):
        page = ask(client, f"What did {name} say about guests?")
        assert page["speakers"] == [name]
        first = page["items"][0]
        assert said_by(first["start_ms"]) == name
        assert "<mark>guests" in first["snippet"]
        firsts[name] = first["start_ms"]
    assert firsts["Gilon"] != firsts["Travis"]
