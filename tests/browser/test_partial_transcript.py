"""A transcript still being written shows what exists, says so, and stops saying so when whole.

The transcribe stage marks a transcript incomplete while it appends chunks (tests/
test_speech_streaming.py runs that with the real model); here the mark is set on an episode's
stored transcript, so the page can be checked without waiting on a long transcription.
"""

from __future__ import annotations

import sqlite3

import httpx
from playwright.sync_api import Browser, expect

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


def _mark_complete(server: Server, episode_id: int, complete: bool) -> None:
    with sqlite3.connect(server.data_dir / "soundbite.db") as db:
        db.execute(
            "update transcripts set complete = ? where episode_id = ?", (complete, episode_id)
        )


def test_a_partial_transcript_is_shown_and_labelled(
    browser: Browser, server: Server, api: httpx.Client
) -> None:
    episode_id = upload(api, SONNET, "Sonnet 1, transcript in progress", transcript=SONNET_SRT)
    wait_ready(api, episode_id, stages={"probe", "transcribe"})
    _mark_complete(server, episode_id, False)
    assert api.get(f"/api/episodes/{episode_id}").json()["transcript_complete"] is False

    shots = Shots("partial-transcript")
    for width in (1280, 375):
        _mark_complete(server, episode_id, False)
        context = browser.new_context(viewport={"width": width, "height": 900})
        sign_in(context, server)
        page = context.new_page()
        errors = collect_errors(page)
        page.goto(server.url(f"/episodes/{episode_id}"))
        note = page.get_by_test_id("transcript-partial")
        expect(note).to_be_visible()
        expect(page.locator(".transcript .w").first).to_be_attached()
        # The note fits the screen: nothing of it is cut off at the phone width.
        box = note.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
        assert not unlabelled_controls(page)
        shots(page, f"partial-{width}", full_page=True)

        _mark_complete(server, episode_id, True)
        page.reload()
        expect(page.locator(".transcript .w").first).to_be_attached()
        expect(page.get_by_test_id("transcript-partial")).to_have_count(0)
        shots(page, f"complete-{width}", full_page=True)
        assert not errors
        context.close()
