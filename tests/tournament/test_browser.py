"""The site in a real browser (Debian's chromium, driven by Selenium): upload and its verdict, standings,
stepping through a replay. CSRF protection is on, as in production."""

from __future__ import annotations

import pytest
from conftest import LiveServer, add_network, wait_for
from sqlalchemy import select
from test_pages import record_games

from golois.tournament.domain import TournamentSettings
from golois.tournament.models import Game
from golois.tournament.round_robin import start_tournament

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def site(make_config):
    from golois.tournament.app import create_app, stop_services

    app = create_app(make_config(extra={}))
    server = LiveServer(app)
    yield server, app.extensions["golois_db"]
    server.stop()
    stop_services(app)


def test_uploading_through_the_form_shows_each_check_then_the_verdict(browser, site, networks):
    from selenium.webdriver.common.by import By

    server, _ = site

    def send(path) -> None:
        browser.get(server.url + "/upload")
        browser.find_element(By.NAME, "team").send_keys("browser team")
        browser.find_element(By.NAME, "name").send_keys("first try")
        browser.find_element(By.NAME, "file").send_keys(str(path))
        browser.find_element(By.CSS_SELECTOR, "form.upload button").click()

    send(networks["21-planes"])
    wait_for(lambda: "/checks/" in browser.current_url, what="the upload's page")
    wait_for(lambda: "Refused" in browser.find_element(By.ID, "verdict").text, what="the refusal")
    verdict = browser.find_element(By.ID, "verdict")
    assert "31 planes" in verdict.text and "✗" in verdict.text
    send(networks["good0"])
    wait_for(lambda: "Accepted" in browser.find_element(By.ID, "verdict").text, timeout=120, what="acceptance")
    key = browser.find_element(By.ID, "team-key").text
    assert len(key) >= 20
    assert browser.find_element(By.ID, "verdict").text.count("✓") == 10
    logs = browser.get_log("browser")  # the CSP blocks no script or style of ours
    assert not any("Content Security Policy" in entry["message"] for entry in logs), logs
    browser.find_element(By.LINK_TEXT, "The network's page").click()
    assert "browser team/first try" in browser.find_element(By.TAG_NAME, "h1").text


def test_standings_and_stepping_through_a_replay(browser, site, config, networks, random_games):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    server, database = site
    for i in range(2):
        add_network(database, config, networks[f"good{i}"], f"team{i}")
    tournament = start_tournament(database, TournamentSettings(playouts=2))
    record_games(database, tournament.id, random_games)
    browser.get(f"{server.url}/tournaments/{tournament.id}")
    rows = browser.find_elements(By.CSS_SELECTOR, "#standings tbody tr")
    assert len(rows) == 3
    assert "95%" in rows[0].text and any("anchor" in row.text for row in rows)
    assert "6 of 6 games played" in browser.find_element(By.ID, "progress-label").text

    with database.session() as session:
        game = session.scalars(select(Game).where(Game.tournament_id == tournament.id)).first()
        game_id, moves = game.id, game.moves
    browser.get(f"{server.url}/games/{game_id}")
    number = browser.find_element(By.ID, "move-number")
    stones = lambda: len(browser.find_elements(By.CSS_SELECTOR, "#board circle.stone"))  # noqa: E731
    assert number.text == str(moves) and stones() > 50
    browser.find_element(By.ID, "first").click()
    assert number.text == "0" and stones() == 0
    browser.find_element(By.ID, "next").click()
    browser.find_element(By.ID, "next").click()
    assert number.text == "2" and stones() == 2
    assert browser.find_elements(By.CSS_SELECTOR, "#board circle.last-move")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ARROW_RIGHT)
    assert number.text == "3" and stones() == 3
    body.send_keys(Keys.ARROW_LEFT)
    assert number.text == "2"
    body.send_keys(Keys.END)
    assert number.text == str(moves)
    captures = int(browser.find_element(By.ID, "captures-black").text) + \
        int(browser.find_element(By.ID, "captures-white").text)
    # Stones on the board = moves played - passes - stones captured.
    with database.session() as session:
        import golois
        parsed = golois.parse_sgf(session.get(Game, game_id).sgf)[0].game.moves
    passes = sum(point == golois.PASS for point, *_ in parsed)
    assert stones() == moves - passes - captures
    slider = browser.find_element(By.ID, "slider")
    browser.execute_script("arguments[0].value = 10; arguments[0].dispatchEvent(new Event('input'));", slider)
    assert number.text == "10"
    assert browser.find_element(By.LINK_TEXT, "Download SGF").get_attribute("href").endswith(f"/games/{game_id}.sgf")
