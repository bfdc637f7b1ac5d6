"""`golois serve` and `golois tournament run` as a user starts them; the schema and its migrations."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
import urllib.request

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import _free_port, wait_for

from golois.errors import GoloisError
from golois.tournament.config import ENVIRONMENT, ServerConfig
from golois.tournament.db import Database
from golois.tournament.models import Base


def test_the_migrations_build_exactly_the_models_schema(database_url):
    database = Database(database_url)
    database.upgrade()
    database.upgrade()  # a second start changes nothing
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    database.dispose()
    assert differences == []


def test_golois_serve_starts_on_the_embedded_default(tmp_path, conversion_cache):
    port = _free_port()
    env = os.environ | {"GOLOIS_DATA": str(tmp_path / "site"), "GOLOIS_CACHE": str(conversion_cache)}
    env.pop("DATABASE_URL", None)
    env.pop("GOLOIS_ADMIN_PASSWORD", None)
    server = subprocess.Popen([sys.executable, "-m", "golois.cli", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def page() -> bytes | None:
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/networks", timeout=5).read()
            except OSError:
                if server.poll() is not None:
                    raise AssertionError(server.stdout.read()) from None
                return None
        assert b"golois/default" in wait_for(page, timeout=120, what="the server")
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert (tmp_path / "site" / "golois.db").is_file()
    assert "admin actions are off" in output


def test_tournament_run_says_what_is_missing(tmp_path, conversion_cache):
    env = os.environ | {"GOLOIS_CACHE": str(conversion_cache)}
    env.pop("DATABASE_URL", None)
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "golois.cli", "tournament", "run", "--data", str(tmp_path / "d"),
                             "--playouts", "2"], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "Error: a tournament needs at least 2 active networks; there are 1" in result.stderr
    assert "Traceback" not in result.stderr
    both = subprocess.run([sys.executable, "-m", "golois.cli", "tournament", "run", "--time", "1", "--playouts", "2"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert both.returncode == 2 and "--time or --playouts" in both.stderr
    assert time.monotonic() - start < 300


def test_the_benches_report_beside_their_baselines(networks, test_sandbox):
    from golois.tournament.bench import bench_tournament, bench_upload

    if test_sandbox == "bubblewrap":  # the upload bench measures the sandbox against its absence
        upload = bench_upload([networks["good0"], networks["21-planes"]], log=lambda m: None)
        assert [row["accepted"] for row in upload["files"]] == [True, False]
        assert upload["median_check_s"] > 0 and upload["baseline"]["median_s"] > 0 and upload["ratio"] > 0
        assert upload["keras_load"]["median_s"] > 0
    play = bench_tournament([networks["good0"], networks["good1"]], seconds_per_move=0.05, games_per_pair=2,
                            parallel=2, max_moves=20, log=lambda m: None)
    assert play["games"] == 2 and 0 < play["moves"] <= 40 and 0 < play["baseline"]["moves"] <= 40
    assert play["games_per_hour"] > 0 and play["baseline"]["games_per_hour"] > 0 and play["speedup"] > 0


def test_the_environment_sets_the_servers_settings_and_unset_ones_keep_their_defaults(tmp_path, monkeypatch):
    for _setting, (variable, _convert) in ENVIRONMENT.items():
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("GOLOIS_SMTP_HOST", "")  # empty: as if unset
    defaults = ServerConfig(tmp_path)
    assert dataclasses.asdict(ServerConfig.from_environment(tmp_path)) == dataclasses.asdict(defaults)
    for variable, value in {"GOLOIS_PLAY_ENGINES": "5", "GOLOIS_LEASE_SECONDS": "12.5", "GOLOIS_SMTP_PORT": "2525",
                            "GOLOIS_SMTP_STARTTLS": "yes", "GOLOIS_CACHE": "off", "GOLOIS_BROKER": "redis://h"}.items():
        monkeypatch.setenv(variable, value)
    config = ServerConfig.from_environment(tmp_path, broker="redis://other")
    assert (config.play_engines, config.lease_seconds, config.smtp_port, config.smtp_starttls) == (5, 12.5, 2525, True)
    assert config.cache_dir == tmp_path.resolve() / "cache" and config.broker == "redis://other"
    monkeypatch.setenv("GOLOIS_PLAY_ENGINES", "two")
    with pytest.raises(GoloisError, match="GOLOIS_PLAY_ENGINES='two' is not a valid int"):
        ServerConfig.from_environment(tmp_path)
