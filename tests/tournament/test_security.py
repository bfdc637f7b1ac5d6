"""The server given to a class: admin sessions and sign-in throttling, headers, ids, e-mail fields, rate limits
that hold under concurrency, the check queue's cap and its restart, the open games per visitor."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from conftest import ADMIN_PASSWORD, upload, wait_for
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import func, select, update
from test_uploads import no_upload_waiting

from golois.tournament.app import create_app, stop_services
from golois.tournament.db import Database
from golois.tournament.domain import CheckStatus
from golois.tournament.leases import this_host
from golois.tournament.models import NetworkVersion, PlayGame, Team, UploadCheck
from golois.tournament.rate_limit import Limit, take


def forged_cookie(app, data: dict) -> str:
    """A session cookie signed with the server's secret key, as a student who had stolen it would make."""
    return SecureCookieSessionInterface().get_signing_serializer(app).dumps(data)


def test_a_forged_admin_flag_opens_nothing_even_with_the_secret_key(app, client):
    client.set_cookie("session", forged_cookie(app, {"admin": True}))
    assert 'name="password"' in client.get("/admin/").data.decode()  # the sign-in form, not the dashboard
    assert client.post("/admin/class-token", data={"class_token": "x"}).status_code == 302
    with app.app_context():
        from golois.tournament.db import get_session
        from golois.tournament.models import Setting
        assert Setting.read(get_session(), "class_token") is None


def test_a_new_password_or_signing_out_everywhere_ends_every_admin_session(make_config):
    config = make_config()
    app = create_app(config)
    first, second = app.test_client(), app.test_client()
    for client in (first, second):
        assert client.post("/admin/login", data={"password": ADMIN_PASSWORD}).status_code == 302
        assert "Sign out everywhere" in client.get("/admin/").data.decode()
    assert first.post("/admin/logout-everywhere").status_code == 302
    assert 'name="password"' in second.get("/admin/").data.decode()  # the other session is over too
    assert second.post("/admin/login", data={"password": ADMIN_PASSWORD}).status_code == 302
    stop_services(app)
    config.admin_password = "a new password"  # the server restarted with another password, same secret key
    again = create_app(config)
    cookie = second.get_cookie("session")
    third = again.test_client()
    third.set_cookie("session", cookie.value)
    assert 'name="password"' in third.get("/admin/").data.decode()
    stop_services(again)


def test_signing_in_is_throttled_per_address(client):
    codes = [client.post("/admin/login", data={"password": f"guess{i}"}).status_code for i in range(12)]
    assert codes[:10] == [403] * 10 and codes[10:] == [429, 429]
    # Even the right password waits now: guessing gains nothing.
    response = client.post("/admin/login", data={"password": ADMIN_PASSWORD})
    assert response.status_code == 429 and "too many sign-in attempts" in response.data.decode()


def test_every_answer_carries_the_security_headers(client):
    for path in ("/", "/upload", "/api/networks", "/no-such-page"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "same-origin"


def test_no_page_has_an_inline_script_or_style(client):
    import re

    for path in ("/", "/upload", "/networks", "/play", "/admin/", "/tournaments"):
        page = client.get(path).data.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), path
        assert " style=" not in page and " onclick=" not in page, path


def test_secure_cookies_when_the_site_is_https(make_config):
    app = create_app(make_config(site_url="https://go.example"))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert "Strict-Transport-Security" in app.test_client().get("/").headers
    stop_services(app)


def test_behind_a_trusted_proxy_the_rate_limit_sees_the_client(make_config, networks):
    app = create_app(make_config(trusted_proxies=1, uploads_per_hour=1))
    client = app.test_client()
    for address in ("203.0.113.1", "203.0.113.2"):  # two students behind the same proxy, one upload each
        with open(networks["not-hdf5"], "rb") as handle:
            response = client.post("/api/networks?wait=60", headers={"X-Forwarded-For": address},
                                   data={"team": f"t{address[-1]}", "name": "n", "file": (handle, "n.h5")})
        assert response.status_code == 422, response.get_json()
    with app.extensions["golois_db"].session() as session:
        assert sorted(session.scalars(select(UploadCheck.address))) == ["203.0.113.1", "203.0.113.2"]
    stop_services(app)


@pytest.mark.parametrize("path", ["/networks/99999999999999999999999", "/api/networks/99999999999999999999999",
                                  "/games/99999999999999999999999", "/tournaments/2147483648"])
def test_an_id_no_column_can_hold_is_404(client, path):
    assert client.get(path).status_code == 404


def test_starting_a_game_with_a_huge_network_id_is_404(client):
    assert client.post("/play", data={"version": "9" * 23}).status_code == 404


@pytest.mark.parametrize("email", ["a@b.c\nBcc: x@y.example", "a@b.example, c@d.example", "no-at-sign", "x@y"])
def test_an_email_field_holds_one_valid_address(client, config, networks, email):
    response = upload(client, networks["good0"], team="mail", email=email)
    assert response.status_code == 400 and "e-mail address is not valid" in response.get_json()["reason"]
    no_upload_waiting(config)


def test_a_valid_address_is_stored_normalised(client, database, networks):
    assert upload(client, networks["good0"], team="mail", email=" Student@Example.COM ").status_code == 201
    with database.session() as session:
        assert session.scalar(select(Team.email).where(Team.name == "mail")) == "Student@example.com"


def test_the_rate_limit_lets_exactly_its_limit_through_at_once(database_url):
    database = Database(database_url)
    database.upgrade()
    limit = Limit(30, 3600, "uploads from this address")
    barrier = threading.Barrier(45)
    passed: list[bool] = []

    def attempt() -> None:
        barrier.wait()
        passed.append(take(database, "upload:address:198.51.100.7", limit))

    threads = [threading.Thread(target=attempt) for _ in range(45)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(passed) == 30 and len(passed) == 45
    assert take(database, "upload:address:198.51.100.8", limit)  # another address has its own bucket
    database.dispose()


def test_the_team_rate_limit_counts_uploads_for_a_team_from_any_address(make_config, networks):
    app = create_app(make_config(team_uploads_per_hour=1))
    client = app.test_client()
    key = upload(client, networks["good0"], team="busy").get_json()["team_key"]
    response = upload(client, networks["good1"], team="busy", name="n2", key=key)
    assert response.status_code == 429 and "uploads for this team" in response.get_json()["reason"]
    stop_services(app)


def test_the_api_answers_at_once_and_the_check_can_be_followed(client, networks):
    with open(networks["good0"], "rb") as handle:
        response = client.post("/api/networks", data={"team": "quick", "name": "n", "file": (handle, "n.h5")})
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] in ("queued", "running") and response.headers["Location"] == body["url"]
    final = client.get(f"/api/checks/{body['token']}?wait=120").get_json()
    assert final["status"] == "accepted" and final["network"]["label"] == "quick/n"
    assert len(final["team_key"]) >= 20
    assert "team_key" not in client.get(f"/api/checks/{body['token']}").get_json()
    assert client.get("/api/checks/not-a-token").status_code == 404
    assert client.get(f"/api/checks/{body['token']}?wait=soon").status_code == 400


def test_the_same_file_again_gets_its_verdict_without_a_second_check(client, database, networks):
    first = upload(client, networks["21-planes"], team="again").get_json()
    second = upload(client, networks["21-planes"], team="again2").get_json()
    assert first["status"] == second["status"] == "refused" and first["reason"] == second["reason"]
    with database.session() as session:
        runs = session.scalars(select(UploadCheck.started_at).order_by(UploadCheck.id)).all()
    assert len(runs) == 2


def test_no_more_checks_at_once_than_the_machine_allows(tmp_path):
    from golois.tournament.check_queue import MachineSlots

    slots = MachineSlots(tmp_path / "slots", 2)
    other = MachineSlots(tmp_path / "slots", 2)  # another server process on the machine
    with slots.hold() as first, other.hold() as second, other.hold() as third:
        assert {first, second} == {0, 1} and third is None
    with other.hold() as again:
        assert again is not None


def test_a_check_cut_short_by_a_restart_runs_again(make_config, networks):
    config = make_config(check_workers=0)  # a server whose checkers are not running yet
    app = create_app(config)
    client = app.test_client()
    with open(networks["good0"], "rb") as handle:
        token = client.post("/api/networks", data={"team": "restart", "name": "n", "file": (handle, "n.h5")}) \
            .get_json()["token"]
    database = app.extensions["golois_db"]
    with database.session() as session:  # as if a checker of this machine had died in the middle
        session.execute(update(UploadCheck).where(UploadCheck.token == token).values(
            status=CheckStatus.RUNNING.value, attempt=1, runner=f"{this_host()}:999999999:dead",
            checks=[{"name": "HDF5 file", "ok": True, "detail": "..."}]))
    stop_services(app)
    config.check_workers = 2
    restarted = create_app(config)
    body = restarted.test_client().get(f"/api/checks/{token}?wait=120").get_json()
    assert body["status"] == "accepted", body
    assert [c["name"] for c in body["checks"]][-1] == "held-out scores"
    with database.session() as session:
        assert session.scalar(select(UploadCheck.attempt).where(UploadCheck.token == token)) == 2
    no_upload_waiting(config)
    stop_services(restarted)


def test_a_visitor_may_have_two_games_open(app, client, database):
    with database.session() as session:
        version_id = session.scalar(select(func.min(NetworkVersion.id)))  # the bundled network
    codes = [client.post("/play", data={"version": version_id, "colour": "B"}).status_code for _ in range(3)]
    assert codes == [302, 302, 429]
    assert "2 games open" in client.post("/play", data={"version": version_id}).data.decode()
    with database.session() as session:  # a game left alone long enough no longer counts
        session.execute(update(PlayGame).values(updated_at=PlayGame.updated_at - dt.timedelta(hours=1)))
    assert client.post("/play", data={"version": version_id, "colour": "B"}).status_code == 302


def test_waiting_for_a_verdict_holds_no_transaction(client, networks):
    """A curl user's ?wait= polls with short reads; the page answers meanwhile."""
    results = []
    thread = threading.Thread(target=lambda: results.append(upload(client, networks["good1"], team="w")))
    thread.start()
    start = time.monotonic()
    wait_for(lambda: client.get("/").status_code == 200, timeout=10)
    assert time.monotonic() - start < 10
    thread.join()
    assert results[0].status_code == 201
