"""The clip flow at phone width (375 px, touch) and by keyboard alone."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import (
    Server,
    Shots,
    audio_state,
    collect_errors,
    open_clip_editor,
    shared_link,
    sign_in,
    unlabelled_controls,
)
from tests.browser.test_journey import edge_value


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1], f"the page is {width[0]} px wide in a {width[1]} px viewport"


def test_clip_flow_at_phone_width(browser: Browser, server: Server, sonnet: dict) -> None:
    shot = Shots("phone")
    context = browser.new_context(
        viewport={"width": 375, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    sign_in(context, server)
    page = context.new_page()
    errors = collect_errors(page)
    page.goto(server.url("/"))
    expect(page.locator(f".episode-row[data-episode='{sonnet['id']}']")).to_be_visible()
    no_sideways_scroll(page)
    shot(page, "library")

    page.locator(f".episode-row[data-episode='{sonnet['id']}'] a.episode-title").tap()
    expect(page.locator(".transcript .w").first).to_be_visible()
    no_sideways_scroll(page)
    shot(page, "episode")

    editor = open_clip_editor(page, sonnet["title"], heard_s=1, tap=True)
    start, end = edge_value(page, "start"), edge_value(page, "end")
    editor.get_by_role("button", name="Move end 1 second later").tap()
    editor.get_by_role("button", name="Move start 0.1 seconds earlier").tap()
    assert abs(edge_value(page, "end") - (end + 1)) < 0.051
    assert abs(edge_value(page, "start") - (start - 0.1)) < 0.051
    editor.scroll_into_view_if_needed()
    page.evaluate("() => document.querySelector('[data-testid=clip-editor]').scrollIntoView()")
    no_sideways_scroll(page)
    assert unlabelled_controls(page) == []
    shot(page, "clip-mode")
    editor.get_by_role("button", name="Create clip").scroll_into_view_if_needed()
    shot(page, "clip-mode-lower")

    editor.get_by_role("button", name="Create clip").tap()
    dialog = page.get_by_role("dialog", name="Your clip is ready")
    expect(dialog).to_be_visible()
    box = dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    shot(page, "share-dialog")
    share_url = shared_link(dialog)

    share = context.new_page()
    share.goto(share_url)
    expect(share.locator("audio")).to_be_visible()
    no_sideways_scroll(share)
    shot(share, "share-page")
    assert not errors, errors
    context.close()


def test_clip_flow_by_keyboard_alone(
    browser: Browser, server: Server, sonnet: dict, api: httpx.Client
) -> None:
    shot = Shots("keyboard")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    sign_in(context, server)
    page = context.new_page()
    errors = collect_errors(page)
    page.goto(server.url(f"/episodes/{sonnet['id']}"))
    expect(page.locator(".transcript .w").first).to_be_visible()
    before = {c["id"] for c in api.get("/api/clips", params={"mine": "true"}).json()["items"]}

    # Tab reaches the play button; Enter plays
    play = page.get_by_role("button", name=f"Play {sonnet['title']}")
    for _ in range(30):
        page.keyboard.press("Tab")
        if play.evaluate("b => b === document.activeElement"):
            break
    else:
        raise AssertionError("Tab never reached the play button")
    shot(page, "focus-on-play")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('sb-audio').currentTime > 2")

    # ? shows the shortcuts
    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    shot(page, "shortcuts")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    # c: the scissors; Space pauses; [ and ] set the edges at the playhead
    page.keyboard.press("c")
    editor = page.get_by_test_id("clip-editor")
    expect(editor.locator(".waveform[data-status=ready]")).to_be_visible()
    page.keyboard.press("Space")
    page.wait_for_function("() => document.getElementById('sb-audio').paused")
    page.keyboard.press("ArrowLeft")  # back 5 s
    t = audio_state(page)["t"]
    page.keyboard.press("[")
    assert abs(edge_value(page, "start") - t) < 0.06
    page.keyboard.press("l")  # forward 30 s
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")  # 15 s after the start
    t_end = audio_state(page)["t"]
    page.keyboard.press("]")
    assert abs(edge_value(page, "end") - t_end) < 0.06

    # fine adjustment on the focused End slider: arrows 0.1 s, Shift+arrows 1 s
    page.locator("[data-edge-value=end]").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowLeft")
    assert abs(edge_value(page, "end") - (t_end - 0.9)) < 0.06
    shot(page, "clip-mode")

    # p previews; Ctrl+Enter creates; the share dialog takes focus, Escape closes it
    page.keyboard.press("p")
    page.wait_for_function("() => !document.getElementById('sb-audio').paused")
    page.keyboard.press("p")
    page.keyboard.press("Control+Enter")
    dialog = page.get_by_role("dialog", name="Your clip is ready")
    expect(dialog).to_be_visible()
    assert dialog.evaluate("d => d.contains(document.activeElement)")
    shot(page, "share-dialog")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    after = api.get("/api/clips", params={"mine": "true"}).json()["items"]
    new = [c for c in after if c["id"] not in before]
    assert len(new) == 1 and 13 < new[0]["duration_ms"] / 1000 < 16
    assert not errors, errors
    context.close()


def _clock(text: str) -> float:
    m, s = text.split(":")
    return int(m) * 60 + float(s)


def test_the_preview_plays_the_span_the_clip_will_hold(
    browser: Browser, server: Server, sonnet: dict, api: httpx.Client
) -> None:
    """Edges set inside words move to pauses when the clip is made; the editor says where it
    will be cut before that, and Preview plays exactly that span."""
    shot = Shots("cut")
    for width in (1280, 375):
        context = browser.new_context(viewport={"width": width, "height": 900})
        sign_in(context, server)
        page = context.new_page()
        errors = collect_errors(page)
        page.goto(server.url(f"/episodes/{sonnet['id']}"))
        expect(page.locator(".transcript .w").first).to_be_visible()
        editor = open_clip_editor(page, sonnet["title"], heard_s=3)
        # both edges a few tenths into the sentence's words: no word may be cut there
        for _ in range(3):
            editor.get_by_role("button", name="Move start 0.1 seconds later").click()
            editor.get_by_role("button", name="Move end 0.1 seconds earlier").click()
        asked = (edge_value(page, "start"), edge_value(page, "end"))
        note = page.get_by_test_id("cut-note")
        expect(note).to_contain_text("Cut at")
        cut_start, cut_end = (
            _clock(t) for t in note.inner_text().split("Cut at ")[1].split(" (")[0].split("–")
        )
        assert (cut_start, cut_end) != asked
        shot(page, f"cut-note-{width}")
        assert unlabelled_controls(page) == []

        editor.get_by_role("button", name="Preview", exact=True).click()
        page.wait_for_function("() => !document.getElementById('sb-audio').paused")
        assert abs(audio_state(page)["t"] - cut_start) < 0.35  # from the cut, not the edge asked
        page.wait_for_function(
            "() => document.getElementById('sb-audio').paused",
            timeout=(cut_end - cut_start + 5) * 1000,
        )
        assert (
            abs(audio_state(page)["t"] - cut_start) < 0.1
        )  # stopped at the end, back at the start

        editor.get_by_role("button", name="Create clip").click()
        dialog = page.get_by_role("dialog", name="Your clip is ready")
        expect(dialog).to_be_visible()
        share_id = shared_link(dialog).rsplit("/", 1)[1]
        made = api.get(f"/api/clips/{share_id}").json()
        assert abs(made["start_ms"] / 1000 - cut_start) <= 0.05
        assert abs(made["end_ms"] / 1000 - cut_end) <= 0.05
        assert not errors, errors
        context.close()
