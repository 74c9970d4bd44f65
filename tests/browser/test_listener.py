"""A listener's own listening, in Chromium: play, press M, find the draft in Drafts, and open
the same episode in a second browser (another context, the same account) where it offers to
resume at the position the first one stored. Clip mode at 1280 px keeps the player's top row
in view below the sticky header."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import (
    Server,
    Shots,
    audio_state,
    collect_errors,
    unlabelled_controls,
)

LISTENER = "lena"
PASSWORD = "lena's own sturdy listening passphrase"


def add_listener(server: Server) -> None:
    """`soundbite users add`, as an admin would, on the running server's data dir."""
    cli = Path(sys.executable).parent / "soundbite"
    env = {**os.environ, "SOUNDBITE_DATA_DIR": str(server.data_dir)}
    done = subprocess.run(
        [str(cli), "users", "add", LISTENER, "--password", PASSWORD],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 or "already" in done.stderr + done.stdout, done.stderr


# What a lock screen or headset does: call the handler the page gave the Media Session. The
# browser offers no way to press those buttons from a test, so the page's handlers are kept
# where the test can call them, exactly as the system would.
KEEP_MEDIA_HANDLERS = """
  window.__media = {};
  const set = navigator.mediaSession.setActionHandler.bind(navigator.mediaSession);
  navigator.mediaSession.setActionHandler = (action, fn) => {
    window.__media[action] = fn;
    set(action, fn);
  };
"""


def signed_in(browser: Browser, server: Server, width: int = 1280) -> BrowserContext:
    context = browser.new_context(viewport={"width": width, "height": 800})
    context.add_init_script(KEEP_MEDIA_HANDLERS)
    r = context.request.post(
        server.url("/api/auth/login"), data={"username": LISTENER, "password": PASSWORD}
    )
    assert r.ok, r.text()
    return context


def clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 60}:{s % 60:02d}"


def play_until(page: Page, seconds: float) -> None:
    page.wait_for_function(
        f"() => document.getElementById('sb-audio').currentTime > {seconds}", timeout=30_000
    )


def test_mark_drafts_and_resume_on_another_browser(
    browser: Browser, server: Server, sonnet: dict
) -> None:
    add_listener(server)
    shot = Shots("listener")
    laptop = signed_in(browser, server)
    page = laptop.new_page()
    errors = collect_errors(page)
    page.goto(server.url(f"/episodes/{sonnet['id']}"))
    page.get_by_role("button", name=f"Play {sonnet['title']}").click()
    play_until(page, 14)

    # M: a draft of the last 30 s, snapped to sentences, and a toast that can undo it
    page.keyboard.press("m")
    toast = page.locator(".toast").filter(has_text="Marked")
    expect(toast).to_be_visible()
    shot(page, "marked")
    toast.get_by_role("button", name="Undo").click()
    expect(page.locator(".toast").filter(has_text="Mark undone")).to_be_visible()

    # the lock screen's / headset's "next track" marks too
    page.evaluate("() => window.__media.nexttrack()")
    expect(page.locator(".toast").filter(has_text="Marked")).to_be_visible()

    # pausing reports the position (the second browser resumes there)
    with page.expect_response(
        lambda r: r.url.endswith(f"/episodes/{sonnet['id']}/progress") and r.request.method == "PUT"
    ) as reported:
        page.get_by_role("button", name="Pause").first.click()
    stored_ms = reported.value.json()["position_ms"]
    assert stored_ms >= 14_000
    assert abs(stored_ms / 1000 - audio_state(page)["t"]) < 1.0

    # the draft waits in Drafts (and not among the shared clips)
    page.get_by_role("link", name="Your clips").click()
    drafts = page.get_by_test_id("drafts").locator("li")
    expect(drafts).to_have_count(1)
    expect(drafts.first.get_by_role("link", name="Refine")).to_be_visible()
    expect(page.get_by_test_id("clips").locator("li")).to_have_count(0)
    assert unlabelled_controls(page) == []
    shot(page, "drafts", full_page=True)

    # refine: the draft opens in the clip tool; add a note and save it to "your clips"
    drafts.first.get_by_role("link", name="Refine").click()
    editor = page.get_by_test_id("clip-editor")
    expect(editor.get_by_role("heading", name="Refine draft")).to_be_visible()
    player_top = page.evaluate(
        "() => document.querySelector('.now-playing').getBoundingClientRect().top"
    )
    header_bottom = page.evaluate(
        "() => document.querySelector('header.top').getBoundingClientRect().bottom"
    )
    assert player_top >= header_bottom, "the player's top row is hidden under the header"
    shot(page, "refine")
    editor.get_by_label("Note").fill("the line about increase")
    editor.get_by_label("Who can see it").select_option("private")
    editor.get_by_role("button", name="Save to your clips").click()
    expect(page.locator(".toast").filter(has_text="Saved to your clips")).to_be_visible()
    page.get_by_role("link", name="Your clips").click()
    expect(page.get_by_test_id("clip-note")).to_have_text("the line about increase")
    expect(page.get_by_test_id("drafts").locator("li")).to_have_count(0)

    # a second browser of the same listener: "Resume at" the stored position
    phone = signed_in(browser, server, width=375)
    other = phone.new_page()
    other_errors = collect_errors(other)
    other.goto(server.url(f"/episodes/{sonnet['id']}"))
    resume = other.get_by_test_id("resume")
    expect(resume).to_have_text(f"Resume at {clock(stored_ms / 1000)}")
    shot(other, "resume-offer")
    resume.click()
    play_until(other, stored_ms / 1000)
    assert audio_state(other)["t"] < stored_ms / 1000 + 3  # from there, not from the start
    other.get_by_role("button", name="Pause").first.click()

    # both played it: it is in the history, newest first
    other.get_by_role("link", name="History").click()
    expect(other.get_by_test_id("history").locator("li")).to_have_count(1)
    shot(other, "history")
    assert errors == [] and other_errors == []
    laptop.close()
    phone.close()
