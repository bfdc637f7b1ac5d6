"""Playing tournaments with real engines: end to end, killed and resumed, two runners, failing engines."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import add_network, wait_for
from sqlalchemy import select

import golois
from golois.engine.coords import parse_gtp_vertex
from golois.tournament.domain import TournamentSettings
from golois.tournament.models import Game, Tournament
from golois.tournament.round_robin import game_counts
from golois.tournament.runner import engine_command, run_tournament

FAULTY = Path(__file__).resolve().parents[1] / "engines" / "faulty_gtp.py"


def games_of(database, tournament_id: int) -> list[Game]:
    with database.session() as session:
        return list(session.scalars(select(Game).where(Game.tournament_id == tournament_id).order_by(Game.number)))


def check_recorded(game: Game) -> None:
    """A finished game's SGF starts with its opening and agrees with its record."""
    assert game.status == "finished" and game.sgf and game.result and game.reason
    parsed = golois.parse_sgf(game.sgf)[0]
    assert parsed.ok
    moves = [point for point, *_ in parsed.game.moves]
    assert len(moves) == game.moves
    assert moves[:len(game.opening)] == [parse_gtp_vertex(v) for v in game.opening] or game.reason == "failure"


@pytest.fixture
def entrants(database, config, networks) -> list[int]:
    return [add_network(database, config, networks[f"good{i}"], f"team{i}") for i in range(2)]


def test_a_round_robin_is_played_to_the_end(database, config, entrants):
    settings = TournamentSettings(playouts=2, max_moves=60, judge=False)
    tournament = run_tournament(database, config, settings, parallel=2, progress=False, log=lambda m: None)
    assert tournament.status == "finished" and tournament.finished_at
    games = games_of(database, tournament.id)
    assert len(games) == 6 and all(g.attempt == 1 for g in games)
    for game in games:
        check_recorded(game)
        assert game.reason in ("score", "move limit", "resignation")
    # Engines are started once per network and slot, not once per game.
    logs = list((config.logs_dir / "engines").glob("version-*.log"))
    assert 3 <= len(logs) <= 6


def runner_command(config, *extra: str) -> list[str]:
    return [sys.executable, "-m", "golois.cli", "tournament", "run", "--data", str(config.data_dir), "--playouts",
            "2", "--max-moves", "150", "--quiet", "--no-judge", *extra]


def runner_env(config) -> dict[str, str]:
    return os.environ | {"DATABASE_URL": config.database_url, "GOLOIS_CACHE": str(config.cache_dir)}


def test_a_killed_tournament_resumes_and_records_every_game_exactly_once(database, config, entrants):
    env = runner_env(config)
    first = subprocess.Popen(runner_command(config, "--parallel", "1"), env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        def one_done_one_running():
            with database.session() as session:  # closed at once: polls must not hold pool connections
                tournament_id = session.scalar(select(Tournament.id))
            if tournament_id is None:
                return None
            counts = game_counts(database, tournament_id)
            return tournament_id if counts["finished"] >= 1 and counts["running"] == 1 else None
        tournament_id = wait_for(one_done_one_running, timeout=300, what="a finished game and one in progress")
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the runner and its engines, without warning
        first.wait()
    before = {g.id: (g.finished_at, g.sgf, g.attempt) for g in games_of(database, tournament_id)
              if g.status == "finished"}
    interrupted = [g.id for g in games_of(database, tournament_id) if g.status == "running"]
    assert before and len(interrupted) == 1
    done = subprocess.run(runner_command(config, "--parallel", "2"), env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"resuming tournament {tournament_id}" in done.stderr
    games = games_of(database, tournament_id)
    assert all(g.status == "finished" for g in games) and len(games) == 6
    for game in games:
        check_recorded(game)
        if game.id in before:  # never played again
            assert (game.finished_at, game.sgf, game.attempt) == before[game.id]
    replayed = next(g for g in games if g.id == interrupted[0])
    assert replayed.attempt == 2
    with database.session() as session:
        assert session.get(Tournament, tournament_id).status == "finished"


def test_two_runners_on_one_database_never_play_the_same_game(database, config, networks, entrants):
    add_network(database, config, networks["good2"], "team2")
    env = runner_env(config)
    runners = [subprocess.Popen(runner_command(config, "--parallel", "1"), env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errors = [runner.communicate(timeout=900)[1] for runner in runners]
    assert [runner.returncode for runner in runners] == [0, 0], errors
    with database.session() as session:
        tournaments = session.scalars(select(Tournament)).all()
    assert len(tournaments) == 1  # both joined the same tournament
    games = games_of(database, tournaments[0].id)
    assert len(games) == 12 and all(g.status == "finished" for g in games)
    assert all(g.attempt == 1 for g in games)  # no game was ever claimed twice
    assert len({g.runner for g in games}) == 2  # both runners played
    for game in games:
        check_recorded(game)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_engines_that_fail_lose_their_games_with_the_reason(database, config, networks, entrants):
    faulty = {add_network(database, config, networks[f"good{i % 3}"], f"faulty-{mode}"): mode
              for i, mode in enumerate(("crash", "illegal", "garbage", "hang"))}

    def command(player, settings):
        if player.version_id in faulty:
            return f"{sys.executable} {FAULTY} {faulty[player.version_id]}"
        return engine_command(player.path, settings)

    settings = TournamentSettings(seconds_per_move=0.1, max_moves=30, games_per_pair=1, judge=False)
    start = time.monotonic()
    tournament = run_tournament(database, config, settings, parallel=2, progress=False, log=lambda m: None,
                                command=command)
    assert tournament.status == "finished"
    games = games_of(database, tournament.id)
    reasons = {"crash": "failure", "illegal": "illegal move", "garbage": "failure", "hang": "time"}
    for game in games:
        if game.black_id not in faulty and game.white_id not in faulty:
            check_recorded(game)
    for version, mode in faulty.items():
        against_real = [g for g in games if version in (g.black_id, g.white_id)
                        and (g.white_id if g.black_id == version else g.black_id) not in faulty]
        assert against_real and all(g.loser_id() == version and g.reason == reasons[mode] for g in against_real)
    assert time.monotonic() - start < 300


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_network_that_returns_nan_loses_and_the_tournament_goes_on(database, config, networks, entrants):
    nan = add_network(database, config, networks["nan"], "nan-team")
    settings = TournamentSettings(playouts=2, max_moves=40, games_per_pair=1, judge=False)
    tournament = run_tournament(database, config, settings, parallel=2, progress=False, log=lambda m: None)
    games = games_of(database, tournament.id)
    assert tournament.status == "finished" and all(g.status == "finished" for g in games)
    nan_games = [g for g in games if nan in (g.black_id, g.white_id)]
    assert len(nan_games) == 3
    assert all(g.loser_id() == nan and g.reason == "failure" and "NaN" in g.detail for g in nan_games), \
        [(g.reason, g.detail) for g in nan_games]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_judged_round_robin_records_win_rates_and_dead_stones(database, config, entrants):
    from golois.engine.judge import find_gnugo

    settings = TournamentSettings(playouts=2, max_moves=40, games_per_pair=1)  # the judge is on by default
    tournament = run_tournament(database, config, settings, parallel=1, progress=False, log=lambda m: None)
    games = games_of(database, tournament.id)
    assert tournament.judge and len(games) == 3  # the two entrants and the bundled network
    with database.session() as session:  # what the live view showed is cleared once a game is recorded
        assert session.scalars(select(Game.live).where(Game.tournament_id == tournament.id)).all() == [None] * 3
    for game in games:
        check_recorded(game)
        judged = [move for move, rate in game.winrates["judge"]]
        assert judged == list(range(1, len(judged) + 1)) and len(judged) >= game.moves - 1  # none after two passes
        assert len(game.winrates["B"]) + len(game.winrates["W"]) >= game.moves - len(game.opening) - 1  # both said
        assert "C[Black's win rate: " in game.sgf and "Judge: adjudicated when" in game.sgf
        if game.reason in ("score", "move limit") and find_gnugo():
            assert "removed by GNU Go" in game.detail and game.dead is not None
