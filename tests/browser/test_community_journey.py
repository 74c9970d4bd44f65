"""Issue 12's acceptance journey, in Chromium, with three browsers:

A, the admin: makes an invite link on "Your account" and opens the podcast to the public;
B, a new listener: signs up with the link, subscribes, plays, Marks from the lock screen's
   "next track", refines the draft (a note) and shares it;
C, a signed-out visitor: plays the shared clip, continues to the full public episode at the
   clip's second, and reports the clip; the admin hides it from the moderation queue and the
   link then answers 410, its audio too.

Screenshots of each step (1280 px; the share and public episode pages at 375 px as well) go to
``test-artifacts/screenshots/community-*.png``.
"""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import (
    Server,
    Shots,
    collect_errors,
    shared_link,
    sign_in,
    unlabelled_controls,
)
from tests.browser.test_journey import edge_value
from tests.browser.test_listener import KEEP_MEDIA_HANDLERS, clock, play_until

LISTENER = "wren"
PASSWORD = "wren keeps seven violet lanterns humming"
NOTE = "the couplet about the world's due"


def currentTime(page: Page, selector: str) -> float:
    return float(page.locator(selector).evaluate("a => a.currentTime"))


def clock_tenths(seconds: float) -> str:
    """As the clip editor shows an edge: m:ss.t"""
    return f"{int(seconds) // 60}:{seconds % 60:04.1f}"


def shoot_both(shot: Shots, page: Page, step: str) -> None:
    """The page at 1280 px, then at 375 px (nothing may scroll sideways there)."""
    shot(page, f"{step}-1280", full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, step
    shot(page, f"{step}-375", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_invite_mark_share_report_hide(
    browser: Browser, server: Server, api: httpx.Client, sonnet: dict
) -> None:
    shot = Shots("community")
    podcast_id = sonnet["podcast_id"]
    before = api.get(f"/api/podcasts/{podcast_id}").json()["visibility"]
    admin = browser.new_context(viewport={"width": 1280, "height": 800})
    listener = browser.new_context(viewport={"width": 1280, "height": 800})
    visitor = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        # 1. the admin makes an invite link and opens the podcast to everyone
        sign_in(admin, server)
        a = admin.new_page()
        admin_errors = collect_errors(a)
        a.goto(server.url("/"))
        a.get_by_role("link", name="Your account (owner)").click()
        expect(a.get_by_role("heading", name="Invite listeners")).to_be_visible()
        a.get_by_label("How many people may sign up with it").fill("1")
        a.get_by_role("button", name="Make an invite link").click()
        link = a.get_by_label(re.compile("Your invite link, for 1 sign-up"))
        expect(link).to_have_value(re.compile(r"/signup\?invite=inv"))
        invite_url = link.input_value()
        assert unlabelled_controls(a) == []
        shot(a, "1-invite-link", full_page=True)
        a.goto(server.url(f"/podcasts/{podcast_id}"))
        a.get_by_label("Who can see this podcast").select_option("public")
        expect(a.get_by_text("anyone, and listed on this site")).to_be_visible()
        shot(a, "1-podcast-public")

        # 2. the listener signs up with it, subscribes and plays
        listener.add_init_script(KEEP_MEDIA_HANDLERS)
        b = listener.new_page()
        listener_errors = collect_errors(b)
        b.goto(invite_url)
        expect(b.get_by_role("heading", name="Make an account")).to_be_visible()
        b.get_by_label("User name").fill(LISTENER)
        b.get_by_label("Password", exact=True).fill(PASSWORD)
        b.get_by_label("The same password again").fill(PASSWORD)
        shot(b, "2-sign-up")
        b.get_by_role("button", name="Sign up").click()
        expect(b.get_by_role("heading", name="Library", exact=True)).to_be_visible()
        b.goto(server.url(f"/podcasts/{podcast_id}"))
        subscribe = b.get_by_test_id("subscribe")
        expect(subscribe).to_have_attribute("aria-pressed", "false")
        subscribe.click()
        expect(subscribe).to_have_attribute("aria-pressed", "true")
        shoot_both(shot, b, "2-subscribed")  # the app's header with "Account", on a phone too
        b.goto(server.url(f"/episodes/{sonnet['id']}"))
        b.get_by_role("button", name=f"Play {sonnet['title']}").click()
        play_until(b, 2)
        for _ in range(6):  # → skips 5 s: into the second half, so the clip starts well past 0
            b.keyboard.press("ArrowRight")
        play_until(b, 34)

        # 3. "next track" from the lock screen marks; refine the draft with a note; share it
        b.evaluate("() => window.__media.nexttrack()")
        expect(b.locator(".toast").filter(has_text="Marked")).to_be_visible()
        shot(b, "3-marked")
        b.get_by_role("button", name="Pause").first.click()
        b.get_by_role("link", name="Your clips").click()
        drafts = b.get_by_test_id("drafts").locator("li")
        expect(drafts).to_have_count(1)
        drafts.first.get_by_role("link", name="Refine").click()
        editor = b.get_by_test_id("clip-editor")
        expect(editor.get_by_role("heading", name="Refine draft")).to_be_visible()
        expect(editor.locator(".waveform[data-status=ready]")).to_be_visible()
        marked_start = edge_value(b, "start")
        # move the start: tap "But" (the player seeks there), then "Start here"
        b.locator(".transcript .w").filter(has_text=re.compile(r"^But$")).first.click()
        editor.get_by_role("button", name="Set the start at the playhead").click()
        expect(b.locator("[data-edge-value=start]")).not_to_have_text(clock_tenths(marked_start))
        refined_start = edge_value(b, "start")
        assert refined_start > marked_start + 3, (marked_start, refined_start)
        editor.get_by_label("Note").fill(NOTE)
        editor.get_by_label("Who can see it").select_option("public")
        shot(b, "3-refine")
        editor.get_by_role("button", name="Share clip").click()
        dialog = b.get_by_role("dialog", name="Your clip is ready")
        expect(dialog).to_be_visible()
        share_url = shared_link(dialog)
        assert re.search(r"/c/[A-Za-z0-9]{12,}$", share_url), share_url
        shot(b, "3-shared")
        clip = listener.request.get(server.url(f"/api/clips/{share_url.rsplit('/', 1)[1]}"))
        clip_data = clip.json()
        assert clip_data["note"] == NOTE and not clip_data["draft"]
        clip_start = clip_data["start_ms"] / 1000
        assert abs(clip_start - refined_start) < 0.3, (clip_start, refined_start)
        assert clip_data["title"].startswith("But thou")  # Mark's title followed the new words

        # 4. signed out: the clip plays, then the full public episode from the clip's second
        c = visitor.new_page()
        visitor_errors = collect_errors(c)
        c.goto(share_url)
        expect(c.get_by_role("heading", name=clip_data["title"])).to_be_visible()
        expect(c.get_by_text(NOTE)).to_be_visible()
        assert c.request.get(f"{share_url}/audio.mp3").status == 200
        c.locator("audio.player").evaluate("a => a.play()")
        c.wait_for_function("() => document.querySelector('audio.player').currentTime > 0.5")
        shoot_both(shot, c, "4-share-page")
        c.get_by_role("link", name=f"Play the full episode from {clock(clip_start)}").click()
        expect(c).to_have_url(
            re.compile(rf"/podcasts/{podcast_id}/episodes/{sonnet['id']}-[a-z0-9-]+\?t=")
        )
        expect(c.get_by_role("heading", name=sonnet["title"])).to_be_visible()
        expect(c.get_by_role("status")).to_contain_text(f"Starting at {clock(clip_start)}")
        c.wait_for_function(
            "s => Math.abs(document.querySelector('audio.player').currentTime - s) < 1",
            arg=clip_start,
        )
        c.locator("audio.player").evaluate("a => a.play()")
        c.wait_for_function(
            "s => document.querySelector('audio.player').currentTime > s + 0.3", arg=clip_start
        )
        assert currentTime(c, "audio.player") < clip_start + 5  # from there, not from 0
        shoot_both(shot, c, "4-public-episode")

        # 5. the visitor reports the clip
        c.goto(share_url)
        c.get_by_text("Report this clip").click()
        c.get_by_label("Spam or advertising").check()
        c.get_by_label("Anything a moderator should know").fill("An advert in disguise")
        shot(c, "5-report", full_page=True)
        c.get_by_role("button", name="Send report").click()
        expect(c.get_by_role("heading", name="Thank you")).to_be_visible()
        shot(c, "5-reported")

        # 6. the admin hides it from the queue; the link says 410 and its audio stops
        a.goto(server.url("/moderation"))
        item = a.locator(".queue-item", has_text=clip_data["title"])
        expect(item).to_contain_text("Spam or advertising")
        expect(item).to_contain_text("An advert in disguise")
        shot(a, "6-queue", full_page=True)
        item.get_by_role("button", name="Hide clip").click()
        expect(a.get_by_role("status")).to_contain_text("Clip hidden")
        shot(a, "6-hidden")
        gone = c.goto(share_url)
        assert gone is not None and gone.status == 410
        expect(c.get_by_role("heading", level=1)).to_have_text("This clip was removed")
        assert c.request.get(f"{share_url}/audio.mp3").status == 410
        shot(c, "6-removed")
        # a mistaken hide can be undone: the clip waits under "Hidden clips"
        a.goto(server.url("/moderation#hidden"))
        hidden_item = a.locator(".hidden-list .queue-item", has_text=clip_data["title"])
        expect(hidden_item.get_by_role("button", name="Unhide")).to_be_visible()
        assert not unlabelled_controls(a)
        shoot_both(shot, a, "6-hidden-list")
        assert admin_errors == [] and listener_errors == [] and visitor_errors == []
    finally:
        # the podcast is shared with the other browser tests: leave it as it was
        api.patch(f"/api/podcasts/{podcast_id}", json={"visibility": before}).raise_for_status()
        for context in (admin, listener, visitor):
            context.close()
