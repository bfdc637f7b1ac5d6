"""Why a refereed game ended: the reasons the referee records, named once.

Records, SGF files and the tournament's database hold their values (plain
strings); code compares with these names.
"""

from __future__ import annotations

from enum import StrEnum


class EndReason(StrEnum):
    SCORE = "score"                # two passes, then counted by area
    MOVE_LIMIT = "move limit"      # counted as it stands after the game-length limit
    RESIGNATION = "resignation"
    ADJUDICATED = "adjudicated"    # decided by the neutral judge (engine/judge.py), not played to the end
    TIME = "time"                  # a move over the time a move (and the margin)
    ILLEGAL_MOVE = "illegal move"
    FAILURE = "failure"            # an engine crashed, hung or refused a legal command
    VOID = "void"                  # neither engine is to blame (the opening or the referee failed): not rated

    @property
    def counted(self) -> bool:
        """Decided by counting the board (a score), not by a player's act or fault."""
        return self in (EndReason.SCORE, EndReason.MOVE_LIMIT)
