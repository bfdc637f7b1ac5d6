"""`golois bench engine`: search speed against the network's raw speed.

Both use the same network, backend, batch size and thread count, in
alternating rounds, so machine noise hits both alike. The search's rate is
playouts per second from a real game position (the tree grows, leaves are
encoded in C++, terminal walks cost nothing); the raw rate is positions per
second of back-to-back network calls on a full batch. Playouts per CPU
second (both threads) are reported too: that is what a CPU-time budget buys.
"""

from __future__ import annotations

import time

import numpy as np

from golois import SAMPLE_GAMES, _core
from golois.engine.clock import MoveBudget
from golois.engine.player import Player
from golois.network import BOARD_SHAPE

ROUNDS = 3
OPENING_MOVES = 60  # the search starts from move 60 of a real game: a middle-game tree


def _raw_rate(player: Player, seconds: float) -> float:
    planes = np.zeros((player.settings.batch_size, *BOARD_SHAPE), np.float32)
    planes[..., 30] = 1.0
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        player.evaluator(planes)
        calls += 1
    return calls * len(planes) / (time.perf_counter() - start)


def _search_rate(player: Player, opening: list[tuple], seconds: float) -> tuple[float, float]:
    """Playouts per second of wall time and per second of CPU time (all threads)."""
    player.new_game()
    for point, colour, *_ in opening:
        player.play(point, colour)
    start, start_cpu = time.perf_counter(), time.process_time()
    playouts = player.think(MoveBudget(wall_seconds=seconds))
    return playouts / (time.perf_counter() - start), playouts / (time.process_time() - start_cpu)


def bench_engine(player: Player, seconds: float = 5.0) -> dict:
    """Best of ROUNDS alternating rounds of each."""
    _raw_rate(player, 0.5)  # warm-up: first calls allocate
    opening = _core.read_games(str(SAMPLE_GAMES))[0].moves[:OPENING_MOVES]
    raw, search, per_cpu = [], [], []
    for _ in range(ROUNDS):
        raw.append(_raw_rate(player, seconds))
        wall_rate, cpu_rate = _search_rate(player, opening, seconds)
        search.append(wall_rate)
        per_cpu.append(cpu_rate)
    best_raw, best_search = max(raw), max(search)
    return {
        "model": player.evaluator.path,
        "backend": player.evaluator.backend,
        "batch": player.settings.batch_size,
        "raw_positions_per_s": round(best_raw, 1),
        "playouts_per_s": round(best_search, 1),
        "ratio": round(best_search / best_raw, 3),
        # The tree gathers the next batch on a second thread: per CPU second
        # (the tournament's budget) the search makes fewer playouts than per wall second.
        "playouts_per_cpu_s": round(max(per_cpu), 1),
        "rounds": {"raw": [round(r, 1) for r in raw], "search": [round(s, 1) for s in search]},
    }
