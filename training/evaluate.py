"""Evaluation of a network on positions of a games file: one per game, never a pass, fixed seed.

Beside the value's mean squared error, the value accuracy is a measure a Go
player reads directly: how often the side the value favours (White above
0.5, Black below) is the side that won the game, overall and by the phase
of the game the position comes from. Always answering one colour scores
the share of games that colour won (about 50%).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from golois.dataset import Dataset
from golois.network import count_parameters, load_network
from golois.training.pipeline import set_komi, validation_arrays

EVALUATION_SEED = 12345
PHASES = ((0, 50), (50, 100), (100, 150), (150, None))  # moves already played: [start, end)


def phase_name(start: int, end: int | None) -> str:
    return f"{start}-{end - 1}" if end is not None else f"{start}+"


def value_accuracy(predicted: np.ndarray, value: np.ndarray) -> float:
    """Share of decided positions (target not 0.5) where the favoured side won; a prediction of exactly 0.5
    counts half. NaN when no position is decided."""
    decided = value != 0.5
    if not np.any(decided):
        return float("nan")
    right = np.where(predicted == 0.5, 0.5, (predicted > 0.5) == (value > 0.5))
    return float(np.mean(right[decided]))


def value_by_phase(predicted: np.ndarray, value: np.ndarray, moves: np.ndarray) -> dict[str, dict[str, float]]:
    """Positions, value MSE and value accuracy for each game phase (by moves already played)."""
    figures = {}
    for start, end in PHASES:
        chosen = (moves >= start) & (moves < end if end is not None else True)
        n = int(np.sum(chosen))
        figures[phase_name(start, end)] = {
            "positions": n,
            "value_mse": round(float(np.mean((predicted[chosen] - value[chosen]) ** 2)), 4) if n else None,
            "value_accuracy": round(value_accuracy(predicted[chosen], value[chosen]), 4) if n else None,
        }
    return figures


def evaluate_arrays(model: Any, boards: np.ndarray, policy: np.ndarray, value: np.ndarray,
                    batch: int = 256, moves: np.ndarray | None = None) -> dict[str, Any]:
    """Policy top-1 and top-5 accuracy, value MSE, value accuracy and the spread (standard deviation)
    of the value over these samples; with `moves` (moves played before each position), the value
    figures by game phase too."""
    top1 = top5 = 0.0
    predicted = np.empty(len(boards), np.float64)
    for start in range(0, len(boards), batch):
        predicted_policy, predicted_value = model.predict_on_batch(boards[start:start + batch])
        target = policy[start:start + batch].argmax(axis=1)
        best5 = np.argpartition(-np.asarray(predicted_policy), 5, axis=1)[:, :5]
        top1 += float(np.sum(np.asarray(predicted_policy).argmax(axis=1) == target))
        top5 += float(np.sum(best5 == target[:, None]))
        predicted[start:start + batch] = np.asarray(predicted_value).reshape(-1)
    n = len(boards)
    value = np.asarray(value, np.float64).reshape(-1)
    figures: dict[str, Any] = {
        "policy_accuracy": top1 / n, "top5_accuracy": top5 / n,
        "value_mse": float(np.mean((predicted - value) ** 2)),
        "value_accuracy": value_accuracy(predicted, value), "value_std": float(np.std(predicted)),
    }
    if moves is not None:
        figures["value_by_phase"] = value_by_phase(predicted, value, np.asarray(moves))
    return figures


def evaluate(model_name: str | Path, games: str | Path, positions: int = 10_000, seed: int = EVALUATION_SEED,
             progress: bool = False, komi: float | None = None) -> dict[str, Any]:
    """Evaluates a network file (or `default`) on `positions` positions of `games`, one per game.

    Fewer positions are used when the file has fewer games. With `komi`,
    every position shows that komi in its komi planes instead of its game's."""
    model = load_network(model_name)
    dataset = Dataset(games, seed=seed, progress=progress)
    n = min(positions, dataset.num_games)
    dataset.use_validation(n)
    boards, targets = validation_arrays(dataset, n)
    if komi is not None:
        set_komi(boards, komi)
    moves = np.array([move for _, move in dataset.validation[:n]])
    figures = evaluate_arrays(model, boards, targets["policy"], targets["value"].reshape(-1), moves=moves)
    rounded = {key: round(value, 4) if isinstance(value, float) else value for key, value in figures.items()}
    return {**rounded, "params": count_parameters(model), "positions": n, "komi": komi}
