"""Ratings across weeks: results kept once a tournament is finished, charts on network and team pages, winners."""

from __future__ import annotations

import re

import pytest
from conftest import add_network
from sqlalchemy import select
from test_pages import record_games

from golois.tournament.history import rating_chart, rating_history, winners
from golois.tournament.models import Entry, Network, Tournament
from golois.tournament.round_robin import TournamentSettings, start_tournament

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def two_weeks(database, config, networks, random_games) -> list[int]:
    for i in range(3):
        add_network(database, config, networks[f"good{i}"], f"team{i}")
    ids = []
    for _ in range(2):
        tournament = start_tournament(database, TournamentSettings(playouts=2))
        record_games(database, tournament.id, random_games)
        ids.append(tournament.id)
    return ids


def test_a_finished_tournaments_results_are_kept_and_read_back(database, two_weeks):
    with database.session() as session:
        assert session.scalars(select(Entry.games)).all() == [None] * 8, "nothing is kept before a page asks"
        network = session.scalar(select(Network).where(Network.name == "net", Network.bundled.is_(False)))
        history = rating_history(session, [network.current.id])
        assert [point.tournament_id for point in history] == two_weeks
        assert all(point.games == 6 and point.rating is not None and point.low <= point.rating <= point.high
                   for point in history)
        assert None not in session.scalars(select(Entry.games)).all(), "kept on the entries"
        bundled = session.scalar(select(Network).where(Network.bundled.is_(True)))
        assert {point.rating for point in rating_history(session, [bundled.current.id])} == {0.0}, "the anchor"
        tournaments = session.scalars(select(Tournament)).all()
        champions = winners(session, list(tournaments))
    assert set(champions) == set(two_weeks) and all(label.endswith(" v1") for label in champions.values())


def test_an_unfinished_tournament_has_no_winner_and_no_point(database, config, networks, random_games):
    for i in range(2):
        add_network(database, config, networks[f"good{i}"], f"team{i}")
    tournament = start_tournament(database, TournamentSettings(playouts=2))
    record_games(database, tournament.id, random_games, finish=2)
    with database.session() as session:
        running = session.get(Tournament, tournament.id)
        assert winners(session, [running]) == {}
        assert rating_history(session, [entry.version_id for entry in running.entries]) == []
    assert rating_chart([]) is None


def test_the_pages_chart_the_ratings_and_name_the_winners(client, database, two_weeks):
    with database.session() as session:
        network = session.scalar(select(Network).where(Network.name == "net", Network.bundled.is_(False)))
        network_id, team_id = network.id, network.team_id
    page = client.get(f"/networks/{network_id}").get_data(as_text=True)
    chart = page.split('<svg class="rating-chart"')[1].split("</svg>")[0]
    assert chart.count("<circle") == 2 and f"#{two_weeks[0]} " in chart and f"#{two_weeks[1]} " in chart
    assert "<script" not in chart and "style=" not in chart
    team = client.get(f"/teams/{team_id}").get_data(as_text=True)
    assert 'class="rating-chart"' in team and len(re.findall(r"<tr><td><a href=\"/tournaments/", team)) == 2
    listing = client.get("/tournaments").get_data(as_text=True)
    assert "<th>Winner</th>" in listing and listing.count(" v1</td>") >= 2


def test_before_any_finished_tournament_the_chart_says_why_it_is_empty(client, database):
    with database.session() as session:
        network_id = session.scalar(select(Network.id).where(Network.bundled.is_(True)))
    assert "No finished tournament yet" in client.get(f"/networks/{network_id}").get_data(as_text=True)
