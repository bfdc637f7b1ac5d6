"""Tournaments across machines, measured on one machine: games per hour with one worker and with two,
and what a worker's death costs. Needs redis-server and PostgreSQL (as the tests do).

    python tools/measure_workers.py [--time 0.1] [--games-per-pair 6] [--out results/tournament/workers.json]

Each run: a fresh PostgreSQL database and Redis, the bundled network against itself (two entries), a
server for the network files, N workers (`golois worker`, one game at a time each) and the
dispatcher (`golois tournament run --broker`). The death run kills one of two workers in the middle of
a game and reports how long the tournament took against the same run without a death.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "tournament"))

from conftest import LiveServer, PostgresServer, _free_port, _postgres_bin  # noqa: E402
from sqlalchemy import select  # noqa: E402

from golois.network import DEFAULT_NETWORK  # noqa: E402
from golois.tournament.app import create_app  # noqa: E402
from golois.tournament.bench import _register  # noqa: E402
from golois.tournament.config import ServerConfig  # noqa: E402
from golois.tournament.models import Game, Worker  # noqa: E402

TOKEN = "measure"
LEASE = "20"


def run(postgres: PostgresServer, workers: int, seconds: float, per_pair: int, kill: bool) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="golois-workers-"))
    port = _free_port()
    redis = subprocess.Popen([shutil.which("redis-server"), "--port", str(port), "--save", "", "--appendonly", "no",
                              "--dir", str(folder)], stdout=subprocess.DEVNULL)
    config = ServerConfig(folder / "server", database_url=postgres.new_database(), worker_token=TOKEN,
                          play_engines=0, scheduler=False)
    app = create_app(config)
    database = app.extensions["golois_db"]
    _register(database, config, [DEFAULT_NETWORK, DEFAULT_NETWORK])
    server = LiveServer(app)
    broker = f"redis://127.0.0.1:{port}/0"
    env = os.environ | {"DATABASE_URL": config.database_url, "GOLOIS_LEASE_SECONDS": LEASE}
    procs = [subprocess.Popen([sys.executable, "-m", "golois.cli", "worker", "--broker", broker, "--server",
                               server.url, "--token", TOKEN, "--concurrency", "1", "--data", str(folder / f"w{i}")],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
             for i in range(workers)]
    time.sleep(20)  # the workers measure their speed and join
    start = time.perf_counter()
    dispatcher = subprocess.Popen([sys.executable, "-m", "golois.cli", "tournament", "run", "--data",
                                   str(config.data_dir), "--broker", broker, "--time", f"{seconds:g}",
                                   "--games-per-pair", str(per_pair), "--quiet"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killed_at = None
    if kill:
        while killed_at is None:
            time.sleep(1)
            with database.session() as session:
                first = session.scalar(select(Worker.name).where(Worker.name.like(f"%:{procs[0].pid}:%")))
                busy = first and session.scalar(select(Game.id).where(Game.runner == first, Game.status == "running"))
            if busy:
                time.sleep(10)  # well into the game
                os.killpg(procs[0].pid, signal.SIGKILL)
                killed_at = time.perf_counter() - start
    dispatcher.wait()
    elapsed = time.perf_counter() - start
    with database.session() as session:
        games = session.scalars(select(Game)).all()
        moves = sum(g.moves for g in games)
        attempts = sum(g.attempt for g in games)
        speeds = [w.playouts_per_cpu_second for w in session.scalars(select(Worker))]
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    server.stop()
    database.dispose()
    redis.terminate()
    shutil.rmtree(folder, ignore_errors=True)
    return {"workers": workers, "killed_one": kill, "games": len(games), "moves": moves, "seconds": round(elapsed, 1),
            "games_per_hour": round(len(games) * 3600 / elapsed, 1), "moves_per_hour": round(moves * 3600 / elapsed),
            "claims": attempts, "killed_at_s": round(killed_at, 1) if killed_at else None,
            "worker_speeds": [round(s) for s in speeds]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time", type=float, default=0.1)
    parser.add_argument("--games-per-pair", type=int, default=6)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    postgres = PostgresServer(_postgres_bin())
    try:
        results = [run(postgres, workers, args.time, args.games_per_pair, kill)
                   for workers, kill in ((1, False), (2, False), (2, True))]
    finally:
        postgres.stop()
    text = json.dumps({"seconds_per_move": args.time, "lease_seconds": int(LEASE), "runs": results}, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
