"""The database: teams, their networks and versions, tournaments and their games.

One row per fact; everything the pages show is derived from these rows.
A game row is the unit of work of a tournament: it is claimed with a lease
(`attempt`, `runner`, `lease_until`) and finished with a conditional update,
so every game is recorded exactly once whatever crashes (see round_robin).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from golois.tournament.domain import CheckStatus, GameStatus, TournamentStatus

NAME_LENGTH = 40


def utcnow() -> dt.datetime:
    """Naive UTC: the same in SQLite and PostgreSQL columns."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the team key; the key is shown once
    email: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    networks: Mapped[list[Network]] = relationship(back_populates="team", order_by="Network.name")

    def key_matches(self, key: str | None) -> bool:
        return bool(key) and hmac.compare_digest(self.key_hash, hash_key(key))


class Network(Base):
    """A team's network by name; uploading the same name again adds a version."""

    __tablename__ = "networks"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # plays in future tournaments
    bundled: Mapped[bool] = mapped_column(Boolean, default=False)  # the bundled default network: the rating anchor
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    team: Mapped[Team] = relationship(back_populates="networks")
    versions: Mapped[list[NetworkVersion]] = relationship(back_populates="network", order_by="NetworkVersion.number")

    @property
    def current(self) -> NetworkVersion | None:
        """The newest version the admin has not refused: the one that plays."""
        playing = [version for version in self.versions if version.refused_at is None]
        return playing[-1] if playing else None

    @property
    def label(self) -> str:
        return f"{self.team.name}/{self.name}"


class NetworkVersion(Base):
    """One accepted upload: its canonical file (written by the server from the checked model) stored under
    its SHA-256, the upload's own hash, and the checks it passed."""

    __tablename__ = "network_versions"
    __table_args__ = (UniqueConstraint("network_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"))
    number: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # the canonical file: what engines load
    upload_sha256: Mapped[str | None] = mapped_column(String(64), index=True)  # the file the team sent
    size_bytes: Mapped[int] = mapped_column(Integer)  # of the uploaded file
    params: Mapped[int] = mapped_column(Integer)
    checks: Mapped[list[Any]] = mapped_column(default=list)
    check_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    weights_sha256: Mapped[str | None] = mapped_column(String(64), index=True)  # of the weights alone
    scores: Mapped[dict[str, Any] | None] = mapped_column()  # held-out scores and speed (upload_check)
    # Answers on the held-out positions and noise inputs (copies.py); tens of KB, loaded only when asked for.
    fingerprint: Mapped[dict[str, Any] | None] = mapped_column(deferred=True)
    refused_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # refused by the admin (a copy): never plays

    network: Mapped[Network] = relationship(back_populates="versions")

    @property
    def label(self) -> str:
        return f"{self.network.label} v{self.number}"


class Tournament(Base):
    __tablename__ = "tournaments"
    __table_args__ = (
        # At most one unfinished tournament: two runners starting at once cannot both create one.
        Index("one_running_tournament", "status", unique=True,
              sqlite_where=text("status = 'running'"), postgresql_where=text("status = 'running'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default=TournamentStatus.RUNNING)
    started_by: Mapped[str] = mapped_column(String(16), default="command")  # command, admin, schedule
    seconds_per_move: Mapped[float | None] = mapped_column(Float)
    playouts: Mapped[int | None] = mapped_column(Integer)
    games_per_pair: Mapped[int] = mapped_column(Integer)
    komi: Mapped[float] = mapped_column(Float)
    max_moves: Mapped[int] = mapped_column(Integer)
    judge: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))  # engine/judge.py
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    results_mailed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # every team's e-mail was tried

    entries: Mapped[list[Entry]] = relationship(back_populates="tournament", order_by="Entry.version_id")
    games: Mapped[list[Game]] = relationship(back_populates="tournament", order_by="Game.number")

    @property
    def time_control(self) -> str:
        if self.playouts:
            return f"{self.playouts} playouts a move"
        return f"{self.seconds_per_move:g} s of CPU a move"


class Entry(Base):
    """A network version taking part in a tournament (fixed when it starts)."""

    __tablename__ = "entries"

    tournament_id: Mapped[int] = mapped_column(ForeignKey("tournaments.id"), primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("network_versions.id"), primary_key=True)
    # Its result, kept once the tournament is finished (history.py): the weeks' charts read these.
    games: Mapped[int | None] = mapped_column(Integer)
    points: Mapped[float | None] = mapped_column(Float)
    rating: Mapped[float | None] = mapped_column(Float)  # Elo, the bundled network at 0
    rating_low: Mapped[float | None] = mapped_column(Float)
    rating_high: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)

    tournament: Mapped[Tournament] = relationship(back_populates="entries")
    version: Mapped[NetworkVersion] = relationship()


class Game(Base):
    __tablename__ = "games"
    __table_args__ = (
        UniqueConstraint("tournament_id", "number"),
        Index("games_to_play", "tournament_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tournament_id: Mapped[int] = mapped_column(ForeignKey("tournaments.id"))
    number: Mapped[int] = mapped_column(Integer)  # order of play within the tournament, from 1
    black_id: Mapped[int] = mapped_column(ForeignKey("network_versions.id"))
    white_id: Mapped[int] = mapped_column(ForeignKey("network_versions.id"))
    opening: Mapped[list[Any]] = mapped_column(default=list)  # GTP vertices played before the engines think
    status: Mapped[str] = mapped_column(String(16), default=GameStatus.PENDING)
    attempt: Mapped[int] = mapped_column(Integer, default=0)  # raised by every claim: the claim's token
    runner: Mapped[str | None] = mapped_column(String(120))  # host:pid:nonce of the claimant
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    winner: Mapped[str | None] = mapped_column(String(1))  # B, W, or None (a draw)
    result: Mapped[str | None] = mapped_column(String(16))  # SGF RE: B+3.5, W+R, B+T, W+F
    reason: Mapped[str | None] = mapped_column(String(32))  # EndReason
    detail: Mapped[str | None] = mapped_column(Text)
    moves: Mapped[int] = mapped_column(Integer, default=0)
    black_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    white_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    sgf: Mapped[str | None] = mapped_column(Text)
    # Black's win rate after each move, [[move, rate], ...], by "B" and "W" (each engine's own) and "judge".
    winrates: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    dead: Mapped[list[Any] | None] = mapped_column(JSON)  # points of the stones the judge took off before the count
    # While it is played: {"moves": [[colour, point], ...], "black_seconds", "white_seconds", "winrates"}.
    live: Mapped[dict[str, Any] | None] = mapped_column(JSON, deferred=True)

    tournament: Mapped[Tournament] = relationship(back_populates="games")
    black: Mapped[NetworkVersion] = relationship(foreign_keys=[black_id])
    white: Mapped[NetworkVersion] = relationship(foreign_keys=[white_id])

    def loser_id(self) -> int | None:
        return {"B": self.white_id, "W": self.black_id}.get(self.winner or "")


class UploadCheck(Base):
    """An upload waiting for its checks, being checked, or checked: a job of the check queue.

    Its token is the address of its page and API resource (only the uploader
    knows it). A check is claimed with a lease like a game (`attempt`,
    `runner`, `lease_until`) and its verdict recorded by one conditional
    update on the claim, so a check cut short by a restart runs again and a
    verdict is recorded once. The team key is kept hashed (`key_hash`, of the
    key the uploader gave); a new team's key is kept until it has been shown once.
    """

    __tablename__ = "upload_checks"
    __table_args__ = (Index("upload_checks_queue", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    team: Mapped[str] = mapped_column(String(NAME_LENGTH))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    email: Mapped[str | None] = mapped_column(String(254))
    key_hash: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    upload_sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=CheckStatus.QUEUED)
    checks: Mapped[list[Any]] = mapped_column(default=list)  # as they complete
    reason: Mapped[str | None] = mapped_column(Text)
    params: Mapped[int | None] = mapped_column(Integer)
    check_seconds: Mapped[float | None] = mapped_column(Float)
    checks_version: Mapped[int | None] = mapped_column(Integer)  # of the checks that reached the verdict
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    runner: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("network_versions.id"))
    team_key: Mapped[str | None] = mapped_column(String(64))  # a new team's key, until shown once
    notice: Mapped[str | None] = mapped_column(Text)  # what the uploader must know beyond the verdict (a copy)

    version: Mapped[NetworkVersion | None] = relationship()


class CopyFlag(Base):
    """A version that matches another team's (`copies`): the pair, how, the evidence; the admin decides."""

    __tablename__ = "copy_flags"
    __table_args__ = (UniqueConstraint("version_id", "original_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("network_versions.id"))   # the later upload
    original_id: Mapped[int] = mapped_column(ForeignKey("network_versions.id"))  # the other team's, earlier
    kind: Mapped[str] = mapped_column(String(24))   # CopyKind
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    decision: Mapped[str | None] = mapped_column(String(16))  # CopyDecision; None while open
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    version: Mapped[NetworkVersion] = relationship(foreign_keys=[version_id])
    original: Mapped[NetworkVersion] = relationship(foreign_keys=[original_id])


class RateLimit(Base):
    """A token bucket per key (an address, a team, the admin login): `tokens` as of `updated` (Unix seconds)."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated: Mapped[float] = mapped_column(Float)


class Mailing(Base):
    """A tournament's results e-mail to one team: claimed by inserting the row, then sent or failed."""

    __tablename__ = "mailings"

    tournament_id: Mapped[int] = mapped_column(ForeignKey("tournaments.id"), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    address: Mapped[str] = mapped_column(String(254))
    claimed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    error: Mapped[str | None] = mapped_column(Text)


class Setting(Base):
    """Site settings the admin changes (the class token...), as key and JSON value."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)

    @staticmethod
    def read(session: Any, key: str, default: Any = None) -> Any:
        row = session.get(Setting, key)
        return default if row is None else row.value

    @staticmethod
    def write(session: Any, key: str, value: Any) -> None:
        row = session.get(Setting, key)
        if row is None:
            session.add(Setting(key=key, value=value))
        else:
            row.value = value


class PlayGame(Base):
    """A visitor's game against the engine, kept here so that it survives a restart of the server."""

    __tablename__ = "play_games"
    __table_args__ = (Index("play_games_to_think", "status", "think_lease_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)  # the page's address: only its visitor knows it
    address: Mapped[str | None] = mapped_column(String(64), index=True)  # the visitor's, for the cap per address
    version_id: Mapped[int] = mapped_column(ForeignKey("network_versions.id"))
    human: Mapped[str] = mapped_column(String(1))  # the visitor's colour, B or W
    komi: Mapped[float] = mapped_column(Float)
    handicap: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Float)  # the engine's thinking time a move
    setup: Mapped[list[Any]] = mapped_column(default=list)  # handicap stones (points)
    moves: Mapped[list[Any]] = mapped_column(default=list)  # [colour, point, engine win rate or None]
    status: Mapped[str] = mapped_column(String(16))  # PlayStatus
    winrate: Mapped[float | None] = mapped_column(Float)  # the engine's last estimate of its own chances
    result: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)  # why the engine could not answer, if it could not
    think_attempt: Mapped[int] = mapped_column(Integer, default=0)
    think_lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Bumped by every change through the ORM, which checks it in the UPDATE: of a visitor's move or
    # resignation and the engine's answer saved at the same moment, the later fails (StaleDataError)
    # instead of overwriting the other (SQLite has no row locks).
    revision: Mapped[int] = mapped_column(Integer, server_default="0")

    version: Mapped[NetworkVersion] = relationship()

    __mapper_args__ = {"version_id_col": revision}


class ScheduleRun(Base):
    """One scheduled start of the weekly tournament: the unique due time is the lease that lets only
    one server process start it, however many run."""

    __tablename__ = "schedule_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    due_at: Mapped[dt.datetime] = mapped_column(DateTime, unique=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started_by: Mapped[str] = mapped_column(String(120))  # host:pid of the process that started it


class Worker(Base):
    """A machine playing tournament games through the task queue, with its measured speed."""

    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)  # host:pid:nonce, as in Game.runner
    host: Mapped[str] = mapped_column(String(120))
    playouts_per_cpu_second: Mapped[float] = mapped_column(Float)  # the fixed benchmark at start
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
