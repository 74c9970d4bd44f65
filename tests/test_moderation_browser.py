"""In Chromium: a signed-out visitor reports a clip from its share page (no account, the
plain form), the admin hides it from the moderation page, and the link then says the clip was
removed (410). Screenshots of each page at 1280 and 375 px go to
``test-artifacts/screenshots/moderation-*.png``. On the way, the admin's "Your clips" in the
listener app shows a clip whose title is an HTML payload as text (the app is one of the
surfaces tests/test_moderation_escaping.py cannot reach without a browser).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from soundbite.bootstrap import Soundbite
from soundbite.services.accounts import ensure_owner
from tests.conftest import OWNER_PASSWORD, make_settings
from tests.test_clip_support import serve
from tests.test_share_pages import make_clip
from tests.test_web_support import make_client, sign_in

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
TITLE = "A clip somebody finds offensive"
HOSTILE = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> & "q"'

# Run in its own interpreter: Playwright's sync API refuses to start inside another one's
# event loop, which the browser tests (tests/browser) keep open for the whole session.
JOURNEY = """
import json, sys
from playwright.sync_api import sync_playwright, expect
base, share_id, chromium, shots, password, title, hostile = sys.argv[1:8]
out = {"widths": {}, "unlabelled": {}}
UNLABELLED = '''() => Array.from(document.querySelectorAll(
  'button, a[href], input:not([type=hidden]), select, textarea, summary'))
  .filter((el) => el.getClientRects().length)
  .filter((el) => !(el.getAttribute('aria-label') || '').trim() && !(el.labels && el.labels.length)
     && !(el.textContent || '').trim())
  .map((el) => el.outerHTML.slice(0, 100))'''

def shoot(page, name):
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{shots}/moderation-{name}-{width}.png", full_page=True)
        out["widths"][f"{name}-{width}"] = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    out["unlabelled"][name] = page.evaluate(UNLABELLED)

with sync_playwright() as pw:
    browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
    visitor = browser.new_context(java_script_enabled=False).new_page()
    link = f"{base}/c/{share_id}"
    visitor.goto(link)
    shoot(visitor, "share")
    visitor.get_by_text("Report this clip").click()
    visitor.get_by_label("Spam or advertising").check()
    visitor.get_by_label("Anything a moderator should know").fill("Advertising in disguise")
    shoot(visitor, "report-open")
    visitor.get_by_role("button", name="Send report").click()
    expect(visitor.get_by_role("heading", name="Thank you")).to_be_visible()
    shoot(visitor, "report-sent")

    admin = browser.new_context().new_page()
    admin.goto(f"{base}/moderation")
    admin.fill("#username", "owner")
    admin.fill("#password", password)
    admin.click("button[type=submit]")
    expect(admin.get_by_role("heading", name="Moderation")).to_be_visible()
    app = admin.context.new_page()
    app.goto(f"{base}/clips")
    expect(app.get_by_role("link", name=hostile, exact=True)).to_be_visible()
    out["app_xss"] = app.evaluate(
        "() => window.__xss !== undefined || !!document.querySelector('img[src=x]')"
    )
    app.close()
    item = admin.locator(".queue-item", has_text=title)
    expect(item).to_contain_text("Spam or advertising")
    expect(item).to_contain_text("Advertising in disguise")
    expect(item).to_contain_text("signed out")
    shoot(admin, "queue")
    item.get_by_role("button", name="Hide clip").click()
    expect(admin.get_by_role("status")).to_contain_text("Clip hidden")
    shoot(admin, "queue-done")

    response = visitor.goto(link)
    out["status"] = response.status
    out["heading"] = visitor.get_by_role("heading", level=1).inner_text()
    out["audio"] = visitor.request.get(f"{link}/audio.mp3").status
    shoot(visitor, "removed")
    browser.close()
print(json.dumps(out))
"""


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")
def test_a_visitor_reports_and_the_admin_hides(tmp_path: Path) -> None:
    """Once, on SQLite: the browser tests the pages, not the database."""
    app = Soundbite.from_settings(make_settings(tmp_path / "browser"))
    ensure_owner(app)
    owner = make_client(app)
    sign_in(owner)
    clip = make_clip(owner, app, title=TITLE, note="My own words about it.")
    make_clip(owner, app, title=HOSTILE, episode="Another episode")
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        with serve(app) as base:
            args = [base, clip["id"], str(CHROMIUM), str(SHOTS), OWNER_PASSWORD, TITLE, HOSTILE]
            done = subprocess.run(
                [sys.executable, "-c", JOURNEY, *args], capture_output=True, text=True, timeout=240
            )
    finally:
        app.close()
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == 410 and result["heading"] == "This clip was removed"
    assert result["audio"] == 410
    assert result["app_xss"] is False  # the app showed the payload as text
    # nothing scrolls sideways at 375 px, and every control has a name
    assert all(w <= 375 for k, w in result["widths"].items() if k.endswith("-375")), result
    assert all(not found for found in result["unlabelled"].values()), result["unlabelled"]
