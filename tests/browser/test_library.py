"""Library, search and "Your clips" in the browser: text from feeds stays text, server errors
read as sentences, and a search hit becomes a clip in one tap."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
from playwright.sync_api import Browser, expect

from tests.browser.conftest import (
    Server,
    Shots,
    collect_errors,
    sign_in,
    unlabelled_controls,
    upload,
    wait_ready,
)
from tests.conftest import DATA, OWNER_PASSWORD

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


def test_a_question_reads_as_passages_that_answer_it(
    browser: Browser, server: Server, api: httpx.Client, sonnet: dict
) -> None:
    """A question is answered by passage: the status line says so and names the words it was
    taken to ask about, and Play starts at the answering sentence; at desktop and phone widths."""
    shot = Shots("question")
    wait_ready(api, sonnet["id"])
    for width in (1280, 375):
        context = browser.new_context(viewport={"width": width, "height": 900})
        sign_in(context, server)
        page = context.new_page()
        errors = collect_errors(page)
        page.goto(server.url("/search?q=What+does+he+say+about+the+fairest+creatures%3F"))
        status = page.locator(".search-page [role=status]")
        expect(status).to_contain_text("Passages that answer it, about: fairest, creatures")
        hit = page.locator(".hit").first
        expect(hit.locator("mark").first).to_be_visible()
        expect(hit.get_by_role("button", name="Play from", exact=False)).to_be_visible()
        assert not unlabelled_controls(page)
        # nothing runs off a phone's screen
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        shot(page, f"results-{width}", full_page=True)
        assert not errors, errors
        context.close()


def test_a_malformed_feed_shows_a_warning_with_what_was_skipped(
    browser: Browser, server: Server, tmp_path: Path
) -> None:
    """A real feed cut inside its last item, added from the command line: the library card
    warns, and the podcast's page lists the skipped item, at desktop and phone widths."""
    feed = (DATA / "feeds" / "real" / "giantbomb-podcast-excerpt.rss").read_bytes()
    path = tmp_path / "cut.rss"
    path.write_bytes(feed[: feed.rindex(b"<enclosure")])
    env = {
        **os.environ,
        "SOUNDBITE_DATA_DIR": str(server.data_dir),
        "SOUNDBITE_OWNER_PASSWORD": OWNER_PASSWORD,
        "SOUNDBITE_FEED_PROCESS_LATEST": "0",  # list the episodes; fetch nothing
    }
    cli = Path(sys.executable).parent / "soundbite"
    added = subprocess.run(
        [str(cli), "add", str(path), "--no-wait", "--json"], env=env, capture_output=True, text=True
    )
    assert added.returncode == 0, added.stderr
    podcast_id = json.loads(added.stdout)["added"][0]["podcast_id"]
    for width in (1280, 375):
        shot = Shots(f"feed-problems-{width}")
        context = browser.new_context(viewport={"width": width, "height": 900})
        sign_in(context, server)
        page = context.new_page()
        errors = collect_errors(page)
        page.goto(server.url("/"))
        card = page.locator(".podcast-card", has_text="Giant Bombcast")
        expect(card.locator(".feed-warning")).to_have_text("⚠ Malformed feed: 3 problems")
        shot(page, "library")
        card.click()
        page.wait_for_url(f"**/podcasts/{podcast_id}")
        details = page.locator("details.feed-problems")
        details.locator("summary").click()
        skipped = details.locator(
            "li", has_text="the feed ends inside this item, so it was skipped"
        )
        expect(skipped).to_be_visible()
        expect(skipped.locator("strong")).to_have_text("Giant Bombcast 601: Chief Daedra Officer")
        shot(page, "podcast-page")
        assert unlabelled_controls(page) == []
        assert not errors, errors
        context.close()
