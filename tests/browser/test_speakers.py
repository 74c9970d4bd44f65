"""The transcript shows who speaks, and the podcast's creator names the speakers once.

The episode is the demo sonnet with a publisher's transcript whose cues carry WebVTT voice tags,
"Speaker 1" and "Speaker 2" taking turns (as diarization would label them), so the page can be
checked without waiting on a model. Screenshots at 1280 and 375 px.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
from playwright.sync_api import Browser, expect

from soundbite.speech.formats import parse_transcript, to_vtt
from tests.browser.conftest import (
    SONNET,
    SONNET_SRT,
    Server,
    Shots,
    collect_errors,
    sign_in,
    unlabelled_controls,
    upload,
    wait_ready,
)


def _two_voices(tmp: Path) -> Path:
    """The sonnet's transcript with its cues given to two voices, four cues each in turn."""
    transcript = parse_transcript(SONNET_SRT.read_bytes(), filename=SONNET_SRT.name)
    segments = tuple(
        replace(s, speaker=f"Speaker {i // 4 % 2 + 1}") for i, s in enumerate(transcript.segments)
    )
    path = tmp / "sonnet-two-voices.vtt"
    path.write_text(to_vtt(replace(transcript, segments=segments)))
    return path


def test_the_transcript_names_its_speakers(
    browser: Browser, server: Server, api: httpx.Client, tmp_path: Path
) -> None:
    episode_id = upload(api, SONNET, "Sonnet 1, read by two", transcript=_two_voices(tmp_path))
    wait_ready(api, episode_id, stages={"probe", "transcribe"})
    assert api.get(f"/api/episodes/{episode_id}").json()["speakers"] == ["Speaker 1", "Speaker 2"]

    shots = Shots("speakers")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    sign_in(context, server)
    page = context.new_page()
    errors = collect_errors(page)
    page.goto(server.url(f"/episodes/{episode_id}"))
    names = page.locator(".transcript .t-speaker")
    expect(names.first).to_have_text("Speaker 1")
    shots(page, "before-1280")

    page.get_by_role("button", name="Name speakers").click()
    dialog = page.get_by_role("dialog", name="Name the speakers")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Speaker 1").fill("Ada Lovelace")
    dialog.get_by_label("Speaker 2").fill("Charles Babbage")
    assert not unlabelled_controls(page)
    shots(page, "dialog-1280")
    dialog.get_by_role("button", name="Save names").click()
    expect(dialog).to_be_hidden()
    expect(names.first).to_have_text("Ada Lovelace")
    expect(names.filter(has_text="Charles Babbage").first).to_be_visible()
    assert names.filter(has_text="Speaker 1").count() == 0
    shots(page, "named-1280")
    assert not errors, errors
    context.close()

    # a phone: the names fit beside the words, the dialog fits the screen
    context = browser.new_context(viewport={"width": 375, "height": 800})
    sign_in(context, server)
    page = context.new_page()
    page.goto(server.url(f"/episodes/{episode_id}"))
    expect(page.locator(".transcript .t-speaker").first).to_have_text("Ada Lovelace")
    page.get_by_role("heading", name="Transcript").scroll_into_view_if_needed()
    shots(page, "named-375")
    page.get_by_role("button", name="Name speakers").click()
    dialog = page.get_by_role("dialog", name="Name the speakers")
    expect(dialog.get_by_label("Ada Lovelace")).to_have_value("Ada Lovelace")
    box = dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    shots(page, "dialog-375")
    context.close()
