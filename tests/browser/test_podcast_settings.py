"""A podcast's settings page: a creator changes its details and the brand of its clip videos
(colours, caption style, logo), sees the server's frame change, and reads the API's reason for
a bad value next to the field; a listener gets no link and is told they may not."""

from __future__ import annotations

import io
import re
from pathlib import Path

import httpx
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import Server, Shots, collect_errors, unlabelled_controls

PASSWORD = "a long enough password 42"
PAPER = (245, 245, 220)  # #f5f5dc
DEFAULT_BACKGROUND = (24, 24, 27)  # #18181b


def _account(server: Server, api: httpx.Client, username: str, invite: str) -> None:
    with httpx.Client(base_url=server.base, timeout=30) as client:
        r = client.post(
            "/api/auth/signup", json={"username": username, "password": PASSWORD, "invite": invite}
        )
        assert r.status_code == 201, r.text


def _signed_in(browser: Browser, server: Server, username: str, width: int) -> BrowserContext:
    context = browser.new_context(viewport={"width": width, "height": 900})
    r = context.request.post(
        server.url("/api/auth/login"), data={"username": username, "password": PASSWORD}
    )
    assert r.ok, r.text()
    return context


def _logo(path: Path) -> Path:
    img = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    ImageDraw.Draw(img).ellipse((16, 16, 240, 240), fill=(220, 20, 60, 255))
    img.save(path, "PNG")
    return path


def _preview(page: Page, server: Server) -> tuple[str, bytes]:
    """The preview's URL once the browser has drawn it, and its bytes as the server sends them."""
    still = page.get_by_test_id("brand-preview")
    expect(still).to_be_visible(timeout=60_000)
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth === 540",
        arg=still.element_handle(),
        timeout=60_000,
    )
    src = still.get_attribute("src") or ""
    r = page.request.get(server.url(src))
    assert r.ok and r.headers["content-type"] == "image/png"
    return src, r.body()


def _corner(png: bytes) -> tuple[int, int, int]:
    rgb = Image.open(io.BytesIO(png)).convert("RGB")
    return rgb.getpixel((5, 5))  # type: ignore[return-value]


def _near(a: tuple[int, int, int], b: tuple[int, int, int], within: int = 24) -> bool:
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) <= within


def test_a_creator_brands_the_podcast_and_a_listener_is_refused(
    browser: Browser, server: Server, api: httpx.Client, sonnet: dict, tmp_path: Path
) -> None:
    podcast_id = sonnet["podcast_id"]
    before = api.get(f"/api/podcasts/{podcast_id}").json()
    r = api.post(
        "/api/clips",
        json={"episode_id": sonnet["id"], "start_ms": 2700, "end_ms": 6500, "title": "Brand me"},
    )
    assert r.status_code == 201, r.text
    clip_id = r.json()["id"]
    r = api.post("/api/invites", json={"max_uses": 2})
    assert r.status_code == 201, r.text
    invite = r.json()["token"]
    _account(server, api, "brandmaker", invite)
    _account(server, api, "brandlistener", invite)
    api.put(f"/api/podcasts/{podcast_id}/creators/brandmaker").raise_for_status()
    logo = _logo(tmp_path / "logo.png")
    shot = Shots("podcast-settings")
    try:
        # 1. the creator finds Settings on the podcast's page
        context = _signed_in(browser, server, "brandmaker", 1280)
        page = context.new_page()
        errors = collect_errors(page)
        page.goto(server.url(f"/podcasts/{podcast_id}"))
        page.get_by_role("link", name=f"Settings for {before['title']}").click()
        expect(page).to_have_url(re.compile(rf"/podcasts/{podcast_id}/settings$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Settings: {before['title']}")
        expect(page.get_by_label("Background", exact=True)).to_have_value("#18181b")
        first_src, first = _preview(page, server)
        assert _near(_corner(first), DEFAULT_BACKGROUND)
        assert not unlabelled_controls(page)
        shot(page, "opened-1280", full_page=True)

        # 2. a colour that is not #rrggbb: the API's reason, under that field; nothing saved
        brand = page.get_by_role("region", name="Brand for clip videos")
        page.get_by_label("Background", exact=True).fill("red")
        brand.get_by_role("button", name="Save brand").click()
        refusal = page.locator("#background-error")
        expect(refusal).to_contain_text("A colour is written #rrggbb (six hex digits)")
        expect(refusal).to_contain_text("'red'")
        expect(page.get_by_label("Background", exact=True)).to_have_attribute(
            "aria-invalid", "true"
        )
        assert api.get(f"/api/podcasts/{podcast_id}/brand").json()["background"] == "#18181b"
        shot(page, "bad-colour")

        # 3. a colour typed, the caption style picked with the keyboard, a logo chosen: save
        page.get_by_label("Background", exact=True).fill("#F5F5DC")
        expect(refusal).to_have_count(1)  # the message stays until the next save
        page.get_by_role("radio", name=re.compile("^Highlight")).focus()
        page.keyboard.press("ArrowDown")
        expect(page.get_by_role("radio", name=re.compile("^Karaoke"))).to_be_checked()
        page.get_by_label("Logo").set_input_files(str(logo))
        expect(page.get_by_role("img", name="The chosen logo (not saved yet)")).to_be_visible()
        expect(page.locator("#brand-state")).to_have_text("Unsaved changes")
        brand.get_by_role("button", name="Save brand").click()
        expect(page.locator("#brand-state")).to_have_text("Saved")
        expect(refusal).to_have_count(0)
        expect(page.get_by_test_id("brand-preview")).to_have_attribute(
            "src", re.compile(r"[?&]v=1$")
        )
        second_src, second = _preview(page, server)
        assert second_src != first_src and second != first  # the server drew it again
        assert _near(_corner(second), PAPER)  # in the new background
        saved = api.get(f"/api/podcasts/{podcast_id}/brand").json()
        assert saved == {
            "background": "#f5f5dc",
            "accent": "#c2410c",
            "caption_style": "karaoke",
            "caption_size": "medium",
            "has_logo": True,
        }
        shot(page, "saved-1280", full_page=True)

        # 4. the details: a blank title is refused under the title; a description is kept
        details = page.get_by_role("region", name="Details")
        details.get_by_label("Title").fill("  ")
        details.get_by_role("button", name="Save details").click()
        expect(page.locator("#podcast-title-error")).to_contain_text("A title cannot be empty")
        details.get_by_label("Title").fill(before["title"])
        details.get_by_label("Description").fill("Sonnets, read aloud; branded in paper.")
        details.get_by_role("button", name="Save details").click()
        expect(page.locator("#podcast-title-error")).to_have_count(0)
        expect(page.get_by_text("Details saved.")).to_be_visible()

        # 5. a reload shows what was saved
        page.reload()
        expect(page.get_by_label("Background", exact=True)).to_have_value("#f5f5dc")
        expect(page.get_by_role("radio", name=re.compile("^Karaoke"))).to_be_checked()
        expect(page.get_by_label("Description")).to_have_value(
            "Sonnets, read aloud; branded in paper."
        )
        stored = page.get_by_role("img", name="The podcast's logo")
        expect(stored).to_be_visible()
        page.wait_for_function(
            "(img) => img.complete && img.naturalWidth === 256", arg=stored.element_handle()
        )
        _, reloaded = _preview(page, server)
        assert reloaded == second
        assert not errors, errors
        context.close()

        # 6. at phone width: one column, nothing wider than the screen
        context = _signed_in(browser, server, "brandmaker", 375)
        page = context.new_page()
        page.goto(server.url(f"/podcasts/{podcast_id}/settings"))
        _preview(page, server)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
        assert not unlabelled_controls(page)
        shot(page, "phone-375", full_page=True)
        context.close()

        # 7. a listener: no link, and the page says they cannot, in the API's words
        context = _signed_in(browser, server, "brandlistener", 1280)
        page = context.new_page()
        errors = collect_errors(page)
        page.goto(server.url(f"/podcasts/{podcast_id}"))
        expect(page.get_by_role("heading", level=1)).to_have_text(before["title"])
        expect(page.get_by_role("link", name=re.compile("Settings"))).to_have_count(0)
        page.goto(server.url(f"/podcasts/{podcast_id}/settings"))
        told = page.get_by_test_id("refusal")
        expect(told).to_contain_text("You can't change the settings of")
        expect(told).to_contain_text("Only an admin or this podcast's creators may change it")
        expect(page.get_by_label("Background", exact=True)).to_have_count(0)
        shot(page, "listener-refused")
        assert not errors, errors
        context.close()
    finally:  # the podcast is shared with the other browser tests
        api.patch(
            f"/api/podcasts/{podcast_id}/brand",
            json={"background": None, "accent": None, "caption_style": "highlight"},
        ).raise_for_status()
        api.delete(f"/api/podcasts/{podcast_id}/brand/logo")
        api.patch(
            f"/api/podcasts/{podcast_id}",
            json={"title": before["title"], "description": before["description"] or " "},
        )
        api.delete(f"/api/podcasts/{podcast_id}/creators/brandmaker")
        api.delete(f"/api/clips/{clip_id}")
