"""How well a network predicts held-out games: the figures the trainer, the upload check and the copy finder share.

Policy top-1 and top-5 accuracy, value MSE, value accuracy (how often the
side the value favours is the side that won: a measure a Go player reads
directly; always answering one colour scores the share of games that colour
won, about 50%), the same by game phase, and the value's calibration (for
positions given about p, how often White won).

The held-out set shipped with the project (`HELD_OUT_GAMES`) is 2,000 games
of December 2011, a month no network the project ships was trained on: one
position a game, chosen with a fixed seed, the same for every network. A
network's answers on them and on fixed random inputs are its fingerprint:
two networks that agree far beyond what independently trained networks do
are copies (`agreement`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from golois import HELD_OUT_GAMES, PLANES, SIZE, Batch
from golois.dataset import Dataset

EVALUATION_SEED = 12345
HELD_OUT_POSITIONS = 2_000  # one a game of HELD_OUT_GAMES
PHASES = ((0, 50), (50, 100), (100, 150), (150, None))  # moves already played: [start, end)
CALIBRATION_BINS = 10


@dataclass(frozen=True)
class Positions:
    """Positions with their targets: boards (n, 19, 19, 31), the move played (n,), White won (n,) as 1/0 (0.5
    for a draw), and the moves played before each position (n,)."""

    boards: np.ndarray
    moves_played: np.ndarray
    white_won: np.ndarray
    move_number: np.ndarray

    def __len__(self) -> int:
        return len(self.boards)


def dataset_positions(dataset: Dataset, n: int) -> Positions:
    """The first n positions of the dataset's validation set (`use_validation` called before)."""
    batch = Batch.zeros(n)
    dataset.get_validation(batch.input_data, batch.policy, batch.value, batch.end)
    return Positions(batch.input_data, batch.policy.argmax(axis=1), batch.value.reshape(-1).astype(np.float64),
                     np.array([move for _, move in dataset.validation[:n]]))


def held_out_positions(n: int = HELD_OUT_POSITIONS) -> Positions:
    """The project's held-out positions (the first n of them): the same for every network."""
    dataset = Dataset(HELD_OUT_GAMES, seed=EVALUATION_SEED, threads=1, progress=False)
    n = min(n, dataset.num_games)
    dataset.use_validation(n)
    return dataset_positions(dataset, n)


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


def value_by_phase(predicted: np.ndarray, value: np.ndarray, moves: np.ndarray) -> dict[str, dict[str, Any]]:
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


def calibration(predicted: np.ndarray, value: np.ndarray, bins: int = CALIBRATION_BINS) -> list[dict[str, Any]]:
    """For each tenth of [0, 1] of the predicted P(White wins): positions, mean prediction, share White won.
    A calibrated value lies on the diagonal; a constant one fills a single bin."""
    which = np.minimum((predicted * bins).astype(int), bins - 1)
    rows = []
    for b in range(bins):
        chosen = which == b
        n = int(np.sum(chosen))
        rows.append({"low": b / bins, "high": (b + 1) / bins, "positions": n,
                     "predicted": round(float(np.mean(predicted[chosen])), 4) if n else None,
                     "white_won": round(float(np.mean(value[chosen])), 4) if n else None})
    return rows


@dataclass(frozen=True)
class Predictions:
    """A network's outputs on positions: the policy (n, 361) and P(White wins) (n,)."""

    policy: np.ndarray
    value: np.ndarray


def predict(model: Any, boards: np.ndarray, batch: int = 256) -> Predictions:
    policies, values = [], []
    for start in range(0, len(boards), batch):
        policy, value = model.predict_on_batch(boards[start:start + batch])
        policies.append(np.asarray(policy, np.float64).reshape(len(policy), -1))
        values.append(np.asarray(value, np.float64).reshape(-1))
    return Predictions(np.concatenate(policies), np.concatenate(values))


def score(predictions: Predictions, moves_played: np.ndarray, white_won: np.ndarray,
          move_number: np.ndarray | None = None) -> dict[str, Any]:
    """Policy top-1 and top-5 accuracy, value MSE, value accuracy and the spread (standard deviation) of the
    value; with `move_number` (moves played before each position), the value figures by game phase too."""
    best5 = np.argpartition(-predictions.policy, 5, axis=1)[:, :5]
    predicted, value = predictions.value, np.asarray(white_won, np.float64).reshape(-1)
    figures: dict[str, Any] = {
        "policy_accuracy": float(np.mean(predictions.policy.argmax(axis=1) == moves_played)),
        "top5_accuracy": float(np.mean(np.any(best5 == moves_played[:, None], axis=1))),
        "value_mse": float(np.mean((predicted - value) ** 2)),
        "value_accuracy": value_accuracy(predicted, value),
        "value_std": float(np.std(predicted)),
    }
    if move_number is not None:
        figures["value_by_phase"] = value_by_phase(predicted, value, np.asarray(move_number))
    return figures


def evaluate_arrays(model: Any, boards: np.ndarray, policy: np.ndarray, value: np.ndarray, batch: int = 256,
                    moves: np.ndarray | None = None) -> dict[str, Any]:
    """`score` of the model on boards whose targets are one-hot policies and values (P(White won))."""
    return score(predict(model, boards, batch), np.asarray(policy).argmax(axis=1), value, moves)


def evaluate_positions(model: Any, positions: Positions) -> dict[str, Any]:
    return score(predict(model, positions.boards), positions.moves_played, positions.white_won,
                 positions.move_number)


# ---------------------------------------------------------------- fingerprints and copies

NOISE_POSITIONS = 1_000   # inputs no game produces: each plane's points on with probability NOISE_DENSITY
NOISE_DENSITY = 0.3
NOISE_SEED = 20261206


def noise_boards(n: int = NOISE_POSITIONS) -> np.ndarray:
    """The same random inputs every time (PCG64 draws are fixed across NumPy versions)."""
    rng = np.random.default_rng(NOISE_SEED)
    return (rng.random((n, SIZE, SIZE, PLANES)) < NOISE_DENSITY).astype(np.float32)


def fingerprint(held_out: Predictions, noise: Predictions) -> dict[str, list]:
    """What a network answers, kept to compare it with others: its top move and its value (3 decimals) on each
    held-out position, and its top move on each noise input.

    On real positions every decent network converges to the same strong moves, so independently trained
    networks agree on 55 to 70% of the top moves and a copy fine-tuned a little is not much closer. On
    inputs no game produces, the answer is an accident of the particular weights, which a few hundred steps
    of training do not undo: there independent networks agree on at most 9% and such copies on 20% or more
    (docs/results/copies.md)."""
    return {"top": [int(move) for move in held_out.policy.argmax(axis=1)],
            "value": [round(float(v), 3) for v in held_out.value],
            "noise_top": [int(move) for move in noise.policy.argmax(axis=1)]}


def _same(first: list, second: list) -> float:
    n = min(len(first), len(second))
    return round(float(np.mean(np.asarray(first[:n]) == np.asarray(second[:n]))), 4) if n else 0.0


def agreement(first: dict[str, list], second: dict[str, list]) -> dict[str, float]:
    """How alike two fingerprints are: the share of noise inputs with the same top move (what tells copies),
    the share of held-out positions with the same top move, and the mean absolute difference of the values."""
    value_a, value_b = np.asarray(first["value"], np.float64), np.asarray(second["value"], np.float64)
    n = min(len(value_a), len(value_b))
    return {"noise_same_top_move": _same(first.get("noise_top", []), second.get("noise_top", [])),
            "same_top_move": _same(first["top"], second["top"]),
            "value_difference": round(float(np.mean(np.abs(value_a[:n] - value_b[:n]))), 4) if n else 1.0,
            "positions": min(len(first["top"]), len(second["top"]))}
