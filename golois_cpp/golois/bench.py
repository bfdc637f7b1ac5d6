"""Benchmarks of the hot paths, each printed beside its baseline."""

from __future__ import annotations

import time
from pathlib import Path

from golois import _core
from golois.dataset import Batch, Dataset


def _best_rate(fill, n: int, repeat: int) -> float:
    """Samples per second of the fastest of `repeat` calls (after one warm-up)."""
    fill(0)
    best = float("inf")
    for i in range(1, repeat + 1):
        start = time.perf_counter()
        fill(i * n)
        best = min(best, time.perf_counter() - start)
    return n / best


def bench_batch(games: str | Path, n: int = 10_000, threads: int = 0, repeat: int = 5) -> dict[str, object]:
    """getBatch samples/s with all threads, against the naive design (every
    game replayed from its first move, one thread) in the same run."""
    dataset = Dataset(games)
    used = threads or _core.default_threads()
    arrays = Batch.zeros(n)

    def ours(index: int) -> None:
        dataset.get_batch(*arrays, index, threads=used)

    def baseline(index: int) -> None:
        dataset.get_batch(*arrays, index, threads=1, from_start=True)

    rate = _best_rate(ours, n, repeat)
    baseline_rate = _best_rate(baseline, n, max(1, repeat // 2))
    return {
        "games_file": str(games),
        "games": dataset.num_games,
        "positions": dataset.num_training_positions,
        "batch": n,
        "threads": used,
        "samples_per_second": round(rate),
        "microseconds_per_sample": round(1e6 / rate, 2),
        "cpu_microseconds_per_sample": round(1e6 * used / rate, 2),
        "baseline": {
            "design": "replay each game from its first move, one thread",
            "samples_per_second": round(baseline_rate),
        },
        "speedup": round(rate / baseline_rate, 2),
    }
