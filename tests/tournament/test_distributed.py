"""Tournaments across machines: a real Redis broker, a real PostgreSQL database, two workers, one killed."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import LiveServer, _free_port, add_network, wait_for
from sqlalchemy import select

from golois.tournament.app import stop_services
from golois.tournament.distributed import QUEUE
from golois.tournament.models import Game, Tournament, Worker

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
TOKEN = "worker-secret"


@pytest.fixture
def redis_url(tmp_path):
    pytest.importorskip("celery")
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    port = _free_port()
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    wait_for(lambda: _ping(redis.Redis(port=port)), timeout=30, what="redis-server")
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait()


def _ping(client) -> bool:
    try:
        return client.ping()
    except Exception:  # noqa: BLE001 - not up yet
        return False


@pytest.fixture
def server(make_config):
    from golois.tournament.app import create_app

    config = make_config(worker_token=TOKEN, play_engines=0)
    app = create_app(config)
    live = LiveServer(app)
    yield config, app.extensions["golois_db"], live
    live.stop()
    stop_services(app)


def _env(config) -> dict[str, str]:
    return os.environ | {"DATABASE_URL": config.database_url, "GOLOIS_LEASE_SECONDS": "10"}


def start_worker(folder: Path, broker: str, url: str, config) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "golois.cli", "worker", "--broker", broker, "--server", url,
                             "--token", TOKEN, "--concurrency", "1", "--data", str(folder)], env=_env(config),
                            stdout=subprocess.DEVNULL, stderr=open(folder.with_suffix(".log"), "w"),  # noqa: SIM115
                            start_new_session=True)


def start_dispatcher(config, broker: str, max_moves: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "golois.cli", "tournament", "run", "--data", str(config.data_dir),
                             "--broker", broker, "--playouts", "2", "--max-moves", str(max_moves), "--quiet",
                             "--no-judge"],
                            env=_env(config), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def finish(dispatcher: subprocess.Popen, timeout: float) -> None:
    _out, err = dispatcher.communicate(timeout=timeout)
    assert dispatcher.returncode == 0, err[-3000:]


def stop(*processes: subprocess.Popen | None) -> None:
    """Kills what is still running, with its engines (each runs in a process group of its own)."""
    for process in processes:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_two_workers_one_killed_every_game_recorded_exactly_once(server, redis_url, networks, tmp_path):
    config, database, live = server
    for i in range(3):
        add_network(database, config, networks[f"good{i}"], f"team{i}")
    workers = [start_worker(tmp_path / f"worker{i}", redis_url, live.url, config) for i in range(2)]
    dispatcher = start_dispatcher(config, redis_url, max_moves=200)
    try:
        def a_game_in_progress_on_the_first_worker():
            with database.session() as session:
                names = {w.name.split(":")[1]: w.name for w in session.scalars(select(Worker))}
                first = names.get(str(workers[0].pid))
                if first is None:
                    return None
                game = session.scalar(select(Game).where(Game.status == "running", Game.runner == first))
                return (first, game.id) if game else None
        victim, interrupted = wait_for(a_game_in_progress_on_the_first_worker, timeout=300,
                                       what="a game on the first worker")
        os.killpg(workers[0].pid, signal.SIGKILL)  # the worker and its engines die mid-game
        workers[0].wait()
        finish(dispatcher, timeout=600)
    finally:
        stop(*workers, dispatcher)
    with database.session() as session:
        tournament = session.scalar(select(Tournament))
        games = session.scalars(select(Game).where(Game.tournament_id == tournament.id)).all()
        survivor = session.scalars(select(Worker.name).where(Worker.name != victim)).all()
    assert tournament.status == "finished"
    assert len(games) == 12 and all(g.status == "finished" and g.sgf for g in games)
    replayed = next(g for g in games if g.id == interrupted)
    assert replayed.attempt >= 2 and replayed.runner in survivor  # played again, to the end, elsewhere
    # The workers fetched the networks from the server (no shared disk) and kept them by hash.
    fetched = {p.stem for p in (tmp_path / "worker1" / "networks").glob("*.h5")}
    assert len(fetched) >= 2
    page = live_page(live.url + "/workers")
    assert "Playouts / CPU s" in page and victim in page


def test_games_whose_messages_were_lost_before_any_claim_are_sent_again(server, redis_url, networks, tmp_path):
    # As when the worker they were delivered to dies before claiming them: the messages are gone,
    # the games are still pending and no lease will ever run out for them.
    import redis

    config, database, live = server
    add_network(database, config, networks["good0"], "team0")
    dispatcher = start_dispatcher(config, redis_url, max_moves=60)
    broker = redis.Redis.from_url(redis_url)
    worker = None
    try:
        wait_for(lambda: broker.llen(QUEUE) == 2, timeout=120, what="the two games' messages")
        broker.delete(QUEUE)
        worker = start_worker(tmp_path / "worker", redis_url, live.url, config)
        finish(dispatcher, timeout=300)
    finally:
        stop(worker, dispatcher)
    with database.session() as session:
        games = session.scalars(select(Game)).all()
    assert len(games) == 2 and all(g.status == "finished" and g.sgf for g in games)


def live_page(url: str) -> str:
    import urllib.request

    return urllib.request.urlopen(url, timeout=30).read().decode()


def test_the_network_files_need_the_worker_token(server, networks):
    import urllib.error
    import urllib.request

    config, database, live = server
    add_network(database, config, networks["good0"], "team0")
    from golois.files import sha256_file

    sha = sha256_file(networks["good0"])
    for headers, code in (({}, 403), ({"Authorization": "Bearer wrong"}, 403)):
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(urllib.request.Request(f"{live.url}/api/worker/networks/{sha}", headers=headers))
        assert caught.value.code == code
    request = urllib.request.Request(f"{live.url}/api/worker/networks/{sha}",
                                     headers={"Authorization": f"Bearer {TOKEN}"})
    assert urllib.request.urlopen(request).read() == networks["good0"].read_bytes()
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(urllib.request.Request(f"{live.url}/api/worker/networks/{'0' * 64}",
                                                      headers={"Authorization": f"Bearer {TOKEN}"}))
    assert caught.value.code == 404


def test_with_a_broker_uploads_are_checked_on_the_workers(make_config, redis_url, networks, tmp_path):
    """The server sends each check to the task queue; a worker fetches the upload, checks it in its own
    sandbox and sends back the verdict and the canonical file, which the server audits and records."""
    import requests

    from golois.tournament.app import create_app
    from golois.tournament.check_tasks import CheckDispatcher
    from golois.tournament.models import NetworkVersion, UploadCheck
    from golois.tournament.storage import NetworkStore

    config = make_config(worker_token=TOKEN, broker=redis_url)
    app = create_app(config)
    assert isinstance(app.extensions["golois_checks"], CheckDispatcher)
    live = LiveServer(app)
    database = app.extensions["golois_db"]
    worker = start_worker(tmp_path / "worker", redis_url, live.url, config)
    try:
        answers = {}
        for name in ("good0", "21-planes"):
            with open(networks[name], "rb") as handle:
                response = requests.post(f"{live.url}/api/networks?wait=5", files={"file": handle}, timeout=60,
                                         data={"team": f"remote-{name}", "name": "n"})
            assert response.status_code in (201, 202, 422), response.text
            answers[name] = requests.get(f"{response.json()['url']}?wait=120", timeout=180).json()
        if answers["good0"]["status"] not in ("accepted", "refused"):
            answers["good0"] = requests.get(f"{answers['good0']['url']}?wait=120", timeout=180).json()
    finally:
        stop(worker)
        live.stop()
        stop_services(app)
    assert answers["good0"]["status"] == "accepted", (answers, (tmp_path / "worker.log").read_text()[-3000:])
    assert answers["21-planes"]["status"] == "refused" and "31 planes" in answers["21-planes"]["reason"]
    with database.session() as session:
        runners = set(session.scalars(select(UploadCheck.runner)))
        workers = set(session.scalars(select(Worker.name)))
        version = session.scalar(select(NetworkVersion).where(NetworkVersion.id == answers["good0"]["network"]
                                                               ["current_version"]["id"]))
    assert runners <= workers and runners  # checked by the worker, not by the server
    assert NetworkStore(config.networks_dir).has(version.sha256)  # the canonical file the worker sent
    assert list(config.incoming_dir.iterdir()) == []
