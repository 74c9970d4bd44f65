"""Library, search and "Your clips" in the browser: text from feeds stays text, server errors
read as sentences, and a search hit becomes a clip in one tap."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, expect

from tests.browser.conftest import Server, Shots, collect_errors, sign_in, upload, wait_ready
from tests.conftest import DATA

HOSTILE = '<img src=x onerror="window.__xss=1"> & <b>friends</b> — a title long enough to wrap'
SPEECH = DATA / "web" / "librispeech_61-70968-0000.flac"
NOT_AUDIO = DATA / "web" / "bad-media" / "mono.invalid.wav"


def test_titles_stay_text_and_upload_errors_are_readable(
    browser: Browser, server: Server, api: httpx.Client
) -> None:
    shot = Shots("library")
    upload(api, SPEECH, HOSTILE)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    sign_in(context, server)
    page = context.new_page()
    errors = collect_errors(page)
    page.goto(server.url("/"))
    title = page.locator(".episode-title", has_text="friends").first
    expect(title).to_have_text(HOSTILE)
    assert title.locator("b, img").count() == 0
    assert page.evaluate("() => window.__xss") is None

    page.get_by_role("button", name="Add a podcast or upload a file").click()
    page.set_input_files("#upload-file", str(NOT_AUDIO))
    page.get_by_role("button", name="Upload", exact=True).click()
    alert = page.locator(".add-panel [role=alert]")
    expect(alert).to_be_visible()
    # the server's own reason, as a sentence (not a status code, not the app's own check)
    message = alert.inner_text()
    assert "HTTP" not in message and "Choose" not in message and len(message) > 10, message
    shot(page, "upload-error")

    page.get_by_role("tab", name="Add a feed").click()
    page.fill("#feed-url", "http://127.0.0.1:9/feed.xml")
    page.get_by_role("button", name="Add feed").click()
    expect(page.locator(".add-panel [role=alert]")).to_be_visible()
    shot(page, "feed-error")
    assert not errors, errors
    context.close()


def test_search_hit_becomes_a_clip_and_is_listed(
    browser: Browser, server: Server, api: httpx.Client, sonnet: dict
) -> None:
    shot = Shots("search")
    wait_ready(api, sonnet["id"])  # search needs the index stage too
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    sign_in(context, server)
    page = context.new_page()
    errors = collect_errors(page)
    page.goto(server.url("/"))
    expect(page.get_by_role("heading", name="Library", exact=True)).to_be_visible()
    page.keyboard.press("/")
    page.keyboard.type("fairest creatures")
    page.keyboard.press("Enter")
    hit = page.locator(".hit").first
    expect(hit).to_be_visible()
    expect(hit.locator("mark").first).to_be_visible()
    shot(page, "results")
    hit.get_by_role("button", name="Clip this moment", exact=False).click()
    dialog = page.get_by_role("dialog", name="Your clip is ready")
    expect(dialog).to_be_visible()
    clip_title = dialog.locator(".share-title").inner_text()
    page.keyboard.press("Escape")

    page.get_by_role("link", name="Your clips").click()
    expect(page.get_by_role("heading", name="Your clips")).to_be_visible()
    expect(page.locator(".clip-row", has_text=clip_title).first).to_be_visible()
    shot(page, "your-clips")
    assert not errors, errors
    context.close()
