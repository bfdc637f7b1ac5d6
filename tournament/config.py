"""The server's settings, read once from the environment and the command line."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from golois.errors import GoloisError
from golois.files import write_atomic

if TYPE_CHECKING:
    from flask import Flask

DATA_ENV = "GOLOIS_DATA"
DEFAULT_DATA = Path("golois-data")
LEASE_SECONDS = 300.0  # a game's claim not renewed for this long goes to another runner


def _cache_folder(value: str) -> str | None:
    return None if value == "off" else value


def _flag(value: str) -> bool:
    return value not in ("0", "no")


def default_check_workers() -> int:
    """Upload checks at once: one core is left to the web server and the tournament."""
    return max(1, (os.cpu_count() or 1) - 1)


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
    team_uploads_per_hour: int = 20      # per team name, accepted or not
    check_seconds: float = 180.0         # wall-clock limit of one upload's checks
    check_memory_mb: int = 6144          # address-space limit of the checking process
    check_workers: int = field(default_factory=default_check_workers)  # checks at once on this machine
    sandbox: str = "auto"                # auto, bubblewrap or none (see sandbox.py)
    trusted_proxies: int = 0             # reverse proxies in front whose X-Forwarded-For is believed
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
        """DATABASE_URL and the GOLOIS_* variables (see the README), with `overrides` on top.

        A variable that is unset or empty leaves the setting at its default above.
        """
        folder = Path(data_dir or os.environ.get(DATA_ENV) or DEFAULT_DATA)
        settings = {}
        for setting, (variable, convert) in ENVIRONMENT.items():
            value = os.environ.get(variable, "")
            if value:
                try:
                    settings[setting] = convert(value)
                except ValueError:
                    raise GoloisError(f"{variable}={value!r} is not a valid {convert.__name__}") from None
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

    @property
    def checks_dir(self) -> Path:
        """Private folders of running checks (the canonical files they write) and the machine's check slots."""
        return self.data_dir / "checks"

    @property
    def secret_key_file(self) -> Path:
        return self.data_dir / "secret_key"

    @property
    def site_is_https(self) -> bool:
        return self.site_url.startswith("https://")

    def prepare(self) -> None:
        """Creates the folders and a persistent secret key (sessions survive restarts)."""
        for folder in (self.data_dir, self.networks_dir, self.incoming_dir, self.cache_dir, self.logs_dir,
                       self.checks_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)  # the server's alone: uploads, keys and the database
        if not self.secret_key:
            key_file = self.secret_key_file
            if not key_file.is_file():
                write_atomic(key_file, secrets.token_hex(32), mode=0o600)
            self.secret_key = key_file.read_text().strip()


# The server's environment variables: setting -> (variable, conversion of its text).
ENVIRONMENT: dict[str, tuple[str, Callable[[str], Any]]] = {
    "database_url": ("DATABASE_URL", str),
    "admin_password": ("GOLOIS_ADMIN_PASSWORD", str),
    "cache": ("GOLOIS_CACHE", _cache_folder),  # "off": the default folder
    "play_engines": ("GOLOIS_PLAY_ENGINES", int),
    "check_workers": ("GOLOIS_CHECK_WORKERS", int),
    "sandbox": ("GOLOIS_SANDBOX", str),
    "trusted_proxies": ("GOLOIS_TRUSTED_PROXIES", int),
    "lease_seconds": ("GOLOIS_LEASE_SECONDS", float),
    "broker": ("GOLOIS_BROKER", str),
    "worker_token": ("GOLOIS_WORKER_TOKEN", str),
    "site_url": ("GOLOIS_SITE_URL", str),
    "smtp_host": ("GOLOIS_SMTP_HOST", str),
    "smtp_port": ("GOLOIS_SMTP_PORT", int),
    "smtp_user": ("GOLOIS_SMTP_USER", str),
    "smtp_password": ("GOLOIS_SMTP_PASSWORD", str),
    "smtp_sender": ("GOLOIS_SMTP_FROM", str),
    "smtp_starttls": ("GOLOIS_SMTP_STARTTLS", _flag),
}


def init_app(app: Flask, config: ServerConfig) -> None:
    """Makes `config` the application's settings, read in requests by get_config()."""
    app.extensions["golois_config"] = config


def get_config() -> ServerConfig:
    """The settings of the application handling the current request."""
    from flask import current_app

    return current_app.extensions["golois_config"]
