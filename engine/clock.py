"""How long the engine may think about a move.

By default a fixed CPU time per move (the course tournament gives 2 s), or a
fixed playout count for reproducible runs. GTP `time_settings` and
`time_left` switch to the game clock: the remaining main time is spread over
the moves still expected, and byo-yomi periods are used but never overrun.
"""

from __future__ import annotations

from dataclasses import dataclass

EXPECTED_GAME_MOVES = 240   # a typical 19x19 game, both players
MIN_MOVES_TO_PLAN = 20      # never plan the main time over fewer of our moves
SAFETY_SECONDS = 0.3        # the GTP round trip and the network's last batch


@dataclass
class MoveBudget:
    """Limits of one search: it stops at whichever comes first."""

    cpu_seconds: float | None = None
    wall_seconds: float | None = None
    playouts: int | None = None


@dataclass
class Clock:
    seconds_per_move: float | None = 2.0
    playouts: int | None = None
    # GTP time_settings; None until set. byo-yomi stones 0 means absolute time.
    main_time: float | None = None
    byo_yomi_time: float = 0.0
    byo_yomi_stones: int = 0
    time_left: float | None = None
    stones_left: int = 0  # 0 while in main time

    def set_time_settings(self, main_time: float, byo_yomi_time: float, byo_yomi_stones: int) -> None:
        if main_time < 0 or byo_yomi_time < 0 or byo_yomi_stones < 0:
            raise ValueError("time settings must not be negative")
        if main_time == 0 and byo_yomi_time > 0 and byo_yomi_stones == 0:
            raise ValueError("byo-yomi time needs a number of stones")
        if main_time == 0 and byo_yomi_time == 0:  # GTP: no time limits
            self.main_time = None
            return
        self.main_time, self.byo_yomi_time, self.byo_yomi_stones = main_time, byo_yomi_time, byo_yomi_stones
        self.time_left, self.stones_left = main_time, 0
        if main_time == 0:
            self.time_left, self.stones_left = byo_yomi_time, byo_yomi_stones

    def set_time_left(self, seconds: float, stones: int) -> None:
        if seconds < 0 or stones < 0:
            raise ValueError("time left must not be negative")
        self.time_left, self.stones_left = seconds, stones

    def budget(self, move_number: int) -> MoveBudget:
        if self.main_time is None:
            return MoveBudget(cpu_seconds=None if self.playouts else self.seconds_per_move, playouts=self.playouts)
        return MoveBudget(wall_seconds=self._game_clock_seconds(move_number), playouts=self.playouts)

    def _game_clock_seconds(self, move_number: int) -> float:
        left = self.time_left if self.time_left is not None else self.main_time
        if self.stones_left > 0:  # in byo-yomi: share the period over its stones
            return max(0.05, left / self.stones_left - SAFETY_SECONDS)
        our_moves_left = max(MIN_MOVES_TO_PLAN, (EXPECTED_GAME_MOVES - move_number) // 2)
        share = left / our_moves_left
        if self.byo_yomi_stones:  # main time runs out into byo-yomi: add a period's share
            share += self.byo_yomi_time / self.byo_yomi_stones
        return max(0.05, min(share, left - SAFETY_SECONDS))
