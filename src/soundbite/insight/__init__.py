"""Insight: what an episode is about, and which moments are worth clipping.

Everything here is pure, but llm.py (an HTTP client, off unless configured): a transcript (and,
when we have it, the waveform peaks) goes in, plain dataclasses come out. ``jobs/analysis.py``
reads the rows and blobs and writes the results, so these modules are tested and benchmarked
without a database.

    sentences.py   words -> sentences (punctuation, pauses, a length cap)
    text.py        tokens, stopwords, light stemming (shared with search)
    outline.py     chapters: a few an hour, by optimal segmentation; topics nest inside
    embeddings.py  sentence vectors (the optional `semantic` extra), one model per process
    topics.py      TextTiling-style topical segmentation over TF-IDF vectors
    keywords.py    extractive key phrases
    phrases.py     noun phrases (TextBlob's offline tagger and chunker)
    titles.py      noun-phrase titles, or a pluggable writer's (a language model's)
    audio.py       loudness per sentence from the stored peaks
    highlights.py  sentence-bounded highlight suggestions with a readable reason
    chapters.py    publisher or generated chapters, Podcasting 2.0 JSON export
    summary.py     key sentences and a one-paragraph summary (extractive, or a writer's)
    writing.py     what a writer (a language model) may write over the lexical texts
    llm.py         that writer: any OpenAI-compatible endpoint, the lexical texts on failure
    analyze.py     the whole analysis of one episode, with progress
"""
