"""The clip editor's "Cut at …" note must not move the transcript under the listener.

The note comes a moment (~250 ms) after each edit, when the server has placed the span; the
episode's transcript sits below the editor, where the listener goes next to select words. A
note that came or went then moved the words under a press that had just begun."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import Server, Shots, collect_errors, open_clip_editor, sign_in

# Every frame until stopped: where a transcript word sits in the page (scroll-independent, so
# scrolling a button into view to press it is not counted, a layout shift is).
WATCH = """(el) => {
  window.__tops = [];
  window.__watching = true;
  const tick = () => {
    window.__tops.push(el.getBoundingClientRect().top + window.scrollY);
    if (window.__watching) requestAnimationFrame(tick);
  };
  tick();
}"""
STOP = "() => { window.__watching = false; return window.__tops; }"


@pytest.mark.parametrize("width", [1280, 375])
def test_the_cut_note_does_not_move_the_transcript(
    browser: Browser, server: Server, sonnet: dict, width: int
) -> None:
    shot = Shots(f"cut-note-still-{width}")
    context = browser.new_context(viewport={"width": width, "height": 900})
    sign_in(context, server)
    page = context.new_page()
    errors = collect_errors(page)
    page.goto(server.url(f"/episodes/{sonnet['id']}"))
    words = page.locator(".transcript .w")
    expect(words.first).to_be_visible()
    editor = open_clip_editor(page, sonnet["title"], heard_s=3)
    note = editor.get_by_test_id("cut-note")
    # the span at the scissors is the sentence heard, placed: with or without a note (each
    # edit drops the note until the new span is placed, ~250 ms later, then it may come back)
    expect(editor).to_have_attribute("data-cut", re.compile(r"^\d+-\d+$"))
    asked = editor.get_attribute("data-cut")

    word = words.nth(8)  # the word test_journey starts its selection on
    word.evaluate(WATCH)
    # both edges a few tenths into the sentence's words: the edges move, and the note says so
    for _ in range(3):
        editor.get_by_role("button", name="Move start 0.1 seconds later").click()
        editor.get_by_role("button", name="Move end 0.1 seconds earlier").click()
    expect(note).to_contain_text("Cut at")  # shown once the edges asked now are placed
    page.wait_for_timeout(300)  # a few more frames after the note has been laid out
    # and back to the sentence as it was placed
    for _ in range(3):
        editor.get_by_role("button", name="Move start 0.1 seconds earlier").click()
        editor.get_by_role("button", name="Move end 0.1 seconds later").click()
    expect(editor).to_have_attribute("data-cut", asked or "")
    page.wait_for_timeout(300)
    tops = page.evaluate(STOP)
    assert len(tops) > 10
    assert max(tops) - min(tops) <= 1, f"the transcript moved {min(tops)}..{max(tops)} px"

    # the note, shown, fits the editor at this width and covers nothing
    editor.get_by_role("button", name="Move start 0.1 seconds later").click()
    editor.get_by_role("button", name="Move start 0.1 seconds later").click()
    editor.get_by_role("button", name="Move start 0.1 seconds later").click()
    expect(note).to_contain_text("Cut at")
    box, frame = note.bounding_box(), editor.bounding_box()
    text_box = editor.get_by_test_id("span-text").bounding_box()
    assert box and frame and text_box
    assert frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"]
    assert box["y"] + box["height"] <= text_box["y"]  # above the words, not over them
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    note.evaluate("n => n.scrollIntoView({block: 'center'})")
    shot(page, "note-shown")
    assert not errors, errors
    context.close()
