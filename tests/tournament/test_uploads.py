"""Uploads: the sandboxed checks, who may upload, and that a refused upload leaves nothing behind."""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from conftest import SHARED_MODELS, stored_files, upload, wait_for
from sqlalchemy import func, select

from golois.files import sha256_file
from golois.tournament.app import stop_services
from golois.tournament.models import Network, NetworkVersion, Team
from golois.tournament.storage import NetworkStore


def count_rows(database, model) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def assert_nothing_left(config, database, networks_before: int = 1) -> None:
    """Only the bundled network: no file, no team, no network row from a refused upload."""
    assert len(stored_files(config)) == networks_before
    assert count_rows(database, NetworkVersion) == networks_before
    assert count_rows(database, Network) == networks_before
    no_upload_waiting(config)


def no_upload_waiting(config) -> None:
    """The incoming folder empties: the checker removes an upload just after recording its verdict."""
    wait_for(lambda: list(config.incoming_dir.iterdir()) == [], timeout=10, what="the upload's removal")


def test_an_accepted_upload_lists_every_check_and_returns_the_team_key_once(client, config, database, networks):
    response = upload(client, networks["good0"], team="Team A", name="first")
    assert response.status_code == 201
    body = response.get_json()
    assert body["accepted"] is True
    names = [check["name"] for check in body["checks"]]
    assert names == ["HDF5 file", "description", "build", "input", "outputs", "parameter limit",
                     "canonical file", "outputs on real positions", "short game", "held-out scores"]
    assert all(check["ok"] for check in body["checks"])
    assert "2,258 trainable parameters (limit 100,000)" in body["checks"][5]["detail"]
    assert re.search(r"\d+ moves of 32-playout search", body["checks"][-2]["detail"])
    assert body["network"]["label"] == "Team A/first" and body["network"]["current_version"]["number"] == 1
    assert len(body["team_key"]) >= 20
    stored = stored_files(config)
    assert len(stored) == 2  # the bundled network and this one, by SHA-256, outside any served folder
    version = body["network"]["current_version"]
    assert any(p.name == version["sha256"] + ".h5" for p in stored)
    assert version["upload_sha256"] == sha256_file(networks["good0"])
    # The key was handed out with the verdict: polling the check again does not repeat it.
    assert "team_key" not in client.get(f"/api/checks/{body['token']}").get_json()
    # The key is shown once: a second upload of the team does not repeat it.
    again = upload(client, networks["good1"], team="Team A", name="second", key=body["team_key"])
    assert again.status_code == 201 and "team_key" not in again.get_json()


def test_what_is_stored_is_the_servers_canonical_file_not_the_upload(client, config, networks, tmp_path):
    """Anything beside the architecture and the weights (here an extra dataset and attribute) is not kept."""
    import h5py

    from golois.network import load_network

    sent = tmp_path / "with-extras.h5"
    shutil.copyfile(networks["good0"], sent)
    with h5py.File(sent, "r+") as h5:
        h5.create_dataset("notes/extra", data=np.arange(1000, dtype="float32"))
        h5.attrs["comment"] = "anything the student liked"
    body = upload(client, sent, team="extras").get_json()
    assert body["accepted"] is True, body["reason"]
    version = body["network"]["current_version"]
    assert version["upload_sha256"] == sha256_file(sent) != version["sha256"]
    stored = NetworkStore(config.networks_dir).path(version["sha256"])
    with h5py.File(stored, "r") as h5:
        assert "notes" not in h5 and "comment" not in h5.attrs
    planes = np.random.default_rng(0).random((2, 19, 19, 31), dtype=np.float32)
    for ours, theirs in zip(load_network(stored)(planes), load_network(sent)(planes), strict=True):
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), atol=1e-6)


def test_the_same_team_and_name_again_makes_a_new_version(client, database, networks):
    key = upload(client, networks["good0"], name="net").get_json()["team_key"]
    second = upload(client, networks["good1"], name="net", key=key).get_json()
    assert [v["number"] for v in second["network"]["versions"]] == [1, 2]
    assert second["network"]["current_version"]["number"] == 2
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Network)) == 2  # bundled + this one


def test_another_teams_name_needs_its_key(client, config, database, networks):
    upload(client, networks["good0"], team="owners")
    for key in ("", "wrong-key"):
        response = upload(client, networks["good1"], team="owners", key=key)
        assert response.status_code == 403
        assert "team key" in response.get_json()["reason"]
    assert count_rows(database, NetworkVersion) == 2


@pytest.mark.parametrize("case, status, reason", [
    ("lambda", 422, "Lambda layers"),
    ("truncated", 422, "not an HDF5 file"),
    ("not-hdf5", 422, "not an HDF5 file"),
    ("21-planes", 422, "31 planes"),
    ("policy-64", 422, "outputs of sizes [64, 1]"),
    ("big", 422, "112,802 trainable parameters, 12,802 over the limit of 100,000"),
    ("nan", 422, "NaN"),
    ("huge-declared", 422, "memory"),
])
def test_hostile_and_broken_files_are_refused_with_nothing_left_behind(client, config, database, networks, case,
                                                                       status, reason):
    response = upload(client, networks[case], team=f"team-{case}")
    body = response.get_json()
    assert response.status_code == status, body
    assert body["accepted"] is False and reason in body["reason"]
    assert body["network"] is None
    assert_nothing_left(config, database)
    assert count_rows(database, Team) == 1  # only the bundled network's team


ALL_CHECKS = ["HDF5 file", "description", "build", "input", "outputs", "parameter limit", "canonical file",
              "outputs on real positions", "short game", "held-out scores"]


def test_every_check_runs_and_the_first_failure_is_the_reason(client, config, database, networks):
    body = upload(client, networks["policy-64"], team="wrong-outputs").get_json()
    states = {check["name"]: check["ok"] for check in body["checks"]}
    assert list(states) == ALL_CHECKS
    assert states["outputs"] is False and body["reason"] == body["checks"][4]["detail"]
    # Checked although the outputs failed first: this file is over the limit too, and the refusal says both.
    assert states["parameter limit"] is False and "187,145 trainable parameters" in body["checks"][5]["detail"]
    assert body["params"] == 187_145
    assert [check["detail"] for check in body["checks"][6:]] == ["not run: the input or outputs are not the "
                                                                 "contract's"] * 4

    body = upload(client, networks["truncated"], team="broken").get_json()
    assert [check["name"] for check in body["checks"]] == ALL_CHECKS
    assert body["checks"][0]["ok"] is False and body["reason"] == body["checks"][0]["detail"]
    assert all(check["ok"] is None for check in body["checks"][1:])
    assert body["checks"][1]["detail"] == "not run: the file is not a safe HDF5 file"
    assert body["checks"][-1]["detail"] == "not run: the model does not build"
    page = client.get(f"/checks/{body['token']}").get_data(as_text=True)
    assert page.count('class="not-run"') == 9
    assert_nothing_left(config, database)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(make_config, networks, tmp_path):
    from golois.tournament.app import create_app

    config = make_config(max_upload_bytes=20_000)
    app = create_app(config)
    response = upload(app.test_client(), networks["good0"])  # about 40 kB
    assert response.status_code == 413
    assert response.get_json()["accepted"] is False
    assert len(stored_files(config)) == 1
    stop_services(app)


@pytest.mark.parametrize("fields, message", [
    ({"team": "", "name": "x"}, "missing field: team"),
    ({"team": "a", "name": ""}, "missing field: name"),
    ({"team": "a/b", "name": "x"}, "the team name must be"),
    ({"team": "a", "name": "x" * 41}, "the network name must be"),
    ({"team": "a", "name": "\u00e9t\u00e9"}, "the network name must be"),
    ({"team": "a", "name": "x", "email": "not-an-address"}, "e-mail"),
])
def test_bad_form_fields_are_refused_with_a_reason(client, config, database, networks, fields, message):
    with open(networks["good0"], "rb") as handle:
        response = client.post("/api/networks", data={**fields, "file": (handle, "net.h5")})
    assert response.status_code == 400
    assert message in response.get_json()["reason"]
    assert_nothing_left(config, database)


def test_a_request_without_a_file_or_not_multipart_is_malformed(client, config, database):
    assert client.post("/api/networks", data={"team": "a", "name": "b"}).status_code == 400
    response = client.post("/api/networks", data="garbage", content_type="application/octet-stream")
    assert response.status_code == 400
    assert client.post("/api/networks", data=b"\xff\xfe\x00", content_type="multipart/form-data; boundary=x") \
        .status_code == 400
    assert_nothing_left(config, database)


def test_the_rate_limit_counts_every_upload_from_an_address(make_config, networks):
    from golois.tournament.app import create_app

    app = create_app(make_config(uploads_per_hour=2))
    client = app.test_client()
    assert upload(client, networks["not-hdf5"], team="a").status_code == 422
    assert upload(client, networks["good0"], team="b").status_code == 201
    response = upload(client, networks["good1"], team="c")
    assert response.status_code == 429 and "too many uploads" in response.get_json()["reason"]
    stop_services(app)


def test_a_class_token_set_by_the_admin_is_needed(client, networks):
    login = client.post("/admin/login", data={"password": "teacher-secret"})
    assert login.status_code == 302
    assert client.post("/admin/class-token", data={"class_token": "sesame"}).status_code == 302
    assert upload(client, networks["good0"]).status_code == 403
    assert upload(client, networks["good0"], class_token="wrong").status_code == 403
    assert upload(client, networks["good0"], class_token="sesame").status_code == 201


def test_concurrent_uploads_are_all_recorded_once(app, config, database, networks):
    """Eight uploads at once, four of them to the same team and name."""
    results: list[tuple[int, dict]] = []

    def send(index: int) -> None:
        client = app.test_client()
        team, name = ("same", "same") if index < 4 else (f"team{index}", "net")
        response = upload(client, networks[f"good{index % 3}"], team=team, name=name)
        results.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(code for code, _ in results)
    # The first upload of team "same" creates it; the others of that team come without its key: refused at once
    # (403) when the team exists already, or at their verdict (422) when it was created while they waited.
    assert codes.count(201) == 5 and all(code in (403, 422) for code in codes if code != 201), results
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Team)) == 6
        versions = session.scalars(select(NetworkVersion)).all()
        assert len(versions) == 6
        assert len({(v.network_id, v.number) for v in versions}) == 6
        store = NetworkStore(config.networks_dir)  # a refused twin never takes back a file a version records
        assert all(store.has(v.sha256) for v in versions)


def test_the_store_takes_the_same_file_from_many_threads_at_once(tmp_path):
    """Threads of one process storing the same content: each ends with the one whole file, no leftovers."""
    store = NetworkStore(tmp_path / "networks")
    content = bytes(range(256)) * 4096
    sources = []
    for index in range(16):
        source = tmp_path / f"incoming{index}.h5"
        source.write_bytes(content)
        sources.append(source)
    barrier = threading.Barrier(len(sources))
    digests, errors = [], []

    def add(source: Path) -> None:
        barrier.wait()
        try:
            digests.append(store.add(source))
        except OSError as error:  # the failure this test guards against
            errors.append(error)

    threads = [threading.Thread(target=add, args=(source,)) for source in sources]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(set(digests)) == 1 and len(digests) == len(sources)
    assert store.path(digests[0]).read_bytes() == content
    assert [p.name for p in store.path(digests[0]).parent.iterdir()] == [f"{digests[0]}.h5"]
    assert not any(source.exists() for source in sources)


def test_a_team_deactivates_its_own_network_with_its_key(client, networks):
    body = upload(client, networks["good0"], team="t", name="n").get_json()
    network_id = body["network"]["id"]
    assert client.post(f"/api/networks/{network_id}/deactivate", data={"key": "nope"}).status_code == 403
    response = client.post(f"/api/networks/{network_id}/deactivate", data={"key": body["team_key"]})
    assert response.status_code == 200 and response.get_json()["active"] is False


# The course files as they are: the verdicts the README of ../shared/models gives.
SHARED_VERDICTS = {
    "cocorigo-shufflenet.h5": (201, None),
    "cocorigo-resnet.h5": (201, None),
    "gonet-test-small.h5": (201, None),
    "gonet-mixnet-tfoplambda.h5": (201, None),
    "gonet-convnext-legacy-depthwise.h5": (201, None),
    "cocorigo-mobilenet-110k-over-limit.h5": (422, "108,981 trainable parameters, 8,981 over the limit of 100,000"),
    "cocorigo-unet-bad-policy-shape.h5": (422, "outputs of sizes [64, 1]"),
    "iasd-21-planes-wrong-input.h5": (422, "31 planes"),
}


@pytest.mark.skipif(not SHARED_MODELS.is_dir(), reason="../shared/models is not here")
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_course_file_gets_the_verdict_its_readme_gives(client, config, database):
    assert sorted(SHARED_VERDICTS) == sorted(p.name for p in SHARED_MODELS.glob("*.h5"))
    for name, (status, reason) in SHARED_VERDICTS.items():
        response = upload(client, SHARED_MODELS / name, team=Path(name).stem[:40], name="net")
        body = response.get_json()
        assert response.status_code == status, (name, body["reason"])
        if reason:
            assert reason in body["reason"], (name, body["reason"])
    assert count_rows(database, NetworkVersion) == 1 + 5


def test_the_checker_takes_a_relative_path(networks, tmp_path, monkeypatch, test_sandbox):
    from golois.tournament.sandbox import choose_sandbox
    from golois.tournament.upload_check import CheckLimits, check_upload, discard

    monkeypatch.chdir(networks["good0"].parent)
    verdict = check_upload(Path(networks["good0"].name), choose_sandbox(test_sandbox), CheckLimits(), tmp_path)
    assert verdict.accepted, verdict.reason
    assert verdict.canonical is not None and verdict.canonical.is_file()
    discard(verdict)
    assert list(tmp_path.iterdir()) == []


def test_a_new_start_puts_back_a_lost_bundled_file_without_recording_it_again(app, config, database):
    from golois.tournament.sandbox import get_sandbox
    from golois.tournament.uploads import register_bundled_network

    (bundled,) = stored_files(config)
    messages: list[str] = []
    with app.app_context():
        register_bundled_network(database, config, get_sandbox(), log=messages.append)
        assert messages == []  # recorded and stored: nothing to do
        bundled.unlink()  # e.g. the data folder restored from an old backup
        register_bundled_network(database, config, get_sandbox(), log=messages.append)
    assert stored_files(config) == [bundled]  # the canonical file written again: the same bytes
    assert len(messages) == 1
    assert count_rows(database, NetworkVersion) == 1
