"""The neutral judge of refereed games: who is winning, when a game is decided, which stones are dead.

Course networks rarely resign (most value heads are nearly constant) and
leave dead stones on the board, so games went on for hundreds of moves
after they were decided and were counted with dead stones alive. The
judge depends on neither player:

- the bundled network's search, a fixed number of playouts after every
  move, gives Black's win rate; a game is adjudicated when one side stays
  at or above `AdjudicationRule.threshold` for `in_a_row` judgements from
  move `from_move` (the rule and its measurement: docs/results/adjudication.md);
- GNU Go's `final_status_list dead` settles dead stones when a game ends on
  the board (two passes or the move limit): they are removed before the
  count by area. Course networks cannot say which stones are dead (they
  play Tromp-Taylor), and a KGS-style cleanup phase would add back the
  hundreds of moves adjudication saves.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from golois import BLACK, WHITE, _core
from golois.engine.coords import SIZE, colour_letter, gtp_vertex, parse_gtp_vertex
from golois.engine.gtp_client import EngineFailure, GtpClient, GtpCommandError
from golois.engine.inference import Evaluator, load_evaluator
from golois.engine.player import Player, SearchSettings

JUDGE_NETWORK = "default"      # the bundled network: the same judge for every game of every tournament
GNUGO_PATHS = ("/usr/games/gnugo",)  # where Debian installs it, outside a user's PATH
GNUGO_TIMEOUT = 120.0          # seconds for GNU Go to read a finished board


@dataclass(frozen=True)
class AdjudicationRule:
    """When the judge ends a game. The defaults are measured (docs/results/adjudication.md)."""

    from_move: int = 150        # no adjudication before this move
    threshold: float = 0.95     # one side's win rate by the judge's search...
    in_a_row: int = 10          # ...for this many judgements in a row (one after every move)
    playouts: int = 32          # the judge's new playouts a judgement

    def describe(self) -> str:
        return (f"adjudicated when the judge (the bundled network's search, {self.playouts} playouts a move) "
                f"gives one side at least {self.threshold:.0%} for {self.in_a_row} moves in a row, "
                f"from move {self.from_move}")

    def decision(self, curve: list[tuple[int, float]]) -> tuple[int, int] | None:
        """(move, winner) where the rule first holds on a curve of (move, Black's win rate), or None."""
        streak = {BLACK: 0, WHITE: 0}
        for move, black in curve:
            for side, rate in ((BLACK, black), (WHITE, 1.0 - black)):
                streak[side] = streak[side] + 1 if rate >= self.threshold else 0
                if streak[side] >= self.in_a_row and move >= self.from_move:
                    return move, side
        return None


class Judge:
    """Black's win rate after every move of one game, and the side the rule declares the winner."""

    def __init__(self, evaluator: Evaluator, rule: AdjudicationRule = AdjudicationRule()) -> None:
        self.rule = rule
        self.player = Player(evaluator, SearchSettings(batch_size=16, seed=0))
        self.new_game(_core.DEFAULT_KOMI)

    @classmethod
    def bundled(cls, rule: AdjudicationRule = AdjudicationRule()) -> Judge:
        return cls(load_evaluator(JUDGE_NETWORK, batch_size=16), rule)

    def new_game(self, komi: float, setup: list[tuple[int, int]] = ()) -> None:
        self.player.new_game(komi)
        for point, colour in setup:
            self.player.place(point, colour)
        self.curve: list[tuple[int, float]] = []  # (move, Black's win rate after it)
        self.seconds = 0.0                         # CPU time the judge took this game

    def judge(self, point: int, colour: int) -> float | None:
        """Plays a move of the game and returns Black's win rate after it (None once two passes end it)."""
        start = time.process_time()
        self.player.play(point, colour)
        if self.player.game_over():
            return None
        to_play = self.player.to_play
        self.player.analyse(to_play, self.rule.playouts)
        winrate = float(self.player.tree.root_winrate)
        black = winrate if to_play == BLACK else 1.0 - winrate
        self.curve.append((len(self.player.history), black))
        self.seconds += time.process_time() - start
        return black

    def decided(self) -> tuple[int, int] | None:
        """(move, winner) where the rule first held in this game, if it has."""
        return self.rule.decision(self.curve)


def find_gnugo() -> str | None:
    """GNU Go's path, on PATH or where Debian puts it; None when it is not installed."""
    return shutil.which("gnugo") or next((p for p in GNUGO_PATHS if Path(p).is_file()), None)


class DeadStoneJudge:
    """GNU Go over GTP, asked which stones of a finished game are dead."""

    def __init__(self, log_path: Path, command: str | None = None) -> None:
        gnugo = find_gnugo()
        if command is None and gnugo is None:
            raise EngineFailure("GNU Go is not installed (apt-get install gnugo): dead stones cannot be settled")
        # Level 4: at its default level 10 GNU Go took over 2 minutes to read a 300-move board; 4 took 4 s.
        self.command = command or f"{gnugo} --mode gtp --chinese-rules --level 4"
        self.log_path = log_path
        self.client: GtpClient | None = None
        self.seconds = 0.0

    def dead_stones(self, setup: list[tuple[int, int]], moves: list[tuple[int, int]], komi: float) -> set[int]:
        """The dead stones of the position after `moves`; a GNU Go that fails is restarted next time."""
        self.client = self.client or GtpClient(self.command, self.log_path, "GNU Go (dead stones)")
        start = time.monotonic()
        try:
            for command in (f"boardsize {SIZE}", "clear_board", f"komi {komi:g}"):
                self.client.send(command, GNUGO_TIMEOUT)
            for point, colour in [*setup, *moves]:
                self.client.send(f"play {colour_letter(colour)} {gtp_vertex(point)}", GNUGO_TIMEOUT)
            answer = self.client.send("final_status_list dead", GNUGO_TIMEOUT)
        except (EngineFailure, GtpCommandError):
            self.close()
            raise
        self.seconds = time.monotonic() - start  # of the last board read
        return {parse_gtp_vertex(vertex) for vertex in answer.split()}

    def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(OSError):
                self.client.close()
            self.client = None


def settled_score(board: _core.Board, dead: set[int], komi: float) -> float:
    """Black minus White by area (komi included) once the `dead` stones are taken off `board`."""
    settled = _core.Board()
    for point in range(SIZE * SIZE):
        colour = board.color(point)
        if colour and point not in dead:
            settled.place(point, colour)
    return float(settled.score(komi))
