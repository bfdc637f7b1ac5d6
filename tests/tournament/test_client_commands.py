"""The students' commands against a real server over HTTP: golois upload, golois standings, golois games."""

from __future__ import annotations

import json
import re
import stat

import pytest
from click.testing import CliRunner
from conftest import add_network
from test_pages import record_games

from golois import parse_sgf
from golois.cli import main
from golois.tournament.client import TeamKeys
from golois.tournament.domain import TournamentSettings
from golois.tournament.round_robin import start_tournament


@pytest.fixture
def keys_home(tmp_path, monkeypatch):
    """The user's config folder (XDG_CONFIG_HOME), fresh for each test."""
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


def golois(*args: str):
    return CliRunner().invoke(main, list(args))


def test_upload_keeps_the_team_key_and_later_uploads_use_it(live_server, networks, keys_home):
    first = golois("upload", str(networks["good0"]), "--server", live_server.url, "--team", "t1", "--name", "net")
    assert first.exit_code == 0, first.output
    assert "accepted: t1/net v1" in first.output and "ok   HDF5 file" in first.output
    assert re.search(r"top move is the game's +\d+\.\d% +\d+\.\d% +\d+\.\d%", first.output), \
        "the held-out scores beside the bundled network's and the class's best"
    key_file = keys_home / "golois" / "team-keys.json"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = TeamKeys(key_file).get(live_server.url, "t1")
    assert key and key in key_file.read_text()

    again = golois("upload", str(networks["good1"]), "--server", live_server.url, "--team", "t1", "--name", "net",
                   "--json")
    assert again.exit_code == 0, again.output
    verdict = json.loads(again.output)
    assert verdict["status"] == "accepted" and verdict["network"]["current_version"]["label"] == "t1/net v2"


def test_a_refused_upload_lists_its_checks_and_exits_1(live_server, networks, keys_home):
    result = golois("upload", str(networks["policy-64"]), "--server", live_server.url, "--team", "t2", "--name", "n")
    assert result.exit_code == 1
    assert "FAIL" in result.output and "refused:" in result.output and "361" in result.output


def test_a_wrong_key_is_a_clean_error(live_server, networks, keys_home):
    assert golois("upload", str(networks["good0"]), "--server", live_server.url, "--team", "t3",
                  "--name", "n").exit_code == 0
    result = golois("upload", str(networks["good1"]), "--server", live_server.url, "--team", "t3", "--name", "n",
                    "--key", "not-the-key")
    assert result.exit_code == 1 and "Error:" in result.output and "403" in result.output
    assert "Traceback" not in result.output


def test_an_unreachable_server_is_a_clean_error(networks, keys_home):
    result = golois("standings", "--server", "http://127.0.0.1:9")
    assert result.exit_code == 1 and "cannot reach http://127.0.0.1:9" in result.output
    assert golois("standings", "--server", "not a url").exit_code == 1


def test_standings_and_games_of_a_played_tournament(live_server, database, config, networks, random_games, tmp_path):
    assert "has held no tournament yet" in golois("standings", "--server", live_server.url).output
    for i in range(3):
        add_network(database, config, networks[f"good{i}"], f"team{i}")
    tournament = start_tournament(database, TournamentSettings(playouts=2))
    record_games(database, tournament.id, random_games)

    table = golois("standings", "--server", live_server.url)
    assert table.exit_code == 0, table.output
    assert f"tournament {tournament.id} (finished" in table.output
    assert "12 of 12 games played" in table.output  # four networks with the bundled one: 6 pairs, 2 games each
    assert all(f"team{i}/net v1" in table.output for i in range(3))
    as_json = json.loads(golois("standings", "--server", live_server.url, "--json").output)
    assert len(as_json["standings"]) == 4 and "games" not in as_json

    out = tmp_path / "sgf"
    result = golois("games", "--server", live_server.url, "--network", "team0/net", "--out", str(out))
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.sgf"))
    assert len(files) == 6  # two games against each of the three others
    assert all(parse_sgf(f.read_text())[0].ok for f in files)
    assert "0 written" in golois("games", "--server", live_server.url, "--network", "team0/net",
                                 "--out", str(out)).output  # nothing is fetched twice
    missing = golois("games", "--server", live_server.url, "--network", "nobody/net", "--out", str(out))
    assert missing.exit_code == 1 and "no network 'nobody/net'" in missing.output
