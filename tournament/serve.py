"""`golois serve`: the tournament server under gunicorn, the same command on a laptop and in production.

The master process prepares the data folder once (schema migrations, the
bundled network's registration, both under the database's start-up lock,
so that several servers on one database also take turns), then forks the
workers; each builds the application (`create_app`), which finds that work
done. Workers are gthread workers: a request that waits (a curl user's
`?wait=`, a slow client) holds one thread, not the process, and no request
ever runs a check (the check queue's threads do), so the heartbeat timeout
is never reached by a check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication

from golois.tournament.config import ServerConfig

THREADS = 8           # requests at once per worker process
WORKER_TIMEOUT = 60   # seconds without a heartbeat before gunicorn replaces a worker
GRACEFUL_TIMEOUT = 15  # seconds a stopping worker has to finish its requests


class _Server(BaseApplication):
    def __init__(self, config: ServerConfig, options: dict[str, Any]) -> None:
        self.server_config, self.options = config, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Callable:
        from golois.tournament.app import create_app

        return create_app(self.server_config)


def prepare_data(config: ServerConfig, log: Callable[[str], None]) -> str:
    """Migrations and the bundled network, once, before any worker starts; returns the sandbox's description."""
    from golois.tournament.db import Database
    from golois.tournament.sandbox import choose_sandbox
    from golois.tournament.uploads import register_bundled_network

    config.prepare()
    sandbox = choose_sandbox(config.sandbox)
    database = Database(config.database_url)
    try:
        database.upgrade()
        with database.startup_lock():
            register_bundled_network(database, config, sandbox, log=log)
    finally:
        database.dispose()  # no connection crosses the fork
    return sandbox.describe()


def serve(config: ServerConfig, host: str, port: int, workers: int) -> None:
    """Runs until interrupted (Ctrl-C, SIGTERM)."""
    _Server(config, {"bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread", "threads": THREADS,
                     "timeout": WORKER_TIMEOUT, "graceful_timeout": GRACEFUL_TIMEOUT, "keepalive": 5,
                     "errorlog": "-", "loglevel": "warning", "proc_name": "golois-serve"}).run()
