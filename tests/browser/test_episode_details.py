"""A podcast's admin or creator writes an episode's title and description in the app."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Browser, expect

from tests.browser.conftest import Server, Shots, collect_errors, sign_in, unlabelled_controls


def test_edit_an_episodes_details(
    browser: Browser, server: Server, sonnet: dict, api: httpx.Client
) -> None:
    shot = Shots("details")
    before = api.get(f"/api/episodes/{sonnet['id']}").json()
    try:
        for width in (1280, 375):
            context = browser.new_context(viewport={"width": width, "height": 900})
            sign_in(context, server)
            page = context.new_page()
            errors = collect_errors(page)
            page.goto(server.url(f"/episodes/{sonnet['id']}"))
            shown = page.get_by_role("heading", level=1).inner_text()
            page.get_by_role("button", name=f"Edit the details of {shown}").click()
            dialog = page.get_by_role("dialog", name="Edit details")
            expect(dialog.get_by_label("Title")).to_have_value(shown)
            assert not unlabelled_controls(page)
            shot(page, f"dialog-{width}")

            # a blank title: the server's reason is shown and nothing changes
            dialog.get_by_label("Title").fill("   ")
            dialog.get_by_role("button", name="Save").click()
            expect(dialog.get_by_role("alert")).to_contain_text(
                re.compile("a title cannot be empty", re.I)
            )

            title = f"Sonnet 1, read aloud ({width} px)"
            dialog.get_by_label("Title").fill(title)
            dialog.get_by_label("Description").fill("Shakespeare's first sonnet, read in full.")
            dialog.get_by_role("button", name="Save").click()
            expect(dialog).to_be_hidden()
            expect(page.get_by_role("heading", level=1)).to_have_text(title)
            expect(page.locator(".description")).to_have_text(
                "Shakespeare's first sonnet, read in full."
            )
            shot(page, f"saved-{width}")
            assert api.get(f"/api/episodes/{sonnet['id']}").json()["title"] == title
            assert not errors, errors
            context.close()
    finally:  # the episode is shared with the other browser tests
        api.patch(
            f"/api/episodes/{sonnet['id']}",
            json={"title": before["title"], "description": before["description"] or " "},
        ).raise_for_status()
