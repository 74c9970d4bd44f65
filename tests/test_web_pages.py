"""The server-rendered library page: what it shows, and that feed/upload text stays text."""

from __future__ import annotations

from pathlib import Path

from soundbite.app import Soundbite
from soundbite.store.accounts import ensure_owner
from tests.conftest import make_settings
from tests.test_web_support import VTT, make_client, sign_in, upload

HOSTILE = '<script>alert("x")</script> & <b>friends</b>'


def test_library_page_lists_episodes_with_progress_and_escapes_titles(app: Soundbite) -> None:
    client = make_client(app)
    sign_in(client)
    episode = upload(client, title=HOSTILE, transcript=("t.vtt", VTT, "text/vtt")).json()

    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<script>" not in html and "<b>friends</b>" not in html
    assert (
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;friends&lt;/b&gt;" in html
    )
    assert 'http-equiv="refresh"' in html  # stages are queued: the page reloads itself
    for stage in ("probe", "peaks", "transcribe"):
        assert f">{stage}</label>" in html
    assert f"/api/episodes/{episode['id']}/transcript?format=vtt&amp;download=true" in html
    assert 'name="viewport"' in html and "Sign out" in html
    assert client.get("/static/soundbite.css").status_code == 200


def test_public_library_page_without_sign_in(tmp_path: Path, database_url: str) -> None:
    sb = Soundbite.from_settings(make_settings(tmp_path / "d", database_url, public_library=True))
    try:
        ensure_owner(sb)
        page = make_client(sb).get("/", follow_redirects=False)
        assert page.status_code == 200 and "No episodes yet." in page.text
        assert "Sign in" in page.text and "Sign out" not in page.text
    finally:
        sb.close()
