"""Benchmark: search quality on judged queries, and latency over 1,000 hours of transcripts.

    .venv/bin/python bench/search.py [--hours 1000] [--queries 300]

Quality. The corpus is the project's real transcripts (the 12.5-minute tips episode, a sonnet,
a phone call, JFK, a LibriSpeech sentence; tests/test_insight_support.py), indexed by the real
analyze and index stages on SQLite. tests/data/insight/search_judgments.json holds 24 queries
(keywords, phrases, paraphrases that share few words with the answer, names) with the moments
that answer them, graded 2 (answers) or 1 (about it), judged by reading the transcripts before
either system ran. A retrieved unit counts for a moment when they overlap by 5 s or by half
the moment; each moment is credited once (nDCG@10), P@10 counts units that hit any moment.

- ours: soundbite.search.service.search (sentence-bounded ~30 s units, every word must match
  then any, phrases and prefixes honoured, topic keywords indexed beside the words, BM25);
- baseline: plain BM25 (FTS5 bm25) over fixed 30 s windows of the same words, the query as a
  bag of words (any may match), no phrases, no context.

Latency. A synthetic library of --hours hours is generated from the real sentences: each
episode keeps the sentence structure and function words but swaps 60 % of its content words
for words of its own topic, drawn from a Zipf-distributed invented vocabulary, so term
frequencies have the long tail of a real library rather than the same 900 words repeated.
Rows go straight into the search_units table in one bulk insert (the FTS5 triggers index them)
and the database is cached in /tmp/soundbite-bench. Queries mix the judged queries, invented
words (common and rare), prefixes and phrases; p50/p95 are over --queries searches through
the service (ranking, total count, hits with word times and snippets). Target: p95 <= 50 ms.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import math
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select
from tests.conftest import make_settings
from tests.test_insight_support import (
    DATA,
    add_episode,
    find_word,
    podcast_tips,
    process,
    srt_transcript,
    stm_transcript,
    text_transcript,
)

from soundbite.bootstrap import Soundbite
from soundbite.domain.transcript import Transcript
from soundbite.insight.sentences import split_sentences, timed_words
from soundbite.insight.text import is_content, tokens
from soundbite.search import semantic
from soundbite.search.service import search
from soundbite.services.accounts import ensure_owner
from soundbite.store.models import User

CACHE = Path("/tmp/soundbite-bench")
Item = tuple[str, int, int]  # episode key, start ms, end ms


def corpus() -> dict[str, Transcript]:
    return {
        "tips": podcast_tips(),
        "sonnet": srt_transcript(DATA / "sonnet001.srt"),
        "call": stm_transcript(DATA / "phone_call.stm"),
        "jfk": text_transcript((DATA / "jfk_ask_not.txt").read_text(), 11_000),
        "wizard": text_transcript((DATA / "librispeech_61-70968-0000.txt").read_text(), 4_900),
    }


def judged(docs: dict[str, Transcript]) -> list[tuple[str, list[tuple[Item, int]]]]:
    spec = json.loads((DATA / "search_judgments.json").read_text())
    out = []
    for query in spec["queries"]:
        spans = []
        for rel in query["relevant"]:
            words = docs[rel["episode"]].words
            a = find_word(words, rel["from"])
            tail = rel["to"].split()
            b = find_word(words[a:], rel["to"]) + a + len(tail) - 1
            spans.append(((rel["episode"], words[a].start_ms, words[b].end_ms), rel["grade"]))
        out.append((query["q"], spans))
    return out


def overlaps(item: Item, span: Item) -> bool:
    if item[0] != span[0]:
        return False
    inside = min(item[2], span[2]) - max(item[1], span[1])
    return inside >= 5_000 or inside >= (span[2] - span[1]) / 2


def ndcg_p10(ranked: list[Item], rel: list[tuple[Item, int]]) -> tuple[float, float, float]:
    credited: set[int] = set()
    dcg, hits, rr = 0.0, 0, 0.0
    for i, item in enumerate(ranked[:10]):
        matching = [j for j, (span, _) in enumerate(rel) if overlaps(item, span)]
        hits += bool(matching)
        if matching and rr == 0:
            rr = 1 / (i + 1)
        fresh = [j for j in matching if j not in credited]
        if fresh:
            best = max(fresh, key=lambda j: rel[j][1])
            credited.add(best)
            dcg += rel[best][1] / math.log2(i + 2)
    ideal = sum(
        g / math.log2(i + 2) for i, g in enumerate(sorted((g for _, g in rel), reverse=True))
    )
    return dcg / ideal, hits / 10, rr


class Baseline:
    """Plain BM25 over fixed 30 s windows: FTS5 in memory, bag-of-words OR queries."""

    def __init__(self, docs: dict[str, Transcript], window_ms: int = 30_000) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE VIRTUAL TABLE w USING fts5(text, tokenize='unicode61 remove_diacritics 2')"
        )
        self.windows: list[Item] = []
        for key, transcript in docs.items():
            groups: dict[int, list[str]] = {}
            for word in timed_words(transcript):
                groups.setdefault(word.start_ms // window_ms, []).append(word.text)
            for n, texts in sorted(groups.items()):
                self.windows.append((key, n * window_ms, (n + 1) * window_ms))
                self.db.execute(
                    "INSERT INTO w(rowid, text) VALUES (?, ?)", (len(self.windows), " ".join(texts))
                )

    def search(self, q: str) -> list[Item]:
        terms = " OR ".join(f'"{t}"' for t in dict.fromkeys(tokens(q)))
        rows = self.db.execute(
            "SELECT rowid FROM w WHERE w MATCH ? ORDER BY bm25(w) LIMIT 10", (terms,)
        ).fetchall()
        return [self.windows[r[0] - 1] for r in rows]


def owner_id(app: Soundbite) -> int:
    ensure_owner(app)
    with app.db.read() as s:
        return int(
            s.scalars(select(User.id).where(User.role == "admin").order_by(User.id).limit(1)).one()
        )


def quality() -> None:
    docs = corpus()
    queries = judged(docs)
    tmp = Path(tempfile.mkdtemp())
    app = Soundbite.from_settings(make_settings(tmp, None))
    owner = owner_id(app)
    ids = {add_episode(app, owner, t, title=key)[1]: key for key, t in docs.items()}
    process(app, *ids)
    base = Baseline(docs)
    scores: dict[str, list[tuple[float, float, float]]] = {"ours": [], "baseline": []}
    for q, rel in queries:
        hits = search(app.db, q, limit=10).hits
        ours = [(ids[h.episode_id], h.unit_start_ms, h.unit_end_ms) for h in hits]
        scores["ours"].append(ndcg_p10(ours, rel))
        scores["baseline"].append(ndcg_p10(base.search(q), rel))
    means = {k: [statistics.fmean(c) for c in zip(*v, strict=True)] for k, v in scores.items()}
    mode = "lexical + semantic (RRF)" if semantic.installed() else "lexical"
    print(f"quality: {len(queries)} judged queries over {len(docs)} real transcripts ({mode})")
    print(f"  {'':<9} {'nDCG@10':>8} {'P@10':>6} {'MRR':>6}")
    for k, (ndcg, p10, mrr) in means.items():
        print(f"  {k:<9} {ndcg:8.3f} {p10:6.3f} {mrr:6.3f}")
    o, b = means["ours"], means["baseline"]
    print(f"  {'ratio':<9} {o[0] / b[0]:8.2f} {o[1] / b[1]:6.2f} {o[2] / b[2]:6.2f}")
    app.close()


# ---------------------------------------------------------------- the synthetic library

WORD_MS = 400  # 150 words a minute
UNIT_WORDS = 75  # ~30 s, as the index stage cuts them
Pooled = list[tuple[str, list[str], bool]]  # (display word, its tokens, is a content word)


def invented_vocabulary(n: int, rng: random.Random) -> list[str]:
    syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
    words: dict[str, None] = {}
    while len(words) < n:
        words["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))] = None
    return list(words)


class Zipf:
    def __init__(self, n: int, s: float = 1.0) -> None:
        self.cum = list(itertools.accumulate(1 / (r**s) for r in range(1, n + 1)))

    def draw(self, rng: random.Random) -> int:
        return bisect.bisect_left(self.cum, rng.random() * self.cum[-1])


def sentence_pool(docs: dict[str, Transcript]) -> list[Pooled]:
    pool = []
    for transcript in docs.values():
        words = timed_words(transcript)
        for s in split_sentences(words):
            pool.append(
                [
                    (w.text, tokens(w.text), any(is_content(t) for t in tokens(w.text)))
                    for w in words[s.first_word : s.end_word]
                ]
            )
    return pool


def episode_units(
    pool: list[Pooled], topic: list[str], rng: random.Random, minutes: int
) -> list[tuple[int, int, str, str, str, int]]:
    """(start, end, words, times, terms, n_terms) of one synthetic episode's units."""
    inner = Zipf(len(topic))
    units, t, limit = [], 0, minutes * 60_000
    words: list[str] = []
    times: list[str] = []
    toks: list[str] = []
    start = 0
    while t < limit:
        for i, (text, tk, content) in enumerate(rng.choice(pool)):
            if content and rng.random() < 0.6:
                new = topic[inner.draw(rng)]
                text, tk = new + text[len(text.rstrip(".,?!;:")) :], [new]
            words.append(text)
            times.append(f"{'^' if i == 0 else ''}{t - start},{t - start + WORD_MS - 40}")
            toks.extend(tk)
            t += WORD_MS
        if len(words) >= UNIT_WORDS or t >= limit:
            units.append((start, t, " ".join(words), " ".join(times), " ".join(toks), len(toks)))
            words, times, toks, start = [], [], [], t
    return units


def build_library(path: Path, hours: int, docs: dict[str, Transcript]) -> None:
    """Episodes of an hour each, straight into the tables (migrations made the schema)."""
    app = Soundbite.from_settings(make_settings(path.parent / "data", f"sqlite:///{path}"))
    owner = owner_id(app)
    app.close()
    rng = random.Random(2024)
    vocab = invented_vocabulary(200_000, rng)
    shared = Zipf(len(vocab), 1.1)
    pool = sentence_pool(docs)
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    with db:
        for p in range(1, 11):
            db.execute(
                "INSERT INTO podcasts (id, owner_id, title, description, created_at)"
                " VALUES (?, ?, ?, '', CURRENT_TIMESTAMP)",
                (p, owner, f"Synthetic podcast {p}"),
            )
        for e in range(1, hours + 1):
            db.execute(
                "INSERT INTO episodes (id, owner_id, podcast_id, guid, title, description,"
                " published_at, created_at) VALUES (?, ?, ?, ?, ?, '', ?, CURRENT_TIMESTAMP)",
                (e, owner, 1 + e % 10, f"g{e}", f"Episode {e}", f"2020-01-01 00:00:{e % 60:02d}"),
            )
            db.execute(
                "INSERT INTO transcripts (id, episode_id, source, created_at)"
                " VALUES (?, ?, 'synthetic', CURRENT_TIMESTAMP)",
                (e, e),
            )
            topic = [vocab[shared.draw(rng)] for _ in range(300)]
            context = " ".join(topic[:6])
            db.executemany(
                "INSERT INTO search_units (episode_id, transcript_id, position, start_ms, end_ms,"
                " words, times, terms, context, n_terms, n_context)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 6)",
                [
                    (e, e, i, a, b, w, ts, tm, context, n)
                    for i, (a, b, w, ts, tm, n) in enumerate(episode_units(pool, topic, rng, 60))
                ],
            )
    db.execute("INSERT INTO search_units_fts(search_units_fts) VALUES ('optimize')")
    db.commit()
    db.close()


def latency_queries(docs: dict[str, Transcript], n: int, path: Path) -> list[str]:
    rng = random.Random(5)
    spec = json.loads((DATA / "search_judgments.json").read_text())
    judged_q = [q["q"] for q in spec["queries"]]
    db = sqlite3.connect(path)
    terms = [r[0] for r in db.execute("SELECT term FROM search_units_vocab ORDER BY doc DESC")]
    db.close()
    pool = sentence_pool(docs)
    out = []
    for i in range(n):
        kind = i % 5
        if kind == 0:
            out.append(judged_q[i // 5 % len(judged_q)])
        elif kind in (1, 2):  # one or two words across the frequency range
            picks = [terms[min(len(terms) - 1, int(len(terms) * rng.random() ** 3))]]
            out.append(" ".join(picks * kind if kind == 1 else [*picks, rng.choice(terms[:2000])]))
        elif kind == 3:
            out.append(rng.choice(terms[:50_000])[:3] + "*")
        else:
            sentence = [t for _, tk, _ in rng.choice(pool) for t in tk]
            i0 = rng.randrange(max(1, len(sentence) - 2))
            out.append('"' + " ".join(sentence[i0 : i0 + 3]) + '"')
    return out


def latency(hours: int, n_queries: int) -> None:
    docs = corpus()
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"search-{hours}h.db"
    if not path.exists():
        t0 = time.perf_counter()
        build_library(path, hours, docs)
        print(f"built the {hours}-hour library in {time.perf_counter() - t0:.0f} s ({path})")
    app = Soundbite.from_settings(make_settings(path.parent / "data", f"sqlite:///{path}"))
    with sqlite3.connect(path) as db:
        units, words = db.execute("SELECT count(*), sum(n_terms) FROM search_units").fetchone()
    queries = latency_queries(docs, n_queries, path)
    for q in queries[:20]:
        search(app.db, q, limit=10)  # warm the page cache
    times, totals = [], []
    for q in queries:
        t0 = time.perf_counter()
        page = search(app.db, q, limit=10)
        times.append((time.perf_counter() - t0) * 1000)
        totals.append(page.total)
    times.sort()
    p50, p95 = times[len(times) // 2], times[int(len(times) * 0.95)]
    print(
        f"latency: {hours} hours ({units} units, {words / 1e6:.1f}M words), {len(queries)} queries"
    )
    print(
        f"  p50 {p50:.1f} ms, p95 {p95:.1f} ms (target 50), max {times[-1]:.1f} ms;"
        f" hits per query: median {statistics.median(totals):.0f}, max {max(totals)}"
    )
    app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    quality()
    if not args.skip_latency:
        latency(args.hours, args.queries)


if __name__ == "__main__":
    main()
