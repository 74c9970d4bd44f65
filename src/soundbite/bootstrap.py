"""The composition root: builds a running Soundbite from settings.

The CLI, the web app, the Celery workers and the tests all start here, so the wiring lives in
one place and every part is handed what it needs instead of importing globals. The embedded and
scale-out modes differ only here: ``s3_bucket`` picks S3 over the local folder and
``broker_url`` picks Celery over the in-process worker threads (docs/deploy.md). Nothing below
this module imports it: the layers beneath take a ``Context`` (context.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from soundbite.analytics.sink import EventSink
from soundbite.clips.page_cache import PageCache
from soundbite.clips.renders import RenderCache
from soundbite.context import Context, Dispatcher
from soundbite.jobs.dispatch import LocalDispatcher
from soundbite.services.abuse import AbuseLimits
from soundbite.settings import Settings
from soundbite.store.blobs import BlobStorage, LocalStorage
from soundbite.store.db import Database, PoolOptions
from soundbite.store.migrate import upgrade
from soundbite.store.queue import JobQueue

log = logging.getLogger("soundbite")


@dataclass
class Soundbite(Context):
    """A context plus what one process keeps for it: the clip render cache, the share
    page cache, the abuse-limit counters (in memory, or a client of the shared Redis) and the
    analytics events not yet written."""

    renders: RenderCache = field(init=False, repr=False)
    pages: PageCache = field(init=False, repr=False)
    limits: AbuseLimits = field(init=False, repr=False)
    analytics: EventSink = field(init=False, repr=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.renders = RenderCache(
            self, workers=s.clip_render_workers, lease_s=s.clip_render_timeout_seconds
        )
        self.pages = PageCache()
        self.limits = AbuseLimits(s)
        self.analytics = EventSink(self, flush_s=s.analytics_flush_seconds, enabled=s.analytics)
        # renders that cannot go to a worker (the embedded mode, a broker outage) run here
        self.dispatcher.local_renderer = self.renders.start

    @classmethod
    def from_settings(cls, settings: Settings, *, migrate: bool = True) -> Soundbite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(
            settings.resolved_database_url,
            PoolOptions(
                size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
                timeout_s=settings.db_pool_timeout_seconds,
                recycle_s=settings.db_pool_recycle_seconds,
            ),
        )
        if migrate:
            upgrade(db)
        return cls(
            settings=settings,
            db=db,
            storage=make_storage(settings),
            queue=JobQueue(
                db,
                lease_seconds=settings.job_lease_seconds,
                max_attempts=settings.job_max_attempts,
            ),
            dispatcher=make_dispatcher(settings, db),
        )

    def close(self) -> None:
        self.analytics.close()
        self.renders.close()
        super().close()


def make_storage(settings: Settings) -> BlobStorage:
    if not settings.s3_bucket:
        return LocalStorage(settings.resolved_storage_dir)
    from soundbite.store.blobs.s3 import MIB, S3Options, S3Storage

    secret = settings.s3_secret_access_key
    return S3Storage(
        S3Options(
            bucket=settings.s3_bucket,
            cache_dir=settings.s3_cache_dir,
            prefix=settings.s3_prefix,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=secret.get_secret_value() if secret else None,
            multipart_threshold=settings.s3_multipart_threshold_mb * MIB,
            max_attempts=settings.s3_max_attempts,
            cache_max_bytes=settings.s3_cache_max_mb * MIB,
        )
    )


def make_dispatcher(settings: Settings, db: Database) -> Dispatcher:
    if not settings.broker_url:
        return LocalDispatcher()
    from soundbite.jobs.celery_app import make_celery
    from soundbite.jobs.dispatch import CeleryDispatcher

    return CeleryDispatcher(
        db,
        make_celery(settings),
        redispatch_seconds=settings.redispatch_seconds,
        queue_prefix=settings.broker_queue_prefix,
    )
