"""Checking an uploaded network, in a separate process with time and memory limits.

The server never builds an uploaded network itself: `check_upload` runs
this module as a child process (`python -m golois.tournament.upload_check
FILE`) under an address-space limit, a CPU-time limit and a wall-clock
deadline, in its own session so that everything it starts is killed with
it. A hostile or broken file can at worst make the child fail, which
refuses the upload; the server goes on.

The child runs the network file contract (`golois.network.checks`: no
code, allowed classes and operations only, input, outputs, the parameter
limit), then checks that the network plays: finite, well-formed outputs on
real positions, and a short game of real search moves with the engine. It
prints one verdict line of JSON.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from golois.files import sha256_file, write_atomic

VERDICT_PREFIX = "GOLOIS-VERDICT "
POSITIONS = 64          # real positions whose outputs must be finite and well formed
GAME_MOVES = 16         # moves of the short game (both colours)
GAME_PLAYOUTS = 32      # playouts a move in the short game
SEARCH_BATCH = 16       # the tournament engine's batch: its backend choice gets cached now
OUTPUT_LIMIT = 1 << 20  # bytes of the child's output kept
# Verdicts by file hash, in a folder of their own: the engine's conversion cache
# replaces a file's whole folder, which must not take a verdict with it.
VERDICTS = "verdicts-v1"  # bump when the checks change


@dataclass
class Verdict:
    accepted: bool
    reason: str
    checks: list[dict[str, Any]] = field(default_factory=list)
    params: int | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "reason": self.reason, "checks": self.checks, "params": self.params,
                "seconds": round(self.seconds, 2)}


# ---------------------------------------------------------------- the server's side


def check_upload(path: Path, cache_dir: Path, seconds: float, memory_mb: int) -> Verdict:
    """Runs the checks on `path` in a limited child process; never raises for a bad file.

    A verdict the checks reached is remembered by the file's SHA-256 (a file
    uploaded again is not checked again); a time-out or a crash is not.
    """
    start = time.monotonic()
    path, cache_dir = Path(path).resolve(), Path(cache_dir).resolve()  # the child runs in cache_dir
    cache_dir.mkdir(parents=True, exist_ok=True)
    remembered = cache_dir / VERDICTS / f"{sha256_file(path)}.json"
    try:
        cached = _from_dict(json.loads(remembered.read_text()))
    except (OSError, ValueError):
        cached = None
    if cached is not None:
        return cached
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cache_dir),
        "GOLOIS_CACHE": str(cache_dir),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "CUDA_VISIBLE_DEVICES": "",
        "OMP_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }

    def limit() -> None:  # runs in the child, before Python starts
        memory = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        cpu = int(seconds * 2) + 1  # both of the search's threads may run
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    command = [sys.executable, "-I", "-m", "golois.tournament.upload_check", str(path)]
    try:
        child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 env=env, cwd=cache_dir, preexec_fn=limit, start_new_session=True)
    except OSError as error:
        return Verdict(False, f"the checker could not start: {error}")
    try:
        out, err = child.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        _kill_group(child)
        return Verdict(False, f"the checks took longer than {seconds:g} s", seconds=time.monotonic() - start)
    finally:
        _kill_group(child)  # anything the checker left behind
    verdict = _parse(out[-OUTPUT_LIMIT:].decode("utf-8", "replace"))
    if verdict is None:
        return Verdict(False, _crash_reason(child.returncode, err[-OUTPUT_LIMIT:].decode("utf-8", "replace"),
                                            memory_mb), seconds=time.monotonic() - start)
    verdict.seconds = time.monotonic() - start
    with contextlib.suppress(OSError):
        remembered.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(remembered, json.dumps(verdict.as_dict()))
    return verdict


def _kill_group(child: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)
    child.wait()


def _parse(out: str) -> Verdict | None:
    for line in reversed(out.splitlines()):
        if line.startswith(VERDICT_PREFIX):
            try:
                return _from_dict(json.loads(line[len(VERDICT_PREFIX):]))
            except ValueError:
                return None
    return None


def _from_dict(data: object) -> Verdict | None:
    try:
        return Verdict(bool(data["accepted"]), str(data["reason"]), list(data["checks"]), data.get("params"),
                       float(data.get("seconds", 0.0)))
    except (KeyError, TypeError, ValueError):
        return None


def _crash_reason(code: int, err: str, memory_mb: int) -> str:
    text = err.lower()
    if "memoryerror" in text or "bad_alloc" in text or "cannot allocate" in text or "resource exhausted" in text:
        return f"the network needs more memory than the checker allows ({memory_mb:,} MB)"
    if code < 0:
        name = signal.Signals(-code).name
        if -code == signal.SIGXCPU:
            return "the checks used more CPU time than allowed"
        return f"the checker was killed by {name} while loading or running the network " \
               f"(a memory limit of {memory_mb:,} MB applies)"
    last = next((line for line in reversed(err.splitlines()) if line.strip()), "no message")
    return f"the checker failed (exit code {code}): {last[:300]}"


# ---------------------------------------------------------------- the child's side


def run_checks(path: Path) -> Verdict:
    """All checks, in order, stopping at the first failure."""
    from golois.network.checks import ContractChecks

    contract = ContractChecks(path)
    passed = contract.run()
    checks = [check.as_dict() for check in contract.checks]
    if not passed:
        return Verdict(False, checks[-1]["detail"], checks)
    params = int(checks[-1]["detail"].split()[0].replace(",", ""))
    for name, run in (("outputs on real positions", lambda: _outputs_on_real_positions(contract.model)),
                      ("short game", lambda: _short_game(path))):
        try:
            detail = run()
        except _CheckFailed as error:
            checks.append({"name": name, "ok": False, "detail": str(error)})
            return Verdict(False, str(error), checks, params)
        checks.append({"name": name, "ok": True, "detail": detail})
    return Verdict(True, "accepted: the network meets the contract and plays", checks, params)


class _CheckFailed(Exception):
    pass


def _outputs_on_real_positions(model: Any) -> str:
    import numpy as np

    from golois import SAMPLE_GAMES, Batch, Dataset

    dataset = Dataset(SAMPLE_GAMES, seed=0, threads=1, progress=False)
    batch = Batch.zeros(POSITIONS)
    dataset.get_batch(*batch, index=0)
    policy, value = (np.asarray(out) for out in model(batch.input_data, training=False))
    policy, value = policy.reshape(POSITIONS, -1), value.reshape(-1)
    if not (np.all(np.isfinite(policy)) and np.all(np.isfinite(value))):
        raise _CheckFailed(f"the network returns NaN or infinite values on real positions "
                           f"({int(np.sum(~np.isfinite(policy)))} policy, {int(np.sum(~np.isfinite(value)))} value)")
    sums = policy.sum(axis=1)
    if np.min(policy) < 0 or np.max(np.abs(sums - 1)) > 1e-3:
        raise _CheckFailed(f"the policy is not a probability distribution (softmax): sums from {sums.min():.3f} "
                           f"to {sums.max():.3f}, minimum {policy.min():.3g}")
    if np.min(value) < 0 or np.max(value) > 1:
        raise _CheckFailed(f"the value must be a probability that White wins (sigmoid), in [0, 1]; got "
                           f"{value.min():.3g} to {value.max():.3g}")
    accuracy = float(np.mean(policy.argmax(axis=1) == batch.policy.argmax(axis=1)))
    return (f"{POSITIONS} positions of 9-dan games: policy sums to 1 (within {np.max(np.abs(sums - 1)):.1e}), "
            f"value from {value.min():.3f} to {value.max():.3f}, top move matches the game's in {accuracy:.0%}")


def _short_game(path: Path) -> str:

    from golois import BLACK, PASS
    from golois.engine.clock import Clock
    from golois.engine.coords import opponent
    from golois.engine.inference import BackendUnavailable, NetworkOutputError, load_evaluator
    from golois.engine.player import RESIGN, Player, SearchSettings
    from golois.network import NetworkFileError

    start = time.monotonic()
    try:
        evaluator = load_evaluator(path, batch_size=SEARCH_BATCH)
    except (BackendUnavailable, NetworkFileError) as error:
        raise _CheckFailed(f"the engine cannot run the network: {error}") from error
    player = Player(evaluator, SearchSettings(batch_size=SEARCH_BATCH, resign_min_moves=GAME_MOVES + 1),
                    Clock(playouts=GAME_PLAYOUTS))
    colour = BLACK
    while len(player.history) < GAME_MOVES and not player.game_over():
        try:
            report = player.genmove(colour)
        except NetworkOutputError as error:
            raise _CheckFailed(f"during the short game, {error}") from error
        if report.move == RESIGN:
            raise _CheckFailed("the engine resigned during the short game")
        colour = opponent(colour)
    moves = len(player.history)
    passes = sum(point == PASS for point, _ in player.history)
    ended = ", the game ended by two passes" if player.game_over() else ""
    return (f"{moves} moves of {GAME_PLAYOUTS}-playout search ({passes} passes{ended}) in "
            f"{time.monotonic() - start:.1f} s with the {evaluator.backend} backend")


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: python -m golois.tournament.upload_check FILE.h5", file=sys.stderr)
        return 2
    start = time.monotonic()
    verdict = run_checks(Path(sys.argv[1]))
    verdict.seconds = time.monotonic() - start
    sys.stdout.write(VERDICT_PREFIX + json.dumps(verdict.as_dict()) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
