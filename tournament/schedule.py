"""The weekly tournament: a schedule set in the site, started by whichever server process sees it due.

The schedule (a Setting) says a weekday and a time (UTC) and how to play.
Every server process runs a small clock thread; when a start is due, each
tries to insert the start's row (ScheduleRun, unique by due time) and only
the one whose insert succeeds starts the runner. The database is the single
source of truth, so two server processes never start it twice, and a start
missed while no server ran is made up within GRACE of its time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields

from sqlalchemy.exc import IntegrityError

from golois.tournament.config import ServerConfig
from golois.tournament.db import Database
from golois.tournament.domain import TournamentError, TournamentSettings
from golois.tournament.models import ScheduleRun, Setting, utcnow

SETTING = "schedule"
GRACE = dt.timedelta(hours=6)   # a start missed by longer than this waits for next week
TICK_SECONDS = 30.0
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(kw_only=True)
class WeeklySchedule(TournamentSettings):
    """When the weekly tournament starts, and how it is played (the fields of TournamentSettings)."""

    weekday: int                      # 0 Monday .. 6 Sunday
    hour: int
    minute: int
    parallel: int = 0                 # 0: one game per core
    enabled: bool = True
    set_at: str = ""                  # ISO time the admin saved it: no start is due before it

    def __post_init__(self) -> None:
        if not (0 <= self.weekday <= 6 and 0 <= self.hour <= 23 and 0 <= self.minute <= 59):
            raise TournamentError("the schedule needs a weekday (0-6), an hour (0-23) and a minute (0-59)")
        if self.parallel < 0:
            raise TournamentError("games at once must not be negative")
        super().__post_init__()  # the same checks as any tournament's

    def tournament_settings(self) -> TournamentSettings:
        return TournamentSettings(**{f.name: getattr(self, f.name) for f in fields(TournamentSettings)})

    def describe(self) -> str:
        return (f"every {WEEKDAYS[self.weekday]} at {self.hour:02d}:{self.minute:02d} UTC, "
                f"{super().describe()}" + ("" if self.enabled else " (paused)"))

    def last_due(self, now: dt.datetime) -> dt.datetime:
        """The latest scheduled time at or before `now`."""
        days_back = (now.weekday() - self.weekday) % 7
        due = (now - dt.timedelta(days=days_back)).replace(hour=self.hour, minute=self.minute, second=0,
                                                           microsecond=0)
        return due if due <= now else due - dt.timedelta(days=7)

    def next_due(self, now: dt.datetime) -> dt.datetime:
        return self.last_due(now) + dt.timedelta(days=7)


def read_schedule(db: Database) -> WeeklySchedule | None:
    with db.session() as session:
        data = Setting.read(session, SETTING)
    try:
        return WeeklySchedule(**data) if data else None
    except (TypeError, TournamentError):
        return None


def write_schedule(db: Database, schedule: WeeklySchedule | None) -> None:
    with db.session() as session:
        if schedule is not None:
            schedule.set_at = utcnow().isoformat()
        Setting.write(session, SETTING, asdict(schedule) if schedule else None)


Spawn = Callable[[ServerConfig, TournamentSettings, int, str], int]


def start_if_due(db: Database, config: ServerConfig, spawn: Spawn, now: dt.datetime | None = None) -> int | None:
    """Starts the scheduled tournament if its time has come and nobody started it; returns the runner's pid."""
    schedule = read_schedule(db)
    if schedule is None or not schedule.enabled:
        return None
    now = now or utcnow()
    due = schedule.last_due(now)
    if now - due > GRACE or (schedule.set_at and due < dt.datetime.fromisoformat(schedule.set_at)):
        return None
    try:
        with db.session() as session:
            session.add(ScheduleRun(due_at=due, started_by=f"{socket.gethostname()[:60]}:{os.getpid()}"))
    except IntegrityError:
        return None  # another process (or an earlier tick) started it
    return spawn(config, schedule.tournament_settings(), schedule.parallel or os.cpu_count() or 1, "schedule")


class ScheduleClock:
    """A thread of a server process that starts the weekly tournament when it is due."""

    def __init__(self, db: Database, config: ServerConfig, spawn: Spawn) -> None:
        self.db, self.config, self.spawn = db, config, spawn
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="golois-schedule", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopped.wait(TICK_SECONDS):
            with contextlib.suppress(Exception):  # a database hiccup: try again at the next tick
                start_if_due(self.db, self.config, self.spawn)

    def stop(self) -> None:
        self.stopped.set()
