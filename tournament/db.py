"""The database connection of an application or a runner, and its schema.

`Database` wraps an SQLAlchemy engine and session factory for one URL;
`upgrade()` brings the schema to the newest Alembic revision (run at every
start, by the server and by `golois tournament run`) under the start-up lock
(`startup_lock`: a PostgreSQL advisory lock, a file lock beside an SQLite
file), so that processes starting at once (gunicorn's workers) migrate one
after the other: the first does the work, the others find it done. SQLite
runs in WAL mode with a busy timeout, so the web server and runners can
share it.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, abort, g
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_MS = 30_000
ROW_ID_MAX = 2**31 - 1  # the largest id an INTEGER primary key holds (PostgreSQL)
STARTUP_LOCK = 74_656_001  # PostgreSQL advisory lock id: one process migrates (and registers) at a time


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextlib.contextmanager
    def startup_lock(self) -> Iterator[None]:
        """Held by one process at a time (of any machine for PostgreSQL, of this one for SQLite)."""
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect() as connection:
                connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": STARTUP_LOCK})
                connection.commit()
                try:
                    yield
                finally:
                    connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": STARTUP_LOCK})
                    connection.commit()
            return
        path = make_url(self.url).database if self.is_sqlite else None
        if not path or path == ":memory:":
            yield
            return
        with open(f"{path}.startup-lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def upgrade(self) -> None:
        """Creates or upgrades the schema to the newest migration (under the start-up lock; not re-entrant)."""
        config = AlembicConfig()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.startup_lock(), self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed at the end of the block, rolled back on an exception."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


# ---------------------------------------------------------------- Flask integration


def init_app(app: Flask, database: Database) -> None:
    """One Database per application; one session per request, closed at its end."""
    app.extensions["golois_db"] = database
    app.teardown_appcontext(_close_session)


def get_database(app: Flask | None = None) -> Database:
    from flask import current_app

    return (app or current_app).extensions["golois_db"]


def get_session() -> Session:
    """The request's session (created on first use)."""
    if "db_session" not in g:
        g.db_session = get_database().sessions()
    return g.db_session


def get_or_404(model: type, ident: int):
    """The row of `model` with primary key `ident`, or a 404 naming what is missing."""
    row = get_session().get(model, ident) if 0 < ident <= ROW_ID_MAX else None
    if row is None:
        abort(404, f"no {model.__tablename__[:-1].replace('_', ' ')} {ident}")
    return row


def _close_session(_error: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
