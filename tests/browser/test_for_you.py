"""For you, in Chromium (issue 16 acceptance): two listeners with different histories get
different feeds, each item with its reason; one who turns personalisation off gets the popular
feed; deleting history changes the feed after the next training run. The feed plays in place
(tap, the arrow keys) and opens the episode; screenshots at 1280 and 375 px."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from soundbite.bootstrap import Soundbite
from soundbite.settings import Settings
from soundbite.store.models import Episode
from tests.browser.conftest import Server, Shots, collect_errors, unlabelled_controls
from tests.conftest import MODEL_DIR
from tests.for_you_support import add_shows

PASSWORD = "a listener's own sturdy passphrase"
SHOTS_DIR = Path("/tmp/shots-foryou16")


def soundbite(server: Server, *args: str) -> str:
    """The `soundbite` command on the running server's data dir, as an admin would run it."""
    cli = Path(sys.executable).parent / "soundbite"
    env = {**os.environ, "SOUNDBITE_DATA_DIR": str(server.data_dir)}
    done = subprocess.run([str(cli), *args], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 or "is taken" in done.stderr, done.stderr
    return done.stdout


def _server_app(server: Server) -> Soundbite:
    return Soundbite.from_settings(
        Settings(data_dir=server.data_dir, model_dir=MODEL_DIR, workers=0), migrate=False
    )


@pytest.fixture
def shows(server: Server, sonnet: dict) -> Iterator[dict[str, list[int]]]:
    """Three shows about different things (and a members-only one), playable: their episodes
    use the demo recording's audio. Afterwards they are made members-only, since the browser
    tests share one server and others expect a visitor to find nothing public."""
    app = _server_app(server)
    try:
        made = add_shows(app, owner_id=1)
        with app.db.write() as s:
            sha = s.get_one(Episode, sonnet["id"]).media_sha256
            for ids in made.values():
                for episode_id in ids:
                    s.get_one(Episode, episode_id).media_sha256 = sha
    finally:
        app.close()
    yield made
    app = _server_app(server)
    try:
        with app.db.write() as s:
            for ids in made.values():
                s.get_one(Episode, ids[0]).podcast.visibility = "private"
    finally:
        app.close()


def listener(browser: Browser, server: Server, name: str, width: int = 1280) -> BrowserContext:
    soundbite(server, "users", "add", name, "--password", PASSWORD)
    context = browser.new_context(viewport={"width": width, "height": 900})
    r = context.request.post(
        server.url("/api/auth/login"), data={"username": name, "password": PASSWORD}
    )
    assert r.ok, r.text()
    context.set_extra_http_headers({"X-CSRF-Token": r.json()["csrf_token"]})
    return context


def finish(context: BrowserContext, server: Server, episode_id: int) -> None:
    url = server.url(f"/api/episodes/{episode_id}/progress")
    for position in (0, 10**9):
        assert context.request.put(url, data={"position_ms": position}).ok


def cards(page: Page) -> list[str]:
    page.wait_for_selector(".fy-card")
    return page.locator(".fy-card .fy-title").all_inner_texts()


def reasons(page: Page) -> list[str]:
    return page.locator(".fy-card .fy-reason").all_inner_texts()


def eyebrows(page: Page) -> set[str]:
    return set(page.locator(".fy-card .fy-eyebrow").all_inner_texts())


def test_for_you_feeds_reasons_opt_out_and_deleting_history(
    browser: Browser, server: Server, api: httpx.Client, shows: dict[str, list[int]]
) -> None:
    shots = Shots("for-you")
    SHOTS_DIR.mkdir(exist_ok=True)
    ann, bob = listener(browser, server, "annika"), listener(browser, server, "bruno")
    for e in shows["Kitchen Table"][:2]:
        finish(ann, server, e)
    for e in shows["Orbit Hour"][:2]:
        finish(bob, server, e)
    soundbite(server, "recommend", "train", "--full")  # the job `serve` runs on its timer

    # 1. different histories, different feeds, every item with its reason
    page = ann.new_page()
    errors = collect_errors(page)
    page.goto(server.url("/for-you"))
    ann_cards = cards(page)
    assert ann_cards[0].startswith("Kitchen Table"), ann_cards
    assert all(r.strip() for r in reasons(page)) and len(reasons(page)) == len(ann_cards)
    expect(page.locator(".fy-card").first.locator(".fy-reason")).to_contain_text(
        "Because you finished Kitchen Table"
    )
    assert not unlabelled_controls(page)
    shots(page, "ann-1280")
    page.screenshot(path=str(SHOTS_DIR / "for-you-1280.png"))
    bob_page = bob.new_page()
    bob_page.goto(server.url("/for-you"))
    bob_cards = cards(bob_page)
    assert bob_cards[0].startswith("Orbit Hour"), bob_cards
    assert ann_cards != bob_cards

    # playable in place: tap to hear, the arrow key moves on and plays the next
    first = page.locator(".fy-card").first
    first.locator(".fy-play").click()
    page.wait_for_function(
        "() => { const a = document.getElementById('sb-feed-audio');"
        " return a && !a.paused && a.currentTime > 0.2; }"
    )
    page.keyboard.press("ArrowDown")
    expect(page.locator(".fy-card").nth(1)).to_have_attribute("aria-current", "true")
    page.wait_for_function("() => !document.getElementById('sb-feed-audio').paused")
    page.keyboard.press("p")
    page.wait_for_function("() => document.getElementById('sb-feed-audio').paused")
    # the reason links to the signal behind it, which the listener can see (and delete)
    first.locator(".fy-reason a").click()
    expect(page).to_have_url(re.compile(r"/for-you/signals#signal-"))
    expect(page.locator(".signal-row.focused")).to_contain_text("Finished")
    shots(page, "signals")
    page.go_back()
    # one tap opens the episode
    page.locator(".fy-card").first.locator(".fy-open").click()
    expect(page).to_have_url(re.compile(r"/episodes/\d+"))

    # the help overlay lists the feed's keys
    page.goto(server.url("/for-you"))
    cards(page)
    page.keyboard.press("?")
    expect(page.get_by_role("dialog")).to_contain_text("Next item")

    # 2. personalisation off: the popular feed
    page.keyboard.press("Escape")
    page.get_by_label("Personalise my feed").uncheck()
    expect(page.locator(".fy-card .fy-eyebrow").first).to_have_text(
        re.compile("Popular on this server|New on this server", re.I)
    )
    # the new feed starts at its top, with the popular row
    expect(page.locator(".fy-card").first).to_have_attribute("aria-current", "true")
    assert page.evaluate("() => document.querySelector('.fy-feed').scrollTop") == 0
    shown = {e.upper() for e in eyebrows(page)}
    assert shown <= {"POPULAR ON THIS SERVER", "NEW ON THIS SERVER"}, shown
    assert not any(r.startswith("Because you") for r in reasons(page))
    shots(page, "ann-opted-out")

    # 3. deleting history changes the feed after the next training run
    assert any("Because you finished Orbit Hour" in r for r in reasons(bob_page))
    bob_page.goto(server.url("/history"))
    bob_page.once("dialog", lambda d: d.accept())
    bob_page.get_by_role("button", name="Clear history").click()
    expect(bob_page.get_by_text("Nothing played yet")).to_be_visible()
    soundbite(server, "recommend", "train")
    bob_page.goto(server.url("/for-you"))
    cards(bob_page)
    assert not any("Because you finished Orbit Hour" in r for r in reasons(bob_page))
    assert not any(r.startswith("Pick up where") for r in reasons(bob_page))

    # a phone: one column, nothing cut off (personalised again)
    phone = listener(browser, server, "annika", width=375)
    on = phone.request.put(server.url("/api/for-you/privacy"), data={"personalised": True})
    assert on.ok
    soundbite(server, "recommend", "train")
    small = phone.new_page()
    small.goto(server.url("/for-you"))
    cards(small)
    overflow = small.evaluate("() => document.documentElement.scrollWidth - innerWidth")
    assert overflow <= 0, overflow
    small.screenshot(path=str(SHOTS_DIR / "for-you-375.png"))
    shots(small, "ann-375")
    assert not errors, errors
    for c in (ann, bob, phone):
        c.close()
