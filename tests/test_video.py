"""Clip videos: what a player and a social network check (codec, profile, size, faststart,
length), captions in time (read back by OCR from the frames), and titles in four scripts.

The recording is the demo sonnet with its real word timings (tests/data/clips); spans are a
few seconds so the three profiles encode in a few seconds each.
"""

from __future__ import annotations

import json
import re
import struct
import subprocess
import threading
import unicodedata
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import av
import numpy as np
import pytest
from fontTools.ttLib import TTCollection, TTFont
from PIL import Image

from soundbite.errors import MediaError
from soundbite.media.card import CardText, draw_card
from soundbite.media.frames import ACCENT, LAYOUTS, SIZES, CaptionWord, FrameText, VideoStyle
from soundbite.media.h264 import H264Options, encode_mp4
from soundbite.media.render import RenderProfile, render_clip
from soundbite.media.text import fonts_used, shaping_available
from soundbite.media.video import FrameComposer, VideoContent, render_video, still_frame

DATA = Path(__file__).parent / "data"
SONNET = DATA / "media" / "librivox_sonnet001_en.mp3"
WORDS = json.loads((DATA / "clips" / "sonnet001_words.json").read_text())["segments"]
TEXT = FrameText("Shakespeare's Sonnets", "Sonnet 1", "From fairest creatures", "sb.test/c/x1")

SCRIPTS = {
    "jpn": "夏の夜、東京の空に花火が上がった",
    "ara": "مرحبا بكم في البودكاست",
    "hin": "नमस्ते दुनिया यह हमारा पॉडकास्ट",
    "rus": "Привет, мир: наш подкаст о науке",
}


def words_between(start_ms: int, end_ms: int) -> tuple[CaptionWord, ...]:
    return tuple(
        CaptionWord(a - start_ms, b - start_ms, text, "Reader")
        for seg in WORDS
        for a, b, text in seg["words"]
        if start_ms <= (a + b) // 2 < end_ms
    )


def video_profile(aspect: str, visual: str = "waveform") -> RenderProfile:
    return RenderProfile(format="mp4", video=VideoStyle(aspect=aspect, visual=visual))  # type: ignore[arg-type]


def top_level_atoms(path: Path) -> list[str]:
    data = path.read_bytes()
    atoms, pos = [], 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
        atoms.append(kind.decode("latin-1"))
        pos += size if size else len(data)
    return atoms


@pytest.mark.parametrize("aspect", ["9x16", "1x1", "16x9"])
def test_each_profile_is_h264_high_yuv420p_faststart_and_as_long_as_the_span(
    aspect: str, tmp_path: Path
) -> None:
    start, end = 2710, 5210
    out = tmp_path / "clip.mp4"
    render_video(
        SONNET,
        start,
        end,
        out,
        video_profile(aspect),
        VideoContent(TEXT, words_between(start, end)),
        None,
    )

    atoms = top_level_atoms(out)
    assert atoms.index("moov") < atoms.index("mdat"), atoms  # faststart
    with av.open(str(out)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264"
        assert video.codec_context.profile == "High"
        assert video.codec_context.pix_fmt == "yuv420p"
        assert (video.codec_context.width, video.codec_context.height) == SIZES[aspect]  # type: ignore[index]
        assert video.average_rate == 30
        assert audio.codec_context.name == "aac"
        assert container.duration is not None
        assert abs(container.duration / 1e6 - (end - start) / 1000) <= 0.050
        assert video.duration is not None and video.time_base is not None
        assert abs(float(video.duration * video.time_base) - (end - start) / 1000) <= 0.050
        frames = [f for f in container.decode(video)]
    assert len(frames) == 75
    # the progress bar grows: more accent in the bar at the end than at the start
    bar = LAYOUTS[aspect].progress  # type: ignore[index]
    row = bar.y + bar.h // 2

    def lit(frame: av.VideoFrame) -> int:
        rgb = frame.to_ndarray(format="rgb24")[row, bar.x : bar.x + bar.w].astype(int)
        return int((np.abs(rgb - ACCENT).sum(axis=1) < 60).sum())

    assert lit(frames[0]) < bar.w * 0.1 < bar.w * 0.9 < lit(frames[-1])


def ocr(image: Image.Image, lang: str = "eng", psm: int = 7) -> str:
    done = subprocess.run(
        ["tesseract", "stdin", "stdout", "-l", lang, "--psm", str(psm)],
        input=_png(image),
        capture_output=True,
        check=True,
    )
    return done.stdout.decode().strip()


def _png(image: Image.Image) -> bytes:
    import io

    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def highlighted_word(frame: np.ndarray, aspect: str) -> str:
    """OCR of the accent plate in the caption box: the word the video says is being spoken."""
    box = LAYOUTS[aspect].captions  # type: ignore[index]
    region = frame[box.y : box.y + box.h, box.x : box.x + box.w].astype(int)
    plate = np.abs(region - ACCENT).sum(axis=2) < 60
    ys, xs = np.nonzero(plate)
    if not len(xs):
        return ""
    crop = region[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.uint8)
    # white text on the plate: make it black on white for tesseract, and larger
    grey = 255 - crop.mean(axis=2).astype(np.uint8)
    image = Image.fromarray(grey).resize((grey.shape[1] * 2, grey.shape[0] * 2))
    return ocr(image)


def _normal(word: str) -> str:
    return re.sub(r"[^\w']", "", word).lower()


def test_the_highlighted_caption_is_the_word_being_spoken(tmp_path: Path) -> None:
    start, end = 2700, 7700
    words = words_between(start, end)
    assert len(words) >= 10
    out = tmp_path / "captions.mp4"
    render_video(SONNET, start, end, out, video_profile("1x1"), VideoContent(TEXT, words), None)
    with av.open(str(out)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    misses = []
    for word in words[:10]:
        middle = (word.start_ms + word.end_ms) / 2
        frame = frames[min(len(frames) - 1, int(middle * 30 / 1000))]
        seen = highlighted_word(frame, "1x1")
        if _normal(seen) != _normal(word.text):
            misses.append((word.text, seen))
    assert len(misses) <= 1, misses


@pytest.mark.parametrize("lang", sorted(SCRIPTS))
def test_titles_in_every_script_are_drawn_with_a_font_that_has_them(lang: str) -> None:
    title = SCRIPTS[lang]
    assert shaping_available()
    fonts = fonts_used(title, "bold")
    assert len(fonts) == len(title)
    cmaps: dict[Path, set[int]] = {}
    for char, path in zip(title, fonts, strict=True):
        assert path is not None, "no Noto font installed (make fonts)"
        if path not in cmaps:
            font = TTCollection(str(path)).fonts[0] if path.suffix == ".ttc" else TTFont(str(path))
            cmaps[path] = set(font.getBestCmap())
        assert ord(char) in cmaps[path], (char, path.name)


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s,:、。]+", unicodedata.normalize("NFC", text)) if w]


@pytest.mark.parametrize("lang", sorted(SCRIPTS))
def test_the_card_and_a_video_frame_read_back_the_title(lang: str) -> None:
    title = SCRIPTS[lang]
    card = Image.open(
        __import__("io").BytesIO(draw_card(CardText(title, "", "Podcast", "0:42"), None))
    )
    title_area = card.crop((500, 90, 1200, 330))
    content = VideoContent(FrameText("Podcast", "Episode", title, "sb.test/c/x1"))
    frame = Image.open(
        __import__("io").BytesIO(still_frame(video_profile("16x9"), content, None, 0, 3000))
    )
    box = LAYOUTS["16x9"].title
    frame_title = frame.crop((box.x - 20, box.y - 10, box.x + box.w, box.y + box.h))
    for picture in (title_area, frame_title):
        read = unicodedata.normalize("NFC", ocr(picture, lang, psm=6))
        if lang == "jpn":  # no spaces between words: compare characters
            found = sum(ch in read for ch in title if not ch.isspace())
            assert found >= 0.9 * len(title.replace(" ", "")), read
        else:
            expected = _words(title)
            got = _words(read)
            assert sum(w in got for w in expected) >= len(expected) - 1, (expected, got)


def test_emoji_long_titles_and_no_artwork_still_make_a_frame() -> None:
    title = "🎉 " + "A very long title that goes on and on " * 8 + "— مرحبا and 東京"
    content = VideoContent(FrameText("", "", title, "sb.test/c/x1"))
    jpeg = still_frame(video_profile("9x16"), content, None, 1000, 3000)
    frame = Image.open(__import__("io").BytesIO(jpeg))
    assert frame.size == (1080, 1920)
    box = LAYOUTS["9x16"].title
    read = ocr(frame.crop((box.x, box.y, box.x + box.w, box.y + box.h)), "eng", psm=6)
    assert "A very long title" in read
    assert read.rstrip().endswith(("…", "...", "..")) or "and on" in read


def test_the_encoder_stops_and_says_why_when_drawing_or_the_audio_fails(tmp_path: Path) -> None:
    audio = tmp_path / "a.m4a"
    render_clip(SONNET, 2700, 4700, audio, RenderProfile(format="m4a"))
    options = H264Options(64, 64, 30)
    grey = (np.full((64, 64), 128, np.uint8), np.full((32, 32), 128, np.uint8)) * 2

    def pictures(fail_at: int):  # type: ignore[no-untyped-def]
        for n in range(60):
            if n == fail_at:
                raise ValueError("the drawing broke")
            yield grey[0], grey[1], grey[1]

    with pytest.raises(ValueError, match="the drawing broke"):
        encode_mp4(pictures(10), audio, tmp_path / "broken.mp4", options)
    not_media = tmp_path / "notes.m4a"
    not_media.write_bytes(b"not audio at all")
    with pytest.raises(MediaError, match="encoding the clip's video failed"):
        encode_mp4(pictures(-1), not_media, tmp_path / "never.mp4", options)
    encode_mp4(pictures(-1), audio, tmp_path / "fine.mp4", options)
    with av.open(str(tmp_path / "fine.mp4")) as container:
        assert container.streams.video[0].frames == 60


def test_frames_encode_while_the_audio_renders_and_the_file_still_interleaves(
    tmp_path: Path,
) -> None:
    """render_video encodes frames before the audio render is done: the early video packets
    wait for the audio, so the file interleaves the two from its first second (a phone
    streaming it reads both from one place), and an audio render that fails fails the video
    with the audio's own message."""
    audio, out = tmp_path / "a.m4a", tmp_path / "late.mp4"
    options = H264Options(64, 64, 30)
    grey = (np.full((64, 64), 128, np.uint8), np.full((32, 32), 128, np.uint8))
    halfway = threading.Event()

    def pictures():  # type: ignore[no-untyped-def]
        for n in range(60):
            if n == 30:
                halfway.set()  # half the frames are encoded before the audio even starts
            yield grey[0], grey[1], grey[1]

    def late_audio() -> object:
        assert halfway.wait(30)
        return render_clip(SONNET, 2700, 4700, audio, RenderProfile(format="m4a"))

    with ThreadPoolExecutor(1) as pool:
        encode_mp4(pictures(), audio, out, options, audio_ready=pool.submit(late_audio))
    with av.open(str(out)) as container:
        assert container.streams.video[0].frames == 60
        kinds = [p.stream.type for p in container.demux() if p.dts is not None]
    assert kinds.count("audio") > 80  # 2 s of AAC: 86 packets of 1024 samples
    assert "audio" in kinds[:20] and "video" in kinds[:20]

    broken: Future[object] = Future()
    broken.set_exception(MediaError("decoding the span failed: truncated"))
    with pytest.raises(MediaError, match="truncated"):
        encode_mp4(pictures(), audio, tmp_path / "never.mp4", options, audio_ready=broken)


@pytest.mark.parametrize("aspect", ["9x16", "16x9"])
def test_copying_only_the_moving_rows_gives_the_same_video(aspect: str, tmp_path: Path) -> None:
    """The encoder copies the still parts of a pooled frame once: every frame must still be
    the whole picture the composer drew (checked against copying everything)."""
    start, end = 2700, 4200
    audio = tmp_path / "a.m4a"
    heard: list[np.ndarray] = []
    rendered = render_clip(
        SONNET, start, end, audio, RenderProfile(format="m4a"), on_pcm=heard.append
    )
    samples, rate = np.concatenate(heard, axis=1).mean(axis=0), rendered.rate
    style = VideoStyle(aspect=aspect)  # type: ignore[arg-type]
    content = VideoContent(TEXT, words_between(start, end))
    decoded = []
    for rows in (False, True):
        composer = FrameComposer(style, content, None, 45).hear(samples, rate)
        pictures = (composer.planes(n) for n in range(45))
        out = tmp_path / f"rows-{rows}.mp4"
        options = H264Options(*SIZES[aspect], 30)  # type: ignore[index]
        moving = composer.moving_rows if rows else None
        encode_mp4(pictures, audio, out, options, moving_rows=moving)
        with av.open(str(out)) as container:
            decoded.append([f.to_ndarray() for f in container.decode(video=0)])
    assert len(decoded[0]) == len(decoded[1]) == 45
    for whole, banded in zip(*decoded, strict=True):
        assert np.array_equal(whole, banded)
