"""Ratings with 95% intervals: a Bradley-Terry (Elo-scale) fit with Black's advantage as a parameter.

The model: Black beats White with probability 1 / (1 + 10^(-(r_B - r_W + h) / 400)),
where h is the advantage of playing Black at the tournament's komi. It is
fitted by maximum a posteriori Newton iterations with the prior Bayes-Elo
uses: a virtual draw between every two networks that met, which keeps the
ratings of a network that won (or lost) everything finite. One network,
the anchor (the bundled default network), is fixed at 0, so ratings
compare from one tournament to the next.

Uncertainty comes from the curvature of the posterior (the inverse of the
negative Hessian): a rating's 95% interval is +-1.96 standard deviations,
and each rank's interval comes from drawing ratings from that normal
approximation (a network "3rd, 95%: 2nd to 5th"). For each network the
probability that it is stronger than the next one down says whether
adjacent ranks are really different.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

ELO = math.log(10) / 400  # natural-log units per Elo point
PRIOR_DRAWS = 1.0          # virtual draws between every two networks that played each other
Z95 = 1.959964
SAMPLES = 4000             # draws for the rank intervals (fixed seed: the same games give the same page)


@dataclass
class GameResult:
    black: int
    white: int
    score: float  # for Black: 1 win, 0 loss, 0.5 draw


@dataclass
class Rating:
    player: int
    rating: float | None          # Elo, the anchor at 0; None for a network without games
    low: float | None = None      # 95% interval
    high: float | None = None
    rank: int | None = None
    rank_low: int | None = None   # 95% interval of the rank
    rank_high: int | None = None
    stronger_than_next: float | None = None  # P(rating > the next one down)


@dataclass
class RatingFit:
    ratings: dict[int, Rating]
    black_advantage: float
    black_advantage_interval: tuple[float, float]
    anchor: int | None
    games: int
    order: list[int] = field(default_factory=list)  # players by rating, best first


def fit_ratings(players: list[int], results: list[GameResult], anchor: int | None = None,
                prior_draws: float = PRIOR_DRAWS) -> RatingFit:
    """Ratings of `players` from `results`; `anchor` (default: the first player with games) is fixed at 0."""
    played = sorted({p for r in results for p in (r.black, r.white)})
    if anchor not in played:
        anchor = played[0] if played else None
    free = [p for p in played if p != anchor]
    column = {p: i for i, p in enumerate(free)}
    n = len(free) + 1  # the ratings that are fitted, then h
    rows, targets, weights, has_h = [], [], [], []
    for r in results:
        rows.append((column.get(r.black), column.get(r.white)))
        targets.append(r.score)
        weights.append(1.0)
        has_h.append(True)
    for a, b in sorted({tuple(sorted((r.black, r.white))) for r in results}):
        rows.append((column.get(a), column.get(b)))
        targets.append(0.5)
        weights.append(prior_draws)
        has_h.append(False)
    design = np.zeros((len(rows), n))
    for i, (plus, minus) in enumerate(rows):
        if plus is not None:
            design[i, plus] += 1.0
        if minus is not None:
            design[i, minus] -= 1.0
        design[i, -1] = 1.0 if has_h[i] else 0.0
    design *= ELO
    y, w = np.array(targets), np.array(weights)
    theta, covariance = _newton(design, y, w)
    h, h_sd = float(theta[-1]), math.sqrt(float(covariance[-1, -1]))
    fit = RatingFit({}, h, (h - Z95 * h_sd, h + Z95 * h_sd), anchor, len(results))
    means = {p: float(theta[column[p]]) if p in column else 0.0 for p in played}
    sd = {p: math.sqrt(max(float(covariance[column[p], column[p]]), 0.0)) if p in column else 0.0 for p in played}
    for p in players:
        if p in means:
            fit.ratings[p] = Rating(p, means[p], means[p] - Z95 * sd[p], means[p] + Z95 * sd[p])
        else:
            fit.ratings[p] = Rating(p, None)
    _rank(fit, played, column, theta, covariance)
    return fit


def _newton(design: np.ndarray, y: np.ndarray, w: np.ndarray, iterations: int = 100) -> tuple[np.ndarray,
                                                                                           np.ndarray]:
    """Maximises sum w * (y log p + (1 - y) log(1 - p)), p = sigmoid(design @ theta); returns theta and
    the inverse of the negative Hessian (the covariance of the normal approximation)."""
    theta = np.zeros(design.shape[1])

    def objective(t: np.ndarray) -> float:
        x = design @ t
        return float(np.sum(w * (y * -np.logaddexp(0, -x) + (1 - y) * -np.logaddexp(0, x))))

    hessian = np.eye(design.shape[1])
    for _ in range(iterations):
        x = design @ theta
        p = 1 / (1 + np.exp(-x))
        gradient = design.T @ (w * (y - p))
        hessian = (design * (w * p * (1 - p))[:, None]).T @ design + 1e-9 * np.eye(design.shape[1])
        step = np.linalg.solve(hessian, gradient)
        current, scale = objective(theta), 1.0
        while objective(theta + scale * step) < current - 1e-12 and scale > 1e-6:
            scale /= 2  # backtracking: the objective is concave, so a short enough step always helps
        theta = theta + scale * step
        if np.max(np.abs(scale * step)) < 1e-9:
            break
    return theta, np.linalg.inv(hessian)


def _rank(fit: RatingFit, played: list[int], column: dict[int, int], theta: np.ndarray,
          covariance: np.ndarray) -> None:
    if not played:
        return
    free = [p for p in played if p in column]
    mean = np.array([theta[column[p]] for p in free])
    block = covariance[np.ix_([column[p] for p in free], [column[p] for p in free])]
    rng = np.random.default_rng(0)
    draws = rng.multivariate_normal(mean, block, size=SAMPLES, method="eigh") if free else np.zeros((SAMPLES, 0))
    everyone = np.zeros((SAMPLES, len(played)))
    index = {p: i for i, p in enumerate(played)}
    for p in free:
        everyone[:, index[p]] = draws[:, free.index(p)]
    ranks = np.argsort(np.argsort(-everyone, axis=1), axis=1) + 1  # 1 = best, per draw
    fit.order = sorted(played, key=lambda p: -fit.ratings[p].rating)
    for position, p in enumerate(fit.order, start=1):
        rating = fit.ratings[p]
        rating.rank = position
        rating.rank_low = int(np.percentile(ranks[:, index[p]], 2.5, method="lower"))
        rating.rank_high = int(np.percentile(ranks[:, index[p]], 97.5, method="higher"))
        if position < len(fit.order):
            below = fit.order[position]
            rating.stronger_than_next = float(np.mean(everyone[:, index[p]] > everyone[:, index[below]]))


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
