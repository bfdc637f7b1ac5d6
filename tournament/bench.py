"""`golois bench upload` and `golois bench tournament`: the server's hot paths against naive baselines.

- Upload: the whole check of a file in the bubblewrap sandbox (a fresh
  process, the audit, the contract, the canonical file, outputs on real
  positions, a short engine game, the held-out scores) against the same
  check without the held-out scores, without the sandbox, and against the
  least a server must do: load the file with Keras in a fresh process. The
  ratios are the price of the scores, of the sandbox and of checking
  properly.
- Tournament: games per hour of the runner (engines kept between games,
  conversions cached by hash) against the same games played the naive way
  (`golois match`-style: a fresh pair of engines per game, no cache).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from golois.network import DEFAULT_NETWORK
from golois.tournament.config import ServerConfig
from golois.tournament.db import Database
from golois.tournament.domain import TournamentSettings
from golois.tournament.models import Game
from golois.tournament.round_robin import game_counts, schedule
from golois.tournament.runner import engine_command, move_time_limit, run_tournament
from golois.tournament.sandbox import Isolation, Sandbox, choose_sandbox
from golois.tournament.storage import NetworkStore
from golois.tournament.upload_check import CheckLimits, check_upload, discard

NAIVE_LOAD = ("import os, sys; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'; import tf_keras; "
              "tf_keras.models.load_model(sys.argv[1], compile=False)")


def bench_upload(files: list[Path], seconds: float = 300, memory_mb: int = 6144,
                 log: Callable[[str], None] = print) -> dict:
    """Seconds to check each file in the sandbox, without it, and to load it with Keras (same run, same files)."""
    sandbox = choose_sandbox("bubblewrap")
    bare = Sandbox(Isolation.NONE, "the baseline: resource limits only")
    limits = CheckLimits(seconds, memory_mb)
    timings: dict[str, list[float]] = {"sandboxed": [], "unscored": [], "unsandboxed": [], "keras_load": []}
    rows = []
    with tempfile.TemporaryDirectory(prefix="golois-bench-") as work:
        for path in files:
            row: dict = {"file": path.name}
            for name, box, scores in (("sandboxed", sandbox, True), ("unscored", sandbox, False),
                                      ("unsandboxed", bare, True)):
                start = time.perf_counter()
                verdict = check_upload(path, box, limits, Path(work), scores=scores)
                timings[name].append(time.perf_counter() - start)
                discard(verdict)
                row[f"{name}_s"], row["accepted"] = round(timings[name][-1], 2), verdict.accepted
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", NAIVE_LOAD, str(path)], capture_output=True, check=False)
            timings["keras_load"].append(time.perf_counter() - start)
            row["keras_load_s"] = round(timings["keras_load"][-1], 2)
            rows.append(row)
            log(f"{path.name}: {'accepted' if row['accepted'] else 'refused'}; sandboxed {row['sandboxed_s']} s, "
                f"without the held-out scores {row['unscored_s']} s, without the sandbox {row['unsandboxed_s']} s, "
                f"plain Keras load {row['keras_load_s']} s")
    medians = {name: statistics.median(values) for name, values in timings.items()}
    return {"files": rows, "median_check_s": round(medians["sandboxed"], 2),
            "baseline": {"what": "the same check without the sandbox", "median_s": round(medians["unsandboxed"], 2)},
            "ratio": round(medians["sandboxed"] / medians["unsandboxed"], 2),
            "scores": {"what": "the same check in the sandbox without the held-out scores",
                       "median_s": round(medians["unscored"], 2),
                       "ratio": round(medians["sandboxed"] / medians["unscored"], 2)},
            "keras_load": {"what": "a fresh process that loads the file with Keras",
                           "median_s": round(medians["keras_load"], 2),
                           "ratio": round(medians["sandboxed"] / medians["keras_load"], 2)}}


def bench_tournament(models: list[Path], seconds_per_move: float = 0.1, games_per_pair: int = 2, parallel: int = 2,
                     max_moves: int = TournamentSettings.max_moves, log: Callable[[str], None] = print) -> dict:
    """Games per hour of `golois tournament run` against fresh engines per game, same games, same settings."""
    models = models or [DEFAULT_NETWORK, DEFAULT_NETWORK]  # the bundled network against itself
    # No judge: the baseline (golois match) has none; what adjudication saves is measured by
    # tools/adjudication_study.py.
    settings = TournamentSettings(seconds_per_move=seconds_per_move, games_per_pair=games_per_pair,
                                  max_moves=max_moves, judge=False)
    with tempfile.TemporaryDirectory(prefix="golois-bench-") as folder:
        config = ServerConfig(Path(folder) / "data")
        config.prepare()
        database = Database(config.database_url)
        database.upgrade()
        paths = _register(database, config, models)
        log(f"{len(paths)} networks, {len(paths) * (len(paths) - 1) // 2 * games_per_pair} games, "
            f"{seconds_per_move:g} s a move, {parallel} at once")
        start = time.perf_counter()
        tournament = run_tournament(database, config, settings, parallel, progress=False, log=lambda m: None)
        ours = time.perf_counter() - start
        games = sum(game_counts(database, tournament.id).values())
        with database.session() as session:
            moves = sum(session.scalars(select(Game.moves).where(Game.tournament_id == tournament.id)))
        log(f"tournament runner: {games} games ({moves} moves) in {ours:.0f} s")
        start = time.perf_counter()
        naive_moves = _naive_games(paths, settings, parallel, Path(folder))
        naive = time.perf_counter() - start
        log(f"baseline (fresh engines per game, no conversion cache): {games} games ({naive_moves} moves) in "
            f"{naive:.0f} s")
        database.dispose()
    # Games differ in length from run to run, so moves per hour are given too; the speedup compares those.
    return {"games": games, "moves": moves, "seconds_per_move": seconds_per_move, "parallel": parallel,
            "games_per_hour": round(games * 3600 / ours, 1), "moves_per_hour": round(moves * 3600 / ours),
            "seconds": round(ours, 1),
            "baseline": {"what": "golois match: a fresh pair of engines for every game, no conversion cache",
                         "games_per_hour": round(games * 3600 / naive, 1), "moves": naive_moves,
                         "moves_per_hour": round(naive_moves * 3600 / naive), "seconds": round(naive, 1)},
            "speedup": round((moves / ours) / (naive_moves / naive), 2) if naive_moves else None}


def _register(database: Database, config: ServerConfig, models: list[Path]) -> list[Path]:
    """The models as networks of distinct teams, without checks (the bench measures play)."""
    from golois.tournament.models import Team, hash_key
    from golois.tournament.upload_check import Verdict
    from golois.tournament.uploads import add_version

    store = NetworkStore(config.networks_dir)
    paths = []
    with database.session() as session:
        for index, model in enumerate(models):
            digest = store.add(Path(model), keep_source=True)
            team = Team(name=f"bench{index}", key_hash=hash_key(str(index)))
            session.add(team)
            add_version(session, team, Path(model).stem[:40], digest, Path(model).stat().st_size,
                        Verdict(True, "bench", [], 0))
            paths.append(store.path(digest))
    return paths


def _naive_games(paths: list[Path], settings: TournamentSettings, parallel: int, folder: Path) -> int:
    """The same schedule through `golois match`, one game a call: every game starts its engines afresh.
    Returns the moves played."""
    games = schedule(list(range(len(paths))), settings.games_per_pair)
    queue = list(enumerate(games))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                index, (black, white, _opening) = queue.pop(0)
            black_cmd = engine_command(paths[black], settings)
            white_cmd = engine_command(paths[white], settings)
            # No --time: the engines keep their own CPU budget a move, as in the tournament.
            subprocess.run([sys.executable, "-m", "golois.cli", "match", "--black", black_cmd, "--white", white_cmd,
                            "--games", "1", "--move-timeout", f"{move_time_limit(settings.seconds_per_move):g}",
                            "--max-moves", str(settings.max_moves), "--out", str(folder / f"naive-{index}")],
                           capture_output=True, check=False, env=os.environ | {"GOLOIS_CACHE": "off"})

    threads = [threading.Thread(target=worker) for _ in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    summaries = [json.loads(p.read_text()) for p in folder.glob("naive-*/summary.json")]
    return sum(outcome["moves"] for summary in summaries for outcome in summary["outcomes"])

