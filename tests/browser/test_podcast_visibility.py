"""An admin chooses who can see a podcast from its page, and a signed-out browser feels it:
an unlisted podcast opens by its link, a private one asks to sign in."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, expect

from tests.browser.conftest import (
    Server,
    Shots,
    collect_errors,
    sign_in,
    unlabelled_controls,
    upload,
)
from tests.conftest import DATA

SPEECH = DATA / "web" / "librispeech_61-70968-0000.flac"


def test_admin_sets_visibility_and_a_visitor_sees_the_effect(
    browser: Browser, server: Server, api: httpx.Client
) -> None:
    shot = Shots("podcast-visibility")
    episode_id = upload(api, SPEECH, "Visibility check")
    podcast_id = api.get(f"/api/episodes/{episode_id}").json()["podcast_id"]
    assert api.get(f"/api/podcasts/{podcast_id}").json()["visibility"] == "private"

    for width, now, hint in (
        (1280, "private", "signed-in members only"),
        (375, "unlisted", "anyone with the link; never listed"),
    ):
        context = browser.new_context(viewport={"width": width, "height": 800})
        sign_in(context, server)
        page = context.new_page()
        errors = collect_errors(page)
        page.goto(server.url(f"/podcasts/{podcast_id}"))
        control = page.get_by_label("Who can see this podcast")
        expect(control).to_have_value(now)
        expect(page.get_by_text(hint)).to_be_visible()
        assert unlabelled_controls(page) == []
        shot(page, f"{now}-{width}")
        if width == 1280:
            control.select_option("unlisted")
            expect(page.get_by_text("anyone with the link; never listed")).to_be_visible()
            shot(page, f"changed-{width}")
        assert errors == []
        context.close()
    assert api.get(f"/api/podcasts/{podcast_id}").json()["visibility"] == "unlisted"

    visitor = browser.new_context(viewport={"width": 375, "height": 800})
    page = visitor.new_page()
    page.goto(server.url(f"/podcasts/{podcast_id}"))
    expect(page.locator("h1")).to_have_text("Uploads")
    expect(page.get_by_label("Who can see this podcast")).to_have_count(0)  # not an admin
    expect(page.locator(".episode-title", has_text="Visibility check")).to_be_visible()
    shot(page, "visitor-unlisted")
    page.goto(server.url("/"))
    assert "/login" in page.url  # unlisted is never listed, and nothing else is public

    api.patch(f"/api/podcasts/{podcast_id}", json={"visibility": "private"}).raise_for_status()
    page.goto(server.url(f"/podcasts/{podcast_id}"))
    assert "/login" in page.url
    visitor.close()
