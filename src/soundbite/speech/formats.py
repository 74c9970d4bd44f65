"""Transcripts in and out: WebVTT, SRT, Podcasting 2.0 JSON, HTML and plain text.

Writers turn our Transcript into the formats players and podcast apps read; `FORMATS` is the one
table the web API and the CLI both serve from. Captions are cut into cues of at most 7 s and two
lines of 42 characters (the usual broadcast limits), on word boundaries, when word timings allow;
a segment without word timings stays one cue, because splitting it would mean guessing times.
The media types are the ones the Podcasting 2.0 `<podcast:transcript type>` attribute uses, so a
feed we publish can reuse them; the web layer adds the charset.

Readers take what publishers link from their feeds (`parse_transcript`). The declared type is
often wrong (VTT served as text/plain, SRT as application/octet-stream), so the content decides
first and the declared type or file name only when the content is not recognisable. Well-kept
libraries parse VTT (webvtt-py) and SRT (srt); the Podcasting 2.0 JSON and HTML shapes are small
enough for the standard library. Cue-level formats give segments without words: we never spread
words evenly over a cue, because clips snap to word times and invented ones would cut mid-word.
"""

from __future__ import annotations

import contextlib
import html
import itertools
import json
import math
import re
import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import PurePosixPath
from typing import Any

import srt
import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from soundbite.domain.transcript import Segment, Transcript, Word, ends_sentence, word_spans
from soundbite.errors import TranscriptError

# a publisher's transcript or chapters file: far above any real one, far below harm
MAX_TRANSCRIPT_BYTES = 20 * 1024 * 1024
CUE_MAX_MS = 7_000
LINE_CHARS = 42
_MS = timedelta(milliseconds=1)
CUE_CHARS = 2 * LINE_CHARS

# Sentence-like grouping of timed words (used for Whisper output and word-level JSON).
_CLAUSE_END = (",", ";", ":", "，", "、", "；", "：")
_PAUSE_MS = 1_000
_LONG_MS = 12_000
_MAX_MS = 25_000
_MS_PER_WORD = 400  # 150 words a minute, when the pace cannot be measured


def segment_ranges(words: Sequence[Word]) -> list[tuple[int, int]]:
    """Index ranges [i, j) of words forming a transcript's display segments (captions are cut
    finer, analysis sentences by words: insight/sentences.py).

    A segment ends at a sentence mark or a 1 s pause; past 12 s at a clause mark; at 25 s anyway.
    """
    ranges: list[tuple[int, int]] = []
    first = 0
    for i in range(1, len(words)):
        last, length = words[i - 1], words[i - 1].end_ms - words[first].start_ms
        if (
            ends_sentence(last.text)
            or words[i].start_ms - last.end_ms >= _PAUSE_MS
            or (length >= _LONG_MS and last.text.endswith(_CLAUSE_END))
            or length >= _MAX_MS
        ):
            ranges.append((first, i))
            first = i
    if words:
        ranges.append((first, len(words)))
    return ranges


@dataclass(frozen=True, slots=True)
class _Cue:
    start_ms: int
    end_ms: int
    text: str
    speaker: str | None


def to_vtt(t: Transcript) -> str:
    blocks = ["WEBVTT"]
    for cue in _cues(t):
        lines = [html.escape(line, quote=False) for line in _lines(cue.text)]
        if cue.speaker:
            lines[0] = f"<v {html.escape(cue.speaker, quote=False)}>{lines[0]}"
        times = f"{_vtt_time(cue.start_ms)} --> {_vtt_time(cue.end_ms)}"
        blocks.append("\n".join([times, *lines]))
    return "\n\n".join(blocks) + "\n"


def to_srt(t: Transcript) -> str:
    subtitles = []
    speaker: str | None = None
    for index, cue in enumerate(_cues(t), start=1):
        text = "\n".join(_lines(cue.text))
        if cue.speaker and cue.speaker != speaker:
            # SRT has no speaker field; "Name:" at a change of speaker is the common convention.
            text = f"{cue.speaker}: {text}"
        speaker = cue.speaker
        subtitles.append(srt.Subtitle(index, cue.start_ms * _MS, cue.end_ms * _MS, text))
    return str(srt.compose(subtitles))


def to_podcast_json(t: Transcript) -> dict[str, Any]:
    """Podcasting 2.0 JSON transcript, version 1.0.0: one entry per word when words are timed."""
    entries: list[dict[str, Any]] = []
    for segment in t.segments:
        for item in segment.words or (segment,):
            speaker = {} if segment.speaker is None else {"speaker": segment.speaker}
            start, end = item.start_ms / 1000, item.end_ms / 1000
            entries.append(
                {**speaker, "startTime": start, "endTime": end, "body": item.text.strip()}
            )
    return {"version": "1.0.0", "segments": entries}


def to_text(t: Transcript) -> str:
    """One line per segment; a blank line and "Name:" where the speaker changes."""
    out: list[str] = []
    speaker: str | None = None
    for segment in (s for s in t.segments if s.text.strip()):
        text = segment.text.strip()
        if segment.speaker and segment.speaker != speaker:
            if out:
                out.append("")
            text = f"{segment.speaker}: {text}"
        speaker = segment.speaker
        out.append(text)
    return "\n".join(out) + "\n" if out else ""


FORMATS: dict[str, tuple[str, Callable[[Transcript], str]]] = {
    "json": ("application/json", lambda t: json.dumps(to_podcast_json(t), ensure_ascii=False)),
    "vtt": ("text/vtt", to_vtt),
    "srt": ("application/x-subrip", to_srt),
    "txt": ("text/plain", to_text),
}


def _cues(t: Transcript) -> Iterator[_Cue]:
    for segment in (s for s in t.segments if s.text.strip()):
        if not (words := segment.words):
            yield _Cue(segment.start_ms, segment.end_ms, _squash(segment.text), segment.speaker)
            continue
        spans = word_spans(segment.text, words)
        for i, j in _cue_ranges(words):
            text = segment.text[spans[i][0] : spans[j - 1][1]] if spans else ""
            text = text or " ".join(w.text for w in words[i:j])
            yield _Cue(words[i].start_ms, words[j - 1].end_ms, _squash(text), segment.speaker)


def _cue_ranges(words: Sequence[Word]) -> list[tuple[int, int]]:
    """Cut words into cues of about equal length (no one-word tail), never inside "self-made"."""
    sizes = [len(w.text) + 1 for w in words]
    duration = words[-1].end_ms - words[0].start_ms
    # Aim below the limits so that equal shares still fit when words do not divide evenly.
    target = sum(sizes) / max(math.ceil(sum(sizes) / 70), math.ceil(duration / 6_000))
    ranges, first, chars = [], 0, 0
    for i, size in enumerate(sizes):
        over = chars + size > CUE_CHARS or words[i].end_ms - words[first].start_ms > CUE_MAX_MS
        joined = words[i].text.startswith("-") or words[i - 1].text.endswith("-")
        if i > first and not joined and (over or chars + size / 2 > target):
            ranges.append((first, i))
            first, chars = i, 0
        chars += size
    ranges.append((first, len(words)))
    return ranges


def _lines(text: str) -> list[str]:
    """At most two balanced lines for a cue of up to 84 characters; wrapped beyond that."""
    if len(text) <= LINE_CHARS:
        return [text]
    if len(text) > CUE_CHARS:
        return textwrap.wrap(text, LINE_CHARS) or [text]
    middle = len(text) // 2
    spaces = [i for i, c in enumerate(text) if c == " "]
    if not spaces:
        return [text[:middle], text[middle:]]
    cut = min(spaces, key=lambda i: abs(i - middle))
    return [text[:cut], text[cut + 1 :]]


def _vtt_time(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def _squash(text: str) -> str:
    return " ".join(text.split())


# Declared media types and file name suffixes, consulted when the content is not recognisable.
_KINDS = {
    **dict.fromkeys(("text/vtt", "vtt"), "vtt"),
    **dict.fromkeys(("application/x-subrip", "application/srt", "text/srt", "srt"), "srt"),
    **dict.fromkeys(("application/json", "json"), "json"),
    **dict.fromkeys(("text/html", "html", "htm"), "html"),
    **dict.fromkeys(("text/plain", "txt"), "txt"),
}
_SRT_TIMING = re.compile(r"^\s*\d+:\d{2}:\d{2}[,.]\d{1,3}\s*-->", re.MULTILINE)
_HTML_TAG = re.compile(r"<(?:cite|time|p|html|body|div)\b", re.IGNORECASE)
# SRT players honour a few formatting tags; they are not words (but "<laughs>" may be).
_SRT_TAG = re.compile(r"</?(?:i|b|u|s|font)\b[^>]*>", re.IGNORECASE)
# "Travis:", "Dr. Smith:", "SPEAKER 1:": one to three capitalised words before the colon.
_SPEAKER = re.compile(r"^([A-Z][\w.'’-]*(?:[ _][A-Z0-9][\w.'’-]*){0,2}):\s+(?=\S)")


def parse_transcript(
    data: bytes, content_type: str | None = None, filename: str | None = None
) -> Transcript:
    """Read a publisher's transcript file. Raises TranscriptError saying what is wrong."""
    text = _decode(data, content_type)
    media_type = (content_type or "").split(";")[0].strip().lower()
    suffix = PurePosixPath(re.split(r"[?#]", filename or "")[0]).suffix.lower().lstrip(".")
    kind = _sniff(text) or _KINDS.get(media_type) or _KINDS.get(suffix)
    if kind is None:
        raise TranscriptError("not a transcript format we can read (VTT, SRT, JSON or HTML)")
    if kind == "txt":
        raise TranscriptError("a plain-text transcript has no timings, so it cannot be clipped")
    read = {"vtt": _read_vtt, "srt": _read_srt, "json": _read_json, "html": _read_html}[kind]
    segments = sorted(read(text), key=lambda s: s.start_ms)
    if not segments:
        raise TranscriptError(f"the {kind.upper()} transcript has no timed text in it")
    return Transcript(language=None, segments=tuple(segments), source="publisher")


def _decode(data: bytes, content_type: str | None) -> str:
    charset = re.search(r"charset=\"?([\w-]+)", content_type or "", re.IGNORECASE)
    # Subtitle files are often in a Windows code page; try that before giving up on the bytes.
    for encoding in filter(None, ("utf-8-sig", charset and charset.group(1), "cp1252")):
        with contextlib.suppress(UnicodeDecodeError, LookupError):
            return data.decode(encoding)
    raise TranscriptError("the transcript is not text (cannot decode it as UTF-8 or cp1252)")


def _sniff(text: str) -> str | None:
    head = text.lstrip("\ufeff \t\r\n")[:2000]
    if head.startswith("WEBVTT"):
        return "vtt"
    if head.startswith(("{", "[")):
        return "json"
    if head.startswith("<"):
        return "html"
    if _SRT_TIMING.search(head):
        return "srt"
    return "html" if _HTML_TAG.search(head) else None


def _read_vtt(text: str) -> list[Segment]:
    try:
        captions = webvtt.from_string(text.lstrip("\ufeff \t\r\n")).captions
    except (MalformedFileError, MalformedCaptionError) as exc:
        raise TranscriptError(f"the WebVTT transcript is malformed: {exc}") from None
    return [
        _segment(c.start_time.in_milliseconds(), c.end_time.in_milliseconds(), c.text, c.voice)
        for c in captions
        if c.text.strip()
    ]


def _read_srt(text: str) -> list[Segment]:
    segments, speaker = [], None
    try:
        for sub in srt.parse(text):
            body = _SRT_TAG.sub("", sub.content).strip()
            if label := _SPEAKER.match(body):
                # The label marks a change of speaker; later cues without one keep the speaker.
                speaker, body = label.group(1), body[label.end() :]
            if body:
                start, end = sub.start // _MS, sub.end // _MS
                segments.append(_segment(start, end, body, speaker))
    except srt.SRTParseError as exc:
        raise TranscriptError(f"the SRT transcript is malformed: {exc}") from None
    return segments


def _read_json(text: str) -> list[Segment]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TranscriptError(f"the JSON transcript is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("segments"), list):
        raise TranscriptError('the JSON transcript has no "segments" list (Podcasting 2.0 format)')
    entries = []
    for n, item in enumerate(doc["segments"], start=1):
        try:
            start, end = (round(float(item[key]) * 1000) for key in ("startTime", "endTime"))
            body, speaker = _squash(str(item.get("body", ""))), str(item.get("speaker") or "")
        except (KeyError, TypeError, ValueError, AttributeError):
            raise TranscriptError(
                f"JSON segment {n} needs a numeric startTime and endTime"
            ) from None
        if body:
            entries.append((Word(start, max(start, end), body), speaker or None))
    if any(" " in word.text for word, _ in entries):
        return [Segment(w.start_ms, w.end_ms, w.text, (), who) for w, who in entries]
    return _words_to_segments(entries)


def _words_to_segments(entries: Sequence[tuple[Word, str | None]]) -> list[Segment]:
    """Word-level JSON: a new segment at each change of speaker, then at sentence breaks."""
    segments: list[Segment] = []
    for speaker, turn in itertools.groupby(entries, key=lambda entry: entry[1]):
        words = sorted((word for word, _ in turn), key=lambda w: w.start_ms)
        for a, b in segment_ranges(words):
            run = tuple(words[a:b])
            text = " ".join(w.text for w in run)
            segments.append(Segment(run[0].start_ms, run[-1].end_ms, text, run, speaker))
    return segments


class _HtmlFields(HTMLParser):
    """The text of each <cite>, <time> and <p> element, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: list[tuple[str, str]] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("cite", "time", "p"):
            self._open = tag
            self.fields.append((tag, ""))
        elif tag == "br":
            self.handle_data(" ")

    def handle_data(self, data: str) -> None:
        if self._open:
            self.fields[-1] = (self._open, self.fields[-1][1] + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            self._open = None


def _read_html(text: str) -> list[Segment]:
    """`<cite>Name:</cite><time>m:ss</time><p>text</p>` blocks, each ending as the next starts."""
    parser = _HtmlFields()
    parser.feed(text)
    parser.close()
    blocks: list[tuple[int, str | None, str]] = []
    speaker, start = None, None
    for tag, value in ((tag, _squash(value)) for tag, value in parser.fields):
        if tag == "cite":
            speaker = value.rstrip(":").strip() or None
        elif tag == "time":
            start = _clock_ms(value)
        elif value and start is not None:
            blocks.append((start, speaker, value))
            start = None
        elif value and blocks:  # a second paragraph continues the block
            blocks[-1] = (*blocks[-1][:2], f"{blocks[-1][2]} {value}")
    if not blocks:
        raise TranscriptError("the HTML transcript has no <time> marks followed by <p> text")
    blocks.sort(key=lambda b: b[0])
    # Nothing says when the last block ends: assume it is read at the pace of the others.
    words_before = sum(len(body.split()) for _, _, body in blocks[:-1])
    pace = (blocks[-1][0] - blocks[0][0]) / words_before if words_before else _MS_PER_WORD
    last_end = blocks[-1][0] + round(pace * len(blocks[-1][2].split()))
    ends = [b[0] for b in blocks[1:]] + [last_end]
    return [Segment(b[0], max(b[0], e), b[2], (), b[1]) for b, e in zip(blocks, ends, strict=True)]


def _segment(start: int, end: int, text: str, speaker: str | None) -> Segment:
    # VTT and SRT keep entities such as &amp; in the cue text; our text is plain.
    name = html.unescape(speaker).strip() if speaker else None
    return Segment(start, max(start, end), html.unescape(_squash(text)), (), name or None)


def _clock_ms(value: str) -> int:
    """`m:ss`, `h:mm:ss` or plain seconds, with optional fractions."""
    match = re.fullmatch(r"(?:(?:(\d+):)?(\d+):)?(\d+(?:[.,]\d+)?)", value.strip())
    if not match:
        raise TranscriptError(f"the HTML transcript has a time we cannot read: {value!r}")
    hours, minutes, seconds = match.groups()
    total = int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds.replace(",", "."))
    return round(total * 1000)
