"""The production start as the README gives it (`golois serve --workers 4`), on a fresh data folder with SQLite
and with a real PostgreSQL, under load on loopback: 20 uploads at once while pages are loaded."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import h5py
import pytest
from conftest import _free_port, wait_for
from sqlalchemy import func, select

from golois.tournament.db import Database
from golois.tournament.models import Network, NetworkVersion, Team, UploadCheck

requests = pytest.importorskip("requests")
UPLOADS = 20
PAGES = ("/", "/networks", "/upload", "/tournaments", "/api/networks")


def distinct_copies(source: Path, folder: Path, count: int) -> list[Path]:
    """`count` files of the same network, each with its own bytes (an attribute), so each is checked."""
    copies = []
    for index in range(count):
        path = folder / f"copy{index}.h5"
        path.write_bytes(source.read_bytes())
        with h5py.File(path, "r+") as h5:
            h5.attrs["copy"] = index
        copies.append(path)
    return copies


def test_concurrent_migrations_on_a_fresh_database_all_succeed(database_url, tmp_path):
    """What gunicorn's workers did at once and failed ('table ... already exists'): now one at a time."""
    code = f"from golois.tournament.db import Database; Database({database_url!r}).upgrade()"
    processes = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
                 for _ in range(4)]
    errors = [p.communicate(timeout=120)[1] for p in processes]
    assert [p.returncode for p in processes] == [0] * 4, errors


def test_the_production_start_holds_under_load(database_url, tmp_path, networks, conversion_cache, test_sandbox):
    port = _free_port()
    env = os.environ | {"GOLOIS_DATA": str(tmp_path / "site"), "GOLOIS_CACHE": str(conversion_cache),
                        "DATABASE_URL": database_url, "GOLOIS_SANDBOX": test_sandbox, "GOLOIS_ADMIN_PASSWORD": "pw"}
    server = subprocess.Popen([sys.executable, "-m", "golois.cli", "serve", "--workers", "4", "--port", str(port)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    files = distinct_copies(networks["good0"], tmp_path, UPLOADS)
    try:
        def up() -> bool:
            if server.poll() is not None:
                raise AssertionError(server.stdout.read())
            try:
                return requests.get(f"{base}/networks", timeout=5).ok
            except requests.ConnectionError:
                return False
        wait_for(up, timeout=180, what="the server")

        def send(index: int) -> dict:
            with open(files[index], "rb") as handle:
                response = requests.post(f"{base}/api/networks", files={"file": handle}, timeout=30,
                                         data={"team": f"load{index}", "name": "net"})
            assert response.status_code == 202, response.text
            return response.json()

        started = time.monotonic()
        with ThreadPoolExecutor(UPLOADS) as pool:
            queued = list(pool.map(send, range(UPLOADS)))
        latencies: list[float] = []
        deadline = time.monotonic() + 900

        def all_checked() -> bool:
            return all(requests.get(q["url"], timeout=10).json()["status"] in ("accepted", "refused") for q in queued)

        with ThreadPoolExecutor(8) as pool:
            while time.monotonic() < deadline:
                def load(path: str) -> float:
                    start = time.perf_counter()
                    response = requests.get(base + path, timeout=30)
                    assert response.status_code == 200, (path, response.status_code)
                    return time.perf_counter() - start
                latencies += pool.map(load, PAGES * 2)
                if all_checked():
                    break
        checking = time.monotonic() - started
        verdicts = [requests.get(q["url"], timeout=10).json() for q in queued]
    finally:
        server.terminate()
        output = server.communicate(timeout=60)[0]
    assert [v["status"] for v in verdicts] == ["accepted"] * UPLOADS, [v["reason"] for v in verdicts]
    p95 = statistics.quantiles(latencies, n=20)[-1]
    print(f"\n{database_url.split(':')[0]}: {UPLOADS} uploads checked in {checking:.0f} s "
          f"({UPLOADS * 60 / checking:.1f} checks a minute); {len(latencies)} page loads meanwhile: median "
          f"{statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")
    assert p95 < 1.0, sorted(latencies)[-10:]
    assert "upload checks:" in output and "4 workers" in output
    database = Database(database_url)
    with database.session() as session:
        counts = [session.scalar(select(func.count()).select_from(model))
                  for model in (Team, Network, NetworkVersion, UploadCheck)]
    database.dispose()
    assert counts == [1 + UPLOADS, 1 + UPLOADS, 1 + UPLOADS, UPLOADS]  # the bundled network once, no duplicates
