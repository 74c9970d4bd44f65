"""A 3-hour episode opens in clip mode from peaks alone: the browser never fetches the audio
to decode it, and the waveform zooms to millisecond precision."""

from __future__ import annotations

import time

from playwright.sync_api import Browser, Request, expect

from tests.browser.conftest import Server, Shots, collect_errors, sign_in

# Count every decode the page could do, before any of its scripts run.
WATCH_DECODING = """
window.__decodes = 0;
for (const C of [window.AudioContext, window.OfflineAudioContext, window.webkitAudioContext]) {
  if (!C) continue;
  const original = C.prototype.decodeAudioData;
  C.prototype.decodeAudioData = function (...args) {
    window.__decodes++;
    return original.apply(this, args);
  };
}
"""


def test_three_hour_episode_opens_in_clip_mode_without_decoding(
    browser: Browser, server: Server, long_episode: dict
) -> None:
    shot = Shots("long")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(WATCH_DECODING)
    sign_in(context, server)
    page = context.new_page()
    errors = collect_errors(page)
    fetched: list[str] = []

    def watch(request: Request) -> None:
        # the <audio> element streams with Range requests ("media"); a script fetching the
        # file (to decode it) would show up as fetch/xhr
        if "/media/" in request.url and request.resource_type in ("fetch", "xhr"):
            fetched.append(request.url)

    page.on("request", watch)
    began = time.monotonic()
    page.goto(server.url(f"/episodes/{long_episode['id']}?t=5400"))
    # 22,000 words to fetch and lay out: the point here is the audio, not the text's speed
    expect(page.locator(".transcript .w").first).to_be_attached(timeout=30_000)
    page.wait_for_function(
        "() => Math.abs(document.getElementById('sb-audio').currentTime - 5400) < 1"
    )
    page.get_by_test_id("scissors").click()
    editor = page.get_by_test_id("clip-editor")
    expect(editor.locator(".waveform[data-status=ready]")).to_be_visible(timeout=20_000)
    opened = time.monotonic() - began
    shot(page, "clip-mode")

    start = float(page.locator("[data-edge-value=start]").get_attribute("aria-valuenow") or 0)
    assert 5390 < start < 5410  # the span starts at the playhead, 1.5 hours in

    # zoom all the way in: one pixel is a millisecond, far finer than the 100 ms promised
    zoom_in = editor.get_by_role("button", name="Zoom in")
    for _ in range(12):
        zoom_in.click()
    expect(editor.locator(".precision")).to_have_text("1 px = 1 ms")
    shot(page, "zoomed-in")
    for _ in range(30):
        editor.get_by_role("button", name="Zoom out").click()
    shot(page, "zoomed-out")

    audio = page.evaluate(
        "() => { const a = document.getElementById('sb-audio');"
        " return {preload: a.preload, decodes: window.__decodes}; }"
    )
    assert audio == {"preload": "metadata", "decodes": 0}
    assert fetched == [], fetched
    assert opened < 15, f"clip mode took {opened:.1f} s to open"
    # 27,000 words in the transcript, and the page stays responsive
    count = page.locator(".transcript .w").count()
    assert count > 20_000
    lag = page.evaluate(
        "() => new Promise(r => { const t = performance.now();"
        " requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now() - t))); })"
    )
    assert lag < 250, f"two frames took {lag:.0f} ms"
    assert not errors, errors
    context.close()
