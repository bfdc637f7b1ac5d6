"""Checking an uploaded network, in a sandboxed child process with time and memory limits.

The server never opens an uploaded network itself: `check_upload` runs this
module as a child process (`python -m golois.tournament.upload_check UPLOAD
OUT`) in the sandbox (`sandbox.py`: the upload alone, read-only, and one
empty folder to write into), under an address-space limit, a CPU-time limit,
a file-size limit and a wall-clock deadline, in its own session so that
everything it starts is killed with it. A hostile or broken file can at
worst make the child fail, which refuses the upload; the server goes on.

The child runs the network file contract (`golois.network.checks`: an HDF5
file of data only, no code, allowed classes and operations only, input,
outputs, the parameter limit), writes the canonical file (the checked model
saved again: architecture and weights, nothing else of the upload) and checks
that it computes what the upload computes, then that it plays: finite,
well-formed outputs on real positions and a short game of real search moves
with the engine, whose playouts per CPU second are the network's speed.
Last, the held-out scores (`golois.network.scores`: policy and value on the
project's 2,000 held-out positions, the value's calibration), whose answers
are also the network's fingerprint for finding copies. It prints a line of
JSON after each check, then the verdict.

Only the parent decides: it reads at most OUTPUT_LIMIT bytes of the child's
answer, keeps of its figures only numbers of the expected shapes
(`clean_scores`), audits the canonical file again before anyone uses it, and
records the verdict itself (the child can write nothing but its folder).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from golois.engine.clock import SECONDS_PER_MOVE
from golois.network.checks import Check, ContractChecks, first_failure, not_run
from golois.tournament.sandbox import OUT, UPLOAD, Isolation, Sandbox

CHECK_PREFIX = "GOLOIS-CHECK "
VERDICT_PREFIX = "GOLOIS-VERDICT "
CANONICAL_NAME = "canonical.h5"
POSITIONS = 64          # real positions whose outputs must be finite and well formed
GAME_MOVES = 16         # moves of the short game (both colours)
GAME_PLAYOUTS = 32      # playouts a move in the short game
SEARCH_BATCH = 16       # the tournament engine's batch
SAME_OUTPUTS = 1e-5     # the canonical file computes what the upload computes, to this tolerance
OUTPUT_LIMIT = 1 << 20  # bytes of the child's output read
FILE_SIZE_LIMIT = 256 << 20  # bytes of any file the child writes (the canonical file is a few hundred KB)
CHECKS_VERSION = 4      # raised when the checks change: verdicts of older checks are not reused
NO_SCORES = "--no-scores"  # the child's option: the checks without the held-out scores (to measure their cost)


@dataclass
class Verdict:
    accepted: bool
    reason: str
    checks: list[dict[str, Any]] = field(default_factory=list)
    params: int | None = None
    seconds: float = 0.0
    canonical: Path | None = None  # the canonical file (accepted only), in a folder the caller removes
    scores: dict[str, Any] | None = None       # held-out scores and speed (clean_scores)
    fingerprint: dict[str, list] | None = None  # top move and value on each held-out position
    weights_sha256: str | None = None          # of the weights alone, whatever file holds them

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "reason": self.reason, "checks": self.checks, "params": self.params,
                "seconds": round(self.seconds, 2), "scores": self.scores, "fingerprint": self.fingerprint,
                "weights_sha256": self.weights_sha256}


@dataclass(frozen=True)
class CheckLimits:
    seconds: float = 180.0  # wall clock of the whole check
    memory_mb: int = 6144   # address space of the checker


# ---------------------------------------------------------------- the server's side


def check_upload(path: Path, sandbox: Sandbox, limits: CheckLimits, work_dir: Path,
                 on_check: Callable[[dict[str, Any]], None] = lambda check: None,
                 hidden: tuple[Path, ...] = (), scores: bool = True) -> Verdict:
    """Runs the checks on `path` in the sandbox; never raises for a bad file.

    `work_dir` receives a private folder for the child's output; an accepted
    verdict's `canonical` file lies in it (the caller moves it, then calls
    `discard(verdict)`). `on_check` is called with each check as it
    completes. `hidden`: paths of the server's that must stay out of the
    sandbox even where they lie inside a folder it sees. Without `scores`,
    the held-out scores are not computed (to measure what they cost).
    """
    start = time.monotonic()
    path = Path(path).resolve()  # the child starts in /
    work_dir.mkdir(parents=True, exist_ok=True)
    private = Path(tempfile.mkdtemp(prefix="check-", dir=work_dir))  # 0700: only the server's user gets in
    out = private / "out"
    out.mkdir()
    out.chmod(0o777)  # the sandbox's unprivileged user writes here
    with contextlib.suppress(PermissionError):  # not ours (a bench on someone's file): readable already, or not
        os.chmod(path, 0o644)  # the sandbox's user reads this (its folder stays closed to other users)
    inside = sandbox.isolation is Isolation.BUBBLEWRAP
    command = [sys.executable, "-I", "-m", "golois.tournament.upload_check",
               str(UPLOAD if inside else path), str(OUT if inside else out), *([] if scores else [NO_SCORES])]
    verdict = _run_child(sandbox.wrap(command, path, out, list(hidden)), limits, on_check)
    verdict.seconds = time.monotonic() - start
    if verdict.accepted:
        verdict.canonical = audited_canonical(out / CANONICAL_NAME, verdict)
    else:
        shutil.rmtree(private, ignore_errors=True)
    return verdict


def discard(verdict: Verdict) -> None:
    """Removes the child's folder (with the canonical file, unless it was moved away)."""
    if verdict.canonical is not None:
        shutil.rmtree(verdict.canonical.parent.parent, ignore_errors=True)


def _run_child(command: list[str], limits: CheckLimits, on_check: Callable[[dict[str, Any]], None]) -> Verdict:
    def limit() -> None:  # runs in the child, before the sandbox starts
        memory = limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        cpu = int(limits.seconds * 2) + 1  # both of the search's threads may run
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "GOLOIS_CACHE": "off", "TF_CPP_MIN_LOG_LEVEL": "3",
           "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1",
           "HDF5_PLUGIN_PRELOAD": "::", "MPLCONFIGDIR": "/tmp"}  # "::": HDF5 loads no filter plug-in
    try:
        child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 env=env, cwd="/", preexec_fn=limit, start_new_session=True)
    except OSError as error:
        return Verdict(False, f"the checker could not start: {error}")
    errors: list[bytes] = []
    reader = threading.Thread(target=lambda: errors.append(child.stderr.read(OUTPUT_LIMIT)), daemon=True)
    reader.start()
    verdict: Verdict | None = None
    timer = threading.Timer(limits.seconds, _kill_group, (child,))
    timer.start()
    try:
        read = 0
        for raw in child.stdout:
            read += len(raw)
            if read > OUTPUT_LIMIT:
                break
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if line.startswith(CHECK_PREFIX):
                check = _check_from_json(line[len(CHECK_PREFIX):])
                if check is not None:
                    on_check(check)
            elif line.startswith(VERDICT_PREFIX):
                verdict = verdict_from_json(line[len(VERDICT_PREFIX):])
    finally:
        timed_out = not timer.is_alive()
        timer.cancel()
        _kill_group(child)  # anything the checker left behind
        reader.join(timeout=5)
    if timed_out and verdict is None:
        return Verdict(False, f"the checks took longer than {limits.seconds:g} s")
    if verdict is None:
        err = b"".join(errors)[-OUTPUT_LIMIT:].decode("utf-8", "replace")
        return Verdict(False, _crash_reason(child.returncode, err, limits.memory_mb))
    return verdict


def _kill_group(child: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)
    child.wait()


def _clean_check(data: Any) -> dict[str, Any]:
    """A check as the child reported it, reduced to its three fields (bounded); raises for anything else."""
    ok = None if data["ok"] is None else bool(data["ok"])  # None: not run
    return {"name": str(data["name"])[:80], "ok": ok, "detail": str(data["detail"])[:2000]}


def _check_from_json(text: str) -> dict[str, Any] | None:
    try:
        return _clean_check(json.loads(text))
    except (ValueError, KeyError, TypeError):
        return None


def verdict_from_json(text: str) -> Verdict | None:
    """A verdict as a checker reported it (the child, or a worker of the task queue), bounded; None if malformed.
    Figures of the wrong shape are dropped (None), not trusted."""
    try:
        data = json.loads(text)
        params = data.get("params")
        verdict = Verdict(bool(data["accepted"]), str(data["reason"])[:2000],
                          [_clean_check(c) for c in data["checks"]], int(params) if params is not None else None)
    except (KeyError, TypeError, ValueError):
        return None
    verdict.scores = _or_none(clean_scores, data.get("scores"))
    verdict.fingerprint = _or_none(clean_fingerprint, data.get("fingerprint"))
    digest = data.get("weights_sha256")
    verdict.weights_sha256 = digest if isinstance(digest, str) and re.fullmatch("[0-9a-f]{64}", digest) else None
    return verdict


def _or_none(clean: Callable[[Any], Any], data: Any) -> Any:
    try:
        return None if data is None else clean(data)
    except (KeyError, TypeError, ValueError, IndexError):
        return None


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"not a number: {value!r}")
    return float(value)


def _fraction(value: Any) -> float:
    number = _number(value)
    if not 0.0 <= number <= 1.0:  # also refuses NaN
        raise ValueError(f"not a fraction: {value!r}")
    return round(number, 4)


def _fraction_or_none(value: Any) -> float | None:
    return None if value is None else _fraction(value)


def _count(value: Any, most: int) -> int:
    number = int(_number(value))
    if not 0 <= number <= most or number != value:
        raise ValueError(f"not a count: {value!r}")
    return number


def clean_scores(data: Any) -> dict[str, Any]:
    """The child's held-out scores, rebuilt from the expected keys, every number checked; raises otherwise."""
    from golois.network.scores import CALIBRATION_BINS, HELD_OUT_POSITIONS, PHASES, phase_name

    speed = _number(data["playouts_per_cpu_second"])
    if not (math.isfinite(speed) and 0 <= speed < 1e7):
        raise ValueError("not a speed")
    speed = round(speed, 1)
    positions = _count(data["positions"], HELD_OUT_POSITIONS)
    phases = {}
    for start, end in PHASES:
        phase = data["value_by_phase"][phase_name(start, end)]
        phases[phase_name(start, end)] = {"positions": _count(phase["positions"], positions),
                                          "value_mse": _fraction_or_none(phase["value_mse"]),
                                          "value_accuracy": _fraction_or_none(phase["value_accuracy"])}
    bins = data["calibration"]
    if len(bins) != CALIBRATION_BINS:
        raise ValueError("not the calibration's bins")
    calibration = [{"low": b / CALIBRATION_BINS, "high": (b + 1) / CALIBRATION_BINS,
                    "positions": _count(row["positions"], positions), "predicted": _fraction_or_none(row["predicted"]),
                    "white_won": _fraction_or_none(row["white_won"])} for b, row in enumerate(bins)]
    return {"positions": positions, **{key: _fraction(data[key]) for key in SCORE_FIGURES},
            "value_by_phase": phases, "calibration": calibration, "playouts_per_cpu_second": speed,
            "playouts_per_move": int(speed * SECONDS_PER_MOVE), "seconds_per_move": SECONDS_PER_MOVE}


SCORE_FIGURES = ("policy_accuracy", "top5_accuracy", "value_mse", "value_accuracy", "value_std")


def clean_fingerprint(data: Any) -> dict[str, list]:
    """The child's fingerprint, rebuilt: as many top moves (points 0..360) as values (fractions) on the held-out
    positions, and a top move on each noise input."""
    from golois import PASS
    from golois.network.scores import HELD_OUT_POSITIONS, NOISE_POSITIONS

    if len(data["top"]) > HELD_OUT_POSITIONS or len(data["noise_top"]) > NOISE_POSITIONS:
        raise ValueError("a fingerprint longer than the positions it is made on")
    top = [_count(move, PASS) for move in data["top"]]
    value = [_fraction(v) for v in data["value"]]
    if len(top) != len(value):
        raise ValueError("a fingerprint's lists differ in length")
    return {"top": top, "value": value, "noise_top": [_count(move, PASS) for move in data["noise_top"]]}


def audited_canonical(canonical: Path, verdict: Verdict) -> Path | None:
    """The checker's canonical file once the server has audited it (no TensorFlow: structure and description);
    None, and the verdict turned into a refusal, when it fails. Removes the file's folder's parent on failure."""
    from golois.network import NetworkFileError, check_network_description

    try:
        check_network_description(canonical)
    except NetworkFileError as error:
        verdict.accepted, verdict.reason = False, f"the canonical file fails its audit: {error}"
        verdict.checks.append({"name": "canonical file audit", "ok": False, "detail": verdict.reason})
        shutil.rmtree(canonical.parent.parent, ignore_errors=True)
        return None
    return canonical


def _crash_reason(code: int | None, err: str, memory_mb: int) -> str:
    text = err.lower()
    if "memoryerror" in text or "bad_alloc" in text or "cannot allocate" in text or "resource exhausted" in text:
        return f"the network needs more memory than the checker allows ({memory_mb:,} MB)"
    if code is not None and code < 0:
        name = signal.Signals(-code).name
        if -code == signal.SIGXCPU:
            return "the checks used more CPU time than allowed"
        return f"the checker was killed by {name} while loading or running the network " \
               f"(a memory limit of {memory_mb:,} MB applies)"
    last = next((line for line in reversed(err.splitlines()) if line.strip()), "no message")
    return f"the checker failed (exit code {code}): {last[:300]}"


# ---------------------------------------------------------------- the child's side


class _CheckFailed(Exception):
    pass


PLAY_CHECKS = ("canonical file", "outputs on real positions", "short game", "held-out scores")


def run_checks(path: Path, out: Path, report: Callable[[dict[str, Any]], None], scores: bool = True) -> Verdict:
    """Every check that can run, in order (one that cannot is listed as not run, with why); `report` gets each
    check as it completes. The first failure is the reason. Without `scores`, no held-out scores."""
    contract = ContractChecks(path)
    contract.run()
    checks = list(contract.checks)
    for check in checks:
        report(check.as_dict())
    canonical = out / CANONICAL_NAME
    shapes = {check.name: check.ok for check in checks}
    play_checks = PLAY_CHECKS if scores else PLAY_CHECKS[:-1]
    measured: dict[str, Any] = {}
    if not (shapes["input"] and shapes["outputs"]):  # nothing the engine could play with
        why = "the model does not build" if contract.model is None else "the input or outputs are not the contract's"
        for name in play_checks:
            checks.append(not_run(name, why))
            report(checks[-1].as_dict())
    else:
        written = _play_check(PLAY_CHECKS[0], lambda: _write_canonical(contract.model, canonical))
        checks.append(written)
        report(written.as_dict())
        runs = {PLAY_CHECKS[1]: lambda: _outputs_on_real_positions(canonical),
                PLAY_CHECKS[2]: lambda: _short_game(canonical, measured),
                PLAY_CHECKS[3]: lambda: _held_out_scores(canonical, measured)}
        for name in play_checks[1:]:  # each runs, whatever the others say; only an accepted network is scored
            if not written.ok:
                checks.append(not_run(name, "there is no canonical file"))
            elif name == PLAY_CHECKS[3] and first_failure(checks) is not None:
                checks.append(not_run(name, "only a network that passes the other checks is scored"))
            else:
                checks.append(_play_check(name, runs[name]))
            report(checks[-1].as_dict())
    failed = first_failure(checks)
    if failed is not None:
        canonical.unlink(missing_ok=True)
        return Verdict(False, failed.detail, [check.as_dict() for check in checks], contract.params)
    verdict = Verdict(True, "accepted: the network meets the contract and plays", [c.as_dict() for c in checks],
                      contract.params, weights_sha256=weights_digest(contract.model))
    if scores:
        verdict.scores = {**measured["scores"], "playouts_per_cpu_second": measured["playouts_per_cpu_second"]}
        verdict.fingerprint = measured["fingerprint"]
    return verdict


def weights_digest(model: Any) -> str:
    """SHA-256 of the weights alone (shapes and float32 values, in order): the same numbers saved again under
    other names, in another file, give the same digest."""
    import numpy as np

    digest = hashlib.sha256()
    for weight in model.weights:
        array = np.ascontiguousarray(np.asarray(weight), dtype=np.float32)
        digest.update(repr(array.shape).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _play_check(name: str, run: Callable[[], str]) -> Check:
    try:
        return Check(name, True, run())
    except _CheckFailed as error:
        return Check(name, False, str(error))


def _sample_batch() -> Any:
    from golois import SAMPLE_GAMES, Batch, Dataset

    dataset = Dataset(SAMPLE_GAMES, seed=0, threads=1, progress=False)
    batch = Batch.zeros(POSITIONS)
    dataset.get_batch(*batch, index=0)
    return batch


def _write_canonical(model: Any, canonical: Path) -> str:
    """The checked model saved again, then loaded back: it must compute what the upload computes."""
    import numpy as np

    from golois.network import NetworkFileError, load_network, save_network

    save_network(model, canonical)
    try:
        again = load_network(canonical)
    except NetworkFileError as error:
        raise _CheckFailed(f"the network saved again does not load: {error}") from error
    planes = _sample_batch().input_data
    differences = [float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
                   for a, b in zip(model(planes, training=False), again(planes, training=False), strict=True)]
    if max(differences) > SAME_OUTPUTS:
        raise _CheckFailed(f"the network saved again computes other outputs (differences up to "
                           f"{max(differences):.2g}); it cannot be stored")
    return (f"architecture and weights saved again ({canonical.stat().st_size:,} bytes); outputs identical on "
            f"{POSITIONS} positions (within {max(differences):.1e})")


def _outputs_on_real_positions(canonical: Path) -> str:
    import numpy as np

    from golois.network import load_network

    batch = _sample_batch()
    policy, value = (np.asarray(out) for out in load_network(canonical)(batch.input_data, training=False))
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


def _short_game(canonical: Path, measured: dict[str, Any]) -> str:
    from golois import BLACK, PASS
    from golois.engine.clock import Clock
    from golois.engine.coords import opponent
    from golois.engine.inference import BackendUnavailable, NetworkOutputError, load_evaluator
    from golois.engine.player import RESIGN, Player, SearchSettings
    from golois.network import NetworkFileError

    start = time.monotonic()
    try:  # the TensorFlow graph: every network runs on it (engines choose their own backend when they load)
        evaluator = load_evaluator(canonical, backend="tensorflow", batch_size=SEARCH_BATCH, cache=None)
    except (BackendUnavailable, NetworkFileError) as error:
        raise _CheckFailed(f"the engine cannot run the network: {error}") from error
    player = Player(evaluator, SearchSettings(batch_size=SEARCH_BATCH, resign_min_moves=GAME_MOVES + 1),
                    Clock(playouts=GAME_PLAYOUTS))
    colour = BLACK
    playouts, cpu = 0, 0.0  # of the moves after the first (which builds the graph)
    while len(player.history) < GAME_MOVES and not player.game_over():
        before = time.process_time()
        try:
            report = player.genmove(colour)
        except NetworkOutputError as error:
            raise _CheckFailed(f"during the short game, {error}") from error
        if report.move == RESIGN:
            raise _CheckFailed("the engine resigned during the short game")
        if len(player.history) > 1:
            playouts, cpu = playouts + report.playouts, cpu + time.process_time() - before
        colour = opponent(colour)
    moves = len(player.history)
    passes = sum(point == PASS for point, _ in player.history)
    ended = ", the game ended by two passes" if player.game_over() else ""
    speed = playouts / cpu if cpu > 0 else 0.0
    measured["playouts_per_cpu_second"] = speed
    return (f"{moves} moves of {GAME_PLAYOUTS}-playout search ({passes} passes{ended}) in "
            f"{time.monotonic() - start:.1f} s; {speed:,.0f} playouts per CPU second (TensorFlow, one thread), "
            f"about {speed * SECONDS_PER_MOVE:,.0f} a move at {SECONDS_PER_MOVE:g} s")


def _held_out_scores(canonical: Path, measured: dict[str, Any]) -> str:
    from golois.network import load_network
    from golois.network.scores import calibration, fingerprint, held_out_positions, noise_boards, predict, score

    positions = held_out_positions()
    model = load_network(canonical)
    predictions = predict(model, positions.boards)
    figures = score(predictions, positions.moves_played, positions.white_won, positions.move_number)
    figures["positions"] = len(positions)
    figures["calibration"] = calibration(predictions.value, positions.white_won)
    measured["scores"] = figures
    measured["fingerprint"] = fingerprint(predictions, predict(model, noise_boards()))
    return (f"{len(positions):,} held-out positions of 9-dan games (December 2011): the top move is the game's in "
            f"{figures['policy_accuracy']:.1%}, in the top 5 in {figures['top5_accuracy']:.1%}; value MSE "
            f"{figures['value_mse']:.4f}, the side it favours won {figures['value_accuracy']:.1%}")


def main() -> int:
    if len(sys.argv) not in (3, 4) or sys.argv[3:] not in ([], [NO_SCORES]):
        print(f"usage: python -m golois.tournament.upload_check FILE.h5 OUT_FOLDER [{NO_SCORES}]", file=sys.stderr)
        return 2

    def report(check: dict[str, Any]) -> None:
        sys.stdout.write(CHECK_PREFIX + json.dumps(check) + "\n")
        sys.stdout.flush()

    verdict = run_checks(Path(sys.argv[1]), Path(sys.argv[2]), report, scores=NO_SCORES not in sys.argv)
    sys.stdout.write(VERDICT_PREFIX + json.dumps(verdict.as_dict()) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
