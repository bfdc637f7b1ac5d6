"""The weekly tournament starts by itself, once, however many server processes run; results by e-mail."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from conftest import ADMIN_PASSWORD, add_network, wait_for
from sqlalchemy import select
from test_pages import record_games

from golois.tournament.app import stop_services
from golois.tournament.db import Database
from golois.tournament.domain import TournamentSettings
from golois.tournament.mail import send_results
from golois.tournament.models import ScheduleRun, Team, Tournament, utcnow
from golois.tournament.round_robin import start_tournament
from golois.tournament.runner import spawn_runner
from golois.tournament.schedule import GRACE, WeeklySchedule, read_schedule, start_if_due, write_schedule

SUNDAY_2AM = WeeklySchedule(weekday=6, hour=2, minute=0, playouts=2)


def test_the_due_times_of_a_weekly_schedule():
    wednesday = dt.datetime(2026, 12, 2, 15, 0)
    assert SUNDAY_2AM.last_due(wednesday) == dt.datetime(2026, 11, 29, 2, 0)
    assert SUNDAY_2AM.next_due(wednesday) == dt.datetime(2026, 12, 6, 2, 0)
    sunday = dt.datetime(2026, 12, 6, 2, 0)
    assert SUNDAY_2AM.last_due(sunday) == sunday
    assert SUNDAY_2AM.last_due(sunday - dt.timedelta(seconds=1)) == dt.datetime(2026, 11, 29, 2, 0)
    assert "every Sunday at 02:00 UTC, 2 playouts a move" in SUNDAY_2AM.describe()


@pytest.mark.parametrize("fields", [{"weekday": 7}, {"hour": 24}, {"minute": -1}, {"games_per_pair": 0},
                                    {"parallel": -1}, {"seconds_per_move": 0}])
def test_bad_schedules_are_refused(fields):
    from golois.tournament.domain import TournamentError

    with pytest.raises(TournamentError):
        WeeklySchedule(**({"weekday": 6, "hour": 2, "minute": 0} | fields))


def test_a_due_start_happens_once_even_with_two_server_processes(database, config, database_url):
    write_schedule(database, SUNDAY_2AM)
    set_at = dt.datetime.fromisoformat(read_schedule(database).set_at)
    due = SUNDAY_2AM.next_due(set_at)
    started: list[str] = []

    def spawn(config, settings, parallel, started_by):
        started.append(started_by)
        return 1234

    assert start_if_due(database, config, spawn, now=due - dt.timedelta(minutes=1)) is None  # not yet
    processes = [Database(database_url) for _ in range(4)]  # four server processes, each its own connections
    threads = [threading.Thread(target=start_if_due, args=(db, config, spawn), kwargs={"now": due})
               for db in processes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert started == ["schedule"]
    assert start_if_due(database, config, spawn, now=due + dt.timedelta(minutes=5)) is None
    with database.session() as session:
        assert [run.due_at for run in session.scalars(select(ScheduleRun))] == [due]
    assert start_if_due(database, config, spawn, now=due + dt.timedelta(days=7) + GRACE * 2) is None  # too late
    for db in processes:
        db.dispose()


def test_a_paused_or_missing_schedule_starts_nothing(database, config):
    spawn = lambda *args: pytest.fail("nothing should start")  # noqa: E731
    assert start_if_due(database, config, spawn) is None
    write_schedule(database, WeeklySchedule(weekday=0, hour=0, minute=0, enabled=False))
    assert start_if_due(database, config, spawn, now=utcnow() + dt.timedelta(days=7)) is None


def test_the_admin_sets_the_schedule_in_the_site(client, database):
    client.post("/admin/login", data={"password": ADMIN_PASSWORD})
    response = client.post("/admin/schedule", data={"weekday": "6", "time": "02:00", "seconds": "2",
                                                    "games_per_pair": "2", "parallel": "0", "enabled": "1"})
    assert response.status_code == 302
    schedule = read_schedule(database)
    assert (schedule.weekday, schedule.hour, schedule.minute, schedule.seconds_per_move) == (6, 2, 0, 2.0)
    assert "every Sunday at 02:00 UTC" in client.get("/admin/").data.decode()
    assert client.post("/admin/schedule", data={"weekday": "9", "time": "02:00"}).status_code == 409
    assert client.post("/admin/schedule", data={"weekday": "1", "time": "noon"}).status_code == 409
    client.post("/admin/schedule", data={"remove": "1"})
    assert read_schedule(database) is None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_scheduled_tournament_starts_by_itself_and_its_results_appear(client, database, config, networks):
    for i in range(2):
        add_network(database, config, networks[f"good{i}"], f"team{i}")
    now = utcnow()
    write_schedule(database, WeeklySchedule(weekday=now.weekday(), hour=now.hour, minute=now.minute, playouts=2,
                                            games_per_pair=1, parallel=2))
    with database.session() as session:  # saved a minute before its time
        from golois.tournament.models import Setting
        value = Setting.read(session, "schedule")
        Setting.write(session, "schedule", value | {"set_at": (now - dt.timedelta(minutes=1)).isoformat()})
    pid = start_if_due(database, config, spawn_runner, now=now + dt.timedelta(seconds=30))
    assert pid is not None

    def finished():
        with database.session() as session:
            tournament = session.scalar(select(Tournament))
            return tournament if tournament is not None and tournament.status == "finished" else None
    tournament = wait_for(finished, timeout=600, what="the scheduled tournament")
    assert tournament.started_by == "schedule"
    page = client.get(f"/tournaments/{tournament.id}").data.decode()
    assert "finished" in page and "3 of 3 games played" in page
    # The runner, a child of this (server) process, is reaped when it ends: no zombie stays behind.
    wait_for(lambda: not Path(f"/proc/{pid}").exists(), timeout=60, what="the runner's exit")


@pytest.fixture
def smtp_sink():
    aiosmtpd = pytest.importorskip("aiosmtpd.controller")
    from conftest import _free_port

    class Collect:
        def __init__(self) -> None:
            self.messages: list = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            self.messages.append(envelope)
            return "250 OK"

    handler = Collect()
    controller = aiosmtpd.Controller(handler, hostname="127.0.0.1", port=_free_port(), ready_timeout=60)
    controller.start()
    yield controller, handler
    controller.stop()


def test_results_are_mailed_once_to_the_teams_that_gave_an_address(make_config, networks, random_games,
                                                                    smtp_sink):
    from golois.tournament.app import create_app

    controller, handler = smtp_sink
    config = make_config(smtp_host="127.0.0.1", smtp_port=controller.port, smtp_sender="golois@course.example",
                         site_url="http://golois.example")
    app = create_app(config)
    database = app.extensions["golois_db"]
    for i in range(3):
        add_network(database, config, networks[f"good{i}"], f"team{i}")
    with database.session() as session:
        for team in session.scalars(select(Team).where(Team.name.in_(["team0", "team2"]))):
            team.email = f"{team.name}@students.example"
    tournament = start_tournament(database, TournamentSettings(playouts=2))
    record_games(database, tournament.id, random_games)
    assert send_results(database, config) == 2
    assert send_results(database, config) == 0  # never twice
    assert sorted(m.rcpt_tos[0] for m in handler.messages) == ["team0@students.example", "team2@students.example"]
    body = handler.messages[0].content.decode()
    assert f"Golois tournament {tournament.id}: results" in body
    assert "team0/net v1" in body and "95%" in body and f"http://golois.example/tournaments/{tournament.id}" in body
    stop_services(app)


def test_one_bad_address_costs_only_its_team_the_results(make_config, networks, random_games, smtp_sink):
    """An address stored before addresses were validated, that the mail library refuses: the others still go,
    and each team's message is marked sent or failed on its own."""
    from golois.tournament.app import create_app
    from golois.tournament.models import Mailing

    controller, handler = smtp_sink
    config = make_config(smtp_host="127.0.0.1", smtp_port=controller.port)
    app = create_app(config)
    database = app.extensions["golois_db"]
    for i in range(3):
        add_network(database, config, networks[f"good{i}"], f"team{i}")
    with database.session() as session:
        for team in session.scalars(select(Team).where(Team.name.like("team%"))):
            team.email = "a@b.example\nBcc: x@y.example" if team.name == "team0" else f"{team.name}@students.example"
    tournament = start_tournament(database, TournamentSettings(playouts=2))
    record_games(database, tournament.id, random_games)
    assert send_results(database, config) == 2
    assert sorted(m.rcpt_tos[0] for m in handler.messages) == ["team1@students.example", "team2@students.example"]
    with database.session() as session:
        mailings = {m.address.split("@")[0]: m for m in session.scalars(select(Mailing))}
        assert mailings["a"].sent_at is None and "ValueError" in mailings["a"].error
        assert mailings["team1"].sent_at is not None and mailings["team1"].error is None
        assert session.get(Tournament, tournament.id).results_mailed_at is not None
    assert send_results(database, config) == 0
    stop_services(app)
