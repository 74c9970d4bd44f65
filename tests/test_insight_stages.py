"""The analyze and index stages and the insight API, on SQLite and PostgreSQL.

Transcripts are real text with their published timings (see test_insight_support), saved
with store/transcripts.save_transcript, so no speech model is needed.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from soundbite.bootstrap import Soundbite
from soundbite.store.insight_models import EpisodeHighlight, EpisodeTopic, SearchUnit
from soundbite.store.models import Episode, Job
from soundbite.store.transcripts import save_transcript
from tests.test_insight_support import (
    DATA,
    add_episode,
    podcast_tips,
    process,
    srt_transcript,
)


def counts(app: Soundbite, episode_id: int) -> tuple[int, int, int]:
    with app.db.read() as s:
        return tuple(  # type: ignore[return-value]
            s.scalar(select(func.count()).select_from(model).where(model.episode_id == episode_id))
            for model in (EpisodeTopic, EpisodeHighlight, SearchUnit)
        )


def test_stages_are_idempotent_and_follow_a_replaced_transcript(
    app: Soundbite, owner_id: int
) -> None:
    _, eid = add_episode(app, owner_id, podcast_tips())
    process(app, eid)
    first = counts(app, eid)
    assert first[0] >= 6 and first[1] == 5 and first[2] >= 20
    with app.db.read() as s:
        messages = {stage: m for stage, m in s.execute(select(Job.stage, Job.message))}
    assert messages["analyze"].endswith("5 highlights") and "search units" in messages["index"]

    app.queue.enqueue(eid, ["analyze", "index"])  # run both again: same rows, not twice as many
    process(app, eid)
    assert counts(app, eid) == first

    # a new transcript takes the old rows with it at once, and the stages rebuild them
    sonnet = srt_transcript(DATA / "sonnet001.srt")
    with app.db.write() as s:
        save_transcript(s, eid, sonnet, None)
    assert counts(app, eid) == (0, 0, 0)
    process(app, eid)
    topics, highlights, units = counts(app, eid)
    assert topics == 1 and units == 2 and highlights >= 1
    with app.db.read() as s:
        text = " ".join(s.scalars(select(SearchUnit.words).where(SearchUnit.episode_id == eid)))
    assert "tender churl" in text and "podcast" not in text


def test_retrying_transcribe_queues_analysis_and_indexing_again(
    app: Soundbite, owner_id: int
) -> None:
    _, eid = add_episode(app, owner_id, podcast_tips())
    app.queue.enqueue(eid, ["transcribe", "analyze", "index"])
    with app.db.write() as s:  # as if transcribe had run: the transcript is already saved
        s.execute(Job.__table__.update().values(state="done"))
    with app.db.read() as s:
        transcribe = s.scalars(select(Job.id).where(Job.stage == "transcribe")).one()
    app.queue.retry(transcribe)
    with app.db.read() as s:
        states = {stage: state for stage, state in s.execute(select(Job.stage, Job.state))}
    assert states == {"transcribe": "queued", "analyze": "queued", "index": "queued"}


def test_episode_api_shows_topics_chapters_highlights_and_related(
    app: Soundbite, owner_id: int, client: TestClient
) -> None:
    pid, eid = add_episode(app, owner_id, podcast_tips())
    _, other = add_episode(app, owner_id, podcast_tips(), title="Ten things again", podcast_id=pid)
    before = client.get(f"/api/episodes/{eid}/topics").json()
    assert before == {"episode_id": eid, "status": "not queued", "topics": []}
    process(app, eid, other)

    topics = client.get(f"/api/episodes/{eid}/topics").json()
    assert topics["status"] == "done" and len(topics["topics"]) >= 6
    assert all(len(t["title"]) <= 40 and t["keywords"] for t in topics["topics"])

    chapters = client.get(f"/api/episodes/{eid}/chapters").json()
    assert chapters["source"] == "generated" and chapters["available"] == ["generated"]
    assert chapters["chapters"][0]["start_ms"] == 0
    # chapters are the coarse level: fewer than the topics, none under two minutes
    generated = chapters["chapters"]
    assert 2 <= len(generated) < len(topics["topics"])
    assert all(c["end_ms"] - c["start_ms"] >= 120_000 for c in generated[1:-1])
    with app.db.write() as s:
        s.get_one(Episode, eid).chapters = [{"start_ms": 0, "title": "Cold open", "toc": True}]
    auto = client.get(f"/api/episodes/{eid}/chapters").json()
    assert auto["source"] == "publisher" and auto["chapters"][0]["title"] == "Cold open"
    ours = client.get(f"/api/episodes/{eid}/chapters?source=generated&format=chapters")
    assert ours.headers["content-type"].startswith("application/json+chapters")
    assert ours.json()["version"] == "1.2.0" and len(ours.json()["chapters"]) == len(generated)

    highlights = client.get(f"/api/episodes/{eid}/highlights").json()["highlights"]
    assert [h["rank"] for h in highlights] == [1, 2, 3, 4, 5]
    clip = highlights[0]["clip"]
    assert clip == {
        "episode_id": eid,
        "start_ms": highlights[0]["start_ms"],
        "end_ms": highlights[0]["end_ms"],
        "title": highlights[0]["title"],
        "source": "suggested",
    }

    show_notes = next(t for t in topics["topics"] if "show notes" in t["title"].lower())
    related = client.get(
        f"/api/episodes/{eid}/related",
        params={"start_ms": show_notes["start_ms"], "end_ms": show_notes["start_ms"] + 30_000},
    ).json()
    assert related["terms"] and related["same_episode"]
    twin = related["other_episodes"][0]  # the same words in the other episode rank first
    assert twin["episode_id"] == other and abs(twin["start_ms"] - show_notes["start_ms"]) < 30_000
    assert client.get(f"/api/episodes/{eid}/related?start_ms=5&end_ms=1").status_code == 422
    assert client.get("/api/episodes/999/topics").status_code == 404
