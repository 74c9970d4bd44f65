"""Acceptance on a real recording with the real model: a clip cut mid-word comes out as whole
words, lasts its snapped span, and is as loud as the podcast norm.

The sonnet's transcript is the model's own (``test_clip_support``); here the model listens to
each rendered clip and must hear the clip's text, first and last word included. One database
is enough (the render path does not touch it), so this runs once, not per database.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from pathlib import Path

import jiwer
import pytest

from soundbite.bootstrap import Soundbite
from soundbite.clips import service
from soundbite.clips.links import render_job
from soundbite.services.accounts import ensure_owner, owner_account
from soundbite.speech.transcribe import transcribe
from tests.conftest import make_settings
from tests.test_clip_support import add_sonnet, word
from tests.test_render import _container_ms, decode_all, ebur128

pytestmark = pytest.mark.slow


def normal(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]+", " ", text.lower().replace("-", " ")).split()


def heard_in(word: str, heard: list[str]) -> bool:
    """The word, or one that sounds the same to the model ("thee" and "the")."""
    return any(SequenceMatcher(None, word, h).ratio() >= 0.75 for h in heard)


@pytest.fixture(scope="module")
def sb(tmp_path_factory: pytest.TempPathFactory) -> Soundbite:
    app = Soundbite.from_settings(make_settings(tmp_path_factory.mktemp("acceptance")))
    ensure_owner(app)
    yield app  # type: ignore[misc]
    app.renders.close()
    app.close()


@pytest.mark.parametrize(
    ("first", "last", "snap", "before", "after"),
    [
        # both edges cut through the middle of a word, each glued to its neighbour: the clip
        # widens to the pauses around the phrase, "From fairest ... his memory."
        ("fairest", "memory", "word", None, "but"),
        # "thou," and "eyes," have pauses beside them: the clip keeps exactly the words asked for
        ("thou", "eyes", "word", "but", "feats"),
        # widened to the whole sentence "But thou, contracted ... thy self-thy foe."
        ("contracted", "fuel", "sentence", "memory", "to"),
        # the last words of the episode
        ("Pity", "thee", "word", "niggarding", None),
    ],
)
def test_a_clip_cut_mid_word_renders_whole_words(
    sb: Soundbite, first: str, last: str, snap: str, before: str | None, after: str | None
) -> None:
    owner = owner_account(sb)
    episode_id = add_sonnet(sb, owner.id)
    a, b = word(first), word(last)
    start = (a.start_ms + a.end_ms) // 2  # mid-word
    end = (b.start_ms + b.end_ms) // 2
    view = service.create_clip(
        sb,
        owner,
        episode_id=episode_id,
        start_ms=start,
        end_ms=end,
        snap=snap,  # type: ignore[arg-type]
    )
    assert view.text
    span_ms = view.end_ms - view.start_ms
    heard: list[str] = []
    for fmt in ("mp3", "m4a"):
        job = render_job(view, sb.settings, fmt)  # type: ignore[arg-type]
        sb.renders.render(job)
        with sb.storage.local_path(job.key) as path:
            assert abs(_container_ms(path) - span_ms) <= 30, fmt  # what ffprobe reports
            samples, rate = decode_all(path)
            if fmt == "mp3":
                assert abs(1000 * samples.shape[1] / rate - span_ms) <= 30
            loudness, _peak = ebur128(path)
            assert abs(loudness - -16) <= 1.0, (fmt, loudness)
            if fmt == "mp3":
                transcript = transcribe(Path(path), sb.model_options(), language="en")
                heard = normal(transcript.text)
    expected = normal(view.text)
    # the clip's first and last words are heard whole. (Whisper likes to begin a sentence with
    # "The" even on audio cut right at a word's vowel, so "the fairest" counts as "fairest".)
    assert heard_in(expected[0], heard[:2]) and heard_in(expected[-1], heard[-2:]), heard
    # and nothing of the words either side of it
    assert before is None or not heard_in(before, heard[:2]), heard
    assert after is None or not heard_in(after, heard[-2:]), heard
    assert jiwer.wer(" ".join(expected), " ".join(heard)) <= 0.25
