
"""A tournament's table: points, wins and losses by colour, ratings with intervals, the crosstable."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from golois.engine.game_end import EndReason
from golois.tournament.domain import GameStatus
from golois.tournament.models import Entry, Game, NetworkVersion, Tournament
from golois.tournament.ratings import GameResult, Rating, RatingFit, fit_ratings, ordinal

SCORE = {"B": 1.0, "W": 0.0, None: 0.5}  # Black's score by winner


@dataclass
class Row:
    version_id: int
    network_id: int
    label: str
    bundled: bool
    rating: Rating
    games: int = 0
    points: float = 0.0
    wins_black: int = 0
    losses_black: int = 0
    wins_white: int = 0
    losses_white: int = 0
    draws: int = 0
    losses_by_reason: Counter = field(default_factory=Counter)

    @property
    def wins(self) -> int:
        return self.wins_black + self.wins_white

    @property
    def losses(self) -> int:
        return self.losses_black + self.losses_white

    @property
    def rank_text(self) -> str:
        r = self.rating
        if r.rank is None:
            return "not rated"
        if r.rank_low == r.rank_high:
            return f"{ordinal(r.rank)}, 95%: exactly"
        return f"{ordinal(r.rank)}, 95%: {ordinal(r.rank_low)} to {ordinal(r.rank_high)}"

    def as_dict(self) -> dict[str, Any]:
        r = self.rating
        return {
            "version_id": self.version_id, "network_id": self.network_id, "label": self.label,
            "bundled": self.bundled, "games": self.games, "points": self.points, "wins": self.wins,
            "losses": self.losses, "draws": self.draws, "wins_black": self.wins_black,
            "losses_black": self.losses_black, "wins_white": self.wins_white, "losses_white": self.losses_white,
            "losses_by_reason": dict(self.losses_by_reason),
            "rating": _round(r.rating), "rating_95": [_round(r.low), _round(r.high)],
            "rank": r.rank, "rank_95": [r.rank_low, r.rank_high], "rank_text": self.rank_text,
            "stronger_than_next": None if r.stronger_than_next is None else round(r.stronger_than_next, 3),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass
class Standings:
    tournament: Tournament
    rows: list[Row]
    crosstable: dict[tuple[int, int], list[float]]  # (row player, column player) -> [points, games]
    fit: RatingFit
    counts: Counter

    def as_dict(self) -> dict[str, Any]:
        low, high = self.fit.black_advantage_interval
        return {
            "standings": [row.as_dict() for row in self.rows],
            "black_advantage": {"elo": round(self.fit.black_advantage, 1), "elo_95": [round(low, 1), round(high, 1)]},
            "anchor_version_id": self.fit.anchor,
            "crosstable": [{"version_id": a, "opponent_id": b, "points": points, "games": games}
                           for (a, b), (points, games) in sorted(self.crosstable.items())],
            "game_counts": {status.value: 0 for status in GameStatus} | dict(self.counts),
        }

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["rank", "rank_95_low", "rank_95_high", "network", "rating", "rating_95_low",
                         "rating_95_high", "points", "games", "wins", "losses", "wins_black", "losses_black",
                         "wins_white", "losses_white"])
        for row in self.rows:
            r = row.rating
            writer.writerow([r.rank, r.rank_low, r.rank_high, row.label, _round(r.rating), _round(r.low),
                             _round(r.high), row.points, row.games, row.wins, row.losses, row.wins_black,
                             row.losses_black, row.wins_white, row.losses_white])
        return out.getvalue()


def compute_standings(session: Session, tournament: Tournament) -> Standings:
    versions = session.scalars(select(NetworkVersion).join(Entry, Entry.version_id == NetworkVersion.id)
                               .where(Entry.tournament_id == tournament.id)).all()
    games = session.scalars(select(Game).where(Game.tournament_id == tournament.id)).all()
    counts = Counter(game.status for game in games)
    rated = [g for g in games if g.status == GameStatus.FINISHED and g.reason != EndReason.VOID]
    anchor = next((v.id for v in versions if v.network.bundled), None)
    fit = fit_ratings([v.id for v in versions], [GameResult(g.black_id, g.white_id, SCORE[g.winner]) for g in rated],
                      anchor)
    rows = {v.id: Row(v.id, v.network_id, v.label, v.network.bundled, fit.ratings[v.id]) for v in versions}
    crosstable: dict[tuple[int, int], list[float]] = {}
    for game in rated:
        black, white = rows[game.black_id], rows[game.white_id]
        score = SCORE[game.winner]
        for row, mine in ((black, score), (white, 1 - score)):
            row.games += 1
            row.points += mine
        if game.winner is None:
            black.draws += 1
            white.draws += 1
        elif game.winner == "B":
            black.wins_black += 1
            white.losses_white += 1
            white.losses_by_reason[game.reason] += 1
        else:
            white.wins_white += 1
            black.losses_black += 1
            black.losses_by_reason[game.reason] += 1
        for a, b, mine in ((black, white, score), (white, black, 1 - score)):
            cell = crosstable.setdefault((a.version_id, b.version_id), [0.0, 0])
            cell[0] += mine
            cell[1] += 1
    ordered = [rows[p] for p in fit.order] + sorted(
        (row for row in rows.values() if row.rating.rank is None), key=lambda row: row.label)
    return Standings(tournament, ordered, crosstable, fit, counts)
