"""One typed settings object, read from ``SOUNDBITE_*`` environment variables.

The defaults work offline on one machine: SQLite and media files in ``./soundbite-data``,
the bundled Whisper base model on the CPU, one web process with in-process workers.

    >>> Settings()                                  # everything from the environment / defaults
    >>> Settings(data_dir=Path("/srv/soundbite"))   # explicit, as tests do

The object is built once by the CLI and passed down; nothing imports a global instance.
Every field carries a description, and ``docs/settings.md`` is generated from them
(``soundbite settings --markdown``); a test keeps the two in step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

GIB = 1024**3
MIB = 1024**2


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOUNDBITE_", extra="ignore", frozen=True)

    data_dir: Path = Field(
        Path("soundbite-data"),
        description="Folder for the SQLite database, media files and caches.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the metadata database. Default: a SQLite file in the "
        "data dir. PostgreSQL: `postgresql+psycopg://user@host:5432/dbname`.",
    )
    storage_dir: Path | None = Field(
        None,
        description="Folder of the content-addressed media store. Default: `<data_dir>/media`.",
    )
    host: str = Field("127.0.0.1", description="Address `soundbite serve` listens on.")
    port: int = Field(8000, description="Port `soundbite serve` listens on.")
    public_base_url: str | None = Field(
        None,
        description="Absolute URL the instance is reached at (e.g. `https://clips.example.org`), "
        "used in links the server prints and in share links, cards and oEmbed. Default: the "
        "scheme and host of each web request (`http://<host>:<port>` from the CLI).",
    )
    public_library: bool = Field(
        False,
        description="The visibility podcasts added from now on start with: `true` public "
        "(anyone, listed), `false` private (signed-in accounts only). An admin changes each "
        "podcast's afterwards (`soundbite podcasts visibility`, docs/accounts.md).",
    )
    owner_username: str = Field("owner", description="User name of the account made on first run.")
    owner_password: str | None = Field(
        None,
        description="Password for the owner account on first run. Without it the console "
        "prints a one-time setup link instead.",
    )
    signup_mode: Literal["closed", "invite", "open"] = Field(
        "closed",
        description="Who may make an account: `closed` (only an admin, with `soundbite users "
        "add`), `invite` (anyone holding an invite link an admin made) or `open` (anyone).",
    )
    invite_days: int = Field(
        7, ge=1, description="How long a new invite link stays valid, in days."
    )
    rate_limit_storage_url: str | None = Field(
        None,
        description="Where abuse-limit counters live: `memory://` (this process only) or "
        "`redis://host:6379/0` (shared by every web process). Unset: the broker's Redis when "
        "`broker_url` is a Redis URL, else memory.",
    )
    signin_limit_per_client: str = Field(
        "5/minute;10/15 minutes;20/hour",
        description="Wrong passwords allowed for one user name from one IP address; each "
        "further limit is a longer back-off (`limits` notation, `;`-separated).",
    )
    signin_limit_per_ip: str = Field(
        "30/minute;300/day",
        description="Wrong passwords allowed from one IP address, whatever the user name.",
    )
    signin_limit_per_account: str = Field(
        "50/hour",
        description="Wrong passwords allowed for one user name from all addresses together: "
        "above the per-client limit, so one attacker cannot lock the real user out.",
    )
    signup_limit_per_ip: str = Field("5/hour", description="Sign-ups allowed from one IP address.")
    clip_limit_per_account: str = Field(
        "20/minute;500/day", description="Clips one account may create (admins: no limit)."
    )
    clip_limit_per_ip: str = Field(
        "40/minute;1000/day", description="Clips that may be created from one IP address."
    )
    report_limit_per_account: str = Field(
        "5/minute;50/day", description="Clip reports one signed-in account may send."
    )
    report_limit_per_ip: str = Field(
        "5/minute;50/day",
        description="Clip reports that may be sent from one IP address, signed in or not.",
    )
    renders_in_flight_per_user: int = Field(
        3,
        ge=1,
        description="Clip renders one account (or, signed out, one IP address) may have "
        "running at once; more answer 429 until one finishes. Admins: no cap.",
    )
    whisper_model: str = Field(
        "base",
        description="Whisper model: `base` (bundled, verified by hash), a faster-whisper name "
        "such as `small` or `large-v3` (needs a model hub), or a local model directory.",
    )
    model_dir: Path | None = Field(
        None,
        description="Where model weights are unpacked and cached. Default: "
        "`<data_dir>/cache/models`; point several instances at one folder to share it.",
    )
    whisper_device: str = Field("cpu", description="`cpu`, `cuda` or `auto`.")
    whisper_compute_type: str = Field(
        "int8", description="CTranslate2 compute type: `int8`, `int8_float16`, `float16`, ..."
    )
    transcribe_chunk_seconds: float = Field(
        300.0,
        ge=10.0,
        description="Audio transcribed per chunk, in seconds; each chunk's text is stored as "
        "soon as it is done, so a long episode can be read and clipped while it is transcribed.",
    )
    diarize: bool = Field(
        True,
        description='Tell speakers apart after transcribing ("Speaker 1", "Speaker 2"; a '
        "creator names them once). Needs the `speakers` extra (`pip install "
        "'soundbite[speakers]'`); without it, or when the transcript already names its "
        "speakers, nothing happens.",
    )
    llm_url: str | None = Field(
        None,
        description="Base URL of an OpenAI-compatible API (`.../v1`: llama.cpp's server, "
        "Ollama, vLLM) that writes chapter titles, the episode summary, highlight reasons and "
        "suggested clip titles (docs/insight.md). Unset: they are written from the transcript's "
        "own words. Any failure of the endpoint falls back to those.",
    )
    llm_model: str = Field(
        "default",
        description="Model name sent to the LLM endpoint (Ollama and vLLM need the one they "
        "serve, e.g. `llama3.2:3b`; llama.cpp's server takes any).",
    )
    llm_api_key: SecretStr | None = Field(
        None, description="Bearer token for the LLM endpoint, if it asks for one."
    )
    llm_timeout_seconds: float = Field(
        20.0,
        gt=0,
        le=300,
        description="Time limit of one request to the LLM endpoint; after a timeout or a "
        "refused connection the rest of that episode's texts are written without it.",
    )
    workers: int = Field(
        2,
        ge=0,
        description="Worker threads `soundbite serve` runs for the pipeline (0: none; run "
        "`soundbite worker` separately).",
    )
    job_lease_seconds: int = Field(
        120,
        ge=5,
        description="A running job whose worker has not reported for this long is taken up "
        "again by another worker.",
    )
    job_max_attempts: int = Field(
        3, ge=1, description="Attempts before a job whose worker keeps dying is marked failed."
    )
    max_upload_bytes: int = Field(
        2 * GIB, description="Largest upload or enclosure download accepted, in bytes."
    )
    max_episode_seconds: int = Field(24 * 3600, description="Longest episode accepted, in seconds.")
    max_feed_bytes: int = Field(20 * MIB, description="Largest feed document accepted, in bytes.")
    feed_process_latest: int = Field(
        5,
        ge=0,
        description="When a feed is added or polled, the newest N episodes are downloaded and "
        "processed; older ones are listed and processed on request.",
    )
    fetch_timeout_seconds: float = Field(
        30.0, description="Time limit for connecting to and reading from a remote server."
    )
    allow_private_networks: bool = Field(
        False,
        description="Allow fetching feeds and media from private, loopback and link-local "
        "addresses (for self-hosters whose feeds live on their own network).",
    )
    fetch_allow_networks: tuple[str, ...] = Field(
        (),
        description="Networks (CIDR, JSON list) that may be fetched even though they are "
        'private, e.g. `["10.1.2.0/24"]`: narrower than allowing all private networks.',
    )
    clip_max_seconds: int = Field(300, ge=1, description="Longest clip allowed, in seconds.")
    clip_loudness_lufs: float = Field(
        -16.0,
        le=0,
        description="Integrated loudness (EBU R128 / ITU-R BS.1770) rendered clips are "
        "normalised to, in LUFS; -16 is the usual podcast target.",
    )
    clip_audio_kbps: int = Field(
        128, ge=32, le=320, description="Bit rate of rendered clip audio (MP3 and AAC), kbit/s."
    )
    clip_video_max_seconds: int = Field(
        180,
        ge=5,
        le=3600,
        description="Longest clip rendered as a video (MP4 for social networks), in seconds; "
        "social networks take short videos, and a video render costs about half its length.",
    )
    clip_render_workers: int = Field(
        2,
        ge=1,
        description="Clip renders one process encodes at once (each keeps about one core "
        "busy); further renders wait their turn.",
    )
    clip_prerender: bool = Field(
        True,
        description="Start rendering a new clip's MP3 as soon as it is created, so that it "
        "is ready, or already streaming, when it is first played.",
    )
    clip_render_timeout_seconds: int = Field(
        300,
        ge=10,
        description="A clip render claimed by a process that has not finished it after this "
        "long is taken over by another process (the first one is presumed dead).",
    )
    analytics: bool = Field(
        True,
        description="Count episode downloads, listeners, clip plays and the clip funnel "
        "(docs/analytics.md). No IP address or User-Agent is ever stored.",
    )
    analytics_retention_days: int = Field(
        30,
        ge=2,
        description="Raw analytics events (hashed listeners, no addresses) older than this "
        "many days are deleted once their day is rolled up; the aggregates are kept.",
    )
    analytics_anomaly_downloads: int = Field(
        10,
        ge=1,
        description="More downloads than this of one episode from one IP address in one hour "
        "are reported as anomalous, apart from the downloads.",
    )
    analytics_flush_seconds: float = Field(
        1.0,
        gt=0,
        description="How often each web process writes its batch of analytics events; requests "
        "never wait for it.",
    )
    analytics_rollup_seconds: float = Field(
        600.0,
        gt=0,
        description="How often `soundbite serve` queues the `analytics` job, which rolls raw "
        "events up into the hourly and daily aggregates the dashboards read and prunes events "
        "past the retention.",
    )
    recommend_train_seconds: float = Field(
        300.0,
        gt=0,
        description="How often `soundbite serve` checks whether listeners' signals changed and, "
        'if so, queues the recommender\'s training job ("For you"; docs/recommend.md).',
    )
    recommend_full_retrain_hours: float = Field(
        24.0,
        gt=0,
        description="A full training of the recommender at least this often; between them, "
        "runs refit only the listeners whose signals changed.",
    )
    recommend_full_retrain_signals: int = Field(
        1000,
        ge=1,
        description="A full training of the recommender once this many signals arrived since "
        "the last one.",
    )
    log_level: str = Field("info", description="Logging level: debug, info, warning, error.")
    # --- scale-out (docs/deploy.md): each of these is off until set ---
    db_pool_size: int = Field(
        5,
        ge=1,
        description="PostgreSQL connections each process keeps open. Budget: processes × "
        "(pool size + overflow) must stay under the server's `max_connections`.",
    )
    db_max_overflow: int = Field(
        10, ge=0, description="Extra PostgreSQL connections a process may open under bursts."
    )
    db_pool_timeout_seconds: float = Field(
        10.0, description="How long a request waits for a free PostgreSQL connection."
    )
    db_pool_recycle_seconds: int = Field(
        1800,
        description="Reopen PostgreSQL connections older than this (outlives proxies such as "
        "PgBouncer or load balancers that cut idle connections).",
    )
    s3_bucket: str | None = Field(
        None,
        description="Store media in this S3 bucket instead of the local folder (scale-out). "
        "Credentials: `S3_ACCESS_KEY_ID`/`S3_SECRET_ACCESS_KEY` below, else boto3's usual "
        "chain (`AWS_*` variables, instance roles).",
    )
    s3_endpoint_url: str | None = Field(
        None,
        description="S3 API endpoint for non-AWS stores (SeaweedFS, MinIO, R2), e.g. "
        "`http://10.0.0.5:8333`. Default: AWS.",
    )
    s3_region: str | None = Field(None, description="S3 region (AWS: e.g. `eu-west-1`).")
    s3_prefix: str = Field(
        "", description="Key prefix inside the bucket, so several instances can share one."
    )
    s3_access_key_id: str | None = Field(None, description="S3 access key id.")
    s3_secret_access_key: SecretStr | None = Field(None, description="S3 secret access key.")
    s3_multipart_threshold_mb: int = Field(
        64, ge=5, description="Files larger than this are uploaded in parallel parts."
    )
    s3_max_attempts: int = Field(
        4,
        ge=1,
        description="Attempts per S3 request (exponential backoff between them) before it "
        "fails with 503 *storage unavailable*.",
    )
    s3_cache_max_mb: int = Field(
        2048,
        ge=0,
        description="Local cache of media downloaded for tools that need a file (probe, "
        "peaks, transcription), in `<data_dir>/cache/s3`; least recently used files go first.",
    )
    media_delivery: str = Field(
        "proxy",
        pattern="^(proxy|presigned)$",
        description="How `/media/<sha256>` is served from S3: `proxy` streams it through the "
        "web process (ranges included); `presigned` redirects to a short-lived S3 URL so the "
        "bytes bypass the web tier.",
    )
    presigned_url_seconds: int = Field(900, ge=60, description="Lifetime of presigned media URLs.")
    broker_url: str | None = Field(
        None,
        description="Celery broker: `redis://host:6379/0` or `amqp://user:pass@host:5672//`. "
        "When set, `soundbite worker` runs Celery workers and `serve` dispatches to them "
        "instead of running pipeline threads.",
    )
    broker_queue_prefix: str = Field(
        "",
        description="Prefix of the stage queue names (`<prefix>transcribe`, ...) and of the "
        "abuse-limit counters, so several Soundbite instances can share one broker (and "
        "Redis) without taking each other's jobs or counts.",
    )
    reconcile_seconds: float = Field(
        10.0,
        gt=0,
        description="How often each Celery worker checks the job table for jobs whose worker "
        "died or whose queue message was lost, and dispatches them again.",
    )
    redispatch_seconds: int = Field(
        60,
        ge=1,
        description="A queued job whose message has not been taken for this long (and is not "
        "waiting in its broker queue) is dispatched again.",
    )

    @field_validator("llm_url")
    @classmethod
    def _llm_url(cls, url: str | None) -> str | None:
        # the URL is fetched by the workers: only plain HTTP(S), never file:// or the like
        return check_llm_url(url) if url else None

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'soundbite.db').resolve()}"

    @property
    def resolved_storage_dir(self) -> Path:
        return (self.storage_dir or self.data_dir / "media").resolve()

    @property
    def cache_dir(self) -> Path:
        return (self.data_dir / "cache").resolve()

    @property
    def resolved_model_dir(self) -> Path:
        return (self.model_dir or self.cache_dir / "models").resolve()

    @property
    def s3_cache_dir(self) -> Path:
        return self.cache_dir / "s3"

    @property
    def base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")


def check_llm_url(url: str) -> str:
    """The URL without a trailing slash, or ValueError saying what is wrong with it."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"llm_url must be an http:// or https:// URL such as http://127.0.0.1:8080/v1, "
            f"not {url!r}"
        )
    if parts.username or parts.password:
        raise ValueError("llm_url must not carry a user name or password (use llm_api_key)")
    return url.strip().rstrip("/")


def settings_markdown() -> str:
    """The settings table for docs/settings.md."""
    lines = [
        "# Settings",
        "",
        "Every setting is an environment variable (or a `.env`-free explicit value in code).",
        "Generated by `soundbite settings --markdown`; a test keeps this file in step.",
        "",
        "| variable | default | meaning |",
        "|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "(none)" if default is None else f"`{default}`"
        lines.append(f"| `SOUNDBITE_{name.upper()}` | {shown} | {field.description} |")
    return "\n".join(lines) + "\n"
