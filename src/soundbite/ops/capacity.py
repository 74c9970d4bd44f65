"""`soundbite capacity`: from measured figures to workers (or GPUs) and delays.

Transcription dominates: an hour of audio costs ``rtf`` hours of one worker. Episodes do not
arrive evenly, so the worker count is chosen to keep utilisation at or under a target (70 %
by default) and the expected queueing delay comes from the M/M/c model (Erlang C): Poisson
arrivals of episodes, exponential service times. That is pessimistic for the even arrivals
of a scheduled publisher and about right for many independent feeds.

Delay from publish to clippable transcript = fetch + probe + peaks (small) + waiting for a
transcription worker + transcription itself; analyze and index follow in seconds.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class Plan:
    audio_hours_per_day: float
    episode_minutes: float
    rtf: float  # per worker process
    workers: int
    utilisation: float
    transcribe_minutes: float  # of one episode, once a worker has it
    mean_wait_minutes: float  # in the transcribe queue, averaged over episodes
    p95_delay_minutes: float  # publish → transcript, approximately
    web_processes: int | None

    def to_json(self) -> dict[str, float | int | None]:
        return asdict(self)


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits (M/M/c), with offered load in Erlangs."""
    if load >= servers:
        return 1.0
    term, total = 1.0, 1.0
    for k in range(1, servers):
        term *= load / k
        total += term
    top = term * load / servers / (1 - load / servers)
    return top / (total + top)


def plan(
    *,
    audio_hours_per_day: float,
    rtf: float,
    episode_minutes: float = 60.0,
    target_utilisation: float = 0.7,
    overhead_minutes: float = 0.5,
    peak_requests_per_s: float | None = None,
    web_rps_per_process: float | None = None,
) -> Plan:
    if rtf <= 0 or audio_hours_per_day <= 0:
        raise ValueError("rtf and hours per day must be positive")
    service_min = episode_minutes * rtf
    arrivals_per_min = audio_hours_per_day * 60 / episode_minutes / (24 * 60)
    load = arrivals_per_min * service_min  # Erlangs: busy workers on average
    workers = max(1, math.ceil(load / target_utilisation))
    wait_prob = erlang_c(workers, load)
    mean_wait = wait_prob * service_min / (workers - load) if workers > load else math.inf
    # waiting time given a wait is exponential with rate (c - load) / service time
    p95_wait = 0.0
    if wait_prob > 0.05 and workers > load:
        p95_wait = service_min / (workers - load) * math.log(wait_prob / 0.05)
    web = None
    if peak_requests_per_s and web_rps_per_process:
        web = max(1, math.ceil(peak_requests_per_s / (web_rps_per_process * target_utilisation)))
    return Plan(
        audio_hours_per_day=audio_hours_per_day,
        episode_minutes=episode_minutes,
        rtf=rtf,
        workers=workers,
        utilisation=round(load / workers, 3),
        transcribe_minutes=round(service_min, 2),
        mean_wait_minutes=round(mean_wait, 2),
        p95_delay_minutes=round(overhead_minutes + p95_wait + service_min, 2),
        web_processes=web,
    )
