"""Evaluation of a network on positions of a games file: one per game, never a pass, fixed seed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from golois.dataset import Dataset
from golois.network import count_parameters, load_network
from golois.training.pipeline import validation_arrays

EVALUATION_SEED = 12345


def evaluate_arrays(model: Any, boards: np.ndarray, policy: np.ndarray, value: np.ndarray,
                    batch: int = 256) -> dict[str, float]:
    """Policy top-1 and top-5 accuracy and value MSE of `model` on these samples."""
    top1 = top5 = squared_error = 0.0
    for start in range(0, len(boards), batch):
        predicted_policy, predicted_value = model.predict_on_batch(boards[start:start + batch])
        target = policy[start:start + batch].argmax(axis=1)
        best5 = np.argpartition(-np.asarray(predicted_policy), 5, axis=1)[:, :5]
        top1 += float(np.sum(np.asarray(predicted_policy).argmax(axis=1) == target))
        top5 += float(np.sum(best5 == target[:, None]))
        squared_error += float(np.sum((np.asarray(predicted_value).reshape(-1) - value[start:start + batch]) ** 2))
    n = len(boards)
    return {"policy_accuracy": top1 / n, "top5_accuracy": top5 / n, "value_mse": squared_error / n}


def evaluate(model_name: str | Path, games: str | Path, positions: int = 10_000, seed: int = EVALUATION_SEED,
             progress: bool = False) -> dict[str, Any]:
    """Evaluates a network file (or `default`) on `positions` positions of `games`, one per game.

    Fewer positions are used when the file has fewer games."""
    model = load_network(model_name)
    dataset = Dataset(games, seed=seed, progress=progress)
    n = min(positions, dataset.num_games)
    dataset.use_validation(n)
    boards, targets = validation_arrays(dataset, n)
    figures = evaluate_arrays(model, boards, targets["policy"], targets["value"].reshape(-1))
    return {**{key: round(value, 4) for key, value in figures.items()}, "params": count_parameters(model),
            "positions": n}
