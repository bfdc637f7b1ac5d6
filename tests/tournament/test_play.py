"""Playing the engine in the browser, through the JSON endpoints the page uses."""

from __future__ import annotations

import re

import pytest
from conftest import wait_for
from sqlalchemy import select

import golois
from golois import BLACK, PASS, WHITE
from golois.engine.coords import parse_gtp_vertex
from golois.tournament.app import stop_services
from golois.tournament.models import NetworkVersion, PlayGame

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def play_config(make_config):
    return make_config(play_engines=2)


@pytest.fixture
def play_client(play_config):
    from golois.tournament.app import create_app

    app = create_app(play_config)
    yield app.test_client()
    app.extensions["golois_thinking"].stop()
    stop_services(app)


def start(client, **settings) -> str:
    page = client.get("/play").data.decode()
    version = re.search(r'<option value="(\d+)">golois/default', page).group(1)
    form = {"version": version, "colour": "B", "komi": "7.5", "handicap": "0", "seconds": "0.2"} | settings
    response = client.post("/play", data=form)
    assert response.status_code == 302, response.data
    return response.headers["Location"].rsplit("/", 1)[1]


def state(client, token: str) -> dict:
    return client.get(f"/api/play/{token}").get_json()


def wait_for_turn(client, token: str) -> dict:
    return wait_for(lambda: (s := state(client, token))["status"] != "engine" and s, timeout=120,
                    what="the engine's move")


def move(client, token: str, vertex: str):
    return client.post(f"/api/play/{token}/move", json={"vertex": vertex})


def test_a_move_is_answered_by_the_engine_with_its_win_rate(play_client):
    token = start(play_client)
    assert state(play_client, token)["status"] == "human"
    answer = move(play_client, token, "Q16")
    assert answer.status_code == 200 and answer.get_json()["status"] == "engine"
    after = wait_for_turn(play_client, token)
    assert after["status"] == "human" and after["moves"] == 2
    assert after["last_move"]["colour"] == "W" and after["last_move"]["vertex"] != "Q16"
    assert 0 <= after["engine_winrate"] <= 1
    assert sum(1 for colour in after["board"] if colour) == 2


@pytest.mark.parametrize("vertex, reason", [("Z5", "invalid vertex"), ("A0", "off the board"),
                                            ("", "send the move")])
def test_malformed_moves_are_refused(play_client, vertex, reason):
    token = start(play_client)
    response = move(play_client, token, vertex)
    assert response.status_code == 400
    body = response.get_json()
    assert reason in (body.get("refused") or body.get("error") or "")
    assert state(play_client, token)["moves"] == 0


def test_illegal_moves_are_refused_and_change_nothing(play_client, database):
    token = start(play_client)
    move(play_client, token, "D4")
    engine = wait_for_turn(play_client, token)["last_move"]["vertex"]
    for vertex in ("D4", engine):
        response = move(play_client, token, vertex)
        assert response.status_code == 400 and "point occupied" in response.get_json()["refused"]
    # A ko: White E4 has just taken the Black stone at F4; Black may not take back at F4 at once.
    plan = [("B", "D4"), ("W", "F5"), ("B", "E5"), ("W", "F3"), ("B", "E3"), ("W", "G4"), ("B", "F4"), ("W", "E4")]
    with database.session() as session:
        game = session.scalar(select(PlayGame).where(PlayGame.token == token))
        game.moves = [[BLACK if c == "B" else WHITE, parse_gtp_vertex(v), None] for c, v in plan]
        game.status = "human"
    response = move(play_client, token, "F4")
    assert response.status_code == 400, response.get_json()
    assert "ko" in response.get_json()["refused"]
    assert state(play_client, token)["captures"]["W"] == 1


def test_two_passes_end_the_game_scored_by_area_and_the_sgf_downloads(play_client):
    token = start(play_client)
    for _ in range(20):  # pass until the engine, winning the board with its komi, passes too
        current = wait_for_turn(play_client, token)
        if current["status"] == "finished":
            break
        assert move(play_client, token, "pass").status_code == 200
    final = wait_for_turn(play_client, token)
    assert final["status"] == "finished" and final["reason"] == "two passes"
    assert final["result"].startswith(("W+", "B+")) and final["score"] is not None
    assert move(play_client, token, "D4").status_code == 400  # nothing after the end
    sgf = play_client.get(f"/play/{token}.sgf").data.decode()
    parsed = golois.parse_sgf(sgf)[0]
    assert parsed.ok and len(parsed.game.moves) == final["moves"]
    assert parsed.game.moves[-1][0] == PASS


def test_resigning_ends_the_game(play_client):
    token = start(play_client)
    response = play_client.post(f"/api/play/{token}/resign")
    assert response.status_code == 200 and response.get_json()["result"] == "W+R"
    assert play_client.post(f"/api/play/{token}/resign").status_code == 400


def test_a_move_saved_after_another_change_to_the_game_is_refused_not_mixed_in(play_client, database,
                                                                               monkeypatch):
    # The game is resigned in another tab (or the engine's answer is saved) between the moment this
    # request reads the game and the moment it writes its move: the move must not overwrite that.
    from golois.tournament.blueprints import play as play_pages
    from golois.tournament.play import human_move, resign

    def meanwhile_resigned_elsewhere(game: PlayGame, vertex: str) -> None:
        human_move(game, vertex)
        with database.session() as session:
            resign(session.scalar(select(PlayGame).where(PlayGame.token == game.token)))

    token = start(play_client)
    monkeypatch.setattr(play_pages, "human_move", meanwhile_resigned_elsewhere)
    response = move(play_client, token, "D4")
    assert response.status_code == 409
    body = response.get_json()
    assert "changed meanwhile" in body["refused"]
    assert body["status"] == "finished" and body["result"] == "W+R" and body["moves"] == 0
    assert state(play_client, token) == {key: value for key, value in body.items() if key != "refused"}


def test_a_handicap_game_takes_komi_half_a_point_and_its_sgf_says_so(play_client):
    token = start(play_client, handicap="3", komi="")  # the form's komi left empty: the convention applies
    assert state(play_client, token)["komi"] == 0.5
    sgf = play_client.get(f"/play/{token}.sgf").get_data(as_text=True)
    assert "HA[3]" in sgf and "KM[0.5]" in sgf and sgf.count("AB[") == 1
    even = start(play_client, komi="")
    assert state(play_client, even)["komi"] == 7.5 and "HA[" not in play_client.get(f"/play/{even}.sgf").get_data(
        as_text=True)
    page = play_client.get("/play").get_data(as_text=True)
    assert 'data-handicap-komi="0.5"' in page and "play_choose.js" in page


def test_with_handicap_the_engine_as_white_moves_first(play_client):
    token = start(play_client, handicap="4", komi="0.5")
    first = state(play_client, token)
    assert sum(1 for colour in first["board"] if colour == BLACK) == 4
    assert first["status"] == "engine"
    answered = wait_for_turn(play_client, token)
    assert answered["last_move"]["colour"] == "W" and answered["status"] == "human"


@pytest.mark.parametrize("field, value, message", [("colour", "X", "colour"), ("komi", "7.3", "komi"),
                                                   ("handicap", "1", "handicap"), ("seconds", "500", "thinking"),
                                                   ("version", "abc", "invalid game settings"),
                                                   ("komi", "nan", "komi")])
def test_bad_game_settings_are_refused(play_client, field, value, message):
    page = play_client.get("/play").data.decode()
    version = re.search(r'<option value="(\d+)">', page).group(1)
    form = {"version": version, "colour": "B", "komi": "7.5", "handicap": "0", "seconds": "1", field: value}
    response = play_client.post("/play", data=form)
    assert response.status_code == 400 and message in response.data.decode()


def test_a_game_survives_a_restart_and_a_pending_move_is_answered_after_it(play_config, make_config):
    from golois.tournament.app import create_app

    first = create_app(make_config(play_engines=0))  # a server whose engines are gone
    client = first.test_client()
    token = start(client)
    move(client, token, "R4")
    assert state(client, token)["status"] == "engine"
    stop_services(first)
    second = create_app(play_config)  # the restart: same data, engines running
    try:
        answered = wait_for_turn(second.test_client(), token)
        assert answered["status"] == "human" and answered["moves"] == 2
    finally:
        second.extensions["golois_thinking"].stop()
        stop_services(second)


def test_a_long_think_does_not_hold_up_another_visitor(play_client, database):
    slow = start(play_client, seconds="20")
    fast = start(play_client, seconds="0.2")
    move(play_client, slow, "D4")
    move(play_client, fast, "D4")
    assert wait_for_turn(play_client, fast)["status"] == "human"
    assert state(play_client, slow)["status"] == "engine"  # still thinking: the other game went on beside it
    with database.session() as session:
        assert session.scalar(select(NetworkVersion)) is not None
