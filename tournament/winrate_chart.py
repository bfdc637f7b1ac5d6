"""The win-rate graph under a game's replay: Black's win rate after each move, as each engine saw it
(where it says, over Leela Zero's lz-genmove_analyze) and as the judge saw it (engine/judge.py).

Laid out here and drawn by templates/_winrate_chart.html as an SVG: no script draws it; the replay
only moves the cursor of the move shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WIDTH, HEIGHT, MARGIN = 640, 170, 36
SERIES = (("judge", "the judge", "#3b5fa8"), ("B", "Black's engine", "#222222"), ("W", "White's engine", "#c2410c"))


@dataclass
class WinrateChart:
    moves: int
    series: list[tuple[str, str, str]] = field(default_factory=list)  # (label, colour, SVG polyline points)
    grid: list[tuple[float, int]] = field(default_factory=list)        # (y, percent for Black)
    ticks: list[tuple[float, int]] = field(default_factory=list)       # (x, move number)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = MARGIN

    def x(self, move: float) -> float:
        return MARGIN + (WIDTH - 2 * MARGIN) * move / max(1, self.moves)

    @staticmethod
    def y(black: float) -> float:
        return MARGIN / 2 + (HEIGHT - 1.5 * MARGIN) * (1.0 - black)


def winrate_chart(winrates: dict | None, moves: int) -> WinrateChart | None:
    """The chart of a game's recorded win rates (Game.winrates); None when nothing was recorded."""
    if not winrates or not any(winrates.get(key) for key, _, _ in SERIES):
        return None
    chart = WinrateChart(moves)
    for key, label, colour in SERIES:
        points = [(move, rate) for move, rate in winrates.get(key) or [] if 0.0 <= rate <= 1.0]
        if points:
            chart.series.append((label, colour, " ".join(f"{chart.x(m):.1f},{chart.y(r):.1f}" for m, r in points)))
    chart.grid = [(chart.y(p / 100), p) for p in (0, 25, 50, 75, 100)]
    step = next(s for s in (10, 25, 50, 100, 200) if moves / s <= 8)
    chart.ticks = [(chart.x(m), m) for m in range(0, moves + 1, step)]
    return chart
