"""The API documentation in the browser with every address but this server's blocked, as on a
self-hosted machine without internet: Swagger UI must still draw every operation."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Browser, Route, expect

from tests.browser.conftest import Server, Shots, collect_errors


def test_api_docs_draw_with_no_internet(browser: Browser, server: Server) -> None:
    shot = Shots("api-docs")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    ours = urlsplit(server.url("/")).netloc
    elsewhere: list[str] = []

    def only_ours(route: Route) -> None:
        if urlsplit(route.request.url).netloc == ours:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_ours)
    page = context.new_page()
    errors = collect_errors(page)
    page.goto(server.url("/docs"))
    expect(page.locator(".opblock-summary-path", has_text="/api/clips").first).to_be_visible()
    spec = context.request.get(server.url("/openapi.json")).json()
    operations = sum(len(methods) for methods in spec["paths"].values())
    expect(page.locator(".opblock")).to_have_count(operations)  # every one drawn
    shot(page, "operations")
    assert not elsewhere, elsewhere
    assert not errors, errors
    context.close()
