"""Personal recommendations ("For you"): pure ranking over plain inputs, no I/O.

The caller (a training job, later) hands in interactions, items and a context as dataclasses
(``data.py``) and gets back a :class:`~soundbite.recommend.ranker.Model`, a trained artefact;
ranking a listener's feed reads only that model, so it can run on the request path. Each part
does one thing:

- ``signals``: interaction kinds -> signed, time-decayed confidence; skips are negative;
- ``collaborative``: implicit-feedback matrix factorisation (``implicit``'s ALS), refit per
  listener incrementally;
- ``content``: TF-IDF vectors over transcripts (scikit-learn), cosine similarity;
- ``priors``: popularity and recency;
- ``context``: hour-of-day and time-budget fit;
- ``diversity``: maximal marginal relevance with a cap per show;
- ``reasons``: the one-line reason for every item and the id of the signal behind it;
- ``ranker``: training, the rows of a feed, the opt-out feed.

This package sits beside ``insight`` in the layers: it never imports store, jobs or web.
"""
