"""The stages every episode goes through, in order.

A stage runs once every stage of its episode with a lower step is done; stages that share a
step (peaks and transcribe) may run side by side.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

FETCH = "fetch"
PROBE = "probe"
PEAKS = "peaks"
TRANSCRIBE = "transcribe"
ANALYZE = "analyze"  # topics, chapters, highlights (jobs/analysis.py)
INDEX = "index"  # search units; after analyze, whose topic keywords it indexes
# server-wide work: a job row with no episode (the recommender's training, issue 16; the
# analytics rollup and pruning, issue 14)
RECOMMEND = "recommend"
ANALYTICS = "analytics"
SERVER_STAGES = frozenset({RECOMMEND, ANALYTICS})

# the states of a job
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"

EpisodeStatus = Literal["not processed", "queued", "processing", "ready", "failed"]

STEPS: dict[str, int] = {
    FETCH: 0,
    PROBE: 1,
    PEAKS: 2,
    TRANSCRIBE: 2,
    ANALYZE: 3,
    INDEX: 4,
    RECOMMEND: 9,
    # for server-wide jobs the step is only a priority: a rollup takes seconds and keeps the
    # dashboards current, so it goes before a queue of hour-long transcriptions
    ANALYTICS: 0,
}


def stages_for(*, needs_download: bool) -> list[str]:
    stages = [PROBE, PEAKS, TRANSCRIBE, ANALYZE, INDEX]
    return [FETCH, *stages] if needs_download else stages


def episode_status(states: Sequence[str]) -> EpisodeStatus:
    """One word for a list of stage states, worst news first: a failure needs a person,
    whereas "processing" will resolve by itself."""
    if not states:
        return "not processed"
    if FAILED in states:
        return "failed"
    if all(state == DONE for state in states):
        return "ready"
    if RUNNING in states or DONE in states:
        return "processing"
    return "queued"
