"""The server's settings, read once from the environment and the command line."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from golois.files import write_atomic

DATA_ENV = "GOLOIS_DATA"
DEFAULT_DATA = Path("golois-data")


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
    testing: bool = False
    extra: dict = field(default_factory=dict)  # Flask settings passed through (tests)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'golois.db'}"

    @classmethod
    def from_environment(cls, data_dir: str | Path | None = None, **overrides) -> ServerConfig:
        """GOLOIS_DATA, DATABASE_URL, GOLOIS_ADMIN_PASSWORD and GOLOIS_CACHE, with `overrides` on top."""
        folder = Path(data_dir or os.environ.get(DATA_ENV) or DEFAULT_DATA)
        cache = os.environ.get("GOLOIS_CACHE", "")
        settings = {
            "database_url": os.environ.get("DATABASE_URL", ""),
            "admin_password": os.environ.get("GOLOIS_ADMIN_PASSWORD") or None,
            "cache": cache if cache not in ("", "off") else None,
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
