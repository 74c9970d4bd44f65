"""Benchmark: search on question-style queries, QMSum's validation split.

    .venv/bin/python bench/questions.py [--fresh] [--limit-queries N]

With the `semantic` extra installed, ours fuses BM25 with sentence embeddings (the index then
embeds every unit; its own cache).

Data: the 35 real meetings of QMSum's validation split (AMI, ICSI, parliamentary committees;
../shared/data/qmsum-val, read there and never copied into the repository) and their 'specific'
queries ("What did the Industrial Designer think of fashion when discussing the design?"), each
with gold utterance spans. The meetings have no audio, so the transcripts get synthetic times
from utterance order: every utterance is read at 150 words a minute (400 ms a word), one after
the other. Both systems see the same times and words, and each query is searched within its own
meeting (a listener asking about one episode), over a library that holds all 35.

- ours: soundbite.search.service.search as the API calls it (a question is detected and answered
  by passage: search/questions.py), through the real analyze and index stages on SQLite;
- anchor: plain BM25 (SQLite FTS5 bm25) over fixed 30 s windows of the same words, the query as a
  bag of its tokens (any may match).

A result is a hit when its span (our passage; the anchor's window) overlaps a gold utterance
span (Hit@5, MRR@10). "Lands" is stricter: the moment the player jumps to (our answering
sentence's start; the anchor's window start) lies inside a gold span. Target: Hit@5 >= 1.3x.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select
from tests.conftest import make_settings
from tests.test_insight_support import add_episode, process, segment_of

from soundbite.bootstrap import Soundbite
from soundbite.domain.transcript import Segment, Transcript
from soundbite.insight.text import tokens
from soundbite.search import semantic
from soundbite.search.backend import Filters
from soundbite.search.service import search
from soundbite.services.accounts import ensure_owner
from soundbite.store.models import Episode, User

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "qmsum-val"
if not DATA.exists():
    DATA = Path("/work/shared/data/qmsum-val")
# the index holds unit vectors when the semantic extra is installed: a cache for each
CACHE = Path("/tmp/soundbite-bench-questions" + ("-semantic" if semantic.installed() else ""))
MS_PER_WORD = 400
WINDOW_MS = 30_000
Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Meeting:
    name: str
    transcript: Transcript
    utterances: list[Span]  # time span of each utterance, by index
    queries: list[tuple[str, list[Span]]]  # question, gold time spans


def load_meeting(path: Path) -> Meeting:
    raw = json.loads(path.read_text())
    segments: list[Segment] = []
    spans: list[Span] = []
    t = 0
    for u in raw["meeting_transcripts"]:
        n = max(1, sum(1 for p in u["content"].split() if any(c.isalnum() for c in p)))
        end = t + n * MS_PER_WORD
        spans.append((t, end))
        if any(c.isalnum() for c in u["content"]):
            segments.append(segment_of(u["content"], t, end, u["speaker"]))
        t = end
    queries = []
    for q in raw["specific_query_list"]:
        gold = []
        for a, b in q["relevant_text_span"]:
            lo, hi = int(a), min(int(b), len(spans) - 1)
            if lo <= hi:
                gold.append((spans[lo][0], spans[hi][1]))
        if gold:
            queries.append((q["query"], gold))
    return Meeting(path.stem, Transcript("en", tuple(segments), "publisher"), spans, queries)


def library(meetings: list[Meeting], fresh: bool) -> tuple[Soundbite, dict[str, int]]:
    """All meetings indexed by the real stages; cached, since analysis takes minutes."""
    if fresh and CACHE.exists():
        shutil.rmtree(CACHE)
    CACHE.mkdir(parents=True, exist_ok=True)
    app = Soundbite.from_settings(make_settings(CACHE / "data", f"sqlite:///{CACHE / 'q.db'}"))
    with app.db.read() as s:
        have = {e.title: e.id for e in s.scalars(select(Episode))}
    if len(have) == len(meetings):
        return app, have
    ensure_owner(app)
    with app.db.read() as s:
        owner = s.scalars(select(User.id).where(User.role == "admin").limit(1)).one()
    ids = {}
    for m in meetings:
        ids[m.name] = add_episode(app, owner, m.transcript, title=m.name)[1]
        process(app, ids[m.name])
    return app, ids


class Anchor:
    """Plain BM25 over fixed 30 s windows of every meeting, in FTS5."""

    def __init__(self, meetings: list[Meeting]) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE VIRTUAL TABLE w USING fts5(meeting UNINDEXED, text)")
        self.spans: list[Span] = []
        for m in meetings:
            windows: dict[int, list[str]] = {}
            for w in m.transcript.words:
                windows.setdefault(w.start_ms // WINDOW_MS, []).extend(tokens(w.text))
            for k in sorted(windows):
                self.spans.append((k * WINDOW_MS, (k + 1) * WINDOW_MS))
                self.db.execute(
                    "INSERT INTO w (rowid, meeting, text) VALUES (?, ?, ?)",
                    (len(self.spans), m.name, " ".join(windows[k])),
                )

    def search(self, meeting: str, question: str) -> list[tuple[Span, int]]:
        match = " OR ".join(f'"{t}"' for t in dict.fromkeys(tokens(question)))
        rows = self.db.execute(
            "SELECT rowid FROM w WHERE w MATCH ? AND meeting = ? ORDER BY bm25(w) LIMIT 10",
            (match, meeting),
        ).fetchall()
        return [(self.spans[r[0] - 1], self.spans[r[0] - 1][0]) for r in rows]


def overlaps(span: Span, gold: list[Span]) -> bool:
    return any(span[0] < b and a < span[1] for a, b in gold)


def lands(t: int, gold: list[Span]) -> bool:
    return any(a <= t < b for a, b in gold)


def scores(results: list[tuple[Span, int]], gold: list[Span]) -> tuple[float, float, float]:
    """(hit@5, reciprocal rank within 10, landed@5) for one query."""
    hit = next((i for i, (span, _) in enumerate(results[:10]) if overlaps(span, gold)), None)
    landed = any(lands(t, gold) for _, t in results[:5])
    return (
        float(hit is not None and hit < 5),
        1 / (hit + 1) if hit is not None else 0.0,
        float(landed),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fresh", action="store_true", help="re-index the meetings")
    parser.add_argument("--limit-queries", type=int, default=0)
    args = parser.parse_args()
    meetings = [load_meeting(p) for p in sorted(DATA.glob("*.json"))]
    t0 = time.monotonic()
    app, ids = library(meetings, args.fresh)
    built = time.monotonic() - t0
    anchor = Anchor(meetings)
    totals = {"ours": [0.0, 0.0, 0.0], "anchor": [0.0, 0.0, 0.0]}
    n = 0
    latencies = []
    spans: list[int] = []
    for m in meetings:
        for question, gold in m.queries:
            if args.limit_queries and n >= args.limit_queries:
                break
            n += 1
            q0 = time.monotonic()
            hits = search(app.db, question, Filters(episode_id=ids[m.name]), limit=10).hits
            latencies.append(time.monotonic() - q0)
            ours = [((h.unit_start_ms, h.unit_end_ms), h.start_ms) for h in hits]
            spans += [h.unit_end_ms - h.unit_start_ms for h in hits]
            for name, results in (("ours", ours), ("anchor", anchor.search(m.name, question))):
                for i, v in enumerate(scores(results, gold)):
                    totals[name][i] += v
    app.close()
    latencies.sort()
    print(
        f"QMSum validation: {len(meetings)} meetings, {n} specific queries with gold spans."
        f" No audio: synthetic times from utterance order at {MS_PER_WORD} ms a word."
    )
    print(
        "semantic extra: "
        + ("installed (BM25 fused with sentence embeddings)" if semantic.installed() else "off")
    )
    print(
        f"index (analyze + index stages) {built:.0f} s (cached after the first run);"
        f" ours p50 {1000 * latencies[len(latencies) // 2]:.0f} ms,"
        f" p95 {1000 * latencies[int(len(latencies) * 0.95)]:.0f} ms a query"
    )
    mean = sum(spans) / max(len(spans), 1) / 1000
    print(f"result spans: ours (passages) {mean:.1f} s on average, anchor {WINDOW_MS // 1000} s")
    print(f"{'metric':<26}{'ours':>8}{'anchor':>8}{'ratio':>8}")
    names = ("Hit@5 (span overlaps)", "MRR@10", "Landed@5 (jump in gold)")
    for i, name in enumerate(names):
        ours_v, anchor_v = totals["ours"][i] / n, totals["anchor"][i] / n
        ratio = ours_v / anchor_v if anchor_v else float("inf")
        print(f"{name:<26}{ours_v:>8.3f}{anchor_v:>8.3f}{ratio:>7.2f}x")
    print("target: Hit@5 ratio >= 1.30")


if __name__ == "__main__":
    main()
