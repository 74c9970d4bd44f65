"""Listening curves end to end (issue 14, part 3): a signed-in listener plays part of an
episode, goes back and hears its start again; after the rollup, the creator's dashboard draws
the retention and "most replayed" curves over the waveform, lists the replayed moment, and a
click on the chart opens the clip tool at that second. The CSV agrees. Screenshots at 1280 and
375 px.

The episode is an upload of its own (the sonnet, encoded again so that it is a file of its
own too), and the listener an account of its own, so that other tests on the shared server
neither add to its curve nor see its listening as theirs.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect

from soundbite.media.ffmpeg import run_ffmpeg
from tests.browser.conftest import (
    SONNET,
    Server,
    Shots,
    collect_errors,
    sign_in,
    unlabelled_controls,
    upload,
    wait_ready,
)
from tests.browser.test_analytics import _roll_up

AUDIO = "document.getElementById('sb-audio')"
LISTENER = "curt"
PASSWORD = "curt's own sturdy listening passphrase"


def _listener(browser: Browser, server: Server) -> BrowserContext:
    """A listener account of this test's own (`soundbite users add`), signed in."""
    cli = Path(sys.executable).parent / "soundbite"
    env = {**os.environ, "SOUNDBITE_DATA_DIR": str(server.data_dir)}
    done = subprocess.run(
        [str(cli), "users", "add", LISTENER, "--password", PASSWORD],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 or "taken" in done.stderr, done.stderr
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    r = context.request.post(
        server.url("/api/auth/login"), data={"username": LISTENER, "password": PASSWORD}
    )
    assert r.ok, r.text()
    return context


def _play_until(page: Page, seconds: float) -> None:
    page.wait_for_function(f"() => {AUDIO}.currentTime >= {seconds}", timeout=60_000, polling=100)


def _whole_page_loaded(page: Page) -> None:
    """The rest of the dashboard too, so the screenshot shows the curves in their page."""
    expect(page.locator("[data-metric=downloads] .stat-value")).to_be_visible()
    expect(page.locator("ol.funnel")).to_be_visible()
    expect(page.locator(".chart:not(.curve-chart) canvas")).to_be_visible()
    expect(page.get_by_text("Loading…")).to_have_count(0)


def test_a_listener_plays_then_the_creator_sees_the_curves_and_clips_a_peak(
    browser: Browser, server: Server, api: object, tmp_path: Path
) -> None:
    shot = Shots("listening-curves")
    own = tmp_path / "sonnet-again.mp3"
    run_ffmpeg(["-i", SONNET, "-ac", "1", "-c:a", "libmp3lame", "-b:a", "48k", own])
    episode_id = upload(api, own, "Sonnet 1, for the listening curves")  # type: ignore[arg-type]
    wait_ready(api, episode_id, stages={"probe", "peaks"})  # type: ignore[arg-type]

    # the listener plays 0-16 s at double speed, goes back to 1 s and hears 1-9 s again
    listener = _listener(browser, server)
    page = listener.new_page()
    errors = collect_errors(page)
    page.goto(server.url(f"/episodes/{episode_id}"))
    page.get_by_role("button", name="Play Sonnet 1, for the listening curves").click()
    page.wait_for_function(f"() => {AUDIO}.currentSrc && {AUDIO}.readyState >= 1")
    page.evaluate(f"() => {{ const a = {AUDIO}; a.muted = true; a.playbackRate = 2; a.play(); }}")
    _play_until(page, 16)
    page.evaluate(f"() => {{ {AUDIO}.currentTime = 1; }}")
    page.wait_for_function(f"() => {AUDIO}.currentTime < 5")
    _play_until(page, 9)
    page.evaluate(f"() => {AUDIO}.pause()")
    # the page being hidden sends the batch (sendBeacon on visibilitychange and pagehide)
    # (Playwright shows neither a beacon sent while the page unloads nor its body, so the
    # test dispatches the event and reads the answer: 0-15 s, then 0-10 s again)
    with page.expect_response(
        lambda r: r.url.endswith(f"/api/analytics/episodes/{episode_id}/listening")
    ) as sent:
        page.evaluate("() => window.dispatchEvent(new Event('pagehide'))")
    assert sent.value.status == 202
    assert sent.value.json() == {"kept": True, "hearings": 5, "reason": None}
    assert not errors, errors
    _roll_up(server)

    # the creator's dashboard for the episode
    creator = browser.new_context(viewport={"width": 1280, "height": 900})
    sign_in(creator, server)
    page = creator.new_page()
    errors = collect_errors(page)
    page.goto(server.url(f"/analytics?episode_id={episode_id}"))
    curves = page.get_by_role("region", name=re.compile("Listening curves"))
    expect(curves.get_by_test_id("curves-started")).to_contain_text("1 listener started it")
    chart = curves.get_by_test_id("curve-chart")
    expect(chart.locator("canvas")).to_be_visible()
    peaks = curves.get_by_test_id("clip-peak")
    expect(peaks).to_have_count(1)  # buckets 0 and 1 are one moment
    expect(peaks.first).to_have_text("Clip from 0:00")
    expect(peaks.first).to_have_attribute("href", f"/episodes/{episode_id}?t=0&clip=1")
    assert not unlabelled_controls(page)
    _whole_page_loaded(page)
    shot(page, "dashboard-1280", full_page=True)

    exported = creator.request.get(
        server.url(f"/api/analytics/episodes/{episode_id}/retention?format=csv")
    )
    assert exported.ok
    rows = list(csv.DictReader(io.StringIO(exported.text())))
    heard = [(r["listeners"], r["retention"], r["replays"]) for r in rows[:4]]
    assert heard == [("1", "1.0", "1"), ("1", "1.0", "1"), ("1", "1.0", "0"), ("0", "0.0", "0")]
    assert {r["started"] for r in rows} == {"1"}

    # a click on the curve at about 20 s opens the clip tool there
    over = chart.locator(".u-over")
    box = over.bounding_box()
    assert box
    duration_s = float(rows[-1]["start_s"]) + 5
    over.click(position={"x": box["width"] * 20 / duration_s, "y": box["height"] / 2})
    expect(page).to_have_url(re.compile(rf"/episodes/{episode_id}\?t=(19|20|21)&clip=1$"))
    expect(page.get_by_test_id("clip-editor")).to_be_visible()
    at = page.evaluate(f"() => {AUDIO}.currentTime")
    assert 18.5 <= at <= 21.5, at
    shot(page, "clip-from-the-curve")

    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(server.url(f"/analytics?episode_id={episode_id}"))
    expect(curves.get_by_test_id("clip-peak")).to_have_count(1)
    expect(chart.locator("canvas")).to_be_visible()
    _whole_page_loaded(page)
    shot(page, "dashboard-375", full_page=True)
    wide = page.evaluate(
        "() => [...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > 376)"
        ".map(e => e.tagName + '.' + e.className).slice(0, 5)"
    )
    assert not wide, f"the dashboard scrolls sideways at 375 px: {wide}"
    assert not errors, errors
