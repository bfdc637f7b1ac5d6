"""The database connection of an application or a runner, and its schema.

`Database` wraps an SQLAlchemy engine and session factory for one URL;
`upgrade()` brings the schema to the newest Alembic revision (run at every
start, by the server and by `golois tournament run`). SQLite runs in WAL
mode with a busy timeout, so the web server and runners can share it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, abort, g
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_MS = 30_000
MIGRATION_LOCK = 74_656_001  # PostgreSQL advisory lock id: one process migrates at a time


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

    def upgrade(self) -> None:
        """Creates or upgrades the schema to the newest migration."""
        config = AlembicConfig()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            if self.engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK})
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
    row = get_session().get(model, ident)
    if row is None:
        abort(404, f"no {model.__tablename__[:-1].replace('_', ' ')} {ident}")
    return row


def _close_session(_error: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
