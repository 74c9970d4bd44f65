"""A clip whose title, note and words are injection payloads (HTML, attribute, XML, WebVTT)
is shown as text on every surface that shows them: share, embed, full-episode, report,
moderation and public episode pages, oEmbed JSON and XML, the soundbites export, captions, the
card and the download name. Each check parses the output the way its consumer would (an HTML
parser, an XML parser, a WebVTT reader's rules) and finds the payload back as text, never as
markup.
"""

from __future__ import annotations

import dataclasses
import io
import json
from html.parser import HTMLParser
from xml.etree import ElementTree

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import update

from soundbite.bootstrap import Soundbite
from soundbite.domain.public_pages import episode_path
from soundbite.domain.transcript import Segment, Transcript
from soundbite.services.accounts import owner_account
from soundbite.services.library import add_media_file
from soundbite.store.models import Podcast
from tests.test_clip_support import SONNET, sonnet_transcript, word
from tests.test_share_pages import parse
from tests.test_web_support import make_client

TITLE = "</title><script>alert(1)</script><img src=x onerror=alert(2)> & \"q\" 'a' --> <v X>"
NOTE = '</p><script>alert(3)</script><b>bold</b> & "q"\n--> <c.evil>x</c> ]]></oembed>'
WORD = "<b>fairest</b>&-->"  # as a transcript might carry it (a feed's own VTT, say)
RAW = ("<script>", "<img src=x", "<b>bold", "<b>fairest", "<c.evil>")


class Text(HTMLParser):
    """Every element a page has and the text inside it, as a browser would read it."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text += data


def read(html: str) -> Text:
    page = Text()
    page.feed(html)
    return page


def hostile_episode(app: Soundbite) -> int:
    sonnet = sonnet_transcript()
    target = word("fairest")

    def swap(seg: Segment) -> Segment:
        words = tuple(
            dataclasses.replace(w, text=WORD) if w.start_ms == target.start_ms else w
            for w in seg.words
        )
        return dataclasses.replace(seg, words=words, text=" ".join(w.text for w in words))

    transcript = Transcript(sonnet.language, tuple(map(swap, sonnet.segments)), sonnet.source)
    owner = owner_account(app).id
    return add_media_file(app, SONNET, owner, title="Ep <i>1</i>", transcript=transcript)


def assert_page_shows_as_text(html: str, *expected: str) -> None:
    for raw in RAW:
        assert raw not in html, raw
    page = read(html)
    # the only scripts (and JSON-LD data blocks) and images are our own
    scripts = [a for t, a in page.tags if t == "script"]
    assert all(
        a.get("src", "").startswith("/static/") or a.get("type") == "application/ld+json"
        for a in scripts
    )
    assert all(a.get("src") != "x" and "onerror" not in a for t, a in page.tags if t == "img")
    assert not {"b", "c.evil", "v", "title"} & {t for t, _ in page.tags[1:] if t != "title"}
    for text in expected:
        assert " ".join(text.split()) in " ".join(page.text.split()), text


def test_hostile_title_note_and_words_are_text_everywhere(
    app: Soundbite, client: TestClient
) -> None:
    episode = hostile_episode(app)
    start, end = word("fairest"), word("memory")
    r = client.post(
        "/api/clips",
        json={
            "episode_id": episode,
            "start_ms": start.start_ms,
            "end_ms": end.end_ms,
            "title": TITLE,
            "note": NOTE,
        },
    )
    assert r.status_code == 201, r.text
    clip = r.json()
    share_id = clip["id"]
    assert (clip["title"], clip["note"]) == (TITLE, NOTE.strip())  # stored as given
    assert WORD in clip["text"]
    anonymous = make_client(app)

    # pages: the title, the note and the words read back as text, and no element was made
    share = anonymous.get(f"/c/{share_id}").text
    assert_page_shows_as_text(share, TITLE, NOTE, WORD)
    head = parse(share)
    assert head.meta["og:title"] == TITLE and head.meta["twitter:title"] == TITLE
    assert head.links["alternateapplication/json+oembed"]["title"] == TITLE
    embed_code = share.split('id="embed-code"', 1)[1]
    assert "&lt;iframe" in embed_code.split("</textarea>")[0]  # the code is shown, not run
    assert_page_shows_as_text(anonymous.get(f"/embed/{share_id}").text, TITLE)
    assert_page_shows_as_text(anonymous.get(f"/c/{share_id}/episode").text, "Ep <i>1</i>")
    refused = anonymous.post(f"/c/{share_id}/report", data={"form_token": "1.x"})
    assert refused.status_code == 403
    token = share.split('name="form_token" value="', 1)[1].split('"', 1)[0]
    again = anonymous.post(f"/c/{share_id}/report", data={"form_token": token, "note": NOTE})
    assert again.status_code == 422
    assert_page_shows_as_text(again.text, TITLE, NOTE)
    sent = anonymous.post(
        f"/c/{share_id}/report", data={"form_token": token, "reason": "other", "note": NOTE}
    )
    assert sent.status_code == 200
    assert_page_shows_as_text(sent.text, TITLE)
    queue = client.get("/moderation").text
    assert_page_shows_as_text(queue, TITLE, NOTE)  # the clip's note and the report's note

    # the public site: the episode's page lists its clips (and says what JSON-LD it has)
    with app.db.write() as s:
        s.execute(
            update(Podcast).where(Podcast.id == clip["podcast_id"]).values(visibility="public")
        )
    public = anonymous.get(episode_path(clip["podcast_id"], episode, clip["episode_title"]))
    assert public.status_code == 200
    assert_page_shows_as_text(public.text, TITLE, WORD)
    for block in public.text.split('<script type="application/ld+json">')[1:]:
        json.loads(block.split("</script>", 1)[0])  # whole: no title closed the element

    # oEmbed: JSON carries the title as data; its HTML snippet names it in an attribute only
    body = anonymous.get("/oembed", params={"url": clip["share_url"]}).json()
    assert body["title"] == TITLE
    iframe = parse(body["html"])
    assert [tag for tag, _ in iframe.tags] == ["iframe"]
    assert iframe.tags[0][1]["title"] == TITLE
    xml = anonymous.get("/oembed", params={"url": clip["share_url"], "format": "xml"})
    root = ElementTree.fromstring(xml.text)
    assert root.findtext("title") == TITLE and root.findtext("html") == body["html"]
    assert [child.tag for child in root].count("title") == 1

    # the <podcast:soundbite> export: the title is the element's text
    export = client.get("/api/clips/soundbites", params={"id": share_id}).text
    ns = {"podcast": "https://podcastindex.org/namespace/1.0"}
    [element] = ElementTree.fromstring(export).iterfind(".//podcast:soundbite", ns)
    assert element.text == TITLE

    # captions: a WebVTT reader treats < and & as markup, so the words come escaped, and no
    # cue timing line ("-->") can be forged from the text
    vtt = anonymous.get(clip["links"]["captions"]).text
    assert "&lt;b&gt;fairest&lt;/b&gt;&amp;--&gt;" in vtt
    assert "<b>" not in vtt and TITLE not in vtt and "<c.evil>" not in vtt
    timings = [line for line in vtt.splitlines() if "-->" in line]
    assert all(line[:2].isdigit() for line in timings)

    # the card draws the title as pixels, and the download name keeps header syntax intact
    card = anonymous.get(clip["links"]["card"])
    with Image.open(io.BytesIO(card.content)) as img:
        assert img.format == "PNG"
    disposition = anonymous.head(clip["links"]["audio"]["mp3"]).headers["content-disposition"]
    ascii_name = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert not set('<>"\r\n') & set(ascii_name)
