"""Fixtures of the tournament server's tests: a fresh application and database per test (SQLite, and
a real PostgreSQL server that the tests start), tiny networks that meet the contract or break it."""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import h5py
import pytest

from golois.tournament.config import ServerConfig
from golois.tournament.storage import NetworkStore

SHARED_MODELS = Path(__file__).resolve().parents[3] / "shared" / "models"
ADMIN_PASSWORD = "teacher-secret"


# ---------------------------------------------------------------- PostgreSQL


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresServer:
    """A throw-away PostgreSQL cluster on a Unix socket, run as the `postgres` user when we are root."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="golois-pg-", dir="/tmp"))
        self.data, self.socket_dir = self.root / "data", self.root / "socket"
        self.socket_dir.mkdir()
        self.user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.socket_dir, "postgres")
        self.port = _free_port()
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", self.user, "--no-sync")
        self._run("pg_ctl", "-D", str(self.data), "-w", "-l", str(self.root / "log"), "-o",
                  f"-k {self.socket_dir} -p {self.port} -c listen_addresses='' -c fsync=off", "start")
        self.count = 0

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def new_database(self) -> str:
        self.count += 1
        name = f"golois_test_{self.count}"
        self._run("createdb", "-h", str(self.socket_dir), "-p", str(self.port), "-U", self.user, name)
        return f"postgresql+psycopg://{self.user}@/{name}?host={self.socket_dir}&port={self.port}"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    pytest.importorskip("psycopg")
    server = PostgresServer(bin_dir)
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test runs on a fresh SQLite file and on a fresh database of a real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("postgres_server").new_database()


# ---------------------------------------------------------------- the application


@pytest.fixture(scope="session")
def test_sandbox() -> str:
    """bubblewrap where it works here (the tests of the sandbox itself are skipped elsewhere), else none."""
    from golois.tournament.sandbox import Isolation, choose_sandbox

    return "bubblewrap" if choose_sandbox("auto").isolation is Isolation.BUBBLEWRAP else "none"


@pytest.fixture
def make_config(tmp_path: Path, database_url: str, conversion_cache: Path,
                test_sandbox: str) -> Callable[..., ServerConfig]:
    """make_config(**overrides) -> a ServerConfig on a fresh data folder and database.

    The conversion cache is shared by the whole test session, so a network
    converted once is not converted again.
    """
    def make(**overrides) -> ServerConfig:
        settings = {"database_url": database_url, "admin_password": ADMIN_PASSWORD, "cache": conversion_cache,
                    "testing": True, "extra": {"WTF_CSRF_ENABLED": False}, "play_engines": 0, "scheduler": False,
                    "sandbox": test_sandbox, "check_workers": 2}
        settings.update(overrides)
        return ServerConfig(tmp_path / "data", **settings)
    return make


@pytest.fixture
def config(make_config) -> ServerConfig:
    return make_config()


@pytest.fixture
def app(config: ServerConfig):
    from golois.tournament.app import create_app, stop_services

    application = create_app(config)
    yield application
    stop_services(application)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def database(app):
    return app.extensions["golois_db"]


# ---------------------------------------------------------------- networks


def build_tiny_network(path: Path, *, planes: int = 31, policy_size: int = 361, filters: int = 8,
                       nan: bool = False, lambda_layer: bool = False, seed: int = 0) -> Path:
    """A small conv network with the Golois interface (or broken on purpose), saved as .h5."""
    from golois.network import save_network
    from golois.network.framework import keras, tf

    tf.random.set_seed(seed)
    layers = keras.layers
    board = keras.Input((19, 19, planes), name="board")
    trunk = layers.Conv2D(filters, 3, padding="same", activation="relu",
                          kernel_initializer=keras.initializers.GlorotUniform(seed=seed))(board)
    if lambda_layer:
        trunk = layers.Lambda(lambda x: x * 1.0)(trunk)
    if policy_size == 361:
        logits = layers.Flatten()(layers.Conv2D(1, 1, kernel_initializer=keras.initializers.GlorotUniform(seed))(trunk))
    else:
        logits = layers.Dense(policy_size)(layers.Flatten()(trunk))
    policy = layers.Activation("softmax", name="policy")(logits)
    value = layers.Dense(1, activation="sigmoid", name="value")(layers.GlobalAveragePooling2D()(trunk))
    model = keras.Model(board, [policy, value])
    if nan:
        weights = model.get_weights()
        weights[0][...] = float("nan")
        model.set_weights(weights)
    if lambda_layer:
        model.save(path, save_format="h5")
    else:
        save_network(model, path)
    return path


def declare_huge_layer(source: Path, target: Path) -> Path:
    """`source` with its value Dense layer declared with a billion units (the stored weights unchanged)."""
    shutil.copyfile(source, target)
    with h5py.File(target, "r+") as h5:
        config = json.loads(h5.attrs["model_config"])
        for layer in config["config"]["layers"]:
            if layer["class_name"] == "Conv2D" and layer["config"]["filters"] == 8:
                layer["config"]["filters"] = 400_000_000
        h5.attrs["model_config"] = json.dumps(config)
    return target


@pytest.fixture(scope="session")
def networks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny networks, built once a session (the same files: their checks are remembered by hash)."""
    folder = tmp_path_factory.mktemp("networks")
    made = {f"good{i}": build_tiny_network(folder / f"good{i}.h5", seed=i) for i in range(3)}
    made["nan"] = build_tiny_network(folder / "nan.h5", nan=True)
    made["lambda"] = build_tiny_network(folder / "lambda.h5", lambda_layer=True)
    made["21-planes"] = build_tiny_network(folder / "planes21.h5", planes=21)
    made["policy-64"] = build_tiny_network(folder / "policy64.h5", policy_size=64)
    made["big"] = build_tiny_network(folder / "big.h5", filters=400)  # about 112,000 trainable parameters
    made["huge-declared"] = declare_huge_layer(made["good0"], folder / "huge.h5")
    good = made["good0"].read_bytes()
    (folder / "truncated.h5").write_bytes(good[: len(good) // 2])
    made["truncated"] = folder / "truncated.h5"
    (folder / "not-hdf5.h5").write_bytes(b"this is not an HDF5 file at all\n" * 100)
    made["not-hdf5"] = folder / "not-hdf5.h5"
    return made


def upload(client, path: Path, team: str = "team-a", name: str = "net", wait: float = 120, **fields):
    """POSTs a network to the API and waits for its verdict (201 or 422; 202 if it takes longer than `wait`)."""
    with open(path, "rb") as handle:
        return client.post(f"/api/networks?wait={wait}",
                           data={"team": team, "name": name, "file": (handle, path.name), **fields})


def stored_files(config: ServerConfig) -> list[Path]:
    return sorted(p for p in config.networks_dir.rglob("*") if p.is_file() and p.name != NetworkStore.LOCK_NAME)


# ---------------------------------------------------------------- a live server for the browser


class LiveServer:
    def __init__(self, app) -> None:
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Selenium (headless), or the test is skipped where it is absent."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.skip("chromium and chromedriver are not installed (Debian: chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1200,1000", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run",
                     f"--user-data-dir={tempfile.mkdtemp(prefix='golois-chrome-')}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def wait_for(condition: Callable[[], object], timeout: float = 60.0, what: str = "condition") -> object:
    """Polls `condition` until it is true. An element read while the browser replaces the page (stale,
    or "does not belong to the document") counts as not yet."""
    from selenium.common.exceptions import WebDriverException

    deadline = time.monotonic() + timeout
    last_error: WebDriverException | None = None
    while time.monotonic() < deadline:
        try:
            value = condition()
        except WebDriverException as error:
            value, last_error = None, error
        if value:
            return value
        time.sleep(0.1)
    detail = f" (last browser error: {last_error.msg})" if last_error else ""
    raise AssertionError(f"timed out waiting for {what}{detail}")


def add_network(database, config: ServerConfig, path: Path, team: str, name: str = "net") -> int:
    """Records a network without checking it (as if it had passed): returns its version id."""
    import secrets

    from sqlalchemy import select

    from golois.tournament.models import Team, hash_key
    from golois.tournament.upload_check import Verdict
    from golois.tournament.uploads import add_version

    digest = NetworkStore(config.networks_dir).add(path, keep_source=True)
    with database.session() as session:
        owner = session.scalar(select(Team).where(Team.name == team))
        if owner is None:
            owner = Team(name=team, key_hash=hash_key(secrets.token_hex(8)))
            session.add(owner)
        network = add_version(session, owner, name, digest, path.stat().st_size, Verdict(True, "test", [], 1000))
        session.flush()
        return network.current.id
