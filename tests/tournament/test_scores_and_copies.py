"""What an upload tells its student (held-out scores, speed, the team page) and copies flagged for the admin."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import pytest
from conftest import ADMIN_PASSWORD, upload
from sqlalchemy import select

from golois.network import DEFAULT_NETWORK, load_network, save_network
from golois.tournament.copies import NEAR_COPY_NOISE_AGREEMENT
from golois.tournament.domain import CopyKind, TournamentError, TournamentSettings
from golois.tournament.models import CopyFlag, Network
from golois.tournament.round_robin import start_tournament
from golois.tournament.upload_check import PLAY_CHECKS

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def flags(database) -> list[tuple[str, str, str, str | None]]:
    with database.session() as session:
        return [(flag.version.label, flag.original.label, flag.kind, flag.decision)
                for flag in session.scalars(select(CopyFlag).order_by(CopyFlag.id))]


def renamed_layers(source: Path, target: Path) -> Path:
    """The same weights in a model whose layers have other names: another file, another canonical file."""
    model = load_network(source)
    config = json.loads(json.dumps(model.get_config()).replace('"conv2d', '"renamed_conv2d'))
    copy = type(model).from_config(config)
    copy.set_weights(model.get_weights())
    save_network(copy, target)
    with h5py.File(target) as h5:
        assert "renamed_conv2d" in h5.attrs["model_config"]
    return target


def test_an_upload_gets_held_out_scores_and_speed_beside_the_bundled_networks(client, networks):
    response = upload(client, networks["good0"], team="Team A", name="first")
    body = response.get_json()
    assert response.status_code == 201, body["reason"]
    assert [check["name"] for check in body["checks"]][-len(PLAY_CHECKS):] == list(PLAY_CHECKS)
    scores = body["scores"]
    assert scores["positions"] == 2000 and 0 <= scores["policy_accuracy"] <= scores["top5_accuracy"] <= 1
    assert sum(row["positions"] for row in scores["calibration"]) == 2000
    assert sum(phase["positions"] for phase in scores["value_by_phase"].values()) == 2000
    assert scores["playouts_per_cpu_second"] > 0
    assert scores["playouts_per_move"] == int(scores["playouts_per_cpu_second"] * scores["seconds_per_move"])
    bundled = body["reference"]["bundled"]
    assert bundled["policy_accuracy"] > 0.4 > scores["policy_accuracy"], "a random tiny network against a trained one"
    assert body["reference"]["best"]["scores"] == scores, "the only team's network is the class's best"
    assert body["network"]["current_version"]["scores"] == scores
    page = client.get(f"/checks/{body['token']}").get_data(as_text=True)
    assert "Bundled network" in page and "<svg" in page and "Playouts per CPU second" in page
    assert f"{100 * scores['policy_accuracy']:.1f}%" in page
    network_page = client.get(f"/networks/{body['network']['id']}").get_data(as_text=True)
    assert "Value calibration" in network_page and "Class's best" in network_page


def test_the_team_page_lists_every_version_with_its_scores(client, networks):
    first = upload(client, networks["good0"], team="Team A", name="net").get_json()
    second = upload(client, networks["good1"], team="Team A", name="net", key=first["team_key"]).get_json()
    network = client.get(f"/networks/{first['network']['id']}").get_data(as_text=True)
    team_link = network.split('href="/teams/')[1].split('"')[0]
    page = client.get(f"/teams/{team_link}").get_data(as_text=True)
    assert "Team Team A" in page and "Team A/net v1" in page and "Team A/net v2" in page
    for body in (first, second):
        assert f"{100 * body['scores']['policy_accuracy']:.1f}%" in page
    assert "No finished tournament yet" in page and "No games yet" in page
    assert client.get("/teams/99999").status_code == 404


def test_the_same_file_from_another_team_is_flagged_without_telling_whose(client, database, networks):
    own = upload(client, networks["good0"], team="original-team", name="mine").get_json()
    again = upload(client, networks["good0"], team="original-team", name="mine", key=own["team_key"]).get_json()
    assert again["accepted"] and again["notice"] is None and flags(database) == [], \
        "a team's own new version is not a copy"
    response = upload(client, networks["good0"], team="copier", name="theirs")
    body = response.get_json()
    assert response.status_code == 201 and body["accepted"], "the admin decides, not the checker"
    assert "same file as a network of another team" in body["notice"]
    assert flags(database) == [("copier/theirs v1", "original-team/mine v1", CopyKind.SAME_FILE, None)], \
        "one flag per other network, by its closest version (the earliest of equals)"
    check_page = client.get(f"/checks/{body['token']}").get_data(as_text=True)
    for shown in (json.dumps(client.get(f"/api/checks/{body['token']}").get_json()), check_page):
        assert "original-team" not in shown and "another team" in shown


def test_the_same_weights_saved_again_under_other_names_are_flagged(client, database, networks, tmp_path):
    copy = renamed_layers(networks["good1"], tmp_path / "renamed.h5")
    upload(client, networks["good1"], team="author", name="net")
    body = upload(client, copy, team="copier", name="net").get_json()
    assert body["accepted"] and "the same weights as a network of another team" in body["notice"]
    assert flags(database) == [("copier/net v1", "author/net v1", CopyKind.SAME_WEIGHTS, None)]


def test_different_networks_are_not_flagged(client, database, networks):
    for number, team in enumerate(("a", "b", "c")):
        body = upload(client, networks[f"good{number}"], team=team, name="net").get_json()
        assert body["accepted"] and body["notice"] is None
    assert flags(database) == []


def login(client) -> None:
    assert client.post("/admin/login", data={"password": ADMIN_PASSWORD}).status_code == 302


def test_a_fine_tuned_copy_of_the_bundled_network_is_a_near_copy_and_the_admin_refuses_it(
        client, database, config, tmp_path):
    from golois import SAMPLE_GAMES
    from golois.training.fine_tune import fine_tune

    copy = tmp_path / "my-own-work.h5"
    save_network(fine_tune(load_network(DEFAULT_NETWORK), SAMPLE_GAMES, steps=300, batch=32), copy)
    body = upload(client, copy, team="copier", name="net").get_json()
    assert body["accepted"] and "answers on test inputs are nearly those of a network of another team" in body["notice"]
    [(label, original, kind, decision)] = flags(database)
    assert (label, original, kind, decision) == ("copier/net v1", "golois/default v1", CopyKind.NEAR_COPY, None)
    with database.session() as session:
        evidence = session.scalar(select(CopyFlag)).evidence
    assert evidence["noise_same_top_move"] >= NEAR_COPY_NOISE_AGREEMENT and evidence["positions"] == 2000

    login(client)
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert "copier/net v1" in dashboard and "golois/default v1" in dashboard and "near copy" in dashboard
    with database.session() as session:
        flag_id = session.scalar(select(CopyFlag.id))
    assert client.post(f"/admin/copies/{flag_id}", data={"decision": "ban"}).status_code == 400
    assert client.post(f"/admin/copies/{flag_id}", data={"decision": "refuse"}).status_code == 302
    assert flags(database)[0][3] == "refuse"
    check = client.get(f"/api/checks/{body['token']}").get_json()
    assert check["status"] == "refused" and "copy of another team's" in check["reason"]
    with database.session() as session:
        copier = session.scalar(select(Network).where(Network.name == "net"))
        assert copier.current is None and copier.active is False
        assert copier.versions[0].refused_at is not None
    with pytest.raises(TournamentError, match="there are 1"):
        start_tournament(database, TournamentSettings(playouts=8, games_per_pair=1))  # a refused version never plays
    assert "No copy waits for a decision" in client.get("/admin/").get_data(as_text=True)


def test_the_admin_keeps_or_deactivates_a_flagged_network(client, database, networks):
    upload(client, networks["good0"], team="author", name="net")
    upload(client, networks["good0"], team="copier-1", name="net")
    upload(client, networks["good0"], team="copier-2", name="net")
    login(client)
    with database.session() as session:
        first, second, _ = session.scalars(select(CopyFlag.id).order_by(CopyFlag.id)).all()
    client.post(f"/admin/copies/{first}", data={"decision": "keep"})
    client.post(f"/admin/copies/{second}", data={"decision": "deactivate"})
    with database.session() as session:
        teams = {network.team.name: network.active for network in session.scalars(select(Network))}
    assert teams["copier-1"] is True and teams["copier-2"] is False and teams["author"] is True
    assert [flag[1:] for flag in flags(database)] == [
        ("author/net v1", CopyKind.SAME_FILE, "keep"), ("author/net v1", CopyKind.SAME_FILE, "deactivate"),
        ("copier-1/net v1", CopyKind.SAME_FILE, None)], "copier-2 matches both earlier networks"


def test_a_refused_network_is_not_scored_but_every_other_check_runs(client, networks):
    body = upload(client, networks["big"], team="too-big").get_json()
    states = {check["name"]: (check["ok"], check["detail"]) for check in body["checks"]}
    assert body["accepted"] is False and states["parameter limit"][0] is False
    assert states["short game"][0] is True, "the checks that can run do"
    assert states["held-out scores"] == (None, "not run: only a network that passes the other checks is scored")
    assert body["scores"] is None
