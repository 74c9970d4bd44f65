"""Highlights of long real interviews imported as auto-captions, printed for a person to judge.

    .venv/bin/python bench/longform.py tim352 tim364 tim361 [--full] [--published]

Each SliceCast episode (../shared/data/slicecast, real Tim Ferriss Show transcripts; see its
SOURCE.md) is turned into what an imported auto-caption file looks like: lower case, no
punctuation, no speakers, WebVTT cues of eight words at 2.7 words a second (the text has no
times, so the words are evenly timed and there are no pauses to help). The file goes through
the import path (speech.formats.parse_transcript) and the analysis, as an uploaded transcript
would, and the top five suggestions are printed with their reason, title and text. Judging
them is left to the reader: docs/insight.md keeps the judged lists. `--published` imports the
publisher's own transcript instead: its punctuation and capitals kept, one cue per paragraph,
the same even timing, still no speaker names (SliceCast has none). Run it against another
checkout's src (PYTHONPATH) to see the suggestions before a change.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from soundbite.insight.analyze import analyze
from soundbite.speech.formats import parse_transcript

SLICECAST = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "slicecast"


def _clock(ms: int) -> str:
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def auto_captions(path: Path, rate: float = 2.7, cue: int = 8) -> bytes:
    lines = path.read_text().splitlines()
    text = " ".join(line for line in lines if not line.startswith("========"))
    words = [w for w in re.sub(r"[^\w\s']+", " ", text.lower().replace("\u2019", "'")).split()]
    blocks = ["WEBVTT", ""]
    for i in range(0, len(words), cue):
        start, end = round(i * 1000 / rate), round(min(i + cue, len(words)) * 1000 / rate)
        blocks += [f"{_clock(start)} --> {_clock(end)}", " ".join(words[i : i + cue]), ""]
    return "\n".join(blocks).encode()


def published(path: Path, rate: float = 2.7) -> bytes:
    paragraphs = [
        " ".join(line.split())
        for line in path.read_text().splitlines()
        if line.strip() and not line.startswith("========")
    ]
    blocks, at = ["WEBVTT", ""], 0
    for text in paragraphs:
        n = len(text.split())
        start, end = round(at * 1000 / rate), round((at + n) * 1000 / rate)
        blocks += [f"{_clock(start)} --> {_clock(end)}", text, ""]
        at += n
    return "\n".join(blocks).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("episodes", nargs="+", help="SliceCast names, e.g. tim352")
    parser.add_argument("--full", action="store_true", help="print each suggestion's text")
    parser.add_argument(
        "--published", action="store_true", help="the publisher's punctuated text, not captions"
    )
    args = parser.parse_args()
    for name in args.episodes:
        make = published if args.published else auto_captions
        transcript = parse_transcript(make(SLICECAST / f"{name}.txt"), "text/vtt")
        t0 = time.perf_counter()
        result = analyze(transcript)
        took = time.perf_counter() - t0
        hours = transcript.segments[-1].end_ms / 3_600_000
        print(
            f"== {name}: {hours:.1f} h, {len(result.sentences)} sentences, analysed in {took:.1f} s"
        )
        for h in result.highlights[:5]:
            print(
                f"#{h.rank} {h.start_ms / 60_000:5.1f} min {(h.end_ms - h.start_ms) / 1000:4.1f} s"
            )
            print(f"   reason: {h.reason}")
            print(f"   title:  {h.title}")
            if args.full:
                print(f"   text:   {h.text}")
        print()


if __name__ == "__main__":
    main()
