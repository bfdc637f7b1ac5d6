"""Every page and API route through Flask's test client, on a tournament with recorded games."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import pytest
from conftest import ADMIN_PASSWORD, add_network, upload, wait_for
from sqlalchemy import select

from golois import BLACK
from golois.engine.coords import parse_gtp_vertex
from golois.engine.sgf_writer import game_sgf, result_text
from golois.tournament.app import stop_services
from golois.tournament.models import Game, Network, Tournament
from golois.tournament.round_robin import (
    GameRecord,
    TournamentSettings,
    claim_game,
    finish_game,
    start_tournament,
)

PAGES = ["/", "/networks", "/upload", "/tournaments", "/admin/"]


def record_games(database, tournament_id: int, random_games, finish: int | None = None) -> None:
    """Finishes games of the tournament with real random games as their SGF (Black wins odd games)."""
    games = random_games(12, seed=3)
    index = 0
    while (claim := claim_game(database, tournament_id, "test:1:x")) is not None:
        if finish is not None and index >= finish:
            break
        moves = [(point, colour) for point, colour, *_ in games[index % len(games)].moves]
        winner = BLACK if index % 2 == 0 else 2
        result = result_text(winner, None, "resignation")
        record = GameRecord("B" if winner == BLACK else "W", result, "resignation" if index % 3 else "time",
                            "", len(moves), 10.0, 11.0, game_sgf(moves, 7.5, "b", "w", result))
        assert finish_game(database, claim, record)
        index += 1


@pytest.fixture
def played(database, config, networks, random_games) -> int:
    for i in range(3):
        add_network(database, config, networks[f"good{i}"], f"team{i}")
    tournament = start_tournament(database, TournamentSettings(playouts=2))
    record_games(database, tournament.id, random_games)
    return tournament.id


def test_the_site_works_before_any_tournament(client):
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
    assert b"No tournament yet" in client.get("/").data
    assert b"golois/default" in client.get("/networks").data
    assert client.get("/api/tournaments").get_json() == {"tournaments": []}
    networks = client.get("/api/networks").get_json()["networks"]
    assert [n["label"] for n in networks] == ["golois/default"] and networks[0]["bundled"]


def test_standings_before_any_game_show_no_intervals_and_never_minus_zero(client, database, config, networks):
    from golois.tournament.app import elo

    assert [elo(v) for v in (-0.3, 0.0, 12.6, -3.5)] == ["+0", "+0", "+13", "-4"]
    for i in range(2):
        add_network(database, config, networks[f"good{i}"], f"team{i}")
    start_tournament(database, TournamentSettings(playouts=2))
    page = client.get("/").get_data(as_text=True)
    assert "No games played yet" in page and "Black's advantage" not in page
    assert not re.search(r"(?<![\d])-0(?![\d.])", page)  # a signed zero (win-loss columns read 0-0)
    assert 'class="interval"' not in page


def test_standings_say_in_words_who_is_separated(client, played):
    page = client.get(f"/tournaments/{played}").get_data(as_text=True)
    assert "Ahead of the next" in page and "Black's advantage" in page
    assert "not separated at 95%" in page  # 2 games a pair separate nobody


def test_standings_pages_and_downloads_of_a_finished_tournament(client, database, played):
    page = client.get(f"/tournaments/{played}").data.decode()
    assert "finished" in page and "Crosstable" in page and "95%" in page and "anchor" in page
    assert client.get("/").status_code == 200 and f"Tournament {played}" in client.get("/").data.decode()
    assert client.get("/tournaments").status_code == 200
    rows = list(csv.DictReader(io.StringIO(client.get(f"/tournaments/{played}/standings.csv").data.decode())))
    assert len(rows) == 4 and {row["network"] for row in rows} >= {"golois/default v1", "team0/net v1"}
    assert sum(float(row["points"]) for row in rows) == 12
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/tournaments/{played}/games.zip").data))
    names = archive.namelist()
    assert len(names) == 12 and all(name.endswith(".sgf") for name in names)
    assert archive.read(names[0]).startswith(b"(;GM[1]FF[4]")


def test_the_tournament_api_has_standings_intervals_and_the_crosstable(client, played):
    data = client.get(f"/api/tournaments/{played}").get_json()
    assert data["status"] == "finished" and data["game_counts"] == {"pending": 0, "running": 0, "finished": 12}
    standings = data["standings"]
    assert [row["rank"] for row in standings] == [1, 2, 3, 4]
    anchor = next(row for row in standings if row["bundled"])
    assert anchor["rating"] == 0 and anchor["rating_95"] == [0, 0]
    for row in standings:
        low, high = row["rating_95"]
        assert low <= row["rating"] <= high
        assert row["rank_95"][0] <= row["rank"] <= row["rank_95"][1]
        assert row["wins"] + row["losses"] + row["draws"] == row["games"] == 6
        assert row["rank_text"].startswith(("1st", "2nd", "3rd", "4th"))
    assert len(data["crosstable"]) == 12 and all(cell["games"] == 2 for cell in data["crosstable"])
    assert "elo_95" in data["black_advantage"]
    assert len(data["games"]) == 12 and "sgf" not in data["games"][0]
    assert client.get("/api/tournaments").get_json()["tournaments"][0]["id"] == played


def test_a_game_page_replays_its_moves_and_serves_the_sgf(client, database, played):
    with database.session() as session:
        game = session.scalars(select(Game).where(Game.tournament_id == played)).first()
        game_id, sgf = game.id, game.sgf
    page = client.get(f"/games/{game_id}").data.decode()
    assert 'id="board"' in page and "data-moves" in page and "replay.js" in page
    assert client.get(f"/games/{game_id}.sgf").data.decode() == sgf
    data = client.get(f"/api/games/{game_id}").get_json()
    assert data["sgf"] == sgf and data["status"] == "finished" and data["result"]


def test_a_network_page_shows_versions_checks_games_and_losses(client, database, played):
    with database.session() as session:
        network = session.scalar(select(Network).where(Network.name == "net"))
        network_id = network.id
    page = client.get(f"/networks/{network_id}").data.decode()
    assert "Versions" in page and "Losses by reason" in page and "Games" in page
    assert client.get(f"/api/networks/{network_id}").get_json()["versions"][0]["number"] == 1


@pytest.mark.parametrize("path", ["/games/999", "/games/999.sgf", "/networks/999", "/tournaments/999",
                                  "/tournaments/999/standings.csv", "/tournaments/999/games.zip",
                                  "/api/games/999", "/api/networks/999", "/api/tournaments/999", "/nowhere"])
def test_missing_things_are_404_with_a_message(client, path):
    response = client.get(path)
    assert response.status_code == 404
    if path.startswith("/api/"):
        assert "no " in response.get_json()["error"]


def test_a_game_not_played_yet_has_no_sgf(client, database, config, networks, random_games):
    add_network(database, config, networks["good0"], "a")
    tournament = start_tournament(database, TournamentSettings(playouts=2))
    with database.session() as session:
        game_id = session.scalars(select(Game).where(Game.tournament_id == tournament.id)).first().id
    assert client.get(f"/games/{game_id}").status_code == 200
    assert client.get(f"/games/{game_id}.sgf").status_code == 404
    page = client.get(f"/tournaments/{tournament.id}").data.decode()
    assert "live.js" in page and 'data-running="1"' in page


def test_a_running_game_is_watched_live_and_a_finished_one_shows_its_win_rates(client, database, config, networks):
    from golois.tournament.round_robin import GameRecord, claim_game, finish_game, record_progress

    add_network(database, config, networks["good0"], "a")
    tournament = start_tournament(database, TournamentSettings(playouts=2))
    claim = claim_game(database, tournament.id, "test-runner")
    moves = [[1, parse_gtp_vertex("D4")], [2, parse_gtp_vertex("Q16")]]
    record_progress(database, claim, {"moves": moves, "black_seconds": 1.5, "white_seconds": 2.5,
                                      "winrates": {"B": [[1, 0.6]], "W": [[2, 0.4]], "judge": [[1, 0.55], [2, 0.5]]}})
    page = client.get(f"/games/{claim.game_id}").data.decode()
    assert f'data-live="/api/games/{claim.game_id}"' in page and "Being played" in page
    assert f"data-moves='{json.dumps(moves)}'" in page
    listing = client.get(f"/tournaments/{tournament.id}").data.decode()
    assert f'href="/games/{claim.game_id}">watch live</a>' in listing
    live = client.get(f"/api/games/{claim.game_id}").get_json()
    assert live["status"] == "running" and live["live"]["moves"] == moves and live["live"]["white_seconds"] == 2.5

    winrates = {"B": [[1, 0.6]], "W": [[2, 0.4]], "judge": [[1, 0.55], [2, 0.97]]}
    sgf = "(;GM[1]FF[4]SZ[19]KM[7.5]RE[B+];B[dp];W[pd])"
    finish_game(database, claim, GameRecord("B", "B+", "adjudicated", "the judge gave Black ...", 2, 1.0, 1.0, sgf,
                                            winrates, [parse_gtp_vertex("Q16")]))
    page = client.get(f"/games/{claim.game_id}").data.decode()
    assert "data-live" not in page and 'id="winrate-chart"' in page and page.count("<polyline") == 3
    assert "the judge" in page and "Black&#39;s engine" in page and "White&#39;s engine" in page
    assert f"data-dead='[{parse_gtp_vertex('Q16')}]'" in page
    data = client.get(f"/api/games/{claim.game_id}").get_json()
    assert data["winrates"] == winrates and data["dead"] == ["Q16"] and "live" not in data and data["judged"]
    with database.session() as session:
        assert session.get(Game, claim.game_id).live is None  # cleared when the game is recorded
    assert client.get(f"/api/tournaments/{tournament.id}").get_json()["judge"].startswith("adjudicated when")


def _wait_for_verdict(database, response) -> str:
    """Follows the form's redirect to the upload's page; waits for the verdict (in the database, so that
    the page is the first to read it); returns the page's address."""
    from golois.tournament.domain import CheckStatus
    from golois.tournament.models import UploadCheck

    assert response.status_code == 303
    location = response.headers["Location"]

    def finished() -> bool:
        with database.session() as session:
            check = session.scalar(select(UploadCheck).where(UploadCheck.token == location.rsplit("/", 1)[1]))
            return CheckStatus(check.status).finished
    wait_for(finished, timeout=120, what="the verdict")
    return location


def test_the_upload_form_leads_to_the_checks_page_with_the_verdict_and_the_team_key(client, database, networks):
    with open(networks["good0"], "rb") as handle:
        response = client.post("/upload", data={"team": "web", "name": "n", "file": (handle, "n.h5")})
    assert "check.js" in client.get(response.headers["Location"]).data.decode()  # follows the checks
    location = _wait_for_verdict(database, response)
    page = client.get(location).data.decode()
    assert "Accepted: web/n v1" in page and 'id="team-key"' in page and "short game" in page
    assert 'id="team-key"' not in client.get(f"{location}/panel").data.decode()  # shown once
    with open(networks["21-planes"], "rb") as handle:
        response = client.post("/upload", data={"team": "web2", "name": "n", "file": (handle, "n.h5")})
    page = client.get(f"{_wait_for_verdict(database, response)}/panel").data.decode()
    assert "Refused" in page and "31 planes" in page


def test_forms_need_a_csrf_token(make_config, networks):
    from golois.tournament.app import create_app

    app = create_app(make_config(extra={}))  # CSRF on, as in production
    client = app.test_client()
    with open(networks["good0"], "rb") as handle:
        response = client.post("/upload", data={"team": "web", "name": "n", "file": (handle, "n.h5")})
    assert response.status_code == 400 and "form has expired" in response.data.decode()
    assert client.post("/admin/login", data={"password": ADMIN_PASSWORD}).status_code == 400
    page = client.get("/upload").data.decode()
    assert 'name="csrf_token"' in page
    assert upload(client, networks["good0"]).status_code == 201  # the API authenticates by team key instead
    assert app.config["WTF_CSRF_TIME_LIMIT"] == 3600  # a form's token expires
    stop_services(app)


def test_admin_actions_need_the_password(client, database, networks):
    assert b"Password" in client.get("/admin/").data
    assert client.post("/admin/class-token", data={"class_token": "x"}).status_code == 302  # to the login
    assert client.post("/admin/login", data={"password": "wrong"}).status_code == 403
    assert client.post("/admin/login", data={"password": ADMIN_PASSWORD}).status_code == 302
    page = client.get("/admin/").data.decode()
    assert "Start the round robin" in page and "Issue a new key" in page
    body = upload(client, networks["good0"], team="t").get_json()
    with database.session() as session:
        team_id = session.scalar(select(Network).where(Network.id == body["network"]["id"])).team_id
    page = client.post(f"/admin/teams/{team_id}/key").data.decode()
    new_key = page.split('id="new-key">')[1].split("<")[0]
    assert upload(client, networks["good1"], team="t", key=body["team_key"]).status_code == 403  # the old key
    assert upload(client, networks["good1"], team="t", key=new_key).status_code == 201
    network_id = body["network"]["id"]
    assert client.post(f"/admin/networks/{network_id}/active", data={"active": "0"}).status_code == 302
    with database.session() as session:
        assert session.get(Network, network_id).active is False
    client.post("/admin/logout")
    assert b"Password" in client.get("/admin/").data


def test_without_an_admin_password_there_are_no_admin_actions(make_config):
    from golois.tournament.app import create_app

    app = create_app(make_config(admin_password=None))
    client = app.test_client()
    assert client.get("/admin/").status_code == 404
    assert client.post("/admin/login", data={"password": ""}).status_code == 404
    assert client.post("/admin/tournaments", data={}).status_code == 404
    stop_services(app)


def test_bad_admin_tournament_settings_are_refused(client):
    client.post("/admin/login", data={"password": ADMIN_PASSWORD})
    for form in ({"seconds": "abc"}, {"games_per_pair": "0"}, {"parallel": "0"}, {"playouts": "-3"}):
        response = client.post("/admin/tournaments", data=form)
        assert response.status_code == 409, form


def test_the_deactivate_form_needs_the_team_key(client, networks, database):
    body = upload(client, networks["good0"], team="t").get_json()
    network_id = body["network"]["id"]
    assert client.post(f"/networks/{network_id}/deactivate", data={"key": "wrong"}).status_code == 403
    response = client.post(f"/networks/{network_id}/deactivate", data={"key": body["team_key"]})
    assert response.status_code == 302
    with database.session() as session:
        assert session.get(Network, network_id).active is False
        assert session.scalar(select(Tournament)) is None
