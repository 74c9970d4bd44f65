"""Builds a Soundbite instance from settings: database, blob storage and the job queue.

The CLI, the web app, the workers and the tests all start here, so the wiring lives in one
place and every part is handed what it needs instead of importing globals.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from ipaddress import ip_network

from soundbite.ingest.fetch import FetchPolicy
from soundbite.jobs.queue import JobQueue
from soundbite.settings import Settings
from soundbite.speech.model import ModelOptions
from soundbite.store.blobs import BlobStorage, LocalStorage
from soundbite.store.db import Database
from soundbite.store.migrate import upgrade

log = logging.getLogger("soundbite")


@dataclass
class Soundbite:
    settings: Settings
    db: Database
    storage: BlobStorage
    queue: JobQueue

    @classmethod
    def from_settings(cls, settings: Settings, *, migrate: bool = True) -> Soundbite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(settings.resolved_database_url)
        if migrate:
            upgrade(db)
        return cls(
            settings=settings,
            db=db,
            storage=LocalStorage(settings.resolved_storage_dir),
            queue=JobQueue(
                db,
                lease_seconds=settings.job_lease_seconds,
                max_attempts=settings.job_max_attempts,
            ),
        )

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

    def close(self) -> None:
        self.db.dispose()
