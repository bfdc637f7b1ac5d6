"""Round robins in the database: the schedule, and games handed out and recorded exactly once."""

from __future__ import annotations

import datetime as dt
import itertools
import subprocess
import sys
import threading
from collections import Counter

import pytest
from conftest import add_network
from sqlalchemy import select, update

from golois.engine.openings import balanced_openings
from golois.tournament.models import Game, Tournament, utcnow
from golois.tournament.round_robin import (
    GameRecord,
    TournamentError,
    TournamentSettings,
    claim_game,
    finish_game,
    game_counts,
    release_game,
    schedule,
    start_or_resume,
    start_tournament,
)

RECORD = GameRecord("B", "B+R", "resignation", "", 100, 1.0, 1.0, "(;GM[1]FF[4]SZ[19])")


@pytest.mark.parametrize("players, per_pair", [(2, 2), (5, 2), (6, 4), (7, 3), (4, 1)])
def test_every_pair_plays_k_games_with_colours_alternating(players, per_pair):
    games = schedule(list(range(10, 10 + players)), per_pair)
    assert len(games) == players * (players - 1) // 2 * per_pair
    by_pair: dict[tuple[int, int], list] = {}
    for black, white, opening in games:
        assert black != white
        by_pair.setdefault(tuple(sorted((black, white))), []).append((black, white, tuple(opening)))
    assert len(by_pair) == players * (players - 1) // 2
    for pair_games in by_pair.values():
        assert len(pair_games) == per_pair
        blacks = Counter(black for black, _, _ in pair_games)
        assert max(blacks.values()) - min(blacks.values(), default=0) <= 1 and len(blacks) == min(2, per_pair)
        for first, second in zip(pair_games[::2], pair_games[1::2], strict=False):
            assert first[2] == second[2] and first[0] == second[1]  # one opening, both colours
    openings = [opening for _, _, opening in games]
    assert all(len(o) == 4 for o in openings)
    assert len({tuple(o) for o in openings}) == min(len(balanced_openings()), len(by_pair) * ((per_pair + 1) // 2))


def test_the_first_games_spread_over_every_network():
    games = schedule(list(range(8)), 2)
    first_round = games[:4]
    assert sorted(itertools.chain.from_iterable((b, w) for b, w, _ in first_round)) == list(range(8))


def test_openings_are_legal_and_distinct():
    import golois
    from golois.engine.coords import parse_gtp_vertex

    openings = balanced_openings()
    assert len(openings) >= 50 and len(set(openings)) == len(openings)
    for opening in openings:
        state = golois.GameState(7.5)
        for vertex in opening:
            assert state.check(parse_gtp_vertex(vertex)) == "legal"
            state.play(parse_gtp_vertex(vertex))


@pytest.fixture
def three_networks(database, config, networks):
    return [add_network(database, config, networks[f"good{i}"], f"team{i}") for i in range(3)]


def test_a_tournament_takes_the_current_version_of_active_networks(database, config, networks, three_networks):
    new_version = add_network(database, config, networks["good2"], "team0")  # a second version of team0/net
    tournament = start_tournament(database, TournamentSettings(playouts=2))
    with database.session() as session:
        row = session.get(Tournament, tournament.id)
        entries = {entry.version_id for entry in row.entries}
    assert new_version in entries and three_networks[0] not in entries
    assert len(entries) == 4  # the bundled network, team0 (v2), team1, team2
    assert game_counts(database, tournament.id) == {"pending": 12, "running": 0, "finished": 0}


def test_only_one_unfinished_tournament(database, three_networks):
    first = start_tournament(database, TournamentSettings(playouts=2))
    with pytest.raises(TournamentError, match="same moment"):
        start_tournament(database, TournamentSettings(playouts=2))
    resumed, was_running = start_or_resume(database, TournamentSettings(seconds_per_move=5))
    assert was_running and resumed.id == first.id and resumed.playouts == 2


def test_a_tournament_needs_two_networks(database):
    with pytest.raises(TournamentError, match="at least 2 active networks; there are 1"):
        start_tournament(database, TournamentSettings())


def test_bad_settings_are_refused():
    for settings in ({"playouts": 0}, {"seconds_per_move": 0}, {"seconds_per_move": -1}, {"games_per_pair": 0}):
        with pytest.raises(TournamentError):
            TournamentSettings(**settings)


def test_claims_never_overlap_and_each_game_is_recorded_once(database, three_networks):
    tournament = start_tournament(database, TournamentSettings(playouts=2))
    claimed: list[int] = []
    lock = threading.Lock()

    def runner(name: str) -> None:
        while (claim := claim_game(database, tournament.id, name)) is not None:
            with lock:
                claimed.append(claim.game_id)
            assert finish_game(database, claim, RECORD)

    threads = [threading.Thread(target=runner, args=(f"host:1:{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 12
    with database.session() as session:
        games = session.scalars(select(Game).where(Game.tournament_id == tournament.id)).all()
        assert all(g.status == "finished" and g.attempt == 1 for g in games)
        assert session.get(Tournament, tournament.id).status == "finished"


def test_a_stale_claim_records_nothing(database, three_networks):
    tournament = start_tournament(database, TournamentSettings(playouts=2))
    first = claim_game(database, tournament.id, "elsewhere:1:a")
    with database.session() as session:  # its runner went silent: the lease runs out
        session.execute(update(Game).where(Game.id == first.game_id)
                        .values(lease_until=utcnow() - dt.timedelta(seconds=1)))
    second = claim_game(database, tournament.id, "elsewhere:2:b", game_id=first.game_id)
    assert second is not None and second.attempt == first.attempt + 1
    assert not finish_game(database, first, RECORD)  # the old runner's result is refused
    assert finish_game(database, second, RECORD)
    assert not finish_game(database, second, RECORD)  # and nobody records it twice


def test_a_game_held_by_a_live_runner_is_not_taken(database, three_networks):
    tournament = start_tournament(database, TournamentSettings(playouts=2))
    claim = claim_game(database, tournament.id, "elsewhere:1:a")
    assert claim_game(database, tournament.id, "here:2:b", game_id=claim.game_id) is None


def test_a_dead_runner_on_this_machine_is_taken_over_at_once(database, three_networks):
    import socket

    tournament = start_tournament(database, TournamentSettings(playouts=2))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    runner = f"{socket.gethostname()[:60]}:{int(dead.stdout)}:x"
    claim = claim_game(database, tournament.id, runner)
    again = claim_game(database, tournament.id, f"{socket.gethostname()[:60]}:1:y", game_id=claim.game_id)
    assert again is not None and again.attempt == 2


def test_a_released_game_is_played_again(database, three_networks):
    tournament = start_tournament(database, TournamentSettings(playouts=2))
    claim = claim_game(database, tournament.id, "r:1:a")
    release_game(database, claim)
    assert game_counts(database, tournament.id)["running"] == 0
    again = claim_game(database, tournament.id, "r:1:b")
    assert again.game_id == claim.game_id and again.attempt == 2


def test_a_runner_prefers_games_between_networks_it_has_loaded(database, three_networks):
    tournament = start_tournament(database, TournamentSettings(playouts=2))
    a, b = three_networks[1], three_networks[2]
    claim = claim_game(database, tournament.id, "r:1:a", prefer={a, b})
    assert {claim.black_id, claim.white_id} == {a, b}
