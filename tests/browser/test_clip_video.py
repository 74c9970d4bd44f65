"""The share dialog's video: pick a shape and see a still of it, make it, watch it play
(desktop and phone widths)."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import Server, Shots, collect_errors, sign_in

VIDEO_TIMEOUT_MS = 120_000


def test_the_share_dialog_makes_a_video_that_plays(
    browser: Browser, server: Server, api: httpx.Client, sonnet: dict
) -> None:
    r = api.post(
        "/api/clips",
        json={
            "episode_id": sonnet["id"],
            "start_ms": 2700,
            "end_ms": 5500,
            "title": "A video of the sonnet",
        },
    )
    assert r.status_code == 201, r.text
    for width, name in ((1280, "desktop"), (375, "phone")):
        shot = Shots(f"video-{name}")
        context = browser.new_context(viewport={"width": width, "height": 900})
        sign_in(context, server)
        page = context.new_page()
        errors = collect_errors(page)
        page.goto(server.url("/clips"))
        page.get_by_role("button", name="Share A video of the sonnet").first.click()
        dialog = page.get_by_role("dialog", name="Your clip is ready")
        expect(dialog).to_be_visible()
        still = dialog.get_by_role("img", name=re.compile("^Preview of the 9:16 video"))
        _loaded(page, still)
        dialog.get_by_role("radio", name="16:9").click()
        dialog.get_by_role("radio", name="Bars").click()
        still = dialog.get_by_role("img", name="Preview of the 16:9 video, with captions, bars")
        _loaded(page, still)
        assert "aspect=16x9" in (still.get_attribute("src") or "")
        still.scroll_into_view_if_needed()
        box = still.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        assert abs(box["width"] / box["height"] - 16 / 9) < 0.05  # not squashed
        shot(page, "preview")
        dialog.get_by_role("radio", name="1:1").click()
        dialog.get_by_role("radio", name="Waveform").click()
        _loaded(page, dialog.get_by_role("img", name=re.compile("^Preview of the 1:1 video")))
        dialog.get_by_role("button", name="Make video").scroll_into_view_if_needed()
        shot(page, "options")
        dialog.get_by_role("button", name="Make video").click()
        video = dialog.locator("video")
        expect(video).to_be_visible(timeout=VIDEO_TIMEOUT_MS)
        assert "video-1x1.mp4" in (video.get_attribute("src") or "")
        page.wait_for_function(
            "() => document.querySelector('dialog video').readyState === 4", timeout=30_000
        )
        page.evaluate("() => document.querySelector('dialog video').play()")
        page.wait_for_function(
            "() => document.querySelector('dialog video').currentTime > 0.5", timeout=30_000
        )
        video.scroll_into_view_if_needed()
        box = dialog.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        expect(dialog.get_by_role("link", name="Download video")).to_be_visible()
        shot(page, "playing")
        assert not errors, errors
        context.close()


def _loaded(page: Page, image: Locator) -> None:
    """The preview is shown: the server drew it and the browser decoded it (540 px wide)."""
    expect(image).to_be_visible(timeout=30_000)
    handle = image.element_handle()
    page.wait_for_function("(img) => img.complete && img.naturalWidth === 540", arg=handle)
    expect(image.locator("xpath=..")).not_to_have_attribute("aria-busy", "true")
