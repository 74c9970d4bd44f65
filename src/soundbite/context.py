"""What every part of Soundbite is handed: settings, the database, blob storage, the job queue
and the dispatcher.

This module is a leaf: it imports only the interfaces it names, never the composition root
(``bootstrap.py``) that builds a context from settings, and never the jobs, services or web
layers that use it. So a stage, a service or a route can take a ``Context`` without pulling in
the rest of the application, and the embedded and scale-out modes differ only in which
implementations ``bootstrap.py`` puts here (docs/architecture.md).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import ip_network

from soundbite.derived import RenderJob
from soundbite.ingest.fetch import FetchPolicy
from soundbite.settings import Settings
from soundbite.speech.model import ModelOptions
from soundbite.store.blobs.base import BlobStorage
from soundbite.store.db import Database
from soundbite.store.queue import JobQueue


class Dispatcher(ABC):
    """Gets queued work going: pipeline jobs and clip pre-renders.

    The embedded mode runs both in this process; the scale-out mode sends them to Celery
    workers. Callers never need to know which (tests/test_dispatch_contract.py holds both to
    the same contract).
    """

    # The composition root points this at the process's render cache: where a render goes
    # when it cannot be sent anywhere else (always, in the embedded mode).
    local_renderer: Callable[[RenderJob], object] | None = None

    def render_locally(self, job: RenderJob) -> None:
        if self.local_renderer is not None:
            self.local_renderer(job)

    @abstractmethod
    def wake(self, episode_id: int | None = None) -> None:
        """Jobs may have become runnable (enqueue, retry, a stage finished): get them going.

        Never raises for a broker outage: the job rows are already committed, and the
        reconciler dispatches whatever this call could not.
        """

    @abstractmethod
    def prerender(self, job: RenderJob) -> None:
        """Render a new clip before anyone plays it. Never raises: a render that does not
        happen now happens on first play."""

    def close(self) -> None:  # noqa: B027  (most dispatchers hold nothing)
        """Release connections."""


@dataclass
class Context:
    settings: Settings
    db: Database
    storage: BlobStorage
    queue: JobQueue
    dispatcher: Dispatcher

    def fetch_policy(self) -> FetchPolicy:
        return FetchPolicy(
            allow_private=self.settings.allow_private_networks,
            allow_networks=tuple(ip_network(n) for n in self.settings.fetch_allow_networks),
            timeout_s=self.settings.fetch_timeout_seconds,
        )

    def model_options(self) -> ModelOptions:
        return ModelOptions(
            name=self.settings.whisper_model,
            device=self.settings.whisper_device,
            compute_type=self.settings.whisper_compute_type,
            cache_dir=self.settings.resolved_model_dir,
        )

    # The one way work is queued: the job rows first, then whatever runs the pipeline is told.
    def enqueue(self, episode_id: int | None, stages: list[str]) -> None:
        self.queue.enqueue(episode_id, stages)
        self.dispatcher.wake(episode_id)

    def retry(self, job_id: int) -> None:
        self.queue.retry(job_id)
        self.dispatcher.wake()

    def close(self) -> None:
        self.dispatcher.close()
        self.db.dispose()
