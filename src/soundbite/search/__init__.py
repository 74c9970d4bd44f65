"""Search every transcript: lexical (SQLite FTS5 / PostgreSQL GIN, both BM25) behind one
interface, optionally fused with semantic matching.

    query.py     the search box syntax, made safe for either database
    units.py     ~30 s index units with word times
    backend.py   the interface and the SQLite implementation; postgres.py the other
    snippets.py  word-accurate match spans and escaped, marked snippets
    service.py   search(): the entry point for the API, CLI and benches
    questions.py questions answered by passage, from the answering sentence
    related.py   "more like this" for a span of an episode
    semantic.py  the optional sentence-embedding half (extra `semantic`)
"""
