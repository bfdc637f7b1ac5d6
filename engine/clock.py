"""How long the engine may think about a move.

By default a fixed CPU time per move (the course's rule: SECONDS_PER_MOVE), or a
fixed playout count for reproducible runs. GTP `time_settings` and
`time_left` switch to the game clock: the remaining main time is spread over
the moves still expected, and byo-yomi periods are used but never overrun.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SECONDS_PER_MOVE = 2.0    # the course's rule: CPU seconds a move, each engine its own; the default everywhere
EXPECTED_GAME_MOVES = 240   # a typical 19x19 game, both players
MIN_MOVES_TO_PLAN = 20      # never plan the main time over fewer of our moves
# Time kept back from what the clock allows: the GTP round trip, the network's last batch, a loaded
# machine and the referee's own lag. A byo-yomi period of 10 s gives 8.5 s of thinking.
SAFETY_SECONDS = 1.0
SAFETY_FRACTION = 0.15


def safety_reserve(left: float) -> float:
    """Seconds of `left` that a move never uses."""
    return max(SAFETY_SECONDS, SAFETY_FRACTION * left)


@dataclass
class MoveBudget:
    """Limits of one search: it stops at whichever comes first."""

    cpu_seconds: float | None = None
    wall_seconds: float | None = None
    playouts: int | None = None


@dataclass
class Clock:
    seconds_per_move: float | None = SECONDS_PER_MOVE
    playouts: int | None = None
    # GTP time_settings; None until set (or after settings that mean no time limits).
    main_time: float | None = None
    byo_yomi_time: float = 0.0
    byo_yomi_stones: int = 0
    # GTP time_left, by colour: (seconds left, stones left in the byo-yomi period; 0 in main time)
    time_left: dict[int, tuple[float, int]] = field(default_factory=dict)

    def set_time_settings(self, main_time: float, byo_yomi_time: float, byo_yomi_stones: int) -> None:
        """GTP time_settings. Byo-yomi time with no stones means no time limits (as the specification says),
        and so do no main time and no byo-yomi."""
        if main_time < 0 or byo_yomi_time < 0 or byo_yomi_stones < 0:
            raise ValueError("time settings must not be negative")
        self.time_left.clear()
        if (byo_yomi_time > 0 and byo_yomi_stones == 0) or (main_time == 0 and byo_yomi_time == 0):
            self.main_time = None
            return
        self.main_time, self.byo_yomi_time, self.byo_yomi_stones = main_time, byo_yomi_time, byo_yomi_stones

    def set_time_left(self, colour: int, seconds: float, stones: int) -> None:
        """GTP time_left. A negative time (a referee's clock past zero) means no time at all."""
        if stones < 0:
            raise ValueError("stones left must not be negative")
        self.time_left[colour] = (max(0.0, seconds), stones)

    @property
    def limited(self) -> bool:
        return self.main_time is not None

    def budget(self, move_number: int, colour: int) -> MoveBudget:
        if self.main_time is None:
            return MoveBudget(cpu_seconds=None if self.playouts else self.seconds_per_move, playouts=self.playouts)
        return MoveBudget(wall_seconds=self._game_clock_seconds(move_number, colour), playouts=self.playouts)

    def _game_clock_seconds(self, move_number: int, colour: int) -> float:
        in_byo_yomi = self.main_time == 0
        left, stones = self.time_left.get(colour, (self.byo_yomi_time if in_byo_yomi else self.main_time,
                                                   self.byo_yomi_stones if in_byo_yomi else 0))
        if stones > 0:  # in byo-yomi: share the period over its stones
            return max(0.05, (left - safety_reserve(left)) / stones)
        our_moves_left = max(MIN_MOVES_TO_PLAN, (EXPECTED_GAME_MOVES - move_number) // 2)
        share = left / our_moves_left
        if self.byo_yomi_stones:  # main time runs out into byo-yomi: add a period's share
            share += self.byo_yomi_time / self.byo_yomi_stones
        return max(0.05, min(share, left - safety_reserve(left)))
