"""The listener's whole journey in a real browser: sign in, upload, play, clip, share, and
back from the share page into the full episode at the clip's second."""

from __future__ import annotations

import re
import time
from urllib.parse import quote

from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import (
    SONNET,
    Server,
    Shots,
    audio_state,
    collect_errors,
    shared_link,
    unlabelled_controls,
)
from tests.conftest import OWNER_PASSWORD

TITLE = "Sonnet 1, uploaded in the browser: From fairest creatures we desire increase"

# Samples the audio element every frame until it pauses: where a preview actually played.
SAMPLE_PLAYBACK = """async () => {
  const a = document.getElementById('sb-audio');
  const seen = [];
  const t0 = performance.now();
  return await new Promise((resolve) => {
    const tick = () => {
      if (!a.paused) seen.push(a.currentTime);
      const done = (a.paused && seen.length > 3) || performance.now() - t0 > 20000;
      if (done) resolve({seen, paused: a.paused, after: a.currentTime});
      else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}"""


def edge_value(page: Page, edge: str) -> float:
    """The span edge shown in the editor, in seconds (m:ss.t)."""
    text = page.locator(f"[data-edge-value={edge}]").inner_text()
    m, s = text.split(":")
    return int(m) * 60 + float(s)


def cut_span(editor: Locator) -> tuple[float, float]:
    """Where the clip will be cut (seconds), once the editor has asked the server for the
    current edges."""
    expect(editor).to_have_attribute("data-cut", re.compile(r"^\d+-\d+$"))
    start_ms, end_ms = (editor.get_attribute("data-cut") or "").split("-")
    return int(start_ms) / 1000, int(end_ms) / 1000


def test_journey(browser: Browser, server: Server) -> None:
    shot = Shots("journey")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = collect_errors(page)

    # sign in: the app sends a visitor without a session to the sign-in page and back
    page.goto(server.url("/"))
    expect(page).to_have_url(re.compile(r"/login"))
    page.fill("#username", "owner")
    page.fill("#password", OWNER_PASSWORD)
    shot(page, "sign-in")
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="Library", exact=True)).to_be_visible()

    # add an episode: upload with a progress bar, then live processing progress
    expect(page.locator(".add-panel, .add-closed")).to_be_visible()
    opener = page.get_by_role("button", name="Add a podcast or upload a file")
    if opener.is_visible():  # folded away once the library has episodes
        opener.click()
    page.set_input_files("#upload-file", str(SONNET))
    page.fill("#upload-title", TITLE)
    page.get_by_role("button", name="Upload", exact=True).click()
    row = page.locator(".episode-row", has_text=TITLE)
    expect(row).to_be_visible()
    expect(row.locator("progress")).to_be_visible()
    shot(page, "library-processing")
    expect(row).to_have_attribute("data-status", "ready", timeout=180_000)
    shot(page, "library-ready")

    # open it: transcript, suggestions and chapters
    row.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    words = page.locator(".transcript .w")
    expect(words.first).to_be_visible()
    shot(page, "episode")

    # play
    page.get_by_role("button", name=f"Play {TITLE}").click()
    page.wait_for_function("() => document.getElementById('sb-audio').currentTime > 1.5")
    assert not audio_state(page)["paused"]
    expect(page.locator(".transcript .w.now")).to_have_count(1)  # the word being said
    shot(page, "now-playing")

    # the player stays: browsing the library does not stop the audio
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()
    bar = page.get_by_role("complementary", name="Now Playing")
    expect(bar).to_be_visible()
    heard = audio_state(page)["t"]
    page.wait_for_function(f"() => document.getElementById('sb-audio').currentTime > {heard + 0.5}")
    assert not audio_state(page)["paused"]
    assert unlabelled_controls(page) == []
    shot(page, "library-while-playing")
    bar.get_by_role("link").click()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    assert not audio_state(page)["paused"]

    # the scissors: clip mode at the playhead, the sentence being heard as the span
    page.get_by_test_id("scissors").click()
    editor = page.get_by_test_id("clip-editor")
    expect(editor.locator(".waveform[data-status=ready]")).to_be_visible()
    page.get_by_role("button", name="Pause").first.click()
    start, end = edge_value(page, "start"), edge_value(page, "end")
    assert 1 <= end - start <= 30
    expect(editor.get_by_test_id("span-text")).not_to_be_empty()
    assert unlabelled_controls(page) == []
    shot(page, "clip-mode")

    # drag the end handle 60 px to the right: the span grows
    handle = editor.locator("[part~=region-handle-right]")
    box = handle.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 30, box["y"] + box["height"] / 2, steps=5)
    page.mouse.move(box["x"] + 60, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    assert edge_value(page, "end") > end + 0.2
    shot(page, "handle-dragged")
    # the dragged span's cut arrives a moment later (data-cut); its "Cut at" line has a box
    # that is always there (test_cut_note), but the editor's words may still change with it:
    # select words once it has arrived
    expect(editor).to_have_attribute("data-cut", re.compile(r"^\d+-\d+$"))

    # select words in the transcript: they become the span
    # hover() waits until the word stands still and is the element under the pointer, so a
    # layout that is still settling cannot move the press onto another line
    first, last = words.nth(8), words.nth(14)
    first.scroll_into_view_if_needed()
    a = first.bounding_box()
    assert a is not None
    # press inside the word, not on its first pixel: a word that opens a line has the line's
    # edge there, and a press on it anchors the selection at the paragraph's start
    first.hover(position={"x": a["width"] / 2, "y": 4})
    page.mouse.down()
    b = last.bounding_box()
    assert b is not None
    last.hover(position={"x": b["width"] - 1, "y": 4})
    page.mouse.up()
    start, end = edge_value(page, "start"), edge_value(page, "end")
    assert 1 <= end - start < 10
    # where the clip will be cut: an edge word that runs into its neighbour moves the edge to
    # the nearest pause (in or out), and the words shown follow; the middle stays
    start, end = cut_span(editor)
    middle = " ".join(words.nth(i).inner_text() for i in range(10, 13))
    expect(editor.get_by_test_id("span-text")).to_contain_text(middle)
    shot(page, "words-selected")

    # preview plays that span once: the audio never leaves it
    editor.get_by_role("button", name="Preview", exact=True).click()
    played = page.evaluate(SAMPLE_PLAYBACK)
    seen = played["seen"]
    assert played["paused"] and len(seen) > 10
    assert min(seen) >= start - 0.15 and max(seen) <= end + 0.15, (start, end, min(seen), max(seen))
    assert max(seen) >= end - 0.5  # it played to the end, not just a moment

    # create: the share dialog with the link
    editor.get_by_role("button", name="Create clip").click()
    dialog = page.get_by_role("dialog", name="Your clip is ready")
    expect(dialog).to_be_visible()
    share_url = shared_link(dialog)
    assert re.search(r"/c/[A-Za-z0-9]{12,}$", share_url)
    for target in ("X", "Facebook", "LinkedIn", "Reddit", "WhatsApp", "Telegram", "Email"):
        link = dialog.get_by_role("link", name=f"Share on {target}")
        expect(link).to_be_visible()
        # each target's link names its channel, so arrivals by it are counted for it
        channel = quote(f"{share_url}?ch={target.lower()}", safe="")
        assert channel in (link.get_attribute("href") or ""), (target, link.get_attribute("href"))
    assert unlabelled_controls(page) == []
    shot(page, "share-dialog")
    clip = context.request.get(server.url(f"/api/clips/{share_url.rsplit('/', 1)[1]}")).json()

    # the share link, in a new page: it plays the clip and only the clip
    share = context.new_page()
    share.goto(share_url)
    expect(share.get_by_role("heading", name=clip["title"])).to_be_visible()
    player = share.locator("audio.player")
    share.wait_for_function(
        "() => { const a = document.querySelector('audio.player'); return a.duration > 0; }",
        timeout=30_000,
    )
    state = player.evaluate("a => ({d: a.duration, src: a.currentSrc})")
    assert "/media/" not in state["src"] and "/c/" in state["src"]
    assert abs(state["d"] - clip["duration_ms"] / 1000) < 0.3
    player.evaluate("a => a.play()")
    share.wait_for_function("() => document.querySelector('audio.player').currentTime > 0.3")
    shot(share, "share-page")

    # "Play the full episode from m:ss": the app's episode page at that second
    clip_start = clip["start_ms"] / 1000
    mmss = f"{int(clip_start) // 60}:{int(clip_start) % 60:02d}"
    share.get_by_role("link", name=f"Play the full episode from {mmss}").click()
    expect(share).to_have_url(re.compile(rf"/episodes/{clip['episode_id']}\?t="))
    expect(share.get_by_role("heading", name=TITLE)).to_be_visible()
    share.wait_for_function(
        f"() => Math.abs(document.getElementById('sb-audio').currentTime - {clip_start}) < 0.25"
    )
    share.get_by_role("button", name="Play", exact=True).click()
    time.sleep(0.5)
    now = audio_state(share)
    assert not now["paused"] and clip_start - 0.1 <= now["t"] <= clip_start + 2
    shot(share, "full-episode-from-clip")
    assert not errors, errors
    context.close()
