"""Ratings across weeks: each entry's result kept once its tournament is finished, read back as a network's or a
team's history, and each tournament's winner.

Every tournament rates on the same scale (the bundled network at 0), so a network's ratings from one week to
the next are comparable. A finished tournament's results never change; they are computed once, on the first
page that needs them (`remember_results`), and stored on its entries.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from golois.tournament.domain import TournamentStatus
from golois.tournament.models import Entry, NetworkVersion, Tournament
from golois.tournament.standings import compute_standings


@dataclass(frozen=True)
class RatingPoint:
    """One network version's result in one finished tournament."""

    tournament_id: int
    when: str          # the tournament's start date, YYYY-MM-DD
    network_id: int
    label: str         # the version's label
    rating: float | None
    low: float | None
    high: float | None
    rank: int | None
    points: float
    games: int


def remember_results(session: Session, tournament: Tournament) -> None:
    """Stores each entry's games, points, rating, interval and rank (a finished tournament's, once)."""
    entries = {entry.version_id: entry for entry in tournament.entries}
    for row in compute_standings(session, tournament).rows:
        entry, rating = entries[row.version_id], row.rating
        entry.games, entry.points, entry.rank = row.games, row.points, rating.rank
        entry.rating, entry.rating_low, entry.rating_high = rating.rating, rating.low, rating.high


def _remembered(session: Session, tournaments: list[Tournament]) -> None:
    missing = [t for t in tournaments if t.status == TournamentStatus.FINISHED
               and any(entry.games is None for entry in t.entries)]
    for tournament in missing:
        remember_results(session, tournament)
    if missing:
        session.commit()


def rating_history(session: Session, version_ids: list[int]) -> list[RatingPoint]:
    """The results of these versions in every finished tournament, oldest first."""
    tournaments = session.scalars(select(Tournament).join(Entry).where(
        Entry.version_id.in_(version_ids), Tournament.status == TournamentStatus.FINISHED).distinct()
        .order_by(Tournament.id)).all()
    _remembered(session, list(tournaments))
    rows = session.execute(select(Entry, Tournament, NetworkVersion).join(Tournament).join(NetworkVersion).where(
        Entry.version_id.in_(version_ids), Tournament.status == TournamentStatus.FINISHED)
        .order_by(Tournament.id)).all()
    return [RatingPoint(tournament.id, tournament.created_at.strftime("%Y-%m-%d"), version.network_id, version.label,
                        entry.rating, entry.rating_low, entry.rating_high, entry.rank, entry.points or 0.0,
                        entry.games or 0)
            for entry, tournament, version in rows]


def winners(session: Session, tournaments: list[Tournament]) -> dict[int, str]:
    """Each finished tournament's winner: the label of the version ranked first (by rating)."""
    _remembered(session, tournaments)
    finished = [t.id for t in tournaments if t.status == TournamentStatus.FINISHED]
    rows = session.execute(select(Entry.tournament_id, NetworkVersion).join(NetworkVersion).where(
        Entry.tournament_id.in_(finished), Entry.rank == 1)).all()
    return {tournament_id: version.label for tournament_id, version in rows}


CHART_WIDTH, CHART_HEIGHT, MARGIN = 640, 220, 40
COLOURS = ("#2f6f4f", "#3b5fa8", "#a35a1f", "#7b3f9e", "#a33", "#1f7f8f")


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    y_low: float
    y_high: float
    point: RatingPoint


@dataclass(frozen=True)
class RatingChart:
    """Screen coordinates of a rating history (one series per network), for the SVG the page draws."""

    series: list[tuple[str, str, list[ChartPoint]]]  # (network's label, colour, points)
    ticks: list[tuple[float, str]]                    # (x, tournament) along the bottom
    grid: list[tuple[float, int]]                     # (y, Elo) across
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    left: int = MARGIN


def rating_chart(history: list[RatingPoint]) -> RatingChart | None:
    """Lays out a history: tournaments across in order, Elo up, the 95% interval as a bar; None when empty."""
    rated = [p for p in history if p.rating is not None]
    if not rated:
        return None
    tournaments = sorted({p.tournament_id for p in rated})
    low = min(min(p.low if p.low is not None else p.rating for p in rated), 0.0)
    high = max(max(p.high if p.high is not None else p.rating for p in rated), 0.0)
    step = _grid_step(high - low)
    low, high = step * (low // step), step * (-(-high // step))
    inner_w, inner_h = CHART_WIDTH - 2 * MARGIN, CHART_HEIGHT - 2 * MARGIN

    def x(tournament_id: int) -> float:
        index = tournaments.index(tournament_id)
        return MARGIN + (inner_w * index / (len(tournaments) - 1) if len(tournaments) > 1 else inner_w / 2)

    def y(elo: float) -> float:
        return MARGIN + inner_h * (high - elo) / (high - low)

    series: dict[int, tuple[str, list[ChartPoint]]] = {}
    for p in rated:
        label = p.label.rsplit(" v", 1)[0]
        points = series.setdefault(p.network_id, (label, []))[1]
        points.append(ChartPoint(x(p.tournament_id), y(p.rating), y(p.low if p.low is not None else p.rating),
                                 y(p.high if p.high is not None else p.rating), p))
    by_tournament = {p.tournament_id: p.when for p in rated}
    return RatingChart([(label, COLOURS[i % len(COLOURS)], points) for i, (label, points) in
                        enumerate(series.values())],
                       [(x(t), f"#{t} {by_tournament[t]}") for t in tournaments],
                       [(y(v), int(v)) for v in _range(low, high, step)])


def _grid_step(span: float) -> float:
    for step in (25, 50, 100, 200, 500, 1000, 2000, 5000):
        if span / step <= 6:
            return float(step)
    return 10000.0


def _range(low: float, high: float, step: float) -> list[float]:
    values, value = [], low
    while value <= high + 1e-9:
        values.append(value)
        value += step
    return values
