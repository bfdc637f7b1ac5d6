"""Evaluation of a network on positions of a games file: one per game, never a pass, fixed seed.

The figures (policy top-1 and top-5, value MSE, value accuracy by game
phase) are the network contract's (`golois.network.scores`), the ones the
server shows for an upload; here on any games file, at the games' own komi
or another.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from golois.dataset import Dataset
from golois.network import count_parameters, load_network
from golois.network.scores import EVALUATION_SEED, dataset_positions, evaluate_positions
from golois.training.pipeline import set_komi


def evaluate(model_name: str | Path, games: str | Path, positions: int = 10_000, seed: int = EVALUATION_SEED,
             progress: bool = False, komi: float | None = None) -> dict[str, Any]:
    """Evaluates a network file (or `default`) on `positions` positions of `games`, one per game.

    Fewer positions are used when the file has fewer games. With `komi`,
    every position shows that komi in its komi planes instead of its game's."""
    model = load_network(model_name)
    dataset = Dataset(games, seed=seed, progress=progress)
    n = min(positions, dataset.num_games)
    dataset.use_validation(n)
    held_out = dataset_positions(dataset, n)
    if komi is not None:
        set_komi(held_out.boards, komi)
    figures = evaluate_positions(model, held_out)
    rounded = {key: round(value, 4) if isinstance(value, float) else value for key, value in figures.items()}
    return {**rounded, "params": count_parameters(model), "positions": n, "komi": komi}
