"""A podcast's brand in its clip videos, over HTTP on both databases: creators set colours, a
caption style and a logo; the share dialog's preview and the video are drawn in them, and a
new brand is a new render. Bad colours, files that are not images, huge logos and other
people's podcasts are refused with a status and a sentence.
"""

from __future__ import annotations

import dataclasses
import io
import json
import time

import av
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from soundbite.bootstrap import Soundbite
from soundbite.derived import RenderJob
from soundbite.domain.brand import Brand
from soundbite.media.frames import LAYOUTS, CaptionWord, FrameText, VideoStyle
from soundbite.media.render import RenderProfile
from soundbite.media.video import VideoContent
from tests.test_clip_api import clip, other_user
from tests.test_clip_support import add_sonnet, word
from tests.test_web_support import make_client, sign_in

PAPER, TEAL, LOGO_RED = (245, 245, 220), (15, 118, 110), (220, 20, 60)


def _png(img: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def _logo() -> bytes:
    """A red disc on a transparent square: what is drawn must keep the transparency."""
    img = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    ImageDraw.Draw(img).ellipse((20, 20, 280, 280), fill=(*LOGO_RED, 255))
    return _png(img)


@pytest.fixture
def signed_in(app: Soundbite) -> TestClient:
    client = make_client(app)
    sign_in(client)
    return client


def _podcast_of(client: TestClient, episode_id: int) -> int:
    return int(client.get(f"/api/episodes/{episode_id}").json()["podcast_id"])


def _near(pixel: np.ndarray, colour: tuple[int, int, int], within: int = 24) -> bool:
    return int(np.abs(pixel.astype(int) - colour).sum()) <= within


def _preview(client: TestClient, share_id: str, **query: str) -> np.ndarray:
    r = client.get(f"/api/clips/{share_id}/video/preview.png", params=query)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    return np.asarray(Image.open(io.BytesIO(r.content)).convert("RGB"))


def test_a_creator_brands_the_podcast_and_its_preview_and_video_show_it(
    app: Soundbite, owner_id: int, signed_in: TestClient
) -> None:
    client = signed_in
    episode_id = add_sonnet(app, owner_id)
    podcast_id = _podcast_of(client, episode_id)
    made = clip(client, episode_id, word("From").start_ms, word("we").end_ms, title="Fairest")
    share_id = made["id"]

    default = client.get(f"/api/podcasts/{podcast_id}/brand").json()
    assert default == {
        "background": "#18181b",
        "accent": "#c2410c",
        "caption_style": "highlight",
        "caption_size": "medium",
        "has_logo": False,
    }
    before = client.post(f"/api/clips/{share_id}/videos", json={"aspect": "1x1"}).json()
    plain_preview = _preview(client, share_id, aspect="1x1")
    assert plain_preview.shape == (540, 540, 3)  # half size: the dialog shows it small
    assert _near(plain_preview[5, 5], (24, 24, 27))

    r = client.patch(
        f"/api/podcasts/{podcast_id}/brand",
        json={"background": "#F5F5DC", "accent": "#0f766e", "caption_style": "highlight"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["background"] == "#f5f5dc" and r.json()["accent"] == "#0f766e"
    r = client.put(
        f"/api/podcasts/{podcast_id}/brand/logo",
        files={"file": ("logo.png", _logo(), "image/png")},
    )
    assert r.status_code == 200, r.text and r.json()["has_logo"] is True
    stored = Image.open(
        io.BytesIO(client.get(f"/api/podcasts/{podcast_id}/brand/logo.png").content)
    )
    assert stored.format == "PNG" and stored.mode == "RGBA" and stored.size == (300, 300)

    frame = _preview(client, share_id, aspect="1x1")
    assert _near(frame[5, 5], PAPER)  # the background
    lay = LAYOUTS["1x1"]
    # the logo sits at the right end of the names row, its transparent corners show paper
    x, y, w = lay.names
    row = frame[(y + 40) // 2, (x + w - 80) // 2 : (x + w) // 2]
    assert any(_near(p, LOGO_RED, 60) for p in row)
    assert _near(frame[y // 2 + 1, (x + w) // 2 - 2], PAPER)
    # the spoken word's plate is in the accent colour, in the captions box
    c = lay.captions
    box = frame[c.y // 2 : (c.y + c.h) // 2, c.x // 2 : (c.x + c.w) // 2].reshape(-1, 3)
    assert (np.abs(box.astype(int) - TEAL).sum(axis=1) < 40).sum() > 200
    # captions off: that box is paper only
    off = _preview(client, share_id, aspect="1x1", captions="false")
    box = off[c.y // 2 : (c.y + c.h) // 2, c.x // 2 : (c.x + c.w) // 2].reshape(-1, 3)
    assert (np.abs(box.astype(int) - PAPER).sum(axis=1) < 24).all()
    # bars instead of the waveform: a different picture in the sound box
    bars = _preview(client, share_id, aspect="1x1", visual="bars")
    v = lay.visual
    assert not np.array_equal(bars[v.y // 2 : (v.y + v.h) // 2], frame[v.y // 2 : (v.y + v.h) // 2])

    # the video is a new render in the new look (another key, another URL)
    deadline = time.monotonic() + 120
    while True:
        after = client.post(f"/api/clips/{share_id}/videos", json={"aspect": "1x1"}).json()
        if after["state"] == "ready" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert after["state"] == "ready" and after["url"] != before["url"]
    with av.open(io.BytesIO(client.get(after["url"]).content)) as container:
        first = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert _near(first[10, 10], PAPER, 30)


def test_caption_styles_and_sizes_change_the_captions(
    app: Soundbite, owner_id: int, signed_in: TestClient
) -> None:
    client = signed_in
    episode_id = add_sonnet(app, owner_id)
    podcast_id = _podcast_of(client, episode_id)
    share_id = clip(client, episode_id, word("From").start_ms, word("we").end_ms)["id"]
    c = LAYOUTS["16x9"].captions
    k = 540 / 1920  # the preview is 540 px wide
    seen = {}
    for style, size in (("highlight", "medium"), ("karaoke", "medium"), ("plain", "large")):
        r = client.patch(
            f"/api/podcasts/{podcast_id}/brand", json={"caption_style": style, "caption_size": size}
        )
        assert r.status_code == 200, r.text
        frame = _preview(client, share_id, aspect="16x9")
        rows, cols = (
            slice(int(c.y * k), int((c.y + c.h) * k)),
            slice(int(c.x * k), int((c.x + c.w) * k)),
        )
        seen[style] = frame[rows, cols]
    accent = (194, 65, 12)

    def accent_pixels(region: np.ndarray) -> int:
        return int((np.abs(region.reshape(-1, 3).astype(int) - accent).sum(axis=1) < 40).sum())

    # a plate is a filled block of accent; karaoke colours the word's strokes only; plain none
    assert accent_pixels(seen["highlight"]) > 2 * accent_pixels(seen["karaoke"]) > 0
    assert accent_pixels(seen["plain"]) == 0


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"background": "red"}, "a colour is written #rrggbb"),
        ({"accent": "#12345"}, "#"),
        ({"accent": "#gggggg"}, "#"),
        ({"background": "#1234567"}, "#"),
        ({"caption_style": "blink"}, "highlight"),
        ({"caption_size": "huge"}, "small"),
        ({"logo": "x"}, "logo"),
    ],
)
def test_bad_brand_values_are_refused_with_what_is_allowed(
    app: Soundbite, owner_id: int, signed_in: TestClient, body: dict[str, str], says: str
) -> None:
    podcast_id = _podcast_of(signed_in, add_sonnet(app, owner_id))
    r = signed_in.patch(f"/api/podcasts/{podcast_id}/brand", json=body)
    assert r.status_code == 422
    assert says in r.text
    assert signed_in.get(f"/api/podcasts/{podcast_id}/brand").json()["background"] == "#18181b"


def _big_png() -> bytes:
    noise = np.random.default_rng(1).integers(0, 255, (1100, 1100, 3), np.uint8)
    return _png(Image.fromarray(noise))


@pytest.mark.parametrize(
    ("upload", "status", "says"),
    [
        (("logo.png", b"just some text, not a picture", "image/png"), 422, "not an image"),
        (("logo.gif", "gif", "image/gif"), 422, "GIF"),
        (("logo.png", "wide", "image/png"), 413, "pixels"),
        (("logo.png", "big", "image/png"), 413, "MB"),
        (("logo.png", b"", "image/png"), 422, "empty"),
        (None, 422, "`file`"),
    ],
)
def test_bad_logos_are_refused_with_the_reason(
    app: Soundbite,
    owner_id: int,
    signed_in: TestClient,
    upload: tuple[str, object, str] | None,
    status: int,
    says: str,
) -> None:
    podcast_id = _podcast_of(signed_in, add_sonnet(app, owner_id))
    made = {
        "gif": lambda: _png(Image.new("RGB", (40, 40), "red"), "GIF"),
        "wide": lambda: _png(Image.new("1", (5000, 8))),
        "big": _big_png,
    }
    files = None
    if upload is not None:
        name, data, kind = upload
        payload = made[data]() if isinstance(data, str) else data
        files = {"file": (name, payload, kind)}
    r = signed_in.put(
        f"/api/podcasts/{podcast_id}/brand/logo", files=files, data=None if files else {"x": "1"}
    )
    assert r.status_code == status, r.text
    assert says in r.json()["detail"]
    assert signed_in.get(f"/api/podcasts/{podcast_id}/brand").json()["has_logo"] is False


def test_only_the_podcasts_creators_and_admins_change_its_brand(
    app: Soundbite, owner_id: int, signed_in: TestClient
) -> None:
    podcast_id = _podcast_of(signed_in, add_sonnet(app, owner_id))
    listener = other_user(app, "lena")
    anonymous = make_client(app)
    for client, expected in ((listener, 403), (anonymous, 401)):
        r = client.patch(f"/api/podcasts/{podcast_id}/brand", json={"accent": "#000000"})
        assert r.status_code == expected, r.text
        logo = client.put(
            f"/api/podcasts/{podcast_id}/brand/logo",
            files={"file": ("logo.png", _logo(), "image/png")},
        )
        assert logo.status_code == expected, logo.text
        assert client.delete(f"/api/podcasts/{podcast_id}/brand/logo").status_code == expected
    r = signed_in.patch("/api/podcasts/999999/brand", json={"accent": "#000000"})
    assert r.status_code == 404 and "no podcast" in r.text
    assert signed_in.get(f"/api/podcasts/{podcast_id}/brand").json()["accent"] == "#c2410c"


def test_the_brand_is_in_the_render_key_and_survives_the_render_queue() -> None:
    """Celery carries a render as JSON: a branded video must come back as the same job, and
    two brands must never share a cached file."""
    content = VideoContent(
        FrameText("Podcast", "Episode", "Title", "sb.test/c/x"),
        (CaptionWord(0, 300, "Hello", "Ann"),),
        "art-key",
        Brand("#ffffff", "#0f766e", "karaoke", "large"),
        "logo-key",
    )
    job = RenderJob("a" * 64, 0, 1000, RenderProfile(format="mp4", video=VideoStyle()), content)
    again = RenderJob.from_message(json.loads(json.dumps(job.to_message())))
    assert again == job and again.key == job.key
    keys = {
        dataclasses.replace(job, video=dataclasses.replace(content, **change)).key
        for change in (
            {},
            {"brand": Brand()},
            {"brand": Brand("#ffffff", "#0f766e", "plain", "large")},
            {"brand": Brand("#ffffff", "#0f766e", "karaoke", "small")},
            {"logo_key": None},
        )
    }
    assert len(keys) == 5
