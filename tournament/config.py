"""The server's settings, read once from the environment and the command line."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from golois.files import write_atomic

DATA_ENV = "GOLOIS_DATA"
DEFAULT_DATA = Path("golois-data")
LEASE_SECONDS = 300.0  # a game's claim not renewed for this long goes to another runner


@dataclass
class ServerConfig:
    """Everything the application and the tournament runner need to know.

    `data_dir` holds the SQLite database (unless `database_url` points
    elsewhere), the network files (by SHA-256), the conversion cache and
    the logs. Nothing in it is served directly.
    """

    data_dir: Path
    database_url: str = ""
    admin_password: str | None = None
    secret_key: str = ""
    max_upload_bytes: int = 16 * 1024 * 1024
    uploads_per_hour: int = 30           # per client address, accepted or not
    check_seconds: float = 180.0         # wall-clock limit of one upload's checks
    check_memory_mb: int = 6144          # address-space limit of the checking process
    cache: Path | None = None            # conversion cache; default <data>/cache
    play_engines: int = 2                # engine processes for games in the browser (0: none in this process)
    lease_seconds: float = LEASE_SECONDS
    broker: str = ""                     # Celery broker (redis://HOST) to play tournaments on workers
    worker_token: str = ""               # workers authenticate with it to fetch network files
    site_url: str = ""                   # the site's public address, for links in e-mails
    smtp_host: str = ""                  # results e-mails: none without a host
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_sender: str = "golois@localhost"
    smtp_starttls: bool = False
    scheduler: bool = True               # run the weekly schedule's clock in this process
    testing: bool = False
    extra: dict = field(default_factory=dict)  # Flask settings passed through (tests)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'golois.db'}"

    @classmethod
    def from_environment(cls, data_dir: str | Path | None = None, **overrides) -> ServerConfig:
        """DATABASE_URL and the GOLOIS_* variables (see the README), with `overrides` on top."""
        folder = Path(data_dir or os.environ.get(DATA_ENV) or DEFAULT_DATA)
        cache = os.environ.get("GOLOIS_CACHE", "")
        settings = {
            "database_url": os.environ.get("DATABASE_URL", ""),
            "admin_password": os.environ.get("GOLOIS_ADMIN_PASSWORD") or None,
            "cache": cache if cache not in ("", "off") else None,
            "play_engines": int(os.environ.get("GOLOIS_PLAY_ENGINES", "2")),
            "lease_seconds": float(os.environ.get("GOLOIS_LEASE_SECONDS", LEASE_SECONDS)),
            "broker": os.environ.get("GOLOIS_BROKER", ""),
            "worker_token": os.environ.get("GOLOIS_WORKER_TOKEN", ""),
            "site_url": os.environ.get("GOLOIS_SITE_URL", ""),
            "smtp_host": os.environ.get("GOLOIS_SMTP_HOST", ""),
            "smtp_port": int(os.environ.get("GOLOIS_SMTP_PORT", "25")),
            "smtp_user": os.environ.get("GOLOIS_SMTP_USER", ""),
            "smtp_password": os.environ.get("GOLOIS_SMTP_PASSWORD", ""),
            "smtp_sender": os.environ.get("GOLOIS_SMTP_FROM", "golois@localhost"),
            "smtp_starttls": os.environ.get("GOLOIS_SMTP_STARTTLS", "") not in ("", "0", "no"),
        }
        settings.update(overrides)
        return cls(folder, **settings)

    # Folders inside the data folder -------------------------------------------------

    @property
    def networks_dir(self) -> Path:
        return self.data_dir / "networks"

    @property
    def incoming_dir(self) -> Path:
        """Uploads being checked; emptied whatever the verdict."""
        return self.data_dir / "incoming"

    @property
    def cache_dir(self) -> Path:
        """Converted networks for fast inference, by file hash (shared by checker and engines)."""
        return Path(self.cache) if self.cache else self.data_dir / "cache"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    def prepare(self) -> None:
        """Creates the folders and a persistent secret key (sessions survive restarts)."""
        for folder in (self.data_dir, self.networks_dir, self.incoming_dir, self.cache_dir, self.logs_dir):
            folder.mkdir(parents=True, exist_ok=True)
        if not self.secret_key:
            key_file = self.data_dir / "secret_key"
            if not key_file.is_file():
                write_atomic(key_file, secrets.token_hex(32))
                key_file.chmod(0o600)
            self.secret_key = key_file.read_text().strip()
