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

from pydantic import Field
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
        "used in links the server prints. Default: `http://<host>:<port>`.",
    )
    public_library: bool = Field(
        False,
        description="Let anyone read the library (podcasts, episodes, transcripts) without "
        "signing in. Writes always need an account.",
    )
    owner_username: str = Field("owner", description="User name of the account made on first run.")
    owner_password: str | None = Field(
        None,
        description="Password for the owner account on first run. Without it the console "
        "prints a one-time setup link instead.",
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
    max_episode_seconds: int = Field(6 * 3600, description="Longest episode accepted, in seconds.")
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
    log_level: str = Field("info", description="Logging level: debug, info, warning, error.")

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
    def base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")


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
